"""``seedqa`` as a separate process: ``python -m bot`` run from this checkout, for the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "command", "environment", "run", "start"]

ROOT = Path(__file__).resolve().parent.parent
"""The checkout whose code the subprocess runs (first on its ``PYTHONPATH``)."""


def command(*argv: str) -> list[str]:
    """The command line of ``seedqa ARGV`` with this interpreter."""
    return [sys.executable, "-m", "bot", *argv]


def environment(base: dict[str, str] | None = None, **variables: str) -> dict[str, str]:
    """``base`` (this process's environment by default) with this checkout first on the path."""
    environ = dict(os.environ if base is None else base)
    path = [str(ROOT), *filter(None, [environ.get("PYTHONPATH")])]
    return {**environ, "PYTHONPATH": os.pathsep.join(path), **variables}


def run(
    *argv: str, env: dict[str, str] | None = None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``seedqa ARGV`` to the end; its output is captured as text."""
    return subprocess.run(
        command(*argv), capture_output=True, text=True, env=env or environment(), **options
    )


def start(*argv: str, env: dict[str, str] | None = None, **options: Any) -> subprocess.Popen[str]:
    """Start ``seedqa ARGV``: its standard output and error are text pipes unless given."""
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **options}
    return subprocess.Popen(command(*argv), text=True, env=env or environment(), **options)
