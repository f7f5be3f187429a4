"""Waiting in the tests for what another thread or process does."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["wait_for"]


def wait_for(condition: Callable[[], object], seconds: float, every: float = 0.05) -> float:
    """Poll ``condition`` every ``every`` seconds until it holds; the seconds it took (fails after
    ``seconds``)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(every)
    return time.monotonic() - started
