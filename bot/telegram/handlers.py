"""Thin handlers: read an update into a request, hand it to the librarian, and register them all.

Private chats: every text message is a question (and the caption of a photo or a file). Groups:
``/ask``, replies to the bot's own messages and messages that mention it; everything else, and
commands addressed to other bots, are left alone. Inline mode: ``@bot question`` anywhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from telegram import (
    CallbackQuery,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    Message,
    Update,
)
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

from .admission import Kind
from .keyboards import More, Show, Vote, decode, paragraph_from_payload
from .librarian import Librarian
from .outbox import is_parse_error
from .phrases import phrases
from .request import Request, reply_language

__all__ = ["Handlers", "register"]

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

INLINE_CACHE = 60
"""Seconds Telegram may reuse an inline answer for the same query (a rebuilt index shows within a
minute) — only when the answer depends on the query alone; else 0, and personal."""

_COMMAND = re.compile(r"^/\S*\s*")


class Handlers:
    """The update handlers, bound to one librarian: each reads its update into a request."""

    def __init__(self, librarian: Librarian) -> None:
        self.librarian = librarian

    def request(self, update: Update, context: Context) -> Request | None:
        """The request an update makes (None when there is nobody to answer)."""
        return Request.of(update, context.bot, self.librarian.language)

    async def _admitted(self, update: Update, context: Context) -> Request | None:
        """The request of a command, if it is to be served (else the user was told why)."""
        request = self.request(update, context)
        if request is None or not await self.librarian.admit(request, Kind.REQUEST):
            return None
        return request

    async def start(self, update: Update, context: Context) -> None:
        """``/start``, or ``/start p_<id>_<language>`` from a deep link: greet, or show it."""
        request = await self._admitted(update, context)
        if request is None:
            return
        payload = paragraph_from_payload(context.args[0]) if context.args else None
        if payload is not None:
            paragraph, language = payload
            if await self.librarian.show(request, paragraph, language or request.language):
                return
        say = phrases(request.language)
        await self.librarian.say(request, say.start if payload is None else say.gone)

    async def help(self, update: Update, context: Context) -> None:
        """``/help``: how to ask, in private, in groups and inline."""
        request = await self._admitted(update, context)
        if request is not None:
            text = phrases(request.language).help.format(bot=context.bot.username)
            await self.librarian.say(request, text)

    async def about(self, update: Update, context: Context) -> None:
        """``/about``: what is indexed."""
        request = await self._admitted(update, context)
        if request is not None:
            await self.librarian.about(request)

    async def new(self, update: Update, context: Context) -> None:
        """``/new``: forget the conversation, so that the next question starts afresh."""
        request = await self._admitted(update, context)
        if request is not None:
            await self.librarian.forget(request)

    async def ask(self, update: Update, context: Context) -> None:
        """``/ask QUESTION`` (or ``/ask`` in reply to a message holding the question)."""
        message, request = update.effective_message, self.request(update, context)
        if message is None or message.text is None or request is None:
            return
        question = _COMMAND.sub("", message.text, count=1).strip()
        replied = message.reply_to_message
        if not question and replied is not None:
            question = replied.text or replied.caption or ""
        await self.librarian.answer(request, question)

    async def private_text(self, update: Update, context: Context) -> None:
        """A text message in a private chat, or a photo or file with a caption: a question."""
        message, request = update.message, self.request(update, context)
        text = _text(message)
        if text is None or request is None:
            return
        await self.librarian.answer(request, text)

    async def group_text(self, update: Update, context: Context) -> None:
        """A group message: a question if it replies to the bot or mentions it, else nothing."""
        message, request = update.message, self.request(update, context)
        text = _text(message)
        if message is None or text is None or request is None:
            return
        mention = re.compile(rf"@{re.escape(context.bot.username)}(?![A-Za-z0-9_])", re.I)
        to_me = _replies_to(message, context.bot.id) or mention.search(text) is not None
        if to_me:
            await self.librarian.answer(request, mention.sub(" ", text).strip())

    async def not_text(self, update: Update, context: Context) -> None:
        """A sticker, or a photo or file without a caption, in a private chat: ask for text."""
        request = await self._admitted(update, context)
        if request is not None:
            await self.librarian.say(request, phrases(request.language).not_text)

    async def unknown_command(self, update: Update, context: Context) -> None:
        """A command this bot does not have, in a private chat."""
        request = await self._admitted(update, context)
        if request is not None:
            await self.librarian.say(request, phrases(request.language).unknown_command)

    async def reindex(self, update: Update, context: Context) -> None:
        """``/reindex`` (admins only): rebuild from the seeds folder, then switch over."""
        request = await self._admitted(update, context)
        if request is None:
            return
        if not self.librarian.admission.is_admin(request.user):
            await self.librarian.say(request, phrases(request.language).admin_only)
            return
        await self.librarian.reindex(request)

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
        query, request = update.callback_query, self.request(update, context)
        if query is None:
            return
        action = decode(query.data)
        if action is None or request is None:
            language = request.language if request else self.librarian.language
            await _toast(query, phrases(language).expired)
            return
        librarian = self.librarian
        if isinstance(action, Vote):
            await _toast(query, await librarian.vote(request, action.question, action.up))
            return
        kind = Kind.QUESTION if isinstance(action, More) else Kind.REQUEST
        refusal = librarian.admission.check(kind, request.chat, request.user)
        if refusal is not None:
            await _toast(query, refusal.text(request.language))
            return
        if isinstance(action, Show):
            shown = await librarian.show(request, action.paragraph, action.language)
            await _toast(query, None if shown else phrases(request.language).gone)
            return
        await _toast(query, await librarian.page(request, action.question, action.offset))

    async def inline(self, update: Update, context: Context) -> None:
        """``@bot question`` in any chat: up to five answers to pick from.

        Telegram may serve one user's inline answer to anyone who types the same query for
        ``cache_time`` seconds unless it is personal: with an allowlist, or when the answer's
        language comes from the user's app rather than the query, it is personal and not cached.
        """
        query, request = update.inline_query, self.request(update, context)
        if query is None or request is None:
            return
        text = query.query.strip()
        language = reply_language(request, text)
        librarian = self.librarian
        # personal: Telegram keeps it to this user; else anyone typing the same query may get it
        personal = librarian.admission.restricted or not _has_words(text)
        refusal = librarian.admission.check(Kind.INLINE, request.chat, request.user)
        if refusal is not None:
            refused = refusal.text(language)
            if refused:
                await _inline_answer(query, [], _help_button(refused), personal=True)
            return
        say = phrases(language)
        try:
            question = clean_question(text)
        except QuestionError:
            await _inline_answer(query, [], _help_button(say.inline_help), personal)
            return
        username = context.bot.username
        results = await librarian.inline_results(question, language, username)
        if not results:
            await _inline_answer(query, [], _help_button(say.inline_nothing), personal)
            return
        try:
            await _inline_answer(query, results, None, personal)
        except BadRequest as error:
            if not is_parse_error(error):
                raise
            logger.warning("Telegram could not parse an inline answer; sent as plain text")
            results = await librarian.inline_results(question, language, username, html=False)
            await _inline_answer(query, results, None, personal)

    async def on_error(self, update: object, context: Context) -> None:
        """Log any error with its traceback, and apologise to the user it happened to, in the
        language of what they wrote."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, Forbidden):
            logger.info("Update %s: the bot cannot write there (%s)", update_id, error.message)
            return
        logger.error("Update %s failed", update_id, exc_info=error)
        if not isinstance(update, Update):
            return
        request = self.request(update, context)
        language = reply_language(request, _written(update)) if request else self.librarian.language
        apology = phrases(language).apology
        chat = update.effective_chat
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(apology)
            elif chat is not None and chat.type != ChatType.CHANNEL:
                await context.bot.send_message(chat.id, apology)
        except TelegramError as apology_error:
            logger.warning("Could not apologise for update %s: %s", update_id, apology_error)


