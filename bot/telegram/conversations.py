"""Follow-up questions in Telegram: where a turn's context comes from, and where it is kept.

A private chat has one running conversation: a message that reads as a follow-up of the bot's
last answer there, if that answer is recent (``--context-minutes``), is answered in its context.
Every answer message also keeps the conversation it ended, so that a reply to it — in a private
chat or a group, however many people talk at once — continues that exchange and only that one.
In a group a message that replies to no answer starts afresh.

Both are rows of one table in the bot's SQLite file (beside the questions and votes), keyed by
chat and message (message 0: the chat's running conversation), each a
:class:`~retrieval.Conversation` as JSON — a few turns, by the conversation's own bound. Rows
older than :data:`KEEP_DAYS`, and the oldest past :data:`MAX_ROWS`, are deleted as new ones come.
What users asked is in those rows, so nothing here logs it.

Updates are handled concurrently, so two locks per chat keep a turn from reading a context
before it is kept. A private chat's turns are taken one at a time (:meth:`Conversations.turn`):
a second message sent while the first is being answered waits for that answer, and is then read
as its follow-up, as the person who typed it meant. In any chat an answer is sent and kept with
nothing read in between (:meth:`Conversations.send`): a reply that comes the moment the answer
is out finds it kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from pathlib import Path

from telegram import Message

from retrieval import Conversation, Dialogue, Engine, Reply

from .feedback import open_database
from .request import Request

__all__ = ["CHAT", "KEEP_DAYS", "MAX_ROWS", "ConversationStore", "Conversations"]

logger = logging.getLogger(__name__)

CHAT = 0
"""The message id of a chat's running conversation (Telegram's message ids start at 1)."""
KEEP_DAYS = 7.0
"""Days a reply to an answer still continues its conversation."""
MAX_ROWS = 20_000
"""Conversations kept at most, across all chats: the oldest go first."""

_SCHEMA = """
create table if not exists conversations (
    chat integer not null,
    message integer not null,
    updated_at real not null,
    conversation text not null,
    primary key (chat, message)
);
create index if not exists conversations_by_age on conversations (updated_at);
"""


class ConversationStore:
    """Conversations per chat and per answer message, in the bot's SQLite file."""

    def __init__(
        self,
        path: Path,
        max_age: float,
        keep: float = KEEP_DAYS * 86400,
        max_rows: int = MAX_ROWS,
    ) -> None:
        """``max_age``: seconds after which a chat's running conversation is over."""
        self._db = open_database(path, _SCHEMA)
        self.max_age = max_age
        self._keep = keep
        self._max_rows = max_rows
        self._lock = threading.Lock()

    def context(
        self, chat: int, replied_to: int | None, private: bool, now: float | None = None
    ) -> Conversation:
        """The conversation a new message continues (an empty one: it starts afresh).

        A reply to an answer continues that answer's conversation; else, in a private chat only,
        the chat's running one if its last turn is recent.
        """
        now = time.time() if now is None else now
        if replied_to is not None:
            replied = self._load(chat, replied_to)
            if replied is not None and replied.last and now - replied.last.at <= self._keep:
                return replied
        if not private or self.max_age <= 0:
            return Conversation()
        running = self._load(chat, CHAT)
        return Conversation() if running is None else running.fresh(now, self.max_age)

    def remember(
        self,
        chat: int,
        messages: Sequence[int],
        conversation: Conversation,
        private: bool,
        now: float | None = None,
    ) -> None:
        """Keep the conversation an answer ended: for replies to any of its messages, and (in a
        private chat) as the chat's running one."""
        now = time.time() if now is None else now
        text = json.dumps(conversation.to_json(), ensure_ascii=False)
        keys = [*messages, CHAT] if private else list(messages)
        with self._lock:
            self._db.execute("begin")
            try:
                self._db.executemany(
                    "insert into conversations (chat, message, updated_at, conversation) "
                    "values (?, ?, ?, ?) on conflict (chat, message) do update set "
                    "updated_at = excluded.updated_at, conversation = excluded.conversation",
                    [(chat, message, now, text) for message in keys],
                )
                self._prune(now)
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise

    def forget(self, chat: int) -> int:
        """Forget every conversation of a chat (``/new``); returns how many there were."""
        with self._lock:
            cursor = self._db.execute("delete from conversations where chat = ?", (chat,))
        logger.debug("Forgot %d conversations of chat %s", cursor.rowcount, chat)
        return cursor.rowcount

    def migrate(self, old_chat: int, new_chat: int) -> None:
        """Follow a group that became a supergroup: its answers' conversations go with it."""
        with self._lock:
            self._db.execute(
                "update or replace conversations set chat = ? where chat = ?", (new_chat, old_chat)
            )

    def count(self) -> int:
        """How many conversations are kept."""
        with self._lock:
            row = self._db.execute("select count(*) from conversations").fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _load(self, chat: int, message: int) -> Conversation | None:
        with self._lock:
            row = self._db.execute(
                "select conversation from conversations where chat = ? and message = ?",
                (chat, message),
            ).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except ValueError:
            return None  # a damaged row is no context, not an error the user sees
        return Conversation.from_json(data if isinstance(data, dict) else None)

    def _prune(self, now: float) -> None:
        """Drop what is too old to be continued, then the oldest past the cap."""
        self._db.execute("delete from conversations where updated_at < ?", (now - self._keep,))
        self._db.execute(
            "delete from conversations where rowid in (select rowid from conversations "
            "order by updated_at desc limit -1 offset ?)",
            (self._max_rows,),
        )


