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
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from .markup import Chunk

__all__ = ["Outbox", "is_parse_error"]

logger = logging.getLogger(__name__)

TYPING_EVERY = 4.5
"""Seconds between two "typing…" actions: Telegram shows one for five seconds."""

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

Follow = Callable[[int, int], Awaitable[None]]


def is_parse_error(error: BadRequest) -> bool:
    """Whether Telegram refused a message because it could not parse its entities."""
    return "can't parse entities" in error.message.lower()


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
        html, migrated = True, False
        while True:
            try:
                return await bot.send_message(
                    chat_id,
                    chunk.html if html else chunk.plain,
                    parse_mode=ParseMode.HTML if html else None,
                    reply_markup=markup,
                    reply_parameters=(
                        ReplyParameters(reply_to, allow_sending_without_reply=True)
                        if reply_to is not None
                        else None
                    ),
                    link_preview_options=_NO_PREVIEW,
                )
            except ChatMigrated as error:
                if migrated:
                    raise
                migrated = True
                await self._follow(chat_id, error.new_chat_id)
                chat_id = error.new_chat_id
            except BadRequest as error:
                if not (html and is_parse_error(error)):
                    raise
                logger.warning("Telegram could not parse a message (%s); sent as plain text", error)
                html = False
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
        html = True
        while True:
            try:
                await bot.edit_message_text(
                    chunks[0].html if html else chunks[0].plain,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML if html else None,
                    reply_markup=first_markup,
                    link_preview_options=_NO_PREVIEW,
                )
                break
            except BadRequest as error:
                if "not modified" in error.message.lower():
                    break
                if html and is_parse_error(error):
                    html = False
                    continue
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

    @staticmethod
    async def _keep_typing(bot: Bot, chat_id: int) -> None:
        while True:
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as error:
                logger.debug("No typing action in chat %s: %s", chat_id, error.message)
                return
            await asyncio.sleep(TYPING_EVERY)
