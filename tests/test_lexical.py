"""BM25 over terms: scoring, coverage, persistence and incremental re-use of the forward index."""

from pathlib import Path

import numpy as np
import pytest

from retrieval.lexical import ForwardIndex, LexicalIndex
from retrieval.terms import terms

DOCS = [
    "阿里地区投入资金3亿元，新建385个边境自然村活动场所。",
    "拉孜县举办党政干部培训班32期。",
    "南伊乡群众人均收入增长到22356.31元。",
    "Cats purr when they are content.",
]


@pytest.fixture
def index() -> LexicalIndex:
    return LexicalIndex.build(ForwardIndex.from_terms(terms(d) for d in DOCS))


def test_the_document_holding_the_question_words_ranks_first(index: LexicalIndex) -> None:
    matches = index.search(terms("拉孜县举办了多少期培训班？"), 3)
    assert matches.ids[0] == 1
    assert matches.scores[0] > 0


def test_k_larger_than_the_corpus_is_clamped(index: LexicalIndex) -> None:
    matches = index.search(terms("资金 培训班 收入 cats"), 100)
    assert sorted(matches.ids.tolist()) == [0, 1, 2, 3]


def test_no_shared_term_means_no_match(index: LexicalIndex) -> None:
    assert len(index.search(terms("明天北京会下雨吗？"), 5).ids) == 0
    assert len(index.search([], 5).ids) == 0


def test_coverage_is_the_share_of_question_idf_found(index: LexicalIndex) -> None:
    full = index.search(terms("拉孜县 培训班"), 1)
    assert full.coverage[0] == pytest.approx(1.0)
    half = index.search(terms("拉孜县 量子计算机"), 1)
    assert 0.0 < half.coverage[0] < 0.5


def test_unknown_terms_weigh_the_most(index: LexicalIndex) -> None:
    weights = index.idf_of(["拉孜县", "never-seen"])
    assert weights["never-seen"] == pytest.approx(index.missing_idf)
    assert weights["拉孜县"] < index.missing_idf


def test_save_and_load_round_trip(index: LexicalIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path, index.n_docs)
    question = terms("南伊乡人均收入")
    assert loaded.search(question, 2).ids.tolist() == index.search(question, 2).ids.tolist()


def test_reused_forward_rows_give_the_same_index_as_a_fresh_build() -> None:
    forward = ForwardIndex.from_terms(terms(d) for d in DOCS)
    rebuilt = ForwardIndex.concat(
        [forward.select([2, 0]), ForwardIndex.from_terms([terms(DOCS[3])])]
    )
    fresh = ForwardIndex.from_terms(terms(d) for d in [DOCS[2], DOCS[0], DOCS[3]])
    for a, b in zip(
        (rebuilt.indptr, rebuilt.hashes, rebuilt.counts),
        (fresh.indptr, fresh.hashes, fresh.counts),
        strict=True,
    ):
        assert np.array_equal(a, b)
