"""The shop together with payments: these tests drive payments' side of a flow (a Wompi
transaction, the ledger, refunds) and may import payments' internals as well as the shop's.
Every other shop test sees only payments.public (tests/studiozens/test_import_contracts.py)."""
