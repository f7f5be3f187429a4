"""A per-user limit on questions per minute, so that one user cannot starve the others."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum

__all__ = ["Throttle", "Verdict"]


class Verdict(Enum):
    """What to do with a user's request."""

    ALLOW = "allow"
    WARN = "warn"
    """Over the limit: refuse, and say so (once per window)."""
    DROP = "drop"
    """Over the limit and already told: refuse silently, so the refusals cannot flood a chat."""


class Throttle:
    """At most ``limit`` requests per user in any ``window`` seconds (a sliding window)."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._times: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def check(self, user: int) -> Verdict:
        """Count a request of ``user`` if the limit allows it; a limit of 0 allows everything."""
        if self.limit <= 0:
            return Verdict.ALLOW
        now = self._clock()
        if len(self._times) > 4096:
            self._forget(now)
        times = self._times.setdefault(user, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            return Verdict.ALLOW
        if self._warned.get(user, float("-inf")) > now - self.window:
            return Verdict.DROP
        self._warned[user] = now
        return Verdict.WARN

    def _forget(self, now: float) -> None:
        """Drop users with no request in the window, so memory stays bounded."""
        for user in [u for u, t in self._times.items() if not t or t[-1] <= now - self.window]:
            del self._times[user]
            self._warned.pop(user, None)
