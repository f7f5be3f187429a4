"""Pruned BM25 (MaxScore) returns exactly what scoring every posting returns."""

import random
from typing import Any

import numpy as np
import pytest

from retrieval.index.lexical import LexicalIndex, Postings, hash64
from retrieval.text.terms import UNIGRAM, counts_as_evidence

# Small settings make every query of a small corpus go through each step of pruning: a first
# threshold from the rarest list alone or a few postings, then essential lists, then probes.
PRUNED = [
    {"scored_whole_up_to": 0, "threshold_postings": 0},
    {"scored_whole_up_to": 0, "threshold_postings": 25},
    {"scored_whole_up_to": 0, "threshold_postings": 400},
    {},  # the defaults: short lists scored whole
]
KS = [1, 3, 10, 50, 500, 10_000]


def corpus(seed: int, n_docs: int) -> list[list[str]]:
    """Documents over a Zipf-like vocabulary, some unigrams among it, some documents repeated
    (equal scores, so the order of ties is tested)."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(150)] + [UNIGRAM + f"u{i}" for i in range(20)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    documents: list[list[str]] = []
    for _ in range(n_docs):
        if documents and rng.random() < 0.15:
            documents.append(list(rng.choice(documents)))
        else:
            documents.append(rng.choices(vocabulary, weights, k=rng.randint(1, 40)))
    return documents


def queries(seed: int) -> list[tuple[list[str], list[str] | None]]:
    """Queries with repeated and unknown terms, with their evidence terms or the default."""
    rng = random.Random(seed + 1000)
    vocabulary = [f"w{i}" for i in range(150)] + [UNIGRAM + f"u{i}" for i in range(20)]
    out: list[tuple[list[str], list[str] | None]] = []
    for _ in range(25):
        query = rng.sample(vocabulary, rng.randint(1, 12))
        query += rng.choices(query, k=rng.randint(0, 3))  # repeated terms
        if rng.random() < 0.3:
            query.append(f"never-seen-{rng.randint(0, 5)}")
        counted: list[str] | None = None
        if rng.random() < 0.5:
            counted = [t for t in dict.fromkeys(query) if rng.random() < 0.6]
        out.append((query, counted))
    return out


def reference(
    index: LexicalIndex, terms: list[str], k: int, counted: list[str] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BM25 with every document scored, one term at a time in hash order, fully sorted."""
    postings = index.postings
    if counted is None:
        counted = [t for t in terms if counts_as_evidence(t)]
    counted_hashes = set(hash64(counted).tolist())
    idf_of = dict(zip(postings.vocabulary.tolist(), index.idf.tolist(), strict=True))
    row_of = {h: row for row, h in enumerate(postings.vocabulary.tolist())}
    total = float(
        np.array(
            [idf_of.get(h, index.missing_idf) for h in sorted(counted_hashes)], np.float32
        ).sum()
    )
    scores = np.zeros(index.n_docs)
    matched = np.zeros(index.n_docs)
    lengths = postings.lengths.astype(np.float64)
    norm = index.k1 * (1 - index.b + index.b * lengths / index.avg_len)
    for term_hash in sorted(set(hash64(terms).tolist())):
        if term_hash not in row_of:
            continue
        row = row_of[term_hash]
        docs = postings.doc_ids[postings.indptr[row] : postings.indptr[row + 1]]
        tf = np.zeros(index.n_docs, np.float32)
        tf[docs] = postings.counts[postings.indptr[row] : postings.indptr[row + 1]]
        idf = index.idf[row]
        scores += np.where(tf > 0, idf * tf * (index.k1 + 1) / (tf + norm), 0.0)
        if term_hash in counted_hashes:
            matched += np.where(tf > 0, np.float64(idf), 0.0)
    hits = np.flatnonzero(scores)
    hits = hits[np.lexsort((hits, -scores[hits]))][:k]
    coverage = matched[hits] / total if total > 0 else np.zeros(len(hits))
    return hits, scores[hits], coverage


