"""Private chats: questions, answers with citations, the buttons under them, the commands."""

from __future__ import annotations

from bot.citations import NOTHING_FOUND
from bot.telegram.keyboards import MAX_CALLBACK_BYTES
from tests.telegram.fakebotapi import USERNAME, FakeBotAPI

QUESTION = "在流动人口聚居区建立了多少个临时党支部？"
BROAD = "边境党员干部受到了哪些教育？"
"""Four passages answer it: a page of three, then one more."""


async def test_a_question_gets_the_answering_sentence_in_bold_under_numbered_citations(
    fake: FakeBotAPI, bot
) -> None:
    question = fake.message(QUESTION)
    reply = await fake.reply(question)
    assert any("临时党支部16个" in bold for bold in reply.bold())
    assert reply.text.startswith("[1] 《守边固边 共建家园》")
    assert "· 夯实基层基础 · 第4段" in reply.text
    assert "seeds/000_ebe6c6a426d89a77.txt:27" in reply.text
    assert reply.html is not None and "<b>" in reply.html


async def test_typing_is_shown_before_the_answer(fake: FakeBotAPI, bot) -> None:
    question = fake.message(QUESTION)
    await fake.reply(question)
    typing = [c for c in fake.calls_of("sendChatAction") if c.params["chat_id"] == 1001]
    answer = [c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == 1001]
    assert typing and typing[0].params["action"] == "typing"
    assert typing[0].at <= answer[0].at


async def test_the_buttons_carry_short_callback_data(fake: FakeBotAPI, bot) -> None:
    reply = await fake.reply(fake.message(BROAD))
    labels = [button["text"] for button in reply.buttons]
    assert labels[:3] == ["📄 1", "📄 2", "📄 3"]
    assert {"更多结果 ▸", "👍", "👎"} <= set(labels)
    for button in reply.buttons:
        assert len(button["callback_data"].encode()) <= MAX_CALLBACK_BYTES
        assert BROAD not in button["callback_data"]


async def test_more_results_edits_the_answer_in_place_and_back_returns(
    fake: FakeBotAPI, bot
) -> None:
    reply = await fake.reply(fake.message(BROAD))
    first = reply.text
    query = fake.press(reply, reply.button("更多结果")["callback_data"])
    await fake.answer_to(query)
    await fake.wait_for(lambda: reply.edits == 1)
    assert reply.text.startswith("[4] ")
    assert len(fake.messages_in(1001)) == 1
    back = fake.press(reply, reply.button("◂")["callback_data"])
    await fake.answer_to(back)
    await fake.wait_for(lambda: reply.edits == 2)
    assert reply.text == first


async def test_pressing_more_twice_is_not_an_error(fake: FakeBotAPI, bot) -> None:
    reply = await fake.reply(fake.message(BROAD))
    data = reply.button("更多结果")["callback_data"]
    first = fake.press(reply, data)
    await fake.answer_to(first)
    await fake.wait_for(lambda: reply.edits == 1)
    second = fake.press(reply, data)
    answer = await fake.answer_to(second)
    edits = [c for c in fake.calls_of("editMessageText")]
    assert [c.status for c in edits] == [200, 400]  # "message is not modified", shrugged off
    assert answer.get("text") in (None, "")
    assert len(fake.messages_in(1001)) == 1  # no apology


async def test_the_paragraph_button_shows_it_whole_between_its_neighbours(
    fake: FakeBotAPI, bot, shared_engine
) -> None:
    reply = await fake.reply(fake.message(QUESTION))
    query = fake.press(reply, reply.button("📄 1")["callback_data"])
    await fake.answer_to(query)
    shown = await fake.wait_for(lambda: fake.messages_in(1001)[1:])
    paragraph_id = reply.button("📄 1")["callback_data"].split(":")[1]
    context = shared_engine.context(paragraph_id)
    paragraph, before, after = context.paragraph, context.before, context.after
    text = "\n".join(sent.text for sent in shown)
    assert paragraph.text in text
    assert before is not None and before.text in text
    assert after is not None and after.text in text
    assert "▶ 《守边固边 共建家园》" in text


async def test_a_vote_is_kept_with_time_chat_and_question(fake: FakeBotAPI, bot) -> None:
    reply = await fake.reply(fake.message(QUESTION))
    answer = await fake.answer_to(fake.press(reply, reply.button("👍")["callback_data"]))
    assert answer["text"] == "谢谢反馈！"
    answer = await fake.answer_to(fake.press(reply, reply.button("👎")["callback_data"]))
    votes = bot.store.votes()
    assert len(votes) == 1  # the second vote replaced the first
    time, chat, user, vote, question = votes[0]
    assert (chat, user, vote, question) == (1001, 1001, "down", QUESTION)
    assert time.startswith("20")


async def test_a_button_from_another_chat_has_expired(fake: FakeBotAPI, bot) -> None:
    reply = await fake.reply(fake.message(QUESTION))
    forged = dict(reply.message, chat=fake.chat(2002))
    from tests.telegram.fakebotapi import Sent

    answer = await fake.answer_to(
        fake.press(Sent(forged, None, None, 0.0), reply.button("👍")["callback_data"], user_id=2002)
    )
    assert answer["text"] == "这个按钮已失效，请重新提问。"
    assert bot.store.votes() == []


async def test_nothing_relevant_is_a_polite_reply_in_the_question_language(
    fake: FakeBotAPI, bot
) -> None:
    english = await fake.reply(fake.message("Who won the 2018 World Cup?", language="en"))
    assert english.text == NOTHING_FOUND["en"]
    chinese = await fake.reply(fake.message("量子计算机的工作原理是什么？"))
    assert chinese.text == NOTHING_FOUND["zh"]


async def test_start_help_and_about(fake: FakeBotAPI, bot) -> None:
    start = await fake.reply(fake.message("/start", language="en"))
    assert start.text.startswith("Hello!")
    help_ = await fake.reply(fake.message("/help"))
    assert f"@{USERNAME}" in help_.text and "/ask" in help_.text
    about = await fake.reply(fake.message("/about", language="en"))
    assert "1 file, 27 paragraphs" in about.text
    assert "000_ebe6c6a426d89a77.txt" not in about.text  # file names are for admins only
    assert "word search only" in about.text


async def test_a_deep_link_opens_the_cited_paragraph(fake: FakeBotAPI, bot, shared_engine) -> None:
    paragraph = shared_engine.searcher.index.paragraphs[5]
    shown = await fake.reply(fake.message(f"/start p_{paragraph.id}"))
    assert paragraph.text[:50] in shown.text
    gone = await fake.reply(fake.message("/start p_0123456789abcdef"))
    assert gone.text == "这一段已不在资料库中（资料已更新）。"


async def test_the_command_menu_is_registered_in_english_and_chinese(fake: FakeBotAPI, bot) -> None:
    assert [c["command"] for c in fake.commands[None]] == ["start", "help", "ask", "new", "about"]
    assert fake.commands["zh"][1]["description"] == "用法"


async def test_bad_input_gets_a_clear_message(fake: FakeBotAPI, bot) -> None:
    long = await fake.reply(fake.message("问" * 1001))
    assert long.text == "这个问题有 1001 个字，太长了。请用不超过 1000 个字提问。"
    unknown = await fake.reply(fake.message("/frobnicate", language="en"))
    assert "/help" in unknown.text
    location = fake.message(None, location={"latitude": 1.0, "longitude": 2.0})
    assert (await fake.reply(location)).text == "请用文字发送问题。"
    # and nothing was lost: the next question is answered
    assert (await fake.reply(fake.message(QUESTION))).bold()