class Conversations:
    """Answers a question in the conversation it continues, and keeps the one it ends."""

    def __init__(self, engine: Engine, store: ConversationStore, pool: Executor) -> None:
        self.store = store
        self._dialogue = Dialogue(engine)
        self._pool = pool
        # a lock per chat while it is in use, gone when nobody holds or awaits it
        self._turns: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._sends: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def turn(self, request: Request) -> AsyncIterator[None]:
        """Hold a private chat's conversation from reading its context to keeping the answer.

        In a group nothing is held: there a turn's context is the answer it replies to."""
        if not request.private:
            yield
            return
        async with _lock(self._turns, request.chat):
            yield

    async def ask(self, request: Request, question: str, k: int) -> Reply:
        """Answer ``question`` (already cleaned) as the next turn of the request's conversation:
        in its context when it reads as a follow-up, alone otherwise (see :class:`Dialogue`)."""
        async with _lock(self._sends, request.chat):
            pass  # an answer being sent now is kept before this turn reads its context
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._ask, request, question, k)

    def _ask(self, request: Request, question: str, k: int) -> Reply:
        conversation = self.store.context(request.chat, request.replied_to, request.private)
        return self._dialogue.ask(conversation, question, k)

    async def send(
        self,
        request: Request,
        reply: Reply,
        send: Callable[[], Awaitable[Sequence[Message]]],
    ) -> Sequence[Message]:
        """Send the answer (``send``) and keep the conversation it ended under the messages it
        was sent as, before any turn in the chat reads its context."""
        async with _lock(self._sends, request.chat):
            sent = await send()
            if sent:  # else the chat could not be written to: there is no answer to reply to
                chat = sent[0].chat_id  # a migrated group's new id
                messages = [message.message_id for message in sent]
                await asyncio.to_thread(
                    self.store.remember, chat, messages, reply.conversation, request.private
                )
        return sent

    async def forget(self, request: Request) -> None:
        """Forget the request's chat's conversations (``/new``), after the answer being made
        there now is kept: a ``/new`` sent while it comes is not undone by it."""
        async with self.turn(request):
            await asyncio.to_thread(self.store.forget, request.chat)

    def close(self) -> None:
        """Close the database."""
        self.store.close()


def _lock(locks: weakref.WeakValueDictionary[int, asyncio.Lock], chat: int) -> asyncio.Lock:
    lock = locks.get(chat)
    if lock is None:
        lock = locks[chat] = asyncio.Lock()
    return lock