@pytest.mark.parametrize("settings", PRUNED)
@pytest.mark.parametrize(
    ("seed", "n_docs"), [(5, 0), (0, 1), (1, 40), (2, 300), (3, 300), (4, 800)]
)
def test_pruned_search_equals_scoring_every_posting(
    settings: dict[str, Any], seed: int, n_docs: int
) -> None:
    index = LexicalIndex(Postings.from_terms(corpus(seed, n_docs)), check=None, **settings)
    for terms, counted in queries(seed):
        for k in KS:
            ids, scores, coverage = reference(index, terms, k, counted)
            found = index.search(terms, k, counted)
            assert found.ids.tolist() == ids.tolist(), (terms, k)
            np.testing.assert_allclose(found.scores, scores, rtol=1e-6)
            np.testing.assert_allclose(found.coverage, coverage, rtol=1e-6, atol=1e-7)


def test_many_documents_tied_at_the_kth_score_come_in_document_order() -> None:
    """Hundreds of copies of the best document: all of them are candidates to the end (more
    than are scored in one batch), and the first k by position are kept."""
    rng = random.Random(7)
    best = [f"w{i}" for i in range(1, 9)] + ["w0"] * 3
    others = [f"w{i}" for i in range(20, 60)] + ["w0", "w9"]
    documents = [rng.choices(others, k=rng.randint(3, 12)) for _ in range(3000)]
    for _ in range(500):
        documents.insert(rng.randrange(len(documents) + 1), list(best))
    index = LexicalIndex(Postings.from_terms(documents), scored_whole_up_to=0, threshold_postings=0)
    query = [*best[:8], "w0", "w9"]
    for _ in range(2):  # the first search learns the terms' bounds; the second prunes
        ids, scores, coverage = reference(index, query, 50, None)
        found = index.search(query, 50)
        assert (
            found.ids.tolist()
            == ids.tolist()
            == [i for i, d in enumerate(documents) if d == best][:50]
        )
        np.testing.assert_allclose(found.scores, scores, rtol=1e-6)
        np.testing.assert_allclose(found.coverage, coverage, rtol=1e-6)


def test_the_threshold_prunes_in_these_corpora() -> None:
    """The cases above include many where the k-th score is above what the commonest terms
    could add together: pruning has something to drop, so a wrong bound shows."""
    prunable = 0
    for seed, n_docs in [(2, 300), (3, 300), (4, 800)]:
        index = LexicalIndex(Postings.from_terms(corpus(seed, n_docs)))
        for terms, counted in queries(seed):
            _, scores, _ = reference(index, terms, 10, counted)
            bounds = sorted(v * (index.k1 + 1) for v in index.idf_of(terms).values())
            prunable += len(scores) == 10 and bounds[0] < scores[-1]
    assert prunable >= 20


def test_pruned_search_checks_every_list_it_may_read_first() -> None:
    seen: list[tuple[list[int], list[int]]] = []
    postings = Postings.from_terms(corpus(4, 800))

    def check(starts: np.ndarray, stops: np.ndarray) -> None:
        seen.append((starts.tolist(), stops.tolist()))

    index = LexicalIndex(postings, check=check, scored_whole_up_to=0, threshold_postings=0)
    terms = ["w0", "w1", "w7", "w7", "w40", "never-seen"]
    index.search(terms, 5)
    rows = np.searchsorted(postings.vocabulary, np.unique(hash64(terms[:-1])))
    spans = (postings.indptr[rows].tolist(), postings.indptr[rows + 1].tolist())
    # Then every posting, before what each adds is worked out for all of them (IMPACTS_UP_TO).
    assert seen == [spans, ([0], [len(postings.doc_ids)])]
    index.search(terms, 5)
    assert seen[2:] == [spans]


