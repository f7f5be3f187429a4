"""The bot's SQLite file: each question asked (so its buttons can page and take votes) and 👍/👎.

The operator reads the votes with ``sqlite3 bot.sqlite3 'select * from feedback'``: time, chat,
user, vote and the question. Calls are short and serialised by a lock; the bot makes them from a
worker thread so that the event loop never waits on the disk.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

__all__ = ["Asked", "FeedbackStore"]

logger = logging.getLogger(__name__)

_SCHEMA = """
create table if not exists questions (
    id integer primary key,
    asked_at real not null,
    chat integer not null,
    user integer,
    question text not null
);
create table if not exists votes (
    question integer not null references questions(id),
    user integer not null,
    chat integer not null,
    voted_at real not null,
    up integer not null,
    primary key (question, user)
);
create view if not exists feedback as
    select datetime(votes.voted_at, 'unixepoch') as time, votes.chat, votes.user,
           case votes.up when 1 then 'up' else 'down' end as vote, questions.question
    from votes join questions on questions.id = votes.question
    order by votes.voted_at;
"""


@dataclass(frozen=True, slots=True)
class Asked:
    """A stored question: where it was asked and what."""

    id: int
    chat: int
    question: str


def open_database(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to the bot's SQLite file with ``schema`` created, shareable across threads;
    a :class:`ConfigError` that names the folder when it cannot be opened."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("pragma journal_mode=wal")
        db.execute("pragma synchronous=normal")
        db.executescript(schema)
    except (OSError, sqlite3.Error) as error:
        raise ConfigError(
            f"Cannot open the bot's database {path}: {error}. Choose a writable folder with --data."
        ) from error
    return db


class FeedbackStore:
    """Questions and votes in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA)
        self.path = path
        self._lock = threading.Lock()

    def ask(self, chat: int, user: int | None, question: str) -> int:
        """Store a question; returns its id, for the buttons under its answer."""
        with self._lock:
            cursor = self._db.execute(
                "insert into questions (asked_at, chat, user, question) values (?, ?, ?, ?)",
                (time.time(), chat, user, question),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def question(self, question_id: int) -> Asked | None:
        """The stored question with this id, if there is one."""
        with self._lock:
            row = self._db.execute(
                "select id, chat, question from questions where id = ?", (question_id,)
            ).fetchone()
        return None if row is None else Asked(row[0], row[1], row[2])

    def vote(self, question_id: int, chat: int, user: int, up: bool) -> None:
        """Record a 👍 or 👎; a user's second vote on the same answer replaces the first."""
        with self._lock:
            self._db.execute(
                "insert into votes (question, user, chat, voted_at, up) values (?, ?, ?, ?, ?) "
                "on conflict (question, user) do update set "
                "voted_at = excluded.voted_at, up = excluded.up, chat = excluded.chat",
                (question_id, user, chat, time.time(), int(up)),
            )

    def votes(self) -> list[tuple[str, int, int, str, str]]:
        """Every vote as the operator sees it: time, chat, user, vote and the question."""
        with self._lock:
            return list(self._db.execute("select * from feedback"))

    def migrate(self, old_chat: int, new_chat: int) -> None:
        """Follow a group that became a supergroup: its questions now belong to the new chat."""
        with self._lock:
            self._db.execute("update questions set chat = ? where chat = ?", (new_chat, old_chat))
            self._db.execute("update votes set chat = ? where chat = ?", (new_chat, old_chat))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
