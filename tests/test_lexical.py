"""BM25 over postings: scoring, coverage, persistence, and rebuilding from parts of an index."""

from pathlib import Path

import numpy as np
import pytest

from retrieval.index.lexical import K1, LexicalIndex, Postings
from retrieval.lifecycle.postings import postings_of
from retrieval.text.terms import UNIGRAM, terms

DOCS = [
    "阿里地区投入资金3亿元，新建385个边境自然村活动场所。",
    "拉孜县举办党政干部培训班32期。",
    "南伊乡群众人均收入增长到22356.31元。",
    "Cats purr when they are content.",
]


def invert(texts: list[str]) -> Postings:
    return Postings.from_terms(terms(t) for t in texts)


@pytest.fixture
def index() -> LexicalIndex:
    return LexicalIndex(invert(DOCS))


def test_the_document_holding_the_question_words_ranks_first(index: LexicalIndex) -> None:
    matches = index.search(terms("拉孜县举办了多少期培训班？"), 3)
    assert matches.ids[0] == 1
    assert matches.scores[0] > 0


def test_scores_are_bm25(index: LexicalIndex) -> None:
    question = terms("南伊乡")
    [doc] = index.search(question, 1).ids
    length = len(terms(DOCS[doc]))
    expected = 0.0
    for term in set(question):
        df = sum(term in terms(d) for d in DOCS)
        tf = terms(DOCS[doc]).count(term)
        idf = np.log1p((4 - df + 0.5) / (df + 0.5))
        norm = K1 * (1 - 0.75 + 0.75 * length / index.avg_len)
        expected += idf * tf * (K1 + 1) / (tf + norm)
    assert index.search(question, 1).scores[0] == pytest.approx(expected, rel=1e-5)


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


def test_unigrams_rank_but_are_no_evidence() -> None:
    index = LexicalIndex(Postings.from_terms([["南伊乡", UNIGRAM + "县"], [UNIGRAM + "县"]]))
    only_unigram = index.search([UNIGRAM + "县", "札达"], 2)
    assert len(only_unigram.ids) == 2 and only_unigram.scores[0] > 0
    assert only_unigram.coverage.tolist() == [0.0, 0.0]
    both = index.search(["南伊乡", UNIGRAM + "县"], 1)
    assert both.ids.tolist() == [0] and both.coverage[0] == pytest.approx(1.0)


def test_coverage_counts_only_the_terms_it_is_given(index: LexicalIndex) -> None:
    question = terms("拉孜县 量子计算机")
    counted = terms("拉孜县")
    assert set(counted) < set(question)
    assert index.search(question, 1, counted).coverage[0] == pytest.approx(1.0)


def test_unknown_terms_weigh_the_most(index: LexicalIndex) -> None:
    weights = index.idf_of(["拉孜县", "never-seen"])
    assert weights["never-seen"] == pytest.approx(index.missing_idf)
    assert weights["拉孜县"] < index.missing_idf


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    invert(DOCS).save(tmp_path)
    loaded, fresh = LexicalIndex(Postings.load(tmp_path)), LexicalIndex(invert(DOCS))
    question = terms("南伊乡人均收入")
    assert loaded.search(question, 2).ids.tolist() == fresh.search(question, 2).ids.tolist()


def same(a: Postings, b: Postings) -> None:
    """Equal as indexes: the same postings for every term (in any order within a term)."""
    assert np.array_equal(a.vocabulary, b.vocabulary) and np.array_equal(a.lengths, b.lengths)
    assert np.array_equal(a.indptr, b.indptr)
    for t in range(len(a.vocabulary)):
        s, e = a.indptr[t], a.indptr[t + 1]
        pairs_a = zip(a.doc_ids[s:e].tolist(), a.counts[s:e].tolist(), strict=True)
        pairs_b = zip(b.doc_ids[s:e].tolist(), b.counts[s:e].tolist(), strict=True)
        assert sorted(pairs_a) == sorted(pairs_b)


