"""Loaded before Django starts: tests run with DJANGO_ENV=test (eager Celery by default)."""

import os

os.environ.setdefault("DJANGO_ENV", "test")
