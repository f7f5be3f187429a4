"""What the bot does for a request: answer, page, show, vote, describe, rebuild.

Searching is synchronous and CPU-bound, so it runs on a pool of worker threads; so do the short
database calls. The event loop only waits for them, and goes on handling other chats meanwhile.
What a reply cites comes with the answer (``Answer.info``), from the version that answered it,
however soon a rebuilt one replaces it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Executor

from telegram import Bot, BotCommand, InlineQueryResultArticle
from telegram.error import TelegramError

from retrieval import (
    MAX_QUESTION_CHARS,
    Answer,
    Engine,
    Generator,
    QuestionError,
    Reply,
    SeedQAError,
    clean_question,
)

from .. import runtime
from ..chat import understood_line
from ..citations import Language, language_of
from ..console import count
from ..settings import Settings
from .admission import Admission, Kind
from .config import BotConfig
from .conversations import Conversations, ConversationStore
from .drafts import written
from .feedback import FeedbackStore
from .keyboards import answer_keyboard, questions_keyboard
from .markup import Chunk
from .outbox import Outbox
from .phrases import COMMANDS, phrases
from .replies import (
    about_messages,
    answer_messages,
    generated_messages,
    inline_articles,
    paragraph_messages,
    questions_messages,
    real_file_first,
    real_files_first,
    text_messages,
)
from .request import Request, reply_language

__all__ = ["INLINE_RESULTS", "MAX_QUESTIONS", "PAGE", "Librarian"]

logger = logging.getLogger(__name__)

PAGE = 3
"""Passages per answer; "more" shows the next three."""
INLINE_RESULTS = 5
MAX_QUESTIONS = 5
"""Questions of one message (one a line) answered in one reply; the rest are asked to be sent
again, so that one message cannot cost a user's whole minute of questions unseen."""


