"""Telegram's flood limits and transient faults, handled below every Bot API call.

python-telegram-bot's ``AIORateLimiter`` spaces requests to stay within Telegram's limits (30
messages a second overall, 20 a minute per group) and, on a 429, waits the ``retry_after`` it was
told and tries again. On top of it, a request that failed on the network, timed out, or got a 5xx
is retried a few times with a growing pause. A "typing…" chat action is only a courtesy: when the
overall budget is spent it is dropped rather than queued ahead of an answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

__all__ = ["FloodLimiter"]

logger = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]

FIRST_PAUSE = 0.25
"""Seconds before the first retry after a network fault; each retry waits twice as long."""


class FloodLimiter(AIORateLimiter):
    """``AIORateLimiter`` that also retries network faults and drops chat actions under load."""

    def __init__(self, max_rate: float, retries: int) -> None:
        super().__init__(overall_max_rate=max_rate, max_retries=retries)
        self._retries = retries

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Send one request within the limits, retrying 429s and transient network faults."""
        if endpoint == "sendChatAction" and self._spent():
            logger.debug("Skipped a chat action: the overall message budget is spent")
            return True
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as error:  # a timeout, a dropped connection or a 5xx
                if attempt >= self._retries:
                    raise
                pause = FIRST_PAUSE * 2**attempt
                attempt += 1
                logger.warning(
                    "%s failed (%s); retry %d of %d in %.2f s",
                    endpoint,
                    error.message,
                    attempt,
                    self._retries,
                    pause,
                )
                await asyncio.sleep(pause)

    def _spent(self) -> bool:
        limiter = self._base_limiter
        return limiter is not None and not limiter.has_capacity()