def test_kept_documents_plus_new_ones_equal_a_fresh_build() -> None:
    old = invert(DOCS)
    # The new corpus: DOCS[2], a new text, DOCS[0] (DOCS[1] and DOCS[3] were removed).
    new_text = "措勤县1600余名党员作出承诺。"
    merged = Postings.concat([old.select(np.array([2, 0])), invert([new_text])])
    rebuilt = merged.relabel(np.array([0, 2, 1]))
    same(rebuilt, invert([DOCS[2], new_text, DOCS[0]]))


def test_worker_processes_give_the_same_postings() -> None:
    texts = DOCS * 30
    chunks: list[int] = []
    parallel = postings_of(texts, chunks.append, workers=2, chunk=16, parallel_from=10)
    same(parallel, invert(texts))
    assert sum(chunks) == len(texts) and len(chunks) == 8


def test_document_frequency_and_idf_of_known_and_unknown_terms(index: LexicalIndex) -> None:
    asked = ["拉孜县", "培训班", "never-seen", "拉孜县"]
    assert index.document_frequency(asked) == {"拉孜县": 1, "培训班": 1, "never-seen": 0}
    weights = index.idf_of(asked)
    assert list(weights) == ["拉孜县", "培训班", "never-seen"]
    assert weights["never-seen"] == pytest.approx(index.missing_idf)


def test_spilled_batches_merge_into_mapped_files_holding_the_same_postings(
    tmp_path: Path,
) -> None:
    texts = DOCS * 30
    chunks: list[int] = []
    spilled = postings_of(texts, chunks.append, workers=1, chunk=8, spill=tmp_path, batch=2)
    whole = postings_of(texts, lambda _: None, workers=1, chunk=8)
    assert sum(chunks) == len(texts)
    assert spilled.stored == tmp_path / "all" and isinstance(spilled.doc_ids, np.memmap)
    assert len(list(tmp_path.glob("batch-*"))) == 8  # 15 chunks, two a batch
    for name in ("vocabulary", "indptr", "doc_ids", "counts", "lengths"):
        assert np.array_equal(getattr(spilled, name), getattr(whole, name)), name
    same(spilled, invert(texts))


def test_one_batch_is_not_spilled(tmp_path: Path) -> None:
    postings = postings_of(DOCS * 3, lambda _: None, workers=1, chunk=8, spill=tmp_path, batch=2)
    assert postings.stored is None and not list(tmp_path.iterdir())
    same(postings, invert(DOCS * 3))


def test_saving_mapped_postings_links_their_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    invert(DOCS).save(first)
    Postings.load(first).save(second)
    for file in first.iterdir():
        assert (second / file.name).stat().st_ino == file.stat().st_ino
    same(Postings.load(second), invert(DOCS))


@pytest.mark.parametrize("mapped", [False, True])
def test_postings_read_a_slice_at_a_time_are_the_postings(tmp_path: Path, mapped: bool) -> None:
    postings = invert(DOCS * 5)
    if mapped:
        postings.save(tmp_path)
        postings = Postings.load(tmp_path)
    for name in ("doc_ids", "counts"):
        slices = list(postings.slices(name, size=7))
        assert [first for first, _ in slices] == list(range(0, len(getattr(postings, name)), 7))
        assert np.array_equal(np.concatenate([s for _, s in slices]), getattr(postings, name))


@pytest.mark.parametrize("mapped", [False, True])
def test_the_terms_of_deleted_documents_are_counted_per_term(tmp_path: Path, mapped: bool) -> None:
    from retrieval.index.segments import deleted_df

    texts = DOCS * 3
    postings = invert(texts)
    if mapped:
        postings.save(tmp_path)
        postings = Postings.load(tmp_path)
    deleted = np.array([1, 4, 5], np.int32)
    rows, counts = deleted_df(postings, deleted)
    expected: dict[int, int] = {}
    for doc in deleted.tolist():
        for term in set(terms(texts[doc])):
            row = int(
                np.searchsorted(postings.vocabulary, Postings.from_terms([[term]]).vocabulary[0])
            )
            expected[row] = expected.get(row, 0) + 1
    assert dict(zip(rows.tolist(), counts.tolist(), strict=True)) == expected
