"""Local fakes of external providers, as small stdlib HTTP servers (development and e2e).

Each speaks the provider's real wire format on the real paths, so the official SDKs talk to
it unchanged once pointed at it (``TWILIO_API_BASE_URL``, ``GEMINI_BASE_URL``), and exposes
what it received at ``GET /__requests`` (JSON) for tests. Never used in production: their
management commands refuse to run there.
"""
