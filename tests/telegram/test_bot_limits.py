"""Concurrency and limits: a slow question holds up no other chat; the per-user window slides;
chat actions give way to answers when the flood budget is spent; settings are checked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings
from bot.telegram.config import configure
from bot.telegram.throttle import Throttle, Verdict
from retrieval import Engine, build_index
from tests.telegram.conftest import quiet
from tests.telegram.fakebotapi import FakeBotAPI
from tests.telegram.gated import GatedEncoder

QUESTION = "在流动人口聚居区建立了多少个临时党支部？"


async def test_a_slow_question_does_not_hold_up_other_chats(
    fake: FakeBotAPI, start_bot, seeds: Path, tmp_path: Path
) -> None:
    encoder = GatedEncoder(slow="慢")
    build_index(seeds, tmp_path / "index", encoder, encoder.name, progress=quiet)
    engine = Engine(tmp_path / "index", encoder)
    await start_bot(settings=Settings(seeds, tmp_path / "index", None), engine=engine)
    encoder.gate.clear()
    slow = fake.message("慢慢地说：" + QUESTION, user_id=1001)
    await asyncio.to_thread(encoder.waiting.wait, 10)
    quick = await fake.reply(fake.message(QUESTION, user_id=2002))
    assert "临时党支部16个" in quick.text
    assert fake.replies_to(slow) == []
    encoder.gate.set()
    assert "临时党支部16个" in (await fake.reply(slow)).text


async def test_typing_actions_give_way_to_answers_when_the_flood_budget_is_spent(
    fake: FakeBotAPI, start_bot
) -> None:
    await start_bot(max_rate=2)
    questions = [fake.message(QUESTION, user_id=user) for user in range(3001, 3005)]
    for question in questions:
        assert "临时党支部16个" in (await fake.reply(question)).text
    assert len(fake.calls_of("sendChatAction")) < len(questions)


def test_the_per_user_window_slides() -> None:
    now = [0.0]
    throttle = Throttle(2, window=60, clock=lambda: now[0])
    assert [throttle.check(1) for _ in range(4)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.WARN,
        Verdict.DROP,
    ]
    assert throttle.check(2) is Verdict.ALLOW
    now[0] = 30.0
    assert throttle.check(1) is Verdict.DROP
    now[0] = 60.5
    assert throttle.check(1) is Verdict.ALLOW
    assert Throttle(0).check(1) is Verdict.ALLOW


TOKEN = "123456:" + "A" * 35


def test_settings_come_from_flags_then_the_environment() -> None:
    environ = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot/",
        "SEEDQA_ALLOWED_CHATS": "1001, -100500",
        "SEEDQA_ADMINS": "1001",
        "SEEDQA_QUESTIONS_PER_MINUTE": "5",
    }
    config = configure({"questions_per_minute": 7}, environ, Path("index"))
    assert config.api_url == "http://127.0.0.1:8081/bot"
    assert config.allowed_chats == frozenset({1001, -100500})
    assert config.admins == frozenset({1001})
    assert config.questions_per_minute == 7 and config.data == Path("index")
    assert config.webhook is None
    hook = configure(
        {"webhook_url": "https://example.org/tg/hook", "secret_token": "s"}, environ, Path("i")
    )
    assert hook.webhook is not None and hook.webhook.path == "tg/hook"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SEEDQA_ALLOWED_CHATS": "1001,abc"}, "SEEDQA_ALLOWED_CHATS: 'abc' is not a Telegram id"),
        ({"SEEDQA_MAX_RATE": "fast"}, "SEEDQA_MAX_RATE: must be a number"),
        ({"TELEGRAM_BASE_URL": "api.telegram.org"}, "TELEGRAM_BASE_URL: must be an http:// or"),
        ({"SEEDQA_LANGUAGE": "fr"}, "SEEDQA_LANGUAGE: must be zh or en"),
    ],
)
def test_malformed_settings_are_clear_errors(environ: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        configure({}, {"TELEGRAM_BOT_TOKEN": TOKEN, **environ}, Path("index"))
