"""Inline mode: ``@bot question`` in any chat offers up to five cited answers."""

from __future__ import annotations

import pytest

from bot.citations import citation_label
from tests.telegram.fakebotapi import USERNAME, FakeBotAPI
from tests.telegram.telegramhtml import parse_html


@pytest.mark.parametrize(
    "question", ["边境党员干部受到了哪些教育？", "边境党员干部受到了哪些教育", "边境 党员 教育"]
)
async def test_an_inline_question_gets_up_to_five_cited_articles(
    fake: FakeBotAPI, bot, shared_engine, question: str
) -> None:
    answer = await fake.answer_to(fake.inline(question))
    results = answer["results"]
    assert 1 <= len(results) <= 5
    for result in results:
        assert result["type"] == "article"
        paragraph = shared_engine.context(result["id"]).paragraph
        assert result["title"] == citation_label(paragraph.source, "zh")
        text, _ = parse_html(result["input_message_content"]["message_text"])
        assert result["description"].rstrip("…") in text
        assert "seeds/000_ebe6c6a426d89a77.txt:" in text
        link = result["reply_markup"]["inline_keyboard"][0][0]["url"]
        assert link == f"https://t.me/{USERNAME}?start=p_{result['id']}_zh"
    assert any("教育" in r["description"] for r in results)


async def test_an_empty_or_unanswerable_inline_query_offers_help(fake: FakeBotAPI, bot) -> None:
    empty = await fake.answer_to(fake.inline("", language="en"))
    assert empty["results"] == [] and empty["button"]["text"] == "How to use this bot"
    nothing = await fake.answer_to(fake.inline("Who won the 2018 World Cup?"))
    assert nothing["results"] == []
    assert nothing["button"]["text"].startswith("Nothing found")
    assert nothing["button"]["start_parameter"] == "help"
