"""membership's public face: what other modules may import from membership.

Membership is a purpose of payments (it depends on ``payments.public``, never the other
way round). Its payment purpose keeps the value payments gave it before the move
(issue 16): payments' rows and ledger entries carry it, and a rename would rewrite
money history for a label.
"""

from __future__ import annotations

__all__ = ["PURPOSE_VIP"]

PURPOSE_VIP = "payments.vip"
