"""Logging configuration: readable lines in development, JSON lines in production."""

from __future__ import annotations

from typing import Any


def build_logging(*, level: str, json: bool, sql: bool) -> dict[str, Any]:
    formatter = "json" if json else "readable"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "platform_core.logging.RequestIdFilter"},
            "scrub": {"()": "platform_core.logging.ScrubFilter"},
        },
        "formatters": {
            "readable": {
                "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
            },
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_id", "scrub"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "DEBUG" if sql else "INFO", "propagate": True},
            "django.request": {"level": "ERROR", "propagate": True},
            "celery": {"level": level, "propagate": True},
        },
    }
