"""Telegram's faults: flood control, 5xx, dropped connections, timeouts, blocked users, migrated
groups, parse errors and unexpected errors. None loses a question or ends the bot."""

from __future__ import annotations

import logging

import pytest

from tests.telegram.fakebotapi import FakeBotAPI

QUESTION = "在流动人口聚居区建立了多少个临时党支部？"
ANSWERED = "临时党支部16个"


def sends(fake: FakeBotAPI, chat_id: int) -> list:
    return [c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == chat_id]


async def test_flood_control_is_honoured(fake: FakeBotAPI, bot) -> None:
    fake.flood("sendMessage", retry_after=1)
    reply = await fake.reply(fake.message(QUESTION))
    assert ANSWERED in reply.text
    first, second = sends(fake, 1001)
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0


@pytest.mark.parametrize(
    ("fault", "statuses"),
    [
        ({"status": 502, "description": "Bad Gateway", "times": 2}, [502, 502, 200]),
        ({"status": 500, "description": "Internal Server Error"}, [500, 200]),
        ({"drop": True}, ["dropped", 200]),
    ],
)
async def test_server_errors_and_dropped_connections_are_retried(
    fake: FakeBotAPI, bot, fault: dict, statuses: list
) -> None:
    fake.fail("sendMessage", **fault)
    reply = await fake.reply(fake.message(QUESTION))
    assert ANSWERED in reply.text
    assert [c.status for c in sends(fake, 1001)] == statuses
    assert len(fake.messages_in(1001)) == 1


async def test_a_timed_out_request_is_sent_again(fake: FakeBotAPI, start_bot) -> None:
    await start_bot(request_timeout=0.5)
    fake.fail("sendMessage", delay=1.5)
    reply = await fake.reply(fake.message(QUESTION))
    assert ANSWERED in reply.text
    await fake.wait_for(lambda: sends(fake, 1001)[0].status == "gone", timeout=5)
    assert len(fake.messages_in(1001)) == 1


async def test_polling_goes_on_after_a_failed_get_updates(fake: FakeBotAPI, bot) -> None:
    fake.fail("getUpdates", 502, "Bad Gateway")
    await fake.wait_for(lambda: [c for c in fake.calls_of("getUpdates") if c.status == 502])
    assert ANSWERED in (await fake.reply(fake.message(QUESTION))).text


async def test_a_user_who_blocked_the_bot_is_logged_and_skipped(
    fake: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.block(1001)
    blocked = fake.message(QUESTION)
    await fake.wait_for(lambda: [c for c in sends(fake, 1001) if c.status == 403])
    assert ANSWERED in (await fake.reply(fake.message(QUESTION, user_id=2002))).text
    assert fake.replies_to(blocked) == []
    assert "Chat 1001 cannot be written to (Forbidden: bot was blocked by the user)" in caplog.text
    assert not bot.task.done()


async def test_a_group_that_became_a_supergroup_is_followed(fake: FakeBotAPI, start_bot) -> None:
    bot = await start_bot(allowed_chats=frozenset({-100500}))
    fake.migrate(-100500, -100600)
    question = fake.message(f"/ask {QUESTION}", chat_id=-100500)
    reply = await fake.reply(question)
    assert reply.chat_id == -100600 and ANSWERED in reply.text
    # its buttons keep working in the supergroup, and the supergroup is allowed too
    thanks = await fake.answer_to(fake.press(reply, reply.button("👍")["callback_data"]))
    assert thanks["text"] == "谢谢反馈！"
    assert bot.store.votes()[0][1] == -100600
    again = await fake.reply(fake.message(f"/ask {QUESTION}", chat_id=-100600))
    assert ANSWERED in again.text


async def test_a_migration_message_moves_the_chat(fake: FakeBotAPI, start_bot) -> None:
    bot = await start_bot(allowed_chats=frozenset({-100500}))
    reply = await fake.reply(fake.message(f"/ask {QUESTION}", chat_id=-100500))
    fake.migrate(-100500, -100600)
    service = fake.message(None, chat_id=-100600, migrate_from_chat_id=-100500)
    await fake.wait_for(lambda: bot.librarian.admission.access.allows(-100600))
    moved = dict(reply.message, chat=fake.chat(-100600))
    from tests.telegram.fakebotapi import Sent

    thanks = await fake.answer_to(
        fake.press(Sent(moved, None, None, 0.0), reply.button("👍")["callback_data"])
    )
    assert thanks["text"] == "谢谢反馈！"
    assert fake.replies_to(service) == []


async def test_a_parse_error_is_answered_by_resending_as_plain_text(fake: FakeBotAPI, bot) -> None:
    fake.fail(
        "sendMessage",
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3',
    )
    reply = await fake.reply(fake.message(QUESTION))
    first, second = sends(fake, 1001)
    assert first.status == 400 and first.params["parse_mode"] == "HTML"
    assert second.status == 200 and "parse_mode" not in second.params
    assert ANSWERED in reply.text and reply.html is None


async def test_an_edit_telegram_refuses_becomes_a_new_message(fake: FakeBotAPI, bot) -> None:
    reply = await fake.reply(fake.message("边境党员干部受到了哪些教育？"))
    fake.fail("editMessageText", 400, "Bad Request: message can't be edited")
    await fake.answer_to(fake.press(reply, reply.button("更多结果")["callback_data"]))
    page = await fake.wait_for(lambda: fake.messages_in(1001)[1:])
    assert page[0].text.startswith("[4] ")


async def test_an_unexpected_error_is_logged_and_apologised_for(
    fake: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    question = fake.message(QUESTION)
    apology = await fake.wait_for(lambda: fake.messages_in(1001))
    assert apology[0].text == "抱歉，出了点问题，请稍后再试。"
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed and failed[0].exc_info is not None
    assert QUESTION not in caplog.text
    assert fake.replies_to(question) == []
    assert ANSWERED in (await fake.reply(fake.message(QUESTION))).text
