"""Thin handlers: read what an update asks, hand it to the librarian, and register them all.

Private chats: every text message is a question. Groups: ``/ask``, replies to the bot's own
messages and messages that mention it; everything else, and commands addressed to other bots,
are left alone. Inline mode: ``@bot question`` anywhere.
"""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, InlineQueryResultsButton, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from retrieval import QuestionError, clean_question

from ..citations import Language, language_of
from .keyboards import More, Show, Vote, decode, paragraph_from_payload
from .librarian import Librarian
from .outbox import is_parse_error
from .phrases import language_of_user, phrases

__all__ = ["Handlers", "register"]

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

INLINE_CACHE = 60
"""Seconds Telegram may reuse an inline answer (a rebuilt index shows within a minute)."""

_COMMAND = re.compile(r"^/\S*\s*")


def _language(update: Update) -> Language:
    user = update.effective_user
    return language_of_user(user.language_code if user else None)


def _user_id(update: Update) -> int | None:
    user = update.effective_user
    return user.id if user else None


class Handlers:
    """The update handlers, bound to one librarian."""

    def __init__(self, librarian: Librarian) -> None:
        self.librarian = librarian

    async def start(self, update: Update, context: Context) -> None:
        """``/start``, or ``/start p_<id>`` from a deep link: greet, or show that paragraph."""
        message, language = update.effective_message, _language(update)
        if message is None:
            return
        if not await self._admit(update, context):
            return
        paragraph = paragraph_from_payload(context.args[0]) if context.args else None
        if paragraph is not None and await self.librarian.show(
            context.bot, message.chat_id, paragraph, language, message.message_id
        ):
            return
        text = phrases(language).start if paragraph is None else phrases(language).gone
        await self.librarian.say(context.bot, message.chat_id, text, message.message_id)

    async def help(self, update: Update, context: Context) -> None:
        """``/help``: how to ask, in private, in groups and inline."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        text = phrases(_language(update)).help.format(bot=context.bot.username)
        await self.librarian.say(context.bot, message.chat_id, text, message.message_id)

    async def about(self, update: Update, context: Context) -> None:
        """``/about``: what is indexed."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        await self.librarian.about(
            context.bot, message.chat_id, _language(update), message.message_id
        )

    async def ask(self, update: Update, context: Context) -> None:
        """``/ask QUESTION`` (or ``/ask`` in reply to a message holding the question)."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        question = _COMMAND.sub("", message.text, count=1).strip()
        replied = message.reply_to_message
        if not question and replied is not None and replied.text:
            question = replied.text
        await self.librarian.answer(
            context.bot, message.chat_id, _user_id(update), question, message.message_id
        )

    async def private_text(self, update: Update, context: Context) -> None:
        """A text message in a private chat: a question."""
        message = update.message
        if message is None or message.text is None:
            return
        await self.librarian.answer(
            context.bot, message.chat_id, _user_id(update), message.text, message.message_id
        )

    async def group_text(self, update: Update, context: Context) -> None:
        """A group message: a question if it replies to the bot or mentions it, else nothing."""
        message = update.message
        if message is None or message.text is None:
            return
        mention = re.compile(rf"@{re.escape(context.bot.username)}(?![A-Za-z0-9_])", re.I)
        to_me = _replies_to(message, context.bot.id) or mention.search(message.text) is not None
        if not to_me:
            return
        question = mention.sub(" ", message.text).strip()
        await self.librarian.answer(
            context.bot, message.chat_id, _user_id(update), question, message.message_id
        )

    async def not_text(self, update: Update, context: Context) -> None:
        """A sticker, photo or file in a private chat: ask for text."""
        message = update.message
        if message is None or not await self._admit(update, context):
            return
        await self.librarian.say(
            context.bot, message.chat_id, phrases(_language(update)).not_text, message.message_id
        )

    async def unknown_command(self, update: Update, context: Context) -> None:
        """A command this bot does not have, in a private chat."""
        message = update.message
        if message is None or not await self._admit(update, context):
            return
        text = phrases(_language(update)).unknown_command
        await self.librarian.say(context.bot, message.chat_id, text, message.message_id)

    async def reindex(self, update: Update, context: Context) -> None:
        """``/reindex`` (admins only): rebuild from the seeds folder, then switch over."""
        message, language = update.effective_message, _language(update)
        if message is None or not await self._admit(update, context):
            return
        if not self.librarian.access.is_admin(_user_id(update)):
            text = phrases(language).admin_only
            await self.librarian.say(context.bot, message.chat_id, text, message.message_id)
            return
        await self.librarian.reindex(context.bot, message.chat_id, language, message.message_id)

    async def migration(self, update: Update, context: Context) -> None:
        """A group became a supergroup: follow it to its new id."""
        message = update.message
        if message is None:
            return
        if message.migrate_to_chat_id:
            await self.librarian.follow(message.chat_id, message.migrate_to_chat_id)
        elif message.migrate_from_chat_id:
            await self.librarian.follow(message.migrate_from_chat_id, message.chat_id)

    async def button(self, update: Update, context: Context) -> None:
        """A press on one of the buttons under an answer."""
        query = update.callback_query
        if query is None:
            return
        language = _language(update)
        action = decode(query.data)
        message = query.message
        if action is None or message is None:
            await _toast(query, phrases(language).expired)
            return
        chat_id = message.chat.id
        librarian = self.librarian
        if isinstance(action, Vote):
            thanks = await librarian.vote(
                chat_id, query.from_user.id, action.question, action.up, language
            )
            await _toast(query, thanks)
            return
        throttle = librarian.questions if isinstance(action, More) else librarian.requests
        refusal = librarian.refusal(throttle, chat_id, query.from_user.id, language)
        if refusal is not None:
            await _toast(query, refusal or None)
            return
        if isinstance(action, Show):
            shown = await librarian.show(
                context.bot, chat_id, action.paragraph, action.language, message.message_id
            )
            await _toast(query, None if shown else phrases(language).gone)
            return
        notice = await librarian.page(
            context.bot, chat_id, message.message_id, action.question, action.offset, language
        )
        await _toast(query, notice)

    async def inline(self, update: Update, context: Context) -> None:
        """``@bot question`` in any chat: up to five answers to pick from."""
        query = update.inline_query
        if query is None:
            return
        text = query.query.strip()
        language = language_of(text) if text else _language(update)
        say = phrases(language)
        librarian = self.librarian
        user = query.from_user.id  # inline queries come from a user, not a chat
        refusal = librarian.refusal(librarian.inline, user, user, language)
        if refusal is not None:
            if refusal:
                await query.answer([], button=_help_button(refusal), cache_time=0)
            return
        try:
            question = clean_question(text)
        except QuestionError:
            await query.answer([], button=_help_button(say.inline_help), cache_time=INLINE_CACHE)
            return
        username = context.bot.username
        results = await librarian.inline_results(question, username)
        if not results:
            button = _help_button(say.inline_nothing)
            await query.answer([], button=button, cache_time=INLINE_CACHE)
            return
        try:
            await query.answer(results, cache_time=INLINE_CACHE)
        except BadRequest as error:
            if not is_parse_error(error):
                raise
            logger.warning("Telegram could not parse an inline answer; sent as plain text")
            results = await librarian.inline_results(question, username, html=False)
            await query.answer(results, cache_time=INLINE_CACHE)

    async def _admit(self, update: Update, context: Context) -> bool:
        message = update.effective_message
        if message is None:
            return False
        return await self.librarian.admit(
            context.bot,
            self.librarian.requests,
            message.chat_id,
            _user_id(update),
            _language(update),
            message.message_id,
        )


def _help_button(text: str) -> InlineQueryResultsButton:
    """The button above inline results that opens the bot on its help."""
    return InlineQueryResultsButton(text, start_parameter="help")


def _replies_to(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


async def _toast(query: CallbackQuery, text: str | None) -> None:
    """Answer a button press (which stops its spinner), with a notice if there is one."""
    try:
        await query.answer(text)
    except TelegramError as error:  # the press is too old to answer: nothing to do
        logger.debug("Could not answer a button press: %s", error)


async def on_error(update: object, context: Context) -> None:
    """Log any error with its traceback, and apologise to the user it happened to."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        logger.info("Update %s: the bot cannot write there (%s)", update_id, error.message)
        return
    logger.error("Update %s failed", update_id, exc_info=error)
    if not isinstance(update, Update):
        return
    language = _language(update)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(phrases(language).apology)
        elif update.effective_chat is not None and update.effective_chat.type != ChatType.CHANNEL:
            await context.bot.send_message(update.effective_chat.id, phrases(language).apology)
    except TelegramError as apology_error:
        logger.warning("Could not apologise for update %s: %s", update_id, apology_error)


def register(application: Application, librarian: Librarian) -> None:  # type: ignore[type-arg]
    """Register every handler, and the error handler, on the application."""
    handlers = Handlers(librarian)
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    new_message = filters.UpdateType.MESSAGE  # not edits: an edited question is not asked again
    application.add_handlers(
        [
            CommandHandler("start", handlers.start, new_message),
            CommandHandler("help", handlers.help, new_message),
            CommandHandler("about", handlers.about, new_message),
            CommandHandler("ask", handlers.ask, new_message),
            CommandHandler("reindex", handlers.reindex, new_message),
            MessageHandler(filters.StatusUpdate.MIGRATE, handlers.migration),
            MessageHandler(private & new_message & filters.COMMAND, handlers.unknown_command),
            MessageHandler(private & new_message & filters.TEXT, handlers.private_text),
            MessageHandler(
                groups & new_message & filters.TEXT & ~filters.COMMAND, handlers.group_text
            ),
            MessageHandler(
                private & new_message & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.not_text
            ),
            CallbackQueryHandler(handlers.button),
            InlineQueryHandler(handlers.inline),
        ]
    )
    application.add_error_handler(on_error)
