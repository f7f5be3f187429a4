"""Follow-up questions: read in the context of the exchange they continue, per chat and per answer."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from bot.citations import NOTHING_FOUND
from bot.telegram.application import DATABASE
from bot.telegram.replies import answer_messages
from retrieval import Answer
from tests.telegram.fakebotapi import FakeBotAPI

GROUP = -100600
TRAINING = "拉孜县2019年举办了多少期党政干部培训班？"
EDUCATED = "受教育多少人次？"
UNDERSTOOD = "理解为：拉孜县2019年受教育多少人次？"
MEMBERS = "札达县发展了多少党员？"
PULAN = "那普兰县呢？"


async def test_a_follow_up_in_a_private_chat_is_read_in_context_and_says_how(
    fake: FakeBotAPI, bot
) -> None:
    first = await fake.reply(fake.message(TRAINING))
    assert any("32期" in bold for bold in first.bold())
    assert not first.text.startswith("理解为")
    follow_up = await fake.reply(fake.message(EDUCATED))
    assert follow_up.text.splitlines()[0] == UNDERSTOOD
    assert follow_up.html is not None and follow_up.html.startswith(f"<i>{UNDERSTOOD}</i>")
    assert follow_up.text.splitlines()[2].startswith("[1] ")  # the line, a blank line, passages
    assert any("受教育2120人次" in bold for bold in follow_up.bold())


async def test_a_follow_up_sent_before_the_answer_came_waits_for_it(fake: FakeBotAPI, bot) -> None:
    # both arrive in one batch of updates, which the bot handles concurrently
    first, second = fake.message(TRAINING), fake.message(EDUCATED)
    follow_up = await fake.reply(second)
    assert follow_up.text.splitlines()[0] == UNDERSTOOD
    assert any("32期" in bold for bold in (await fake.reply(first)).bold())


async def test_a_new_topic_and_an_unanswerable_follow_up_are_answered_alone(
    fake: FakeBotAPI, bot
) -> None:
    await fake.reply(fake.message(TRAINING))
    unrelated = await fake.reply(fake.message("我的快递什么时候能到？"))
    assert unrelated.text == NOTHING_FOUND["zh"]
    await fake.reply(fake.message(TRAINING))
    switched = await fake.reply(fake.message("南伊乡引进了几家公司？"))
    alone = await fake.reply(fake.message("南伊乡引进了几家公司？", user_id=1009))
    assert switched.text == alone.text and not switched.text.startswith("理解为")


async def test_a_reply_in_a_group_continues_its_own_answer_while_two_people_talk(
    fake: FakeBotAPI, bot
) -> None:
    first = await fake.reply(fake.message(f"/ask {TRAINING}", chat_id=GROUP, user_id=2001))
    second = await fake.reply(fake.message(f"/ask {MEMBERS}", chat_id=GROUP, user_id=2002))
    # each replies to their own answer, the other's question in between
    educated = fake.message(EDUCATED, chat_id=GROUP, user_id=2001, reply_to=first)
    pulan = fake.message(PULAN, chat_id=GROUP, user_id=2002, reply_to=second)
    educated_reply, pulan_reply = await fake.reply(educated), await fake.reply(pulan)
    assert educated_reply.text.splitlines()[0] == UNDERSTOOD
    assert any("受教育2120人次" in bold for bold in educated_reply.bold())
    assert pulan_reply.text.splitlines()[0] == "理解为：普兰县发展了多少党员？"
    # a reply to the follow-up's answer goes on from it: the context is the answer replied to
    again = await fake.reply(
        fake.message("那2018年呢？", chat_id=GROUP, user_id=2001, reply_to=educated_reply)
    )
    assert again.text.splitlines()[0] == "理解为：拉孜县2018年受教育多少人次？"


async def test_a_plain_ask_in_a_group_starts_afresh(fake: FakeBotAPI, bot) -> None:
    await fake.reply(fake.message(f"/ask {MEMBERS}", chat_id=GROUP, user_id=2001))
    plain = await fake.reply(fake.message(f"/ask {PULAN}", chat_id=GROUP, user_id=2001))
    assert not plain.text.startswith("理解为")
    alone = await fake.reply(fake.message(PULAN, user_id=1009))
    assert plain.text == alone.text


async def test_new_forgets_the_context(fake: FakeBotAPI, bot) -> None:
    await fake.reply(fake.message(TRAINING))
    new = await fake.reply(fake.message("/new"))
    assert "新的对话" in new.text
    after = await fake.reply(fake.message(EDUCATED))
    alone = await fake.reply(fake.message(EDUCATED, user_id=1009))
    assert after.text == alone.text and not after.text.startswith("理解为")


async def test_new_in_a_group_says_how_group_conversations_go(fake: FakeBotAPI, bot) -> None:
    first = await fake.reply(fake.message(f"/ask {TRAINING}", chat_id=GROUP, user_id=2001))
    new = await fake.reply(fake.message("/new", chat_id=GROUP, user_id=2002, language="en"))
    assert "/ask" in new.text
    kept = await fake.reply(fake.message(EDUCATED, chat_id=GROUP, user_id=2001, reply_to=first))
    assert kept.text.splitlines()[0] == UNDERSTOOD  # someone's /new forgets nobody else's


async def test_a_restart_keeps_the_context(fake: FakeBotAPI, start_bot, tmp_path) -> None:
    data = tmp_path / "kept"
    first_bot = await start_bot(data=data)
    first = await fake.reply(fake.message(TRAINING))
    first_bot.stop.set()
    await first_bot.task
    await start_bot(data=data)
    follow_up = await fake.reply(fake.message(EDUCATED))
    assert follow_up.text.splitlines()[0] == UNDERSTOOD
    replied = await fake.reply(fake.message("那2018年呢？", reply_to=first))
    assert replied.text.splitlines()[0].startswith("理解为：拉孜县2018年")
    with sqlite3.connect(data / DATABASE) as db:  # beside the questions and votes
        assert db.execute("select count(*) from questions").fetchone()[0] == 3
        chats = {row[0] for row in db.execute("select chat from conversations")}
    assert chats == {1001}


async def test_a_follow_up_after_the_window_is_answered_alone_but_a_reply_still_continues(
    fake: FakeBotAPI, start_bot
) -> None:
    await start_bot(context_minutes=0.01)  # 0.6 seconds
    first = await fake.reply(fake.message(TRAINING))
    await asyncio.sleep(0.8)
    late = await fake.reply(fake.message(EDUCATED))
    alone = await fake.reply(fake.message(EDUCATED, user_id=1009))
    assert late.text == alone.text and not late.text.startswith("理解为")
    replied = await fake.reply(fake.message(EDUCATED, reply_to=first))
    assert replied.text.splitlines()[0] == UNDERSTOOD


async def test_no_context_at_all_with_a_window_of_zero_but_replies(
    fake: FakeBotAPI, start_bot
) -> None:
    await start_bot(context_minutes=0)
    first = await fake.reply(fake.message(TRAINING))
    assert not (await fake.reply(fake.message(EDUCATED))).text.startswith("理解为")
    replied = await fake.reply(fake.message(EDUCATED, reply_to=first))
    assert replied.text.splitlines()[0] == UNDERSTOOD


async def test_follow_ups_are_not_logged_at_info(fake: FakeBotAPI, bot, caplog) -> None:
    caplog.set_level(logging.INFO)
    await fake.reply(fake.message(TRAINING))
    await fake.reply(fake.message(EDUCATED))

    def said() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]

    for _ in range(100):  # the answer is logged once sent, just after the fake has it
        if any("a follow-up" in line for line in said()):
            break
        await asyncio.sleep(0.02)
    assert any("a follow-up" in line for line in said())
    assert not any("拉孜县" in line or "受教育" in line for line in said())


def test_the_understood_line_is_escaped() -> None:
    nothing = Answer("x", "lexical", ())
    [chunk] = answer_messages(nothing, "seeds", "en", "Understood as: <b>a & b</b>")
    assert chunk.html.startswith("<i>Understood as: &lt;b&gt;a &amp; b&lt;/b&gt;</i>")
    assert chunk.plain.startswith("Understood as: <b>a & b</b>\n\n")
