"""Groups: the bot answers /ask, replies to its own messages and mentions, and nothing else."""

from __future__ import annotations

import asyncio

from tests.telegram.fakebotapi import USERNAME, FakeBotAPI

GROUP = -100500
QUESTION = "在流动人口聚居区建立了多少个临时党支部？"


def ask(fake: FakeBotAPI, text: str, **fields) -> dict:
    return fake.message(text, chat_id=GROUP, **fields)


async def answered(fake: FakeBotAPI, message: dict) -> str:
    return (await fake.reply(message)).text


async def silent(fake: FakeBotAPI, *messages: dict) -> None:
    """None of these messages gets a reply, while a question asked after them does."""
    control = ask(fake, f"/ask {QUESTION}")
    await fake.reply(control)
    await asyncio.sleep(0.2)
    for message in messages:
        assert fake.replies_to(message) == [], message.get("text")


async def test_ask_is_answered_with_and_without_the_bot_name(fake: FakeBotAPI, bot) -> None:
    plain = await answered(fake, ask(fake, f"/ask {QUESTION}"))
    named = await answered(fake, ask(fake, f"/ask@{USERNAME} {QUESTION}"))
    assert "临时党支部16个" in plain and plain == named


async def test_ask_without_a_question_says_how_and_ask_in_reply_takes_the_replied_text(
    fake: FakeBotAPI, bot
) -> None:
    usage = await answered(fake, ask(fake, "/ask"))
    assert "/ask" in usage
    someone = ask(fake, QUESTION, user_id=3003)
    reply = await answered(fake, ask(fake, "/ask", reply_to=someone))
    assert "临时党支部16个" in reply


async def test_a_reply_to_the_bot_is_a_question(fake: FakeBotAPI, bot) -> None:
    first = await fake.reply(ask(fake, f"/ask {QUESTION}"))
    follow_up = await answered(fake, ask(fake, "边境党员干部受到了哪些教育？", reply_to=first))
    assert "教育" in follow_up


async def test_a_mention_is_a_question_with_the_mention_taken_out(fake: FakeBotAPI, bot) -> None:
    text = await answered(fake, ask(fake, f"@{USERNAME} {QUESTION}"))
    assert "临时党支部16个" in text
    text = await answered(fake, ask(fake, f"{QUESTION} @{USERNAME.upper()}"))
    assert "临时党支部16个" in text


async def test_everything_else_in_a_group_is_left_alone(fake: FakeBotAPI, bot) -> None:
    someone = ask(fake, "大家好", user_id=3003)
    await silent(
        fake,
        someone,
        ask(fake, QUESTION),
        ask(fake, f"/ask@other_bot {QUESTION}"),
        ask(fake, "/start@other_bot"),
        ask(fake, "/frobnicate"),
        ask(fake, "thanks", reply_to=someone),
        ask(fake, f"@{USERNAME}x is another bot"),
    )


async def test_an_edited_message_is_not_asked_again(fake: FakeBotAPI, bot) -> None:
    edited = {
        "message_id": 999,
        "date": 0,
        "edit_date": 1,
        "chat": fake.chat(1001),
        "from": fake.user(1001, "zh"),
        "text": QUESTION,
    }
    fake.push({"edited_message": edited})
    await silent(fake, edited)
