"""Who wrote an article is searchable and, when asked, shown: bylines are in no paragraph's text."""

from __future__ import annotations

import pytest

from bot.render import answer_json, answer_text
from bot.telegram.replies import answer_messages
from retrieval import Searcher, build_index, read_index
from tests.corpus import SEED

BYLINE = "本报记者 索朗琼珠 次仁片多"  # line 7 of the sample page, under 《守边固边 共建家园》


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    root = tmp_path_factory.mktemp("bylines") / "index"
    build_index(SEED.parent, root, None, None)
    return Searcher(read_index(root))


def test_asking_for_the_reporter_shows_the_byline(searcher: Searcher) -> None:
    answer = searcher.ask("《守边固边 共建家园》的记者是谁？")
    assert answer.hits and answer.hits[0].source.title == "守边固边 共建家园"
    assert answer.hits[0].byline == BYLINE
    assert BYLINE not in answer.hits[0].paragraph.text  # shown from the article, not the text
    # The byline is the answer: it is what is picked out, above the article's first paragraph,
    # and the article is shown once, not once for each paragraph under the byline.
    first = answer.hits[0]
    assert first.byline_answers and first.highlight_text == BYLINE
    assert first.source.ordinal == 1
    assert [hit.source.title for hit in answer.hits].count("守边固边 共建家园") == 1
    text = answer_text(answer, "seeds")
    assert f"\n    **{BYLINE}**\n" in text
    assert text.split("\n\n")[0].count("**") == 2  # no sentence of it bolded as the answer
    assert answer_json(answer)["hits"][0]["byline"] == BYLINE
    assert answer_json(answer)["hits"][0]["byline_answers"] is True
    [chunk, *_] = answer_messages(answer, "seeds", "zh")
    assert f"<b>{BYLINE}</b>" in chunk.html


def test_a_reporters_name_finds_the_articles_paragraphs(searcher: Searcher) -> None:
    answer = searcher.ask("次仁片多写的阿里地区党建", k=3)
    assert answer.hits and all(hit.source.title == "守边固边 共建家园" for hit in answer.hits)
    assert all(hit.byline == BYLINE and "次仁片多" not in hit.paragraph.text for hit in answer.hits)


def test_a_question_about_something_else_shows_no_byline(searcher: Searcher) -> None:
    answer = searcher.ask("阿里地区投入了多少资金新建边境自然村活动场所？")
    assert answer.hits and all(hit.byline is None for hit in answer.hits)
    assert BYLINE not in answer_text(answer, "seeds")


def test_which_reports_a_reporter_wrote_are_the_articles_under_their_name(
    searcher: Searcher,
) -> None:
    answer = searcher.ask(
        "索朗琼珠写了哪些报道？", k=5
    )  # 报道 names the documents, not a word in them
    assert len(answer.hits) == 5
    for hit in answer.hits:
        assert "索朗琼珠" in (hit.byline or "") + hit.paragraph.text
    assert searcher.ask("张三写了哪些报道？").abstained  # a name that is no one's here
