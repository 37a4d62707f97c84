"""What a web worker imports at start-up is its idle memory (docs/performance.md, "Memory and
start-up"): libraries only the Celery worker or a rare path needs are imported on first use."""

from __future__ import annotations

import json

from tests.app_process import last_line_printed_by

# Each is megabytes per web worker (measured: rapidfuzz 4.6 MB, dateparser 8.3 MB, the Gemini
# SDK with aiohttp ~35 MB, openpyxl 9.4 MB, twilio.rest with requests ~6.5 MB).
ON_FIRST_USE = (
    "rapidfuzz",  # the assistant's typo correction: the `bot` queue
    "dateparser",  # the assistant's dates: the `bot` queue
    "google.genai",  # Gemini: the `bot` queue
    "aiohttp",
    "twilio.rest",  # Twilio sends: the Celery worker; Verify checks: on first use
    "requests",
    "boto3",  # media on S3: on the first upload or URL
    "geoip2",  # GeoIP: on the first sign-up or login
    "openpyxl",  # Excel imports and exports in the admin (platform_core.spreadsheets)
    "moto",
    "locust",
)


def test_the_web_application_does_not_import_what_it_uses_rarely() -> None:
    script = (
        "import json, sys\nimport studiozens.asgi\n"
        f"print(json.dumps([m for m in {list(ON_FIRST_USE)!r} if m in sys.modules]))"
    )
    assert json.loads(last_line_printed_by(script)) == []
