"""One language rule and one admission: what the handlers decide before any search."""

from __future__ import annotations

import pytest
from telegram import Bot

from bot.telegram.admission import Admission, Kind, Refusal
from bot.telegram.request import Request, reply_language, ui_language

BOT = Bot("4242424242:AAF-fake_token_for_seedqa_tests_0123456")


@pytest.mark.parametrize(
    ("code", "default", "expected"),
    [
        ("zh-hans", "en", "zh"),
        ("zh", "en", "zh"),
        ("en", "zh", "en"),
        ("de", "zh", "en"),
        (None, "zh", "zh"),
        ("", "en", "en"),
    ],
)
def test_the_ui_language_is_the_apps_else_the_bots_default(code, default, expected) -> None:
    assert ui_language(code, default) == expected


@pytest.mark.parametrize(
    ("text", "ui", "expected"),
    [
        ("南伊乡有多少户？", "en", "zh"),
        ("How many?", "zh", "en"),
        ("2018", "zh", "zh"),
        ("2018", "en", "en"),
        ("", "zh", "zh"),
        ("👍", "en", "en"),
        ("BGE 模型", "en", "zh"),
    ],
)
def test_a_reply_is_in_the_language_written_else_the_requests(text, ui, expected) -> None:
    request = Request(BOT, 1, 1, 1, ui)
    assert reply_language(request, text) == expected


def test_admission_refuses_with_a_typed_reason_and_tells_a_user_once() -> None:
    admission = Admission({1}, (), questions_per_minute=1)
    assert admission.check(Kind.QUESTION, 1, 1) is None
    assert admission.check(Kind.QUESTION, 1, 1) is Refusal.THROTTLED
    assert admission.check(Kind.QUESTION, 1, 1) is Refusal.STILL_THROTTLED
    assert Refusal.STILL_THROTTLED.text("zh") is None
    assert admission.check(Kind.REQUEST, 1, 1) is None  # a command has its own, larger share
    assert admission.check(Kind.QUESTION, 2, 2) is Refusal.NOT_ALLOWED
    assert (
        Refusal.NOT_ALLOWED.text("en")
        == "Sorry, this bot only answers in the chats it has been set up for."
    )
    assert admission.restricted and not Admission(None, (), 1).restricted