def _written(update: Update) -> str:
    """What the user wrote, without the command: the text that tells their language."""
    if update.inline_query is not None:
        return update.inline_query.query
    message = update.effective_message
    written = (message.text or message.caption or "") if message is not None else ""
    return _COMMAND.sub("", written, count=1)


async def _inline_answer(
    query: InlineQuery,
    results: Sequence[InlineQueryResultArticle],
    button: InlineQueryResultsButton | None,
    personal: bool,
) -> None:
    """Answer an inline query: personal answers are neither shared nor cached."""
    await query.answer(
        results,
        button=button,
        cache_time=0 if personal else INLINE_CACHE,
        is_personal=personal,
    )


def _has_words(text: str) -> bool:
    """Whether the text has letters or characters that tell its language."""
    return any(ch.isalpha() for ch in text)


def _text(message: Message | None) -> str | None:
    """What a message asks: its text, or the caption of a photo or a file."""
    if message is None:
        return None
    return message.text if message.text is not None else message.caption


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
            CommandHandler("new", handlers.new, new_message),
            CommandHandler("reindex", handlers.reindex, new_message),
            MessageHandler(filters.StatusUpdate.MIGRATE, handlers.migration),
            MessageHandler(private & new_message & filters.COMMAND, handlers.unknown_command),
            MessageHandler(private & new_message & filters.TEXT, handlers.private_text),
            MessageHandler(private & new_message & filters.CAPTION, handlers.private_text),
            MessageHandler(
                groups & new_message & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND,
                handlers.group_text,
            ),
            MessageHandler(
                private & new_message & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.not_text
            ),
            CallbackQueryHandler(handlers.button),
            InlineQueryHandler(handlers.inline),
        ]
    )
    application.add_error_handler(handlers.on_error)
