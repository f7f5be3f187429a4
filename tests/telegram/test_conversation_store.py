"""The bot's conversation store: per chat and per answer, bounded, kept in its SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.telegram.config import CONTEXT_MINUTES, configure
from bot.telegram.conversations import CHAT, ConversationStore
from retrieval import Conversation, Turn
from tests.telegram.fakebotapi import TOKEN

NOW = 1_000_000.0


def talk(*questions: str, at: float = NOW) -> Conversation:
    conversation = Conversation()
    for question in questions:
        turn = Turn(question, question, False, ("p1",), ("a.txt", "标题"), at)
        conversation = conversation.then(turn)
    return conversation


@pytest.fixture
def store(tmp_path: Path):
    opened = ConversationStore(tmp_path / "bot.sqlite3", max_age=900, keep=3600, max_rows=5)
    yield opened
    opened.close()


def test_a_private_chat_continues_its_last_answer_while_it_is_recent(store) -> None:
    store.remember(1, [10, 11], talk("甲？"), private=True, now=NOW)
    assert store.context(1, None, True, now=NOW + 60).last.question == "甲？"
    assert store.context(1, None, True, now=NOW + 901) == Conversation()  # the window is over
    assert store.context(2, None, True, now=NOW + 60) == Conversation()  # another chat's


def test_a_reply_continues_the_answer_it_replies_to_and_only_that(store) -> None:
    store.remember(-5, [10], talk("甲？"), private=False, now=NOW)
    store.remember(-5, [20, 21], talk("乙？"), private=False, now=NOW)
    assert store.context(-5, 10, False, now=NOW + 1000).last.question == "甲？"
    assert store.context(-5, 21, False, now=NOW + 1000).last.question == "乙？"
    assert store.context(-5, None, False, now=NOW) == Conversation()  # a group has no running one
    assert store.context(-5, 99, False, now=NOW) == Conversation()  # not an answer


def test_rows_are_bounded_by_age_and_by_count(store) -> None:
    store.remember(1, [1], talk("old？", at=NOW), private=False, now=NOW)
    store.remember(1, [2], talk("new？", at=NOW + 3601), private=False, now=NOW + 3601)
    assert store.context(1, 1, False, now=NOW + 3601) == Conversation()
    assert store.count() == 1
    for message in range(3, 13):
        at = NOW + 3601 + message
        store.remember(1, [message], talk("q？", at=at), private=False, now=at)
    assert store.count() == 5
    assert store.context(1, 12, False, now=NOW + 3700).last is not None
    assert store.context(1, 3, False, now=NOW + 3700) == Conversation()  # the oldest went first


def test_a_conversation_keeps_a_few_turns(store) -> None:
    store.remember(1, [1], talk(*[f"问{n}？" for n in range(10)]), private=True, now=NOW)
    kept = store.context(1, None, True, now=NOW)
    assert 0 < len(kept.turns) < 10 and kept.last.question == "问9？"


def test_forget_and_migrate(store) -> None:
    store.remember(-7, [1], talk("甲？"), private=False, now=NOW)
    store.migrate(-7, -1007)
    assert store.context(-1007, 1, False, now=NOW).last.question == "甲？"
    store.remember(3, [4], talk("乙？"), private=True, now=NOW)
    assert store.forget(3) == 2  # the answer and the running conversation
    assert store.context(3, 4, True, now=NOW) == Conversation()


def test_a_damaged_row_is_no_context(store, tmp_path: Path) -> None:
    store.remember(1, [1], talk("甲？"), private=True, now=NOW)
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("update conversations set conversation = '{not json' where message = ?", (CHAT,))
    assert store.context(1, None, True, now=NOW) == Conversation()
    assert store.context(1, 1, True, now=NOW).last is not None


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="--data"):
        ConversationStore(blocker / "bot.sqlite3", max_age=900)


@pytest.mark.parametrize(
    ("value", "minutes"), [(None, CONTEXT_MINUTES), ("5", 5.0), ("0.5", 0.5), (" 0 ", 0.0)]
)
def test_the_context_window_is_a_setting(value: str | None, minutes: float) -> None:
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN}
    if value is not None:
        environ["SEEDQA_CONTEXT_MINUTES"] = value
    assert configure({}, environ, Path("index")).context_minutes == minutes


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_malformed_context_window_is_a_clear_error(value: str) -> None:
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "SEEDQA_CONTEXT_MINUTES": value}
    with pytest.raises(ConfigError, match="SEEDQA_CONTEXT_MINUTES: must be a number of minutes"):
        configure({}, environ, Path("index"))
