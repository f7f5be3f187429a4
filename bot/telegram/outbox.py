"""Sending and editing messages through Telegram's faults, so that an answer is never lost.

Below this, the limiter retries flood control and network faults. Here: a group that became a
supergroup is followed to its new id; a message Telegram cannot parse as HTML is sent again as
plain text; a user who blocked the bot is logged and skipped; an edit that would change nothing
is not an error; an edit Telegram refuses (the message is too old, or gone) is sent as a new
message instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from .markup import Chunk

__all__ = ["Outbox", "is_parse_error"]

logger = logging.getLogger(__name__)

TYPING_EVERY = 4.5
"""Seconds between two "typing…" actions: Telegram shows one for five seconds."""
WORKING = "👀"
"""The reaction on a question while its answer is being written."""

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Follow = Callable[[int, int], Awaitable[None]]
T = TypeVar("T")


def is_parse_error(error: BadRequest) -> bool:
    """Whether Telegram refused a message because it could not parse its entities."""
    return "can't parse entities" in error.message.lower()


async def _html_or_plain(chunk: Chunk, call: Callable[..., Awaitable[T]]) -> T:
    """``call(text, parse_mode=…)`` with the chunk's HTML; again with its plain text if Telegram
    cannot parse the HTML."""
    try:
        return await call(chunk.html, parse_mode=ParseMode.HTML)
    except BadRequest as error:
        if not is_parse_error(error):
            raise
        logger.warning("Telegram could not parse a message (%s); sent as plain text", error)
        return await call(chunk.plain, parse_mode=None)


class Outbox:
    """Sends the bot's messages; ``follow(old, new)`` is told of every chat migration."""

    def __init__(self, follow: Follow) -> None:
        self._follow = follow

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        chunks: Sequence[Chunk],
        markup: InlineKeyboardMarkup | None = None,
        reply_to: int | None = None,
    ) -> list[Message]:
        """Send the chunks in order, ``markup`` under the last; stops if the chat is unreachable."""
        sent: list[Message] = []
        for number, chunk in enumerate(chunks):
            last = number == len(chunks) - 1
            message = await self._send_one(
                bot, chat_id, chunk, markup if last else None, reply_to if number == 0 else None
            )
            if message is None:
                break
            chat_id = message.chat_id  # a migrated group's new id
            sent.append(message)
        return sent

    async def _send_one(
        self,
        bot: Bot,
        chat_id: int,
        chunk: Chunk,
        markup: InlineKeyboardMarkup | None,
        reply_to: int | None,
    ) -> Message | None:
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        migrated = False
        while True:
            try:
                send = functools.partial(
                    bot.send_message,
                    chat_id,
                    reply_markup=markup,
                    reply_parameters=reply,
                    link_preview_options=_NO_PREVIEW,
                )
                return await _html_or_plain(chunk, send)
            except ChatMigrated as error:
                if migrated:
                    raise
                migrated = True
                await self._follow(chat_id, error.new_chat_id)
                chat_id = error.new_chat_id
            except Forbidden as error:
                logger.info("Chat %s cannot be written to (%s); skipped", chat_id, error.message)
                return None

    async def edit(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int,
        chunks: Sequence[Chunk],
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Replace a message with the first chunk (new messages for the rest), markup last."""
        first_markup = markup if len(chunks) == 1 else None
        try:
            edit = functools.partial(
                bot.edit_message_text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=first_markup,
                link_preview_options=_NO_PREVIEW,
            )
            await _html_or_plain(chunks[0], edit)
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                logger.info("Cannot edit message (%s); sending a new one", error.message)
                await self.send(bot, chat_id, chunks, markup)
                return
        except Forbidden as error:
            logger.info("Chat %s cannot be written to (%s)", chat_id, error.message)
            return
        if len(chunks) > 1:
            await self.send(bot, chat_id, chunks[1:], markup)

    @contextlib.asynccontextmanager
    async def typing(self, bot: Bot, chat_id: int) -> AsyncIterator[None]:
        """Show "typing…" in the chat while the body runs (a courtesy: failures are ignored)."""
        task = asyncio.create_task(self._keep_typing(bot, chat_id))
        try:
            yield
        finally:
            task.cancel()

    @contextlib.asynccontextmanager
    async def working(self, bot: Bot, chat_id: int, message_id: int | None) -> AsyncIterator[None]:
        """A 👀 reaction on the question while the body runs, removed after; "typing…" instead
        where reactions are not allowed (a courtesy either way: failures are ignored).

        One reaction, set once, instead of a "typing…" action every few seconds for an answer
        that may take tens of seconds to write.
        """
        if message_id is None or not await self._react(bot, chat_id, message_id, WORKING):
            async with self.typing(bot, chat_id):
                yield
            return
        try:
            yield
        finally:
            await self._react(bot, chat_id, message_id, None)

    @staticmethod
    async def _react(bot: Bot, chat_id: int, message_id: int, emoji: str | None) -> bool:
        """Set (or, with None, remove) the bot's reaction on a message; whether it worked."""
        try:
            await bot.set_message_reaction(chat_id, message_id, emoji)
        except TelegramError as error:
            logger.debug("No reaction in chat %s: %s", chat_id, error.message)
            return False
        return True

    @staticmethod
    async def _keep_typing(bot: Bot, chat_id: int) -> None:
        while True:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as error:
                logger.debug("No typing action in chat %s: %s", chat_id, error.message)
                return
            await asyncio.sleep(TYPING_EVERY)
