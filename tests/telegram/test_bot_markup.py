"""Telegram HTML: escaping, UTF-16 lengths, splitting within the limit; and the property that any
rendered answer, whatever its text, splits into messages Telegram accepts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.markup import MESSAGE_LIMIT, Run, paginate, render
from bot.telegram.replies import answer_messages, excerpt, paragraph_messages
from retrieval import Answer, Context, Hit, IndexInfo, Paragraph, Source
from tests.telegram.telegramhtml import TelegramHTMLError, parse_html, utf16_length


def test_text_is_escaped_and_styles_become_tags() -> None:
    chunk = render([Run("a < b & c > d "), Run("<b>bold</b>", "b"), Run(" x", "i")])
    assert chunk.html == "a &lt; b &amp; c &gt; d <b>&lt;b&gt;bold&lt;/b&gt;</b><i> x</i>"
    assert parse_html(chunk.html)[0] == chunk.plain == "a < b & c > d <b>bold</b> x"


@pytest.mark.parametrize("text", ["abc", "边境", "🙂", "a🙂b", "👨‍👩‍👧"])
def test_length_is_counted_in_utf16_code_units(text: str) -> None:
    from bot.telegram.markup import utf16_length as ours

    assert ours(text) == utf16_length(text)


def test_short_blocks_share_a_message_with_a_blank_line_between() -> None:
    chunks = paginate([(Run("one"),), (Run("two", "b"),)])
    assert [c.html for c in chunks] == ["one\n\n<b>two</b>"]


def test_blocks_that_do_not_fit_together_go_to_the_next_message_whole() -> None:
    a, b = "甲" * 3000, "乙" * 3000
    chunks = paginate([(Run(a),), (Run(b, "b"),)])
    assert [c.plain for c in chunks] == [a, b]
    assert chunks[1].html == f"<b>{b}</b>"


def test_a_block_too_long_for_one_message_is_cut_after_a_sentence_and_no_tag_is_cut() -> None:
    sentence = "边境党员干部受到了教育。" * 10  # 120 characters
    block = (Run("[1] "), Run(sentence * 30, "b"), Run(" tail"))
    chunks = paginate([block], limit=1000)
    assert len(chunks) > 3
    for chunk in chunks:
        text, _ = parse_html(chunk.html)
        assert text == chunk.plain and utf16_length(text) <= 1000
        assert chunk.html.count("<b>") == chunk.html.count("</b>")
    assert all(c.plain.endswith(("。", "tail")) for c in chunks)
    assert "".join(c.plain for c in chunks).replace(" ", "") == (
        "[1]" + sentence * 30 + "tail"
    ).replace(" ", "")


def test_text_without_any_boundary_is_cut_at_the_limit_without_splitting_an_emoji() -> None:
    chunks = paginate([(Run("🙂" * 3000),)])
    assert [utf16_length(c.plain) for c in chunks] == [4096, 1904]


def test_excerpt_keeps_whole_sentences_around_the_answer_within_the_budget() -> None:
    text = "第一句很长很长。" * 40 + "答案在这里。" + "后面的话。" * 40
    start = text.index("答案")
    before, sentence, after = excerpt(text, (start, start + 6), context=30)
    assert sentence == "答案在这里。"
    assert before.startswith("…") and before.endswith("很长很长。") and len(before) <= 31
    assert after.endswith("…") and after.startswith("后面的话。") and len(after) <= 31
    assert excerpt("短。答。", (2, 4)) == ("短。", "答。", "")


# --- property: whatever the text, the messages are valid and within the limit ----------------

PIECES = [*"ab <>&\"'/;。！？\n 边境党员🙂#", "</b>", "<i>", "&amp;", "&lt;", "\u200d", "\r\n"]
texts = st.one_of(
    st.text(max_size=200),  # any Unicode: control characters, combining marks, astral planes
    st.lists(st.sampled_from(PIECES), max_size=200).map("".join),  # markup-like and CJK text
)
long_texts = st.builds(lambda t, n: (t or "x") * n, texts, st.integers(1, 60))


@st.composite
def hits(draw: st.DrawFn, rank: int) -> Hit:
    text = draw(long_texts)
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    source = Source(
        path=draw(texts) or "f.txt",
        line=draw(st.integers(1, 10**6)),
        ordinal=draw(st.integers(1, 10**4)),
        title=draw(st.none() | texts),
        sections=tuple(draw(st.lists(texts, max_size=2))),
        lines=((0, 1), (max(0, end - 1), 7)),
    )
    paragraph = Paragraph(
        draw(st.text("0123456789abcdef", min_size=16, max_size=16)), text, (source,)
    )
    return Hit(rank, 1.0, paragraph, (start, end), 0.5, None)


INFO = IndexInfo("v1", 0.0, "/srv/seeds", None, "lexical", ("a.txt",), 1, 1)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    count = draw(st.integers(0, 5))
    return Answer(draw(texts) or "?", "lexical", tuple(draw(hits(r + 1)) for r in range(count)))


def assert_acceptable(chunks) -> None:
    assert chunks
    for chunk in chunks:
        text, _ = parse_html(chunk.html)  # raises if Telegram could not parse it
        assert text == chunk.plain
        assert text.strip()
        assert utf16_length(text) <= MESSAGE_LIMIT


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers(), st.sampled_from(["zh", "en"]), texts)
def test_any_answer_renders_into_valid_messages_within_the_limit(answer, language, root) -> None:
    chunks = answer_messages(answer, root, language)
    assert_acceptable(chunks)
    joined = "".join(c.plain for c in chunks)
    for hit in answer.hits:
        assert f"[{hit.rank}] " in joined


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hits(1), st.none() | hits(2), st.none() | hits(3), st.sampled_from(["zh", "en"]))
def test_any_paragraph_with_neighbours_renders_into_valid_messages(
    hit, before, after, language
) -> None:
    context = Context(hit.paragraph, before and before.paragraph, after and after.paragraph, INFO)
    chunks = paragraph_messages(context, language)
    assert_acceptable(chunks)
    joined = "".join(c.plain for c in chunks)
    assert "".join(hit.paragraph.text.split()) in "".join(joined.split())


@pytest.mark.parametrize(
    "html",
    [
        "<b>unclosed",
        "<x>unknown</x>",
        "<b>mismatched</i>",
        "a < b",
        "AT&T",
        "&nbsp;",
        "</b>",
        '<span class="other">s</span>',
    ],
)
def test_the_fake_server_refuses_what_telegram_refuses(html: str) -> None:
    with pytest.raises(TelegramHTMLError):
        parse_html(html)


def test_the_fake_server_parses_entities_and_counts_like_telegram() -> None:
    text, entities = parse_html("a &lt;<b>粗&amp;🙂</b>&#38;&#x41;")
    assert text == "a <粗&🙂&A"
    assert entities == [{"type": "bold", "offset": 3, "length": 4}]
