"""Logging filters: request id on every record, personal data scrubbed from messages."""

from __future__ import annotations

import logging
import re

from platform_core.request_context import get_request_id

# +57 300 123 4567, 573001234567, whatsapp:+57300..., card numbers, bearer tokens.
_PHONE = re.compile(r"(?<![\w-])\+?\d(?:[ \-]?\d){8,18}(?![\w-])")
_TOKEN = re.compile(r"(?i)\b(bearer\s+|tok_|prv_|pub_|test_events_|prod_events_)[\w.\-]+")


def scrub(text: str) -> str:
    text = _TOKEN.sub(lambda m: f"{m.group(1)}[redactado]", text)
    return _PHONE.sub("[redactado]", text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id()
        return True


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.db.backends"):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
