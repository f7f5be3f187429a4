"""Who may ask: the allowlist, the admins' /reindex, and the per-user limit."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.settings import Settings
from retrieval import Engine, build_index
from retrieval.index.store import build_lock
from tests.telegram.conftest import lexical_index, quiet
from tests.telegram.fakebotapi import FakeBotAPI
from tests.telegram.gated import GatedEncoder

QUESTION = "在流动人口聚居区建立了多少个临时党支部？"
GULLS = "# The lighthouse\n\nThe keeper of the lighthouse counted 4711 gulls in the spring.\n"


async def test_other_chats_get_a_short_refusal(fake: FakeBotAPI, start_bot) -> None:
    await start_bot(allowed_chats=frozenset({1001, -100500}))
    refused = await fake.reply(fake.message(QUESTION, user_id=2002))
    assert refused.text == "抱歉，这个机器人只在指定的聊天中回答问题。"
    group = await fake.reply(fake.message(f"/ask {QUESTION}", user_id=2002, chat_id=-100500))
    assert "临时党支部16个" in group.text
    assert "临时党支部16个" in (await fake.reply(fake.message(QUESTION))).text
    inline = await fake.answer_to(fake.inline(QUESTION, user_id=2002))
    assert inline["results"] == [] and inline["button"]["text"].startswith("抱歉")


async def test_one_user_over_the_limit_is_told_once_and_others_are_still_answered(
    fake: FakeBotAPI, start_bot
) -> None:
    await start_bot(questions_per_minute=2)
    for _ in range(2):
        assert "临时党支部16个" in (await fake.reply(fake.message(QUESTION))).text
    told = await fake.reply(fake.message(QUESTION))
    assert told.text == "提问太快啦，请过一分钟再问。"
    dropped = fake.message(QUESTION)
    other = await fake.reply(fake.message(QUESTION, user_id=2002))
    assert "临时党支部16个" in other.text
    await asyncio.sleep(0.2)
    assert fake.replies_to(dropped) == []


async def test_only_admins_may_reindex(fake: FakeBotAPI, start_bot) -> None:
    await start_bot(admins=frozenset({1001}))
    refused = await fake.reply(fake.message("/reindex", user_id=2002, language="en"))
    assert refused.text == "Only the bot's admins can rebuild the index."


async def test_reindex_picks_up_new_seeds_and_switches_over(
    fake: FakeBotAPI, start_bot, tmp_path: Path
) -> None:
    settings = lexical_index(tmp_path / "own")
    await start_bot(settings=settings, engine=Engine(settings.index), admins=frozenset({1001}))
    (settings.seeds / "gulls.md").write_text(GULLS, encoding="utf-8")
    command = fake.message("/reindex", language="en")
    done = await fake.wait_for(lambda: [s for s in fake.replies_to(command) if "rebuilt" in s.text])
    assert "2 files, 28 paragraphs" in done[0].text
    answer = await fake.reply(fake.message("How many gulls did the keeper count?", language="en"))
    assert any("4711" in bold for bold in answer.bold())


async def test_a_failed_rebuild_keeps_the_old_index_and_says_why(
    fake: FakeBotAPI, start_bot, tmp_path: Path
) -> None:
    settings = lexical_index(tmp_path / "own")
    engine = Engine(settings.index)
    version = engine.info.version
    await start_bot(settings=settings, engine=engine, admins=frozenset({1001}))
    (settings.seeds / "gulls.md").write_text(GULLS, encoding="utf-8")
    with build_lock(settings.index):
        command = fake.message("/reindex")
        failed = await fake.wait_for(
            lambda: [s for s in fake.replies_to(command) if "重建失败" in s.text]
        )
    assert "Another seedqa is building the index" in failed[0].text
    assert version in failed[0].text
    assert "临时党支部16个" in (await fake.reply(fake.message(QUESTION))).text
    assert engine.info.version == version


async def test_questions_are_answered_while_the_index_is_rebuilt(
    fake: FakeBotAPI, start_bot, tmp_path: Path, seeds: Path
) -> None:
    encoder = GatedEncoder()
    build_index(seeds, tmp_path / "index", encoder, encoder.name, progress=quiet)
    settings = Settings(seeds, tmp_path / "index", None)
    engine = Engine(settings.index, encoder)
    await start_bot(settings=settings, engine=engine, admins=frozenset({1001}))
    (seeds / "gulls.md").write_text(GULLS, encoding="utf-8")
    encoder.gate.clear()
    command = fake.message("/reindex", language="en")
    await asyncio.to_thread(encoder.waiting.wait, 30)  # the rebuild is embedding the new file
    during = await fake.reply(fake.message(QUESTION, user_id=2002))
    assert "临时党支部16个" in during.text
    assert not [s for s in fake.replies_to(command) if "rebuilt" in s.text]
    encoder.gate.set()
    done = await fake.wait_for(lambda: [s for s in fake.replies_to(command) if "rebuilt" in s.text])
    assert "hybrid" in done[0].text
    after = await fake.reply(fake.message("How many gulls did the keeper count?", language="en"))
    assert "4711" in after.text
