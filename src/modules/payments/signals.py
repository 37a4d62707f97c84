"""Domain signals (re-exported by ``public``). Sent on commit; receivers must be idempotent:
a receiver that raises gets the signal again (Celery retry with backoff, or an operator's
``replay_wompi_event``), see ``modules.payments.delivery``."""

from __future__ import annotations

import django.dispatch

# kwargs: outcome (public.PaymentSettled), purpose, ref, payment_reference, amount_cents,
# user_id, late
payment_settled = django.dispatch.Signal()
# kwargs: outcome (public.PaymentFailed), purpose, ref, payment_reference, status
payment_failed = django.dispatch.Signal()
