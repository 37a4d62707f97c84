"""The gunicorn worker class for the ASGI app: uvicorn without the ASGI lifespan protocol.

Django's ASGI handler does not speak lifespan; with uvicorn's default ("auto") every worker
start logs "Django can only handle ASGI/HTTP connections, not lifespan." as an error, which
Sentry would record each time gunicorn recycles a worker (every ~1000 requests).

Proxy headers are off as well: uvicorn would otherwise replace the peer address with the
left-most X-Forwarded-For entry, which the client writes. The application picks the client
address from the header itself, trusting only TRUSTED_PROXY_COUNT proxies (see
platform_core.request_context.client_ip).
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker


class DjangoUvicornWorker(UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {
        **UvicornWorker.CONFIG_KWARGS,
        "lifespan": "off",
        "proxy_headers": False,
    }
