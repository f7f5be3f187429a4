"""What a new user met in Telegram (issue 11): privacy, languages, captions, several questions."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

from bot import runtime
from bot.settings import Settings
from bot.telegram.config import configure
from retrieval import Engine, build_index
from tests.corpus import SEED
from tests.telegram.conftest import quiet
from tests.telegram.fakebotapi import USERNAME, FakeBotAPI

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "在流动人口聚居区建立了多少个临时党支部？"
ANSWERED = "建立临时党支部16个"
SECOND = "南伊乡有多少户农牧民群众自发举行升国旗活动？"


# -- privacy --


async def test_inline_answers_under_an_allowlist_are_personal_and_not_cached(
    fake: FakeBotAPI, start_bot
) -> None:
    await start_bot(allowed_chats=frozenset({1001}))
    answer = await fake.answer_to(fake.inline(QUESTION, user_id=1001))
    assert answer["results"]
    assert answer["is_personal"] is True and answer["cache_time"] == 0
    help_ = await fake.answer_to(fake.inline("", user_id=1001))
    assert help_["is_personal"] is True and help_["cache_time"] == 0


async def test_inline_answers_that_depend_on_the_query_alone_may_be_shared(
    fake: FakeBotAPI, bot
) -> None:
    answer = await fake.answer_to(fake.inline(QUESTION))
    assert answer["results"] and not answer.get("is_personal") and answer["cache_time"] > 0
    # an empty query is answered in the user's app language: that depends on who asks
    empty = await fake.answer_to(fake.inline("", language="en"))
    assert empty["is_personal"] is True and empty["cache_time"] == 0


async def test_about_names_the_model_not_the_servers_paths_and_files_only_to_admins(
    fake: FakeBotAPI, start_bot, tmp_path: Path, seeds: Path, tiny_model: Path
) -> None:
    settings = Settings(seeds, tmp_path / "index", str(tiny_model))
    runtime.build(settings, quiet, quiet)
    engine = runtime.open_engine(settings, quiet, quiet)
    await start_bot(settings=settings, engine=engine, admins=frozenset({7}))
    anyone = await fake.reply(fake.message("/about", language="en"))
    assert f"Model: {tiny_model.name} (hybrid" in anyone.text
    assert "1 file, 27 paragraphs" in anyone.text and "Built: 20" in anyone.text
    assert "/" not in anyone.text.replace("/about", "")  # no path of the server's, of any kind
    assert SEED.name not in anyone.text
    admin = await fake.reply(fake.message("/about", user_id=7, language="en"))
    assert f"• {SEED.name}" in admin.text and str(tmp_path) not in admin.text
    engine.close()


# -- languages --


async def test_a_user_whose_app_sends_no_language_gets_the_corpus_language(
    fake: FakeBotAPI, bot
) -> None:
    start = await fake.reply(fake.message("/start", language=None))
    assert start.text.startswith("你好")
    help_ = await fake.reply(fake.message("/help", language=None))
    assert help_.text.startswith("用法")
    about = await fake.reply(fake.message("/about", language=None))
    assert about.text.startswith("资料库")
    english = await fake.reply(fake.message("Who won the 2018 World Cup?", language=None))
    assert english.text.startswith("Nothing in the documents")


async def test_the_default_language_may_be_set(fake: FakeBotAPI, start_bot) -> None:
    await start_bot(language="en")  # SEEDQA_LANGUAGE=en, over a Chinese corpus
    start = await fake.reply(fake.message("/start", language=None))
    assert start.text.startswith("Hello")
    chinese = await fake.reply(fake.message(QUESTION, language=None))
    assert any(ANSWERED in bold for bold in chinese.bold())
    environ = {"TELEGRAM_BOT_TOKEN": fake.token, "SEEDQA_LANGUAGE": " ZH "}
    assert configure({}, environ, Path("i")).language == "zh"


async def test_an_apology_is_in_the_language_the_user_wrote(fake: FakeBotAPI, bot) -> None:
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    fake.message(QUESTION, language=None)
    apology = await fake.wait_for(lambda: fake.messages_in(1001))
    assert apology[0].text == "抱歉，出了点问题，请稍后再试。"
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    fake.message("What did the border party members learn?", user_id=1002, language="zh")
    apology = await fake.wait_for(lambda: fake.messages_in(1002))
    assert apology[0].text.startswith("Sorry")


async def test_the_default_language_is_english_for_an_english_corpus(
    fake: FakeBotAPI, start_bot, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(ROOT / "tests" / "data" / "english", seeds)
    settings = Settings(seeds, tmp_path / "index", "none")
    runtime.build(settings, quiet, quiet)
    await start_bot(settings=settings, engine=Engine(settings.index, watch=False))
    start = await fake.reply(fake.message("/start", language=None))
    assert start.text.startswith("Hello")


async def test_the_deep_link_of_an_inline_result_cites_it_as_the_result_does(
    fake: FakeBotAPI, bot
) -> None:
    answer = await fake.answer_to(fake.inline(QUESTION, language="en"))
    result = answer["results"][0]
    link = result["reply_markup"]["inline_keyboard"][0][0]["url"]
    payload = link.split("?start=", 1)[1]
    shown = await fake.reply(fake.message(f"/start {payload}", language="en"))
    assert result["title"].startswith("《") and result["title"] in shown.text
    assert "¶" not in shown.text and re.search(r"第\d+段", shown.text)


async def test_a_deep_link_made_before_links_named_a_language_still_opens(
    fake: FakeBotAPI, bot
) -> None:
    answer = await fake.answer_to(fake.inline(QUESTION))
    paragraph = answer["results"][0]["id"]
    shown = await fake.reply(fake.message(f"/start p_{paragraph}"))
    assert answer["results"][0]["title"] in shown.text


# -- what is a question --


async def test_a_photo_or_a_file_with_a_question_as_caption_is_answered(
    fake: FakeBotAPI, bot
) -> None:
    photo = [{"file_id": "ph1", "file_unique_id": "u1", "width": 90, "height": 90}]
    pictured = await fake.reply(fake.message(None, caption=QUESTION, photo=photo))
    assert any(ANSWERED in bold for bold in pictured.bold())
    document = {"file_id": "d1", "file_unique_id": "u2", "file_name": "scan.pdf"}
    filed = await fake.reply(fake.message(None, caption=QUESTION, document=document))
    assert any(ANSWERED in bold for bold in filed.bold())
    bare = await fake.reply(fake.message(None, photo=photo))
    assert bare.text == "请用文字发送问题。"


async def test_a_caption_that_mentions_the_bot_in_a_group_is_answered(
    fake: FakeBotAPI, bot
) -> None:
    photo = [{"file_id": "ph1", "file_unique_id": "u1", "width": 90, "height": 90}]
    caption = f"@{USERNAME} {QUESTION}"
    reply = await fake.reply(fake.message(None, chat_id=-100700, caption=caption, photo=photo))
    assert ANSWERED in reply.text


async def test_several_questions_one_a_line_are_each_answered_in_one_reply(
    fake: FakeBotAPI, bot
) -> None:
    message = fake.message(f"{QUESTION}\n\n{SECOND}\nWho won the 2018 World Cup?")
    reply = await fake.reply(message)
    await asyncio.sleep(0.3)  # anything sent after the first message would be here by now
    replies = fake.replies_to(message)
    assert len(replies) == 1
    text = reply.text
    assert f"1. {QUESTION}" in text and f"2. {SECOND}" in text
    assert "3. Who won the 2018 World Cup?" in text
    assert text.index(ANSWERED) < text.index("2. ") < text.index("132户") < text.index("3. ")
    assert "没有找到能回答这个问题的内容" in text.split("3. ")[1]
    assert reply.button("📄 1.1") and reply.button("📄 2.1")


async def test_group_admins_are_told_what_mentions_need(fake: FakeBotAPI, bot) -> None:
    help_ = await fake.reply(fake.message("/help", chat_id=-100700, language="en"))
    assert "privacy mode" in help_.text and "/setprivacy" in help_.text and "admin" in help_.text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "privacy mode" in readme and "/setprivacy" in readme


# -- duplicates --


async def test_every_place_of_a_paragraph_is_shown_real_files_first(
    fake: FakeBotAPI, start_bot, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / "copy.txt")
    os.symlink(SEED, seeds / "a_link.txt")  # sorts first: read first
    shutil.copy(SEED, seeds / "z_real.txt")
    index = tmp_path / "index"
    build_index(seeds, index, None, None)
    settings = Settings(seeds, index, "none")
    await start_bot(settings=settings, engine=Engine(index, watch=False))
    reply = await fake.reply(fake.message(QUESTION))
    first = reply.text.split("[2]")[0]
    cited = re.search(r"↳ (\S+):\d+", first)
    assert cited is not None and cited[1] == "seeds/copy.txt"
    also = re.search(r"同见：(.*)", first)
    assert also is not None
    assert re.findall(r"seeds/(\S+?):\d+", also[1]) == ["z_real.txt", "a_link.txt"]


# -- hot reload --


async def test_a_reply_during_a_reload_is_cited_from_the_version_that_answered(
    fake: FakeBotAPI, start_bot, tmp_path: Path
) -> None:
    from tests.telegram.gated import GatedEncoder

    library, archive = tmp_path / "library", tmp_path / "archive"
    for folder in (library, archive):
        folder.mkdir()
        shutil.copy(SEED, folder / SEED.name)
    index = tmp_path / "index"
    model = GatedEncoder(slow="⌛")
    build_index(library, index, model, model.name, progress=quiet)
    engine = Engine(index, model, watch=False)
    await start_bot(settings=Settings(library, index, None), engine=engine)
    model.gate.clear()
    asked = fake.message(QUESTION + "⌛")
    assert await asyncio.to_thread(model.waiting.wait, 30)  # answering from the first version
    builder = GatedEncoder()  # the same model, not held at the gate
    await asyncio.to_thread(build_index, archive, index, builder, builder.name, full=True)
    assert await asyncio.to_thread(engine.reload)  # the next version is built from archive/
    model.gate.set()
    during = await fake.reply(asked)
    assert f"↳ library/{SEED.name}:" in during.text and "archive/" not in during.text
    after = await fake.reply(fake.message(QUESTION))
    assert f"↳ archive/{SEED.name}:" in after.text