@pytest.mark.parametrize("settings", PRUNED)
@pytest.mark.parametrize("deleted", [False, True])
def test_contributions_worked_out_once_are_the_same_floats(
    monkeypatch, settings: dict[str, Any], deleted: bool
) -> None:
    """A small index works out what every posting adds once (``IMPACTS_UP_TO``), a large one
    per search: the same arithmetic, so segments of either kind score alike to the last bit."""
    from retrieval.index import lexical

    postings = Postings.from_terms(corpus(4, 800))
    live = np.random.default_rng(4).random(len(postings)) > 0.3 if deleted else None
    table = LexicalIndex(postings, live=live, **settings)
    table.search(["w0"], 1)  # the table is worked out at the first search
    monkeypatch.setattr(lexical, "IMPACTS_UP_TO", 0)
    each_time = LexicalIndex(postings, live=live, **settings)
    for terms, counted in queries(4):
        for k in (1, 10, 50):
            a, b = table.search(terms, k, counted), each_time.search(terms, k, counted)
            assert a.ids.tolist() == b.ids.tolist(), (terms, k)
            assert np.array_equal(a.scores, b.scores) and np.array_equal(a.coverage, b.coverage)
    assert table._impacts is not None and each_time._impacts is None


class _Stats:
    """A whole index's statistics, as a segment sees them: another average length."""

    def __init__(self, index: LexicalIndex, avg_len: float) -> None:
        self.n_docs, self.avg_len, self._index = index.n_docs, avg_len, index

    def idf(self, hashes: np.ndarray) -> np.ndarray:
        return self._index._lookup(hashes)[1]


@pytest.mark.parametrize("average", [None, 0.6, 1.7])  # the segment's own, smaller, larger
@pytest.mark.parametrize(("seed", "n_docs"), [(2, 300), (4, 800)])
def test_bounds_stored_with_the_index_prune_to_the_same_results(
    tmp_path, monkeypatch, average: float | None, seed: int, n_docs: int
) -> None:
    from retrieval.index import lexical

    monkeypatch.setattr(lexical, "BOUNDED_FROM", 1)  # every list's bound stored
    postings = Postings.from_terms(corpus(seed, n_docs))
    postings.save(tmp_path)
    own = LexicalIndex(postings)
    stats = None if average is None else _Stats(own, own.avg_len * average)
    whole = LexicalIndex(postings, corpus=stats, scored_whole_up_to=1 << 40)
    pruned = LexicalIndex(
        Postings.load(tmp_path), corpus=stats, scored_whole_up_to=0, threshold_postings=0
    )
    learnt: list[bool] = []
    scored_whole = pruned._whole

    def recorded(query: Any, k: int, learn: bool = False) -> Any:
        learnt.append(learn)
        return scored_whole(query, k, learn=learn)

    monkeypatch.setattr(pruned, "_whole", recorded)
    for terms, counted in queries(seed):
        query = pruned._query(terms, counted)
        if len(query.rows):  # each bound at least the term's largest contribution here
            bounds = pruned._bounds(query)
            for term in range(len(query.rows)):
                _, weights, _ = whole._read(query, np.array([term]), deleted_too=True)
                assert bounds[term] >= weights.max(), (terms, term)
        for k in (1, 10, 50):
            expected, found = whole.search(terms, k, counted), pruned.search(terms, k, counted)
            assert found.ids.tolist() == expected.ids.tolist(), (terms, k)
            np.testing.assert_allclose(found.scores, expected.scores, rtol=1e-6)
    assert not any(learnt)  # every bound came from the index, none was learnt


def test_a_stored_bound_is_each_long_lists_largest_contribution(tmp_path, monkeypatch) -> None:
    from retrieval.index import lexical

    monkeypatch.setattr(lexical, "BOUNDED_FROM", 50)
    postings = Postings.from_terms(corpus(4, 800))
    postings.save(tmp_path)
    stored = Postings.load(tmp_path).bounds()
    assert stored is not None
    rows, largest, average = stored
    index = LexicalIndex(postings)
    assert average == index.avg_len
    long = np.flatnonzero(np.diff(postings.indptr) >= 50)
    assert rows.tolist() == long.tolist() and 0 < len(long) < len(postings.vocabulary)
    for row, bound in zip(rows.tolist(), largest.tolist(), strict=True):
        start, stop = postings.indptr[row], postings.indptr[row + 1]
        tf = postings.counts[start:stop].astype(np.float32)
        norm = index._norm[postings.doc_ids[start:stop]]
        assert bound == pytest.approx(float((tf * (index.k1 + 1) / (tf + norm)).max()))
