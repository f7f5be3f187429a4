"""Written answers in Telegram, against a fake LLM and the fake Bot API: drafts in private chats
holding checked sentences only, one final message with citations, 👀 while working, and the
extractive answer whenever the LLM fails."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden

from bot.errors import ConfigError
from bot.telegram.config import configure
from bot.telegram.drafts import Draft, joined
from retrieval.generation import CheckedSentence, LLMSettings
from tests import seedqa
from tests.corpus import SEED
from tests.fakellm import FakeLLM, Reply, serve
from tests.telegram.fakebotapi import TOKEN, FakeBotAPI, Sent

QUESTION = "2016年以来阿里地区开展了多少场次教育活动？"
"""Its first passage holds 开展各类教育活动1000场次 and 5600名…; none holds 投入资金9亿元."""
KEPT = [
    "2016年以来，阿里地区开展各类教育活动1000场次。[1]",
    "5600名边境党员干部受到教育。[1]",
    "依托地委、县委党校，着力推动党的政治理论等6项教育。[1]",
]
REPLY = (
    "2016年以来，阿里地区开展各类教育活动1000场次[1]。投入资金9亿元[1]。"
    "5600名边境党员干部受到教育。[1]依托地委、县委党校，着力推动党的政治理论等6项教育[1]。"
)
"""Three supported sentences and one whose number no passage has."""
HIGHLIGHT = "2016年以来,开展各类教育活动1000场次,5600名边境党员干部受到教育。"
GROUP = -100777


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with serve(FakeLLM()) as server:
        yield server


@pytest.fixture
async def writer(start_bot, llm: FakeLLM):
    """The bot with an LLM configured."""
    return await start_bot(llm=LLMSettings(llm.url, "gemma3", timeout=5.0))


def drafts_of(fake: FakeBotAPI, chat_id: int) -> list:
    return [c for c in fake.calls_of("sendMessageDraft") if c.params["chat_id"] == chat_id]


def quotes(sent: Sent) -> list[str]:
    units = sent.text.encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in sent.message.get("entities", [])
        if e["type"] == "expandable_blockquote"
    ]


async def test_a_private_answer_streams_checked_sentences_then_sends_it_with_citations(
    fake: FakeBotAPI, writer, llm: FakeLLM
) -> None:
    llm.script(Reply(REPLY, chunk=2, pace=0.05))
    question = fake.message(QUESTION)
    reply = await fake.reply(question)
    drafts = [d for d in fake.drafts if d.chat_id == 1001]
    assert len(drafts) >= 2
    for number, draft in enumerate(drafts, start=1):  # one more checked sentence each time
        assert draft.text == "".join(KEPT[:number])
        assert draft.draft_id == question["message_id"]
    assert all(later.at - earlier.at >= 0.9 for earlier, later in itertools.pairwise(drafts))
    assert drafts[-1].at <= reply.at
    assert reply.text.startswith("".join(KEPT) + "\n\n[1] 《守边固边 共建家园》")
    assert "9亿元" not in reply.text
    assert "seeds/000_ebe6c6a426d89a77.txt:17" in reply.text
    assert any("开展各类教育活动1000场次" in quote for quote in quotes(reply))
    assert reply.html is not None and "<blockquote expandable>" in reply.html
    labels = [button["text"] for button in reply.buttons]
    assert {"📄 1", "👍", "👎"} <= set(labels)
    assert len(fake.messages_in(1001)) == 1


async def test_a_group_answer_is_one_message_without_drafts(
    fake: FakeBotAPI, writer, llm: FakeLLM
) -> None:
    llm.script(Reply(REPLY))
    reply = await fake.reply(fake.message(f"/ask {QUESTION}", chat_id=GROUP))
    assert reply.text.startswith("".join(KEPT))
    assert quotes(reply)
    assert fake.calls_of("sendMessageDraft") == []
    assert len(fake.messages_in(GROUP)) == 1


@pytest.mark.parametrize(
    "failure",
    [
        (Reply(status=500), "模型服务出错"),
        (Reply("没有引用的回答。"), "模型写的1句话在段落里找不到依据"),
        (Reply("NO_ANSWER"), "模型认为这些段落回答不了"),
        (Reply(REPLY, drop_after=5), "模型服务出错"),
    ],
    ids=["http-500", "no-citations", "no-answer", "dropped"],
)
async def test_when_the_llm_fails_the_extractive_sentence_is_sent_marked(
    fake: FakeBotAPI, writer, llm: FakeLLM, failure: tuple[Reply, str]
) -> None:
    llm.script(failure[0])
    reply = await fake.reply(fake.message(QUESTION))
    marked = f"[1]（原文摘录：{failure[1]}）\n\n[1] 《守边固边 共建家园》"
    assert reply.text.startswith(HIGHLIGHT + marked)
    assert "抱歉" not in reply.text
    assert len(fake.messages_in(1001)) == 1
    assert len(llm.chats) == 1


async def test_a_stalled_llm_times_out_into_the_extractive_answer(
    fake: FakeBotAPI, start_bot, llm: FakeLLM
) -> None:
    await start_bot(llm=LLMSettings(llm.url, "gemma3", timeout=1.0))
    llm.script(Reply(REPLY, stall=5.0))
    reply = await fake.reply(fake.message(QUESTION))
    assert reply.text.startswith(HIGHLIGHT + "[1]（原文摘录：模型超时）")
    assert fake.drafts == []


async def test_no_request_reaches_the_llm_when_nothing_answers(
    fake: FakeBotAPI, writer, llm: FakeLLM
) -> None:
    reply = await fake.reply(fake.message("Who won the 2018 World Cup?", language="en"))
    assert reply.text.startswith("Nothing in the documents answers this question")
    assert llm.chats == []
    assert fake.drafts == []


async def test_the_question_wears_eyes_while_the_answer_is_written(
    fake: FakeBotAPI, writer, llm: FakeLLM
) -> None:
    llm.script(Reply(REPLY))
    question = fake.message(QUESTION)
    reply = await fake.reply(question)
    key = (1001, question["message_id"])
    await fake.wait_for(lambda: fake.reactions.get(key) == [])
    log = [(emoji, at) for chat, message, emoji, at in fake.reaction_log if (chat, message) == key]
    (added, added_at), (removed, removed_at) = log
    assert (added, removed) == (["👀"], [])
    assert added_at <= reply.at <= removed_at
    assert fake.calls_of("sendChatAction") == []  # the reaction instead of "typing…"


async def test_where_reactions_are_not_allowed_typing_is_shown(
    fake: FakeBotAPI, writer, llm: FakeLLM
) -> None:
    llm.script(Reply(REPLY))
    fake.allow_reactions(GROUP, "👍")
    reply = await fake.reply(fake.message(f"/ask {QUESTION}", chat_id=GROUP))
    assert reply.text.startswith("".join(KEPT))
    assert [c.status for c in fake.calls_of("setMessageReaction")] == [400]
    assert [c.params["action"] for c in fake.calls_of("sendChatAction")][:1] == ["typing"]


async def test_flood_control_on_a_draft_pauses_the_drafts_for_retry_after(
    fake: FakeBotAPI, writer, llm: FakeLLM
) -> None:
    fake.flood("sendMessageDraft", retry_after=2)
    llm.script(Reply(REPLY, chunk=2, pace=0.08))
    reply = await fake.reply(fake.message(QUESTION), timeout=15)
    calls = drafts_of(fake, 1001)
    assert [c.status for c in calls][:2] == [429, 200]
    assert calls[1].at - calls[0].at >= 2.0
    assert calls[1].params["text"] == KEPT[0]
    assert reply.text.startswith("".join(KEPT))


async def test_without_an_llm_nothing_changes(fake: FakeBotAPI, bot) -> None:
    reply = await fake.reply(fake.message(QUESTION))
    assert reply.text.startswith("[1] 《守边固边 共建家园》")
    assert fake.calls_of("setMessageReaction") == [] and fake.drafts == []
    assert fake.calls_of("sendChatAction")


async def test_seedqa_bot_with_llm_settings_writes_its_answers(
    fake: FakeBotAPI, llm: FakeLLM, tmp_path: Path
) -> None:
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    llm.script(Reply(REPLY))
    environ = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "SEEDQA_MODEL": "none",
        "SEEDQA_LLM_API_KEY": "llm-secret-key",
    }
    llm.api_key = "llm-secret-key"
    process = await asyncio.create_subprocess_exec(
        *seedqa.command("bot", "--llm", llm.url, "--llm-model", "gemma3"),
        cwd=tmp_path,
        env=seedqa.environment(environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=60)
        reply = await fake.reply(fake.message(QUESTION))
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.stderr is not None
    err = (await process.stderr.read()).decode()
    assert code == 0, err
    assert reply.text.startswith("".join(KEPT))
    assert llm.chats[0].headers["Authorization"] == "Bearer llm-secret-key"
    assert "llm-secret-key" not in err and QUESTION not in err


def test_an_llm_url_without_a_model_is_a_clear_error() -> None:
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "SEEDQA_LLM_URL": "http://127.0.0.1:9/v1"}
    with pytest.raises(ConfigError, match="--llm-model"):
        configure({}, environ, Path("index"))
    config = configure({"llm_model": "m"}, environ, Path("index"))
    assert config.llm is not None and config.llm.url == "http://127.0.0.1:9/v1"
    assert configure({}, {"TELEGRAM_BOT_TOKEN": TOKEN}, Path("index")).llm is None


async def test_the_fake_refuses_drafts_and_reactions_as_telegram_does(fake: FakeBotAPI) -> None:
    question = fake.message(QUESTION)
    group = fake.message("hi", chat_id=GROUP)
    async with Bot(fake.token, base_url=f"{fake.base_url}/bot") as api:
        message = question["message_id"]
        refusals = {
            "a draft in a group": lambda: api.send_message_draft(GROUP, 1, "x"),
            "draft_id 0": lambda: api.send_message_draft(1001, 0, "x"),
            "a draft too long": lambda: api.send_message_draft(1001, 1, "x" * 4097),
            "bad HTML": lambda: api.send_message_draft(1001, 1, "<b>x", parse_mode="HTML"),
            "not Telegram's emoji": lambda: api.set_message_reaction(1001, message, "🐍"),
            "no such message": lambda: api.set_message_reaction(1001, 999_999, "👀"),
            "two reactions": lambda: api.set_message_reaction(1001, message, ["👀", "👍"]),
        }
        for what, refused in refusals.items():
            with pytest.raises(BadRequest):
                await refused()
                pytest.fail(f"{what} was accepted")
        assert await api.send_message_draft(1001, 7, "<b>x</b>", parse_mode="HTML")
        assert await api.set_message_reaction(GROUP, group["message_id"], "👀")
        fake.allow_reactions(GROUP, "👍")
        with pytest.raises(BadRequest):
            await api.set_message_reaction(GROUP, group["message_id"], "👀")
    assert [(d.chat_id, d.draft_id, d.text) for d in fake.drafts] == [(1001, 7, "x")]
    assert fake.reactions[(GROUP, group["message_id"])] == ["👀"]


def test_a_draft_runs_chinese_sentences_on_and_spaces_english_ones() -> None:
    zh = [CheckedSentence("甲。", (1,)), CheckedSentence("乙。", (2, 3))]
    en = [CheckedSentence("It is so.", (1,)), CheckedSentence("It was.", (2,))]
    assert joined(zh) == "甲。[1]乙。[2][3]"
    assert joined(en) == "It is so.[1] It was.[2]"


class RefusingBot:
    """The other side of the wire refusing every draft (say, the user blocked the bot)."""

    def __init__(self) -> None:
        self.calls = 0

    async def send_message_draft(self, *args: object, **kwargs: object) -> bool:
        self.calls += 1
        raise Forbidden("Forbidden: bot was blocked by the user")


async def test_a_refused_draft_ends_the_drafts_quietly() -> None:
    bot = RefusingBot()
    draft = Draft(bot, 1001, 5, every=0.0)  # type: ignore[arg-type]
    draft.add(CheckedSentence("甲。", (1,)))
    await asyncio.sleep(0.05)
    draft.add(CheckedSentence("乙。", (1,)))
    await asyncio.sleep(0.05)
    await draft.close()
    assert bot.calls == 1 and draft.updates == 0
    with pytest.raises(ValueError):
        Draft(bot, 1001, 0)  # type: ignore[arg-type]
