"""``python manage.py test`` runs the pytest suite (the project's tests are pytest tests).

Django's own runner would find no ``unittest`` cases and report "0 tests". This runner hands
over to pytest in a child process with ``DJANGO_ENV=test`` (the settings tests expect) and
returns pytest's exit status. Labels are pytest paths or node ids; dotted labels
(``tests.modules.booking``) are turned into paths. ``--pytest-args`` passes anything else.

    python manage.py test                                   # the whole suite
    python manage.py test tests/modules/booking -k hold     # a subset
    python manage.py test --failfast --parallel 2           # -x, -n 2 (pytest-xdist)
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings


def pytest_args(
    labels: list[str],
    *,
    root: Path,
    keyword: str | None = None,
    failfast: bool = False,
    verbosity: int = 1,
    parallel: int = 0,
    extra: str = "",
) -> list[str]:
    args: list[str] = []
    for label in labels:
        as_path = label.replace(".", "/")
        if not (root / label).exists() and (
            (root / as_path).is_dir() or (root / f"{as_path}.py").is_file()
        ):
            label = as_path if (root / as_path).is_dir() else f"{as_path}.py"
        args.append(label)
    if keyword:
        args += ["-k", keyword]
    if failfast:
        args.append("-x")
    if verbosity == 0:
        args.append("-q")
    elif verbosity >= 2:
        args.append("-" + "v" * (verbosity - 1))
    if parallel:
        args += ["-n", str(parallel)]
    return args + shlex.split(extra)


class PytestRunner:
    def __init__(
        self,
        verbosity: int = 1,
        failfast: bool = False,
        keyword: str | None = None,
        parallel: int = 0,
        pytest_args: str = "",
        **_ignored: Any,
    ) -> None:
        self.verbosity = verbosity
        self.failfast = failfast
        self.keyword = keyword
        self.parallel = parallel
        self.extra = pytest_args

    @classmethod
    def add_arguments(cls, parser: ArgumentParser) -> None:
        parser.add_argument("-k", dest="keyword", help="only tests matching this expression")
        parser.add_argument(
            "--parallel", type=int, default=0, help="processes (pytest-xdist), 0 = none"
        )
        parser.add_argument(
            "--pytest-args", default="", help='more pytest options, e.g. "--cov -m slow"'
        )

    def run_tests(self, test_labels: list[str], **_kwargs: Any) -> int:
        root = Path(settings.BASE_DIR)
        argv = pytest_args(
            list(test_labels),
            root=root,
            keyword=self.keyword,
            failfast=self.failfast,
            verbosity=self.verbosity,
            parallel=self.parallel,
            extra=self.extra,
        )
        env = {**os.environ, "DJANGO_ENV": "test"}
        command = [sys.executable, "-m", "pytest", *argv]
        return subprocess.run(command, cwd=root, env=env, check=False).returncode  # noqa: S603
