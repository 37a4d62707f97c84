"""Membership's flows through payments run on payments' in-process Wompi sandbox: the same
settings fixture."""

from tests.modules.payments.conftest import _wompi_settings  # noqa: F401
