"""The highlight reads the index's terms of a paragraph: nothing is segmented but the question."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jieba
import pytest

from retrieval import Searcher, build_index, read_index
from retrieval.search.highlight import _shared, best_sentence
from retrieval.text.normalize import normalize
from retrieval.text.terms import question_terms, searchable

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    root = tmp_path_factory.mktemp("highlight") / "index"
    build_index(SEEDS, root, None, None)
    return Searcher(read_index(root))


def test_answering_segments_the_question_alone(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "措勤县有多少名党员参加了承诺活动？"
    segmented: list[str] = []
    cut = jieba.Tokenizer.cut

    def recording(
        self: jieba.Tokenizer, sentence: str, *args: object, **kwargs: object
    ) -> Iterator[str]:
        segmented.append(sentence)
        return cut(self, sentence, *args, **kwargs)

    monkeypatch.setattr(jieba.Tokenizer, "cut", recording)
    answer = searcher.ask(question, k=10)
    assert len(answer.hits) >= 3
    assert any("1600余名党员" in hit.highlight_text for hit in answer.hits)
    asked = set(normalize(question)) | {" "}  # its question phrases are blanked out first
    assert segmented and all(set(text) <= asked for text in segmented), segmented


def test_a_sentence_holds_the_paragraphs_terms_whose_characters_it_holds() -> None:
    assert _shared(searchable("全县党员参加了活动。"), ["党员", "活动", "群众"]) == {"党员", "活动"}
    # A dateline names where the paper wrote from: its place is no term of the sentence.
    assert _shared(searchable("本报拉萨讯 西藏大学召开会议。"), ["拉萨", "会议"]) == {"会议"}


def test_a_term_the_paragraph_does_not_hold_counts_in_no_sentence() -> None:
    text = "措勤县召开会议。全县1600余名党员参加了承诺活动。"
    question = "措勤县有多少名党员参加了承诺活动？"
    query = question_terms(question)
    weight = dict.fromkeys(query.terms, 1.0).__getitem__
    span, score = best_sentence(text, question, query, weight, set(query.terms))
    assert text[span[0] : span[1]] == "全县1600余名党员参加了承诺活动。" and score > 0
    # The same characters, but the index says the paragraph holds none of the terms.
    assert best_sentence(text, question, query, weight, set()) == (
        (0, len("措勤县召开会议。")),
        0.0,
    )
