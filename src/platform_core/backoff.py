"""A process-local "down until" flag for a shared service that just failed.

Used where the shared store itself is what is down (Redis, the Celery broker), so the state
cannot live there: after a failure, callers in this process skip the service for a few
seconds instead of each waiting out its own timeout."""

from __future__ import annotations

import threading
import time

from django.conf import settings


class ProcessBackoff:
    def __init__(self, setting: str, default_seconds: float) -> None:
        self.setting, self.default_seconds = setting, default_seconds
        self._lock = threading.Lock()
        self._down_until = 0.0

    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def failed(self) -> None:
        seconds = float(getattr(settings, self.setting, self.default_seconds))
        with self._lock:
            self._down_until = time.monotonic() + seconds

    def reset(self) -> None:
        with self._lock:
            self._down_until = 0.0
