"""What the bot does, in terms of chats, users and texts: answer, page, show, vote, rebuild.

Searching is synchronous and CPU-bound, so it runs on a pool of worker threads; so do the short
database calls. The event loop only waits for them, and goes on handling other chats meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError

from retrieval import (
    MAX_QUESTION_CHARS,
    Answer,
    Engine,
    QuestionError,
    SeedQAError,
    clean_question,
)

from .. import runtime
from ..citations import Language, citation_label, language_of
from ..settings import Settings
from .access import Access
from .config import BotConfig
from .feedback import FeedbackStore
from .keyboards import answer_keyboard, deep_link
from .markup import paginate
from .outbox import Outbox
from .phrases import COMMANDS, phrases
from .replies import (
    about_messages,
    answer_messages,
    clip,
    paragraph_messages,
    passage,
    seeds_root,
    text_messages,
)
from .throttle import Throttle, Verdict

__all__ = ["INLINE_RESULTS", "PAGE", "Librarian"]

logger = logging.getLogger(__name__)

PAGE = 3
"""Passages per answer; "more" shows the next three."""
INLINE_RESULTS = 5
LIGHT_REQUESTS = 3
"""Commands, button presses and inline queries (one comes with each keystroke) search less than
a question, or nothing: a user may make this many times as many of them as questions."""


class Librarian:
    """The bot's work, shared by every handler: one engine, one database, the limits."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        config: BotConfig,
        store: FeedbackStore,
        pool: Executor,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store
        self.access = Access(config.allowed_chats, config.admins)
        self.questions = Throttle(config.questions_per_minute)
        self.requests = Throttle(LIGHT_REQUESTS * config.questions_per_minute)
        self.inline = Throttle(LIGHT_REQUESTS * config.questions_per_minute)
        self.outbox = Outbox(self.follow)
        self._pool = pool
        self._rebuilding = False

    async def warm_up(self) -> None:
        """Ask once before the first user does: the tokenizer's dictionary and the model load
        lazily, and the first question would otherwise wait a second or more for them."""
        paragraphs = self.engine.searcher.index.paragraphs
        if len(paragraphs):
            await self._search(paragraphs[0].text[:100], PAGE)

    async def _search(self, question: str, k: int, offset: int = 0) -> Answer:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.engine.ask, question, k, offset)

    def refusal(
        self, throttle: Throttle, chat_id: int, user_id: int | None, language: Language
    ) -> str | None:
        """None to go ahead; else what to tell the user ('' for nothing: they were told)."""
        if user_id is not None:
            verdict = throttle.check(user_id)
            if verdict is not Verdict.ALLOW:
                return phrases(language).throttled if verdict is Verdict.WARN else ""
        if not self.access.allows(chat_id):
            return phrases(language).not_allowed
        return None

    async def admit(
        self,
        bot: Bot,
        throttle: Throttle,
        chat_id: int,
        user_id: int | None,
        language: Language,
        reply_to: int | None,
    ) -> bool:
        """Whether to serve this request; if not, say why (unless already said)."""
        refusal = self.refusal(throttle, chat_id, user_id, language)
        if refusal:
            await self.say(bot, chat_id, refusal, reply_to)
        return refusal is None

    async def say(self, bot: Bot, chat_id: int, text: str, reply_to: int | None = None) -> None:
        """Send one of the bot's own sentences."""
        await self.outbox.send(bot, chat_id, text_messages(text), reply_to=reply_to)

    async def answer(
        self, bot: Bot, chat_id: int, user_id: int | None, text: str, reply_to: int | None
    ) -> None:
        """Answer a question in a chat: the first page of passages, with buttons under it."""
        language = language_of(text)
        if not await self.admit(bot, self.questions, chat_id, user_id, language, reply_to):
            return
        say = phrases(language)
        try:
            question = clean_question(text)
        except QuestionError:
            length = len(text.strip())
            await self.say(
                bot,
                chat_id,
                say.too_long.format(length=length, limit=MAX_QUESTION_CHARS)
                if length
                else say.ask_usage,
                reply_to,
            )
            return
        started = time.perf_counter()
        async with self.outbox.typing(bot, chat_id):
            answer = await self._search(question, PAGE)
            question_id = await asyncio.to_thread(self.store.ask, chat_id, user_id, question)
        root = seeds_root(self.engine.searcher.index.manifest)
        await self.outbox.send(
            bot,
            chat_id,
            answer_messages(answer, root, language),
            answer_keyboard(question_id, answer, 0, PAGE, language),
            reply_to,
        )
        logger.info(
            "Answered question %d in chat %s: %d passages (%s) in %.0f ms",
            question_id,
            chat_id,
            len(answer.hits),
            answer.mode,
            (time.perf_counter() - started) * 1000,
        )

    async def page(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int,
        question_id: int,
        offset: int,
        language: Language,
    ) -> str | None:
        """Edit an answer in place to show the page at ``offset``; returns a notice, if any."""
        asked = await asyncio.to_thread(self.store.question, question_id)
        if asked is None or asked.chat != chat_id:
            return phrases(language).expired
        language = language_of(asked.question)
        answer = await self._search(asked.question, PAGE, offset)
        if answer.abstained:
            return phrases(language).no_more
        root = seeds_root(self.engine.searcher.index.manifest)
        await self.outbox.edit(
            bot,
            chat_id,
            message_id,
            answer_messages(answer, root, language),
            answer_keyboard(question_id, answer, offset, PAGE, language),
        )
        return None

    async def show(
        self, bot: Bot, chat_id: int, paragraph_id: str, language: Language, reply_to: int | None
    ) -> bool:
        """Send a whole paragraph with its neighbours; False when the index no longer has it."""
        searcher = self.engine.searcher
        paragraph = searcher.paragraph(paragraph_id)
        if paragraph is None:
            return False
        chunks = paragraph_messages(
            paragraph,
            searcher.neighbours(paragraph_id),
            seeds_root(searcher.index.manifest),
            language,
        )
        await self.outbox.send(bot, chat_id, chunks, reply_to=reply_to)
        return True

    async def vote(
        self, chat_id: int, user_id: int, question_id: int, up: bool, language: Language
    ) -> str:
        """Record a 👍/👎; returns the notice to show."""
        asked = await asyncio.to_thread(self.store.question, question_id)
        if asked is None or asked.chat != chat_id:
            return phrases(language).expired
        await asyncio.to_thread(self.store.vote, question_id, chat_id, user_id, up)
        logger.info("Vote on question %d in chat %s: %s", question_id, chat_id, up)
        return phrases(language_of(asked.question)).thanks

    async def about(self, bot: Bot, chat_id: int, language: Language, reply_to: int | None) -> None:
        """Say what is indexed."""
        searcher = self.engine.searcher
        chunks = about_messages(searcher.index.manifest, searcher.mode, language)
        await self.outbox.send(bot, chat_id, chunks, reply_to=reply_to)

    async def inline_results(
        self, question: str, username: str, html: bool = True
    ) -> list[InlineQueryResultArticle]:
        """Up to five articles for an inline query: its citation as the title, the answering
        sentence as the description, the passage as the message, a link to the whole paragraph.
        """
        language = language_of(question)
        answer = await self._search(question, INLINE_RESULTS)
        root = seeds_root(self.engine.searcher.index.manifest)
        say = phrases(language)
        results = []
        for hit in answer.hits:
            chunk = paginate([passage(hit, root, language, numbered=False)])[0]
            link = InlineKeyboardButton(
                say.open_paragraph, url=deep_link(username, hit.paragraph.id)
            )
            results.append(
                InlineQueryResultArticle(
                    id=hit.paragraph.id,
                    title=clip(citation_label(hit.source, language), 100),
                    description=clip(hit.highlight_text, 200),
                    input_message_content=InputTextMessageContent(
                        chunk.html if html else chunk.plain,
                        parse_mode=ParseMode.HTML if html else None,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    ),
                    reply_markup=InlineKeyboardMarkup([[link]]),
                )
            )
        return results

    async def reindex(
        self, bot: Bot, chat_id: int, language: Language, reply_to: int | None
    ) -> None:
        """Rebuild the index from the seeds folder while answering goes on, then switch to it."""
        say = phrases(language)
        if self._rebuilding:
            await self.say(bot, chat_id, say.reindex_busy, reply_to)
            return
        self._rebuilding = True
        try:
            await self.say(bot, chat_id, say.reindex_started, reply_to)
            warnings: list[str] = []
            try:
                report, _ = await asyncio.to_thread(
                    runtime.build,
                    self.settings,
                    warnings.append,
                    lambda message: logger.info("Rebuild: %s", message),
                    False,
                    self.engine.encoder,
                )
                await asyncio.to_thread(self.engine.reload)
            except SeedQAError as error:
                version = self.engine.searcher.index.manifest.version
                logger.warning("Rebuild failed, still on %s: %s", version, error)
                failed = say.reindex_failed.format(error=error, version=version)
                await self.say(bot, chat_id, failed, reply_to)
                return
            if report.up_to_date:
                text = say.reindex_fresh
            else:
                text = say.reindex_done.format(
                    files=report.files,
                    paragraphs=report.paragraphs,
                    mode=say.mode_hybrid if report.mode == "hybrid" else say.mode_lexical,
                    seconds=report.seconds,
                    version=self.engine.searcher.index.manifest.version,
                )
            await self.say(bot, chat_id, "\n".join([text, *warnings]), reply_to)
        finally:
            self._rebuilding = False

    async def follow(self, old_chat: int, new_chat: int) -> None:
        """A group became a supergroup: answer there, and keep its buttons working."""
        logger.info("Chat %s migrated to %s", old_chat, new_chat)
        self.access.follow(old_chat, new_chat)
        await asyncio.to_thread(self.store.migrate, old_chat, new_chat)

    async def announce(self, bot: Bot) -> None:
        """Register the command menu, in English by default and in Chinese for Chinese apps."""
        for language, commands in COMMANDS.items():
            try:
                await bot.set_my_commands(
                    [BotCommand(name, text) for name, text in commands],
                    language_code=None if language == "en" else language,
                )
            except TelegramError as error:
                logger.warning("Could not register the %s command menu: %s", language, error)
