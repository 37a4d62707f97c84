"""Booking together with payments: these tests drive payments' side of a flow (a Wompi
transaction, the ledger, refunds) and may import payments' internals as well as booking's.
Every other booking test sees only payments.public (tests/studiozens/test_import_contracts.py)."""