class Librarian:
    """The bot's work, shared by every handler: one engine, one database, the admission."""

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
        self.admission = Admission(config.allowed_chats, config.admins, config.questions_per_minute)
        self.language: Language = config.language or "zh"
        """The bot's default language: for users whose app sends none, and text with no words."""
        self._chosen_language = config.language is not None
        self.outbox = Outbox(self.follow)
        self.conversations = Conversations(
            engine, ConversationStore(store.path, config.context_minutes * 60), pool
        )
        self._pool = pool
        self._rebuilding = False
        self.generator = Generator(config.llm) if config.llm is not None else None
        """Writes checked answers when an LLM is configured; None: extractive answers only."""

    async def aclose(self) -> None:
        """Close the connections to the LLM, if any."""
        if self.generator is not None:
            await self.generator.aclose()

    async def warm_up(self) -> None:
        """Answer once before the first user does (see :meth:`Engine.warm_up`), and take the
        corpus's language as the default one unless it was set."""
        loop = asyncio.get_running_loop()
        sample = await loop.run_in_executor(self._pool, self.engine.warm_up)
        if not self._chosen_language and sample:
            self.language = language_of(sample)

    async def _search(self, question: str, k: int, offset: int = 0) -> Answer:
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self._pool, self.engine.ask, question, k, offset)
        return real_files_first(answer, self.settings.seeds)

    async def admit(self, request: Request, kind: Kind, language: Language | None = None) -> bool:
        """Whether to serve this request; if not, say why (unless the user was told already)."""
        refusal = self.admission.check(kind, request.chat, request.user)
        if refusal is None:
            return True
        text = refusal.text(language or request.language)
        if text:
            await self.say(request, text)
        return False

    async def say(self, request: Request, text: str) -> None:
        """Send one of the bot's own sentences, in reply to the request's message."""
        chunks = text_messages(text)
        await self.outbox.send(request.bot, request.chat, chunks, None, request.message)

    async def answer(self, request: Request, text: str) -> None:
        """Answer a message: one question, or several (one a line) in one reply."""
        language = reply_language(request, text)
        if not await self.admit(request, Kind.QUESTION, language):
            return
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > 1:
            await self._answer_each(request, lines, language)
            return
        say = phrases(language)
        try:
            question = clean_question(text)
        except QuestionError:
            length = len(text.strip())
            await self.say(
                request,
                say.too_long.format(length=length, limit=MAX_QUESTION_CHARS)
                if length
                else say.ask_usage,
            )
            return
        started = time.perf_counter()
        async with self.conversations.turn(request):  # a private chat's turns, one at a time
            reply, answer, question_id = await self._reply(request, question, language)
        logger.info(
            "Answered question %d in chat %s: %d passages (%s%s) in %.0f ms",
            question_id,
            request.chat,
            len(answer.hits),
            answer.mode,
            ", a follow-up" if reply.followup else "",
            (time.perf_counter() - started) * 1000,
        )

    async def _reply(
        self, request: Request, question: str, language: Language
    ) -> tuple[Reply, Answer, int]:
        """Answer one question as the next turn of its conversation, send it, and keep the
        conversation the answer ended under the messages it was sent as."""
        bot, chat = request.bot, request.chat
        if self.generator is None:
            async with self.outbox.typing(bot, chat):
                reply, answer, question_id = await self._found(request, question)
            understood = understood_line(reply)
            chunks = answer_messages(answer, _root(answer), language, understood)
            await self._send(request, reply, answer, question_id, language, chunks)
            return reply, answer, question_id
        async with self.outbox.working(bot, chat, request.message):  # 👀 until it is sent
            reply, answer, question_id = await self._found(request, question)
            draft = request.message if request.private else None  # streamed into a draft
            generated = await written(self.generator, answer, bot, chat, draft)
            understood = understood_line(reply)
            chunks = generated_messages(generated, answer, _root(answer), language, understood)
            await self._send(request, reply, answer, question_id, language, chunks)
        return reply, answer, question_id

    async def _found(self, request: Request, question: str) -> tuple[Reply, Answer, int]:
        """The question answered in the context of the exchange it follows up, if any (see
        conversations.py), and stored as searched: "more" pages through it as understood."""
        reply = await self.conversations.ask(request, question, PAGE)
        answer = real_files_first(reply.answer, self.settings.seeds)
        return reply, answer, await self._store(request, reply.understood_as)

    async def _send(
        self,
        request: Request,
        reply: Reply,
        answer: Answer,
        question_id: int,
        language: Language,
        chunks: list[Chunk],
    ) -> None:
        """Send an answer's messages with its buttons, keeping the conversation it ended."""
        keyboard = answer_keyboard(question_id, answer, 0, PAGE, language)
        bot, chat = request.bot, request.chat
        await self.conversations.send(
            request, reply, lambda: self.outbox.send(bot, chat, chunks, keyboard, request.message)
        )

    async def _answer_each(
        self, request: Request, lines: Sequence[str], language: Language
    ) -> None:
        """Several questions, one a line: each answered, all in one reply."""
        asked = lines[:MAX_QUESTIONS]
        answers: list[Answer] = []
        async with self.outbox.typing(request.bot, request.chat):
            for line in asked:
                try:
                    question = clean_question(line)
                except QuestionError:  # a line over the limit: cut, as the reply shows it
                    question = clean_question(line[:MAX_QUESTION_CHARS])
                answers.append(await self._search(question, PAGE))
        chunks = questions_messages(answers, _root(answers[0]), language)
        if len(lines) > MAX_QUESTIONS:
            rest = len(lines) - MAX_QUESTIONS
            note = phrases(language).too_many_questions.format(limit=MAX_QUESTIONS, rest=rest)
            chunks += text_messages(note)
        keyboard = questions_keyboard(answers, language)
        await self.outbox.send(request.bot, request.chat, chunks, keyboard, request.message)
        logger.info("Answered %d questions of one message in chat %s", len(answers), request.chat)

    async def _store(self, request: Request, question: str) -> int:
        return await asyncio.to_thread(self.store.ask, request.chat, request.user, question)

    async def page(self, request: Request, question_id: int, offset: int) -> str | None:
        """Edit an answer in place to show the page at ``offset``; returns a notice, if any."""
        asked = await asyncio.to_thread(self.store.question, question_id)
        if asked is None or asked.chat != request.chat or request.message is None:
            return phrases(request.language).expired
        language = reply_language(request, asked.question)
        answer = await self._search(asked.question, PAGE, offset)
        if answer.abstained:
            return phrases(language).no_more
        await self.outbox.edit(
            request.bot,
            request.chat,
            request.message,
            answer_messages(answer, _root(answer), language),
            answer_keyboard(question_id, answer, offset, PAGE, language),
        )
        return None

    async def show(self, request: Request, paragraph_id: str, language: Language) -> bool:
        """Send a whole paragraph with its neighbours; False when the index no longer has it."""
        context = self.engine.context(paragraph_id)
        if context is None:
            return False
        seeds = self.settings.seeds
        context = dataclasses.replace(
            context,
            paragraph=real_file_first(context.paragraph, seeds),
            before=context.before and real_file_first(context.before, seeds),
            after=context.after and real_file_first(context.after, seeds),
        )
        chunks = paragraph_messages(context, language)
        await self.outbox.send(request.bot, request.chat, chunks, None, request.message)
        return True

    async def vote(self, request: Request, question_id: int, up: bool) -> str:
        """Record a 👍/👎; returns the notice to show."""
        asked = await asyncio.to_thread(self.store.question, question_id)
        if asked is None or asked.chat != request.chat or request.user is None:
            return phrases(request.language).expired
        await asyncio.to_thread(self.store.vote, question_id, request.chat, request.user, up)
        logger.info("Vote on question %d in chat %s: %s", question_id, request.chat, up)
        return phrases(reply_language(request, asked.question)).thanks

    async def about(self, request: Request) -> None:
        """Say what is indexed (the files' names only to admins)."""
        admin = self.admission.is_admin(request.user)
        chunks = about_messages(self.engine.info, request.language, admin)
        await self.outbox.send(request.bot, request.chat, chunks, None, request.message)

    async def inline_results(
        self, question: str, language: Language, username: str, html: bool = True
    ) -> list[InlineQueryResultArticle]:
        """Up to five articles for an inline query (see :func:`replies.inline_articles`)."""
        answer = await self._search(question, INLINE_RESULTS)
        return inline_articles(answer, language, username, html)

    async def reindex(self, request: Request) -> None:
        """Rebuild the index from the seeds folder while answering goes on, then switch to it."""
        say = phrases(request.language)
        if self._rebuilding:
            await self.say(request, say.reindex_busy)
            return
        self._rebuilding = True
        try:
            await self.say(request, say.reindex_started)
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
                version = self.engine.info.version
                logger.warning("Rebuild failed, still on %s: %s", version, error)
                await self.say(request, say.reindex_failed.format(error=error, version=version))
                return
            if report.up_to_date:
                text = say.reindex_fresh
            else:
                text = say.reindex_done.format(
                    files=report.files,
                    paragraphs=report.paragraphs,
                    files_counted=count(report.files, "file"),
                    paragraphs_counted=count(report.paragraphs, "paragraph"),
                    # as the bot answers now: a model it did not load is not used until restart
                    mode=say.mode_hybrid if self.engine.info.mode == "hybrid" else say.mode_lexical,
                    seconds=report.seconds,
                    version=self.engine.info.version,
                )
            await self.say(request, "\n".join([text, *warnings]))
        finally:
            self._rebuilding = False

    async def forget(self, request: Request) -> None:
        """``/new`` in a private chat: forget its conversations, so the next question starts
        afresh. A group's are left alone (others may be replying to their answers); it is told
        how a group's conversations go."""
        say = phrases(request.language)
        if not request.private:
            await self.say(request, say.new_in_group)
            return
        await self.conversations.forget(request)
        await self.say(request, say.new_conversation)

    async def follow(self, old_chat: int, new_chat: int) -> None:
        """A group became a supergroup: answer there, and keep its buttons working."""
        logger.info("Chat %s migrated to %s", old_chat, new_chat)
        self.admission.follow(old_chat, new_chat)
        await asyncio.to_thread(self.store.migrate, old_chat, new_chat)
        await asyncio.to_thread(self.conversations.store.migrate, old_chat, new_chat)

    def close(self) -> None:
        """Close the conversations' database (the feedback store is its owner's to close)."""
        self.conversations.close()

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


def _root(answer: Answer) -> str:
    """The seeds folder as cited to users: its name, never the server's path."""
    return answer.info.seeds_name if answer.info is not None else ""
