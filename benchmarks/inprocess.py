"""Shared set-up of the in-process benchmarks (curves, login, profile_mix): Django with the
project on the path, and a throw-away PostgreSQL database for the run.

    import inprocess
    inprocess.setup(DJANGO_ENV="test")          # before importing anything from Django
    ...
    with inprocess.throwaway_database("curves"):  # <DATABASE_URL's name>_curves
        ...
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup(**env_defaults: str) -> None:
    """Put src/ and the project on sys.path, default the environment, ``django.setup()``."""
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name, value in env_defaults.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


@contextmanager
def throwaway_database(suffix: str) -> Iterator[None]:
    """Create ``<name>_<suffix>`` (migrated), point the connection at it, drop it after."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    if not settings.USING_POSTGRES:
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the benchmark targets PostgreSQL.")
    setup_test_environment()
    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = f"{database['NAME']}_{suffix}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
