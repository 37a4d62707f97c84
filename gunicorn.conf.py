"""Gunicorn settings for the ASGI app (uvicorn workers), tuned for Render Starter (512 MB).

Start command (render.yaml):
    gunicorn -c gunicorn.conf.py studiozens.asgi:application
"""

import os

# src/ layout: make `studiozens`, `platform_core` and `modules` importable even when the
# project is not installed into the virtualenv.
pythonpath = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "studiozens.gunicorn_worker.DjangoUvicornWorker"  # uvicorn, lifespan off
# 3 workers ≈ 3 x 142 MB + the master: see docs/performance.md ("Memory and start-up").
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Render sends SIGTERM and waits maxShutdownDelaySeconds (30 s by default).
graceful_timeout = 25
keepalive = 5
# The app is imported once, in the master, and the workers are forked from it: a worker
# (re)start costs a fork instead of importing Django and every module again (~0.8-3 s of
# CPU), its start-up heap (frozen by studiozens.asgi) stays shared with its siblings, and a
# broken import fails the deploy at once instead of looping worker boots. Nothing opens a
# connection or a thread at import time (tests/studiozens/test_preload.py).
preload_app = True
# Recycle workers now and then so slow leaks never reach the 512 MB limit. With preload a
# recycle is cheap, but under a crowd 1,000 requests came every few seconds per worker and
# each recycle still dropped its warm caches and pool: docs/performance.md ("Load ladder").
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max(1, max_requests // 10)
# No forwarded_allow_ips: the server never rewrites the client address from
# X-Forwarded-For (uvicorn's proxy headers are off in studiozens.gunicorn_worker). The app
# reads the header itself, trusting only TRUSTED_PROXY_COUNT proxies counted from the right
# (platform_core.request_context.client_ip); with "*" any caller chose its own address and
# walked around the per-IP login limit. The scheme comes from SECURE_PROXY_SSL_HEADER.
# The heartbeat file lives in memory, not on the (slow) container disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Django logs requests itself (JSON); gunicorn only reports its own errors.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
