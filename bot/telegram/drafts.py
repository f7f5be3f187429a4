"""A generated answer streamed into a private chat's draft, checked sentence by checked sentence.

Telegram shows a bot's draft (``sendMessageDraft``) as a message being written, until the bot
sends the message itself. Only sentences the check kept go into it, one more with each update,
at most one update every :data:`DRAFT_EVERY` seconds. A draft is a courtesy: a 429 pauses the
updates for the ``retry_after`` Telegram asked for (rather than retrying), any other refusal
ends them, and the final message is sent regardless.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence

from telegram import Bot
from telegram.error import RetryAfter, TelegramError

from retrieval import Answer, CheckedSentence, GeneratedAnswer, Generator

from ..citations import language_of
from .markup import MESSAGE_LIMIT, utf16_length

__all__ = ["DRAFT_EVERY", "Draft", "joined", "written"]

logger = logging.getLogger(__name__)

DRAFT_EVERY = 1.0
"""Seconds between two updates of a draft, at least: each one animates on the user's screen."""


def joined(sentences: Sequence[CheckedSentence]) -> str:
    """The sentences with their ``[n]``, as one text: Chinese ones run on, others are spaced."""
    parts: list[str] = []
    for sentence in sentences:
        text = sentence.cited
        if parts and language_of(text) == "en":
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


class Draft:
    """The draft of one answer in one private chat; ``add`` each checked sentence, then
    ``close``."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        draft_id: int,
        every: float = DRAFT_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if draft_id == 0:
            raise ValueError("a draft id must not be 0")
        self._bot = bot
        self._chat = chat_id
        self._id = draft_id
        self._every = every
        self._clock = clock
        self._sentences: list[CheckedSentence] = []
        self._shown = 0
        self._next = 0.0
        """When the next update may go out (the clock's time)."""
        self._added = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.updates = 0
        """Drafts Telegram accepted."""

    def add(self, sentence: CheckedSentence) -> None:
        """One more checked sentence, to show when the pace allows."""
        self._sentences.append(sentence)
        self._added.set()
        if self._task is None:
            self._task = asyncio.create_task(self._show())

    async def close(self) -> None:
        """Stop updating the draft (the final message replaces it)."""
        if self._task is not None:
            task = self._task
            task.cancel()
            await asyncio.wait([task])  # unlike awaiting the task, keeps our own cancellation
            if not task.cancelled() and task.exception() is not None:
                # a courtesy that failed: the final message goes out regardless
                logger.error("Updating a draft failed", exc_info=task.exception())

    async def _show(self) -> None:
        while True:
            if self._shown == len(self._sentences):
                self._added.clear()
                await self._added.wait()
            wait = self._next - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            text = _fitting(self._sentences[: self._shown + 1])
            try:
                await self._bot.send_message_draft(
                    self._chat,
                    self._id,
                    text,
                    # a 429 comes back here, to pause the drafts, instead of being waited out
                    # and retried while the sentences it would show grow stale
                    rate_limit_args=0,  # type: ignore[call-arg]  # AIORateLimiter's max_retries
                )
            except RetryAfter as error:
                pause = _seconds(error.retry_after)
                logger.info("Draft in chat %s paused %.0f s by flood control", self._chat, pause)
                self._next = self._clock() + pause
                continue
            except TelegramError as error:
                logger.info("No more drafts in chat %s: %s", self._chat, error.message)
                return
            self.updates += 1
            self._shown += 1
            self._next = self._clock() + self._every


def _fitting(sentences: Sequence[CheckedSentence]) -> str:
    """The sentences as one text, the last ones left out where it would be over the limit."""
    count = len(sentences)
    text = joined(sentences)
    while count > 1 and utf16_length(text) > MESSAGE_LIMIT:
        count -= 1
        text = joined(sentences[:count])
    return text[:MESSAGE_LIMIT]


def _seconds(retry_after: float | dt.timedelta) -> float:
    """``retry_after`` in seconds, however python-telegram-bot gives it."""
    return retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else retry_after


async def written(
    generator: Generator, answer: Answer, bot: Bot, chat_id: int, draft_id: int | None
) -> GeneratedAnswer:
    """The checked answer to ``answer``, its sentences streamed into a draft when ``draft_id``
    is given (private chats only); the extractive one, marked, whatever goes wrong."""
    draft = Draft(bot, chat_id, draft_id) if draft_id else None
    final: GeneratedAnswer | None = None
    try:
        async for item in generator.stream(answer):
            if isinstance(item, GeneratedAnswer):
                final = item
            elif draft is not None:
                draft.add(item)
    except Exception:  # the generator handles the server's failures; this is a bug of ours
        logger.exception("Writing an answer failed; showing the extractive one")
        final = None
    finally:
        if draft is not None:
            await draft.close()
    if final is not None:
        return final
    if answer.abstained:  # the generator's own fallback, when it could not give it
        return GeneratedAnswer("", False, (), 0, "failed")
    return GeneratedAnswer(answer.hits[0].highlight_text, False, (1,), 0, "failed")
