"""What the shared kernel and the modules know of a person's account without importing
identity: a reference to it.

identity owns accounts. Across a public face a user travels as a ``UserRef``: either the
model instance a request carries (``request.auth``) or identity's frozen ``UserDTO``; both
have these two fields. A module that keeps a row about a person stores ``user_id=ref.id``;
whatever else it needs (a name, a role, VIP) it asks ``modules.identity.public``.
"""

from __future__ import annotations

import uuid
from typing import Protocol, runtime_checkable


@runtime_checkable
class UserRef(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def public_id(self) -> uuid.UUID: ...
