"""The lexical leg's ranking time: pruned (MaxScore) against exhaustive scoring, side by side.

    python -m bench.lexical_speed [--sizes cmrc,100000,1000000] [--work DIR] [--depth 50]
                                  [--rank-index DIR]

For each size it loads one set of postings, warms the page cache with 20 other questions, then
asks 300 CMRC questions (every tenth) of ``LexicalIndex.search`` and of a copy of the exhaustive
search it replaced (:func:`exhaustive`: every posting of every query term scored), the two
alternating on each question, and counts the questions where they disagree (but for which of
the documents tied at the k-th score the exhaustive search kept). Pruning learns each term's
largest contribution the first time it meets the term unless the index stores it (lists of
``BOUNDED_FROM`` postings or more), so the questions are asked three times of fresh indexes:
a *first pass* ignoring the stored bounds (learning them all, as before they were stored), a
first pass with them, then with every bound known. The question's analysis
(``question_terms``: normalising, jieba, bigrams) is timed apart, once per question: it does
not depend on the corpus. On CMRC, ``Searcher.rank`` (analysis and ranking: what
``bench.peers`` times) is timed with either search too; and with bm25s installed, bm25s over
jieba words (as ``bench.peers`` builds it), its question tokenising and its ranking apart, with
``LexicalIndex.search`` of the same question timed right after bm25s's ranking of it: the two
take turns on every question (the table's figures come from another loop, minutes away), over
the questions twice, the second time timed (the first, seedqa's search also looks each new
term up, which bm25s's tokenizer does).
``--rank-index DIR`` times ``Searcher.rank`` on an index ``seedqa index`` built (at a million
paragraphs, say): freshly read, every question once, then every question again.

- **cmrc**: the 848 CMRC paragraphs indexed by ``build_index`` (no model) and read back with
  ``read_index``, so that the postings are memory-mapped and checked as in ``seedqa ask``.
- **N paragraphs**: postings built directly (no jieba at build time, no seed files) from CMRC
  sentences recombined as ``synthetic`` does: each sentence is analysed once, and a paragraph of
  four to fourteen sentences is one at random plus others from the sentences around it in the
  CMRC text (its own paragraph and the next ones: on one subject, as a real paragraph is). A
  million paragraphs take about two minutes; the postings are kept in ``--work`` and reused.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench import cmrc
from retrieval.index.arrays import ranges
from retrieval.index.lexical import MAX_COUNT, LexicalIndex, LexicalMatches, Postings, hash64
from retrieval.text.terms import counts_as_evidence, question_terms, terms

_SENTENCE = re.compile(r"[^。！？]+[。！？]")
CHUNK = 50_000
"""Synthetic paragraphs inverted at a time."""
WIDTH = 14
"""A paragraph's other sentences come from this many either side of its first."""
WARM_UP = 20
NAMES = ("exhaustive", "first pass, learnt", "first pass", "pruned")


def exhaustive(
    index: LexicalIndex, terms: list[str], k: int, counted: list[str] | None = None
) -> LexicalMatches:
    """``LexicalIndex.search`` as it was before pruning: every posting of every term scored."""
    postings = index.postings
    vocabulary = postings.vocabulary

    def lookup(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        positions = np.searchsorted(vocabulary, hashes).clip(max=len(vocabulary) - 1)
        known = vocabulary[positions] == hashes
        rows = np.where(known, positions, -1).astype(np.int64)
        idf = np.where(known, index.idf[positions], index.missing_idf).astype(np.float32)
        return rows, idf

    distinct = np.unique(hash64(terms))
    rows, idf = lookup(distinct)
    if counted is None:
        counted = [term for term in terms if counts_as_evidence(term)]
    counted_hashes = np.unique(hash64(counted))
    _, counted_idf = lookup(counted_hashes)
    total_idf = sum(counted_idf.tolist())  # in hash order, as the index adds it
    evidence = np.isin(distinct, counted_hashes)
    known = rows >= 0
    rows, idf, evidence = rows[known], idf[known], evidence[known]
    starts = postings.indptr[rows]
    lengths = postings.indptr[rows + 1] - starts
    check = index._check
    if check is not None:
        check(starts, starts + lengths)
    take = ranges(starts, lengths)
    if not len(take):
        empty = np.zeros(0, np.float32)
        return LexicalMatches(np.zeros(0, np.int64), empty, empty)
    docs = postings.doc_ids[take]
    tf = postings.counts[take].astype(np.float32)
    weight = np.repeat(idf, lengths)
    norm = index.k1 * (1 - index.b + index.b * postings.lengths[docs] / index.avg_len)
    # Grouped as the index groups it (IDF times the rest), so to the same floats.
    scores = np.bincount(docs, weight * (tf * (index.k1 + 1) / (tf + norm)), index.n_docs)
    hits = np.flatnonzero(scores)
    if len(hits) > k:
        hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
    hits = hits[np.lexsort((hits, -scores[hits]))]
    matched = np.bincount(docs, weight * np.repeat(evidence, lengths), index.n_docs)[hits]
    coverage = matched / total_idf if total_idf > 0 else np.zeros(len(hits))
    return LexicalMatches(
        hits.astype(np.int64), scores[hits].astype(np.float32), coverage.astype(np.float32)
    )


def synthetic_postings(benchmark: cmrc.Benchmark, size: int, seed: int = 0) -> Postings:
    """The postings of ``size`` paragraphs of recombined CMRC sentences (see the module's doc)."""
    pool = [
        s.strip()
        for p in benchmark.paragraphs
        for s in _SENTENCE.findall(p["text"])
        if len(s.strip()) >= 8
    ]
    vocabulary: dict[str, int] = {}
    flat: list[int] = []
    lengths: list[int] = []
    for sentence in pool:
        ids = [vocabulary.setdefault(term, len(vocabulary)) for term in terms(sentence)]
        flat += ids
        lengths.append(len(ids))
    term_ids, sizes = np.asarray(flat, np.int64), np.asarray(lengths, np.int64)
    begins = np.cumsum(sizes) - sizes
    hashes = hash64(vocabulary)
    by_hash = np.argsort(hashes)
    rank = np.empty(len(by_hash), np.int64)
    rank[by_hash] = np.arange(len(by_hash))
    offsets = np.concatenate([np.arange(-WIDTH, 0), np.arange(1, WIDTH + 1)])
    rng = np.random.default_rng(seed)
    parts = []
    for low in range(0, size, CHUNK):
        n = min(CHUNK, size - low)
        first = rng.integers(0, len(pool), n)
        count = rng.integers(4, 15, n)
        # count - 1 others, distinct, within count sentences of the first.
        keys = rng.random((n, len(offsets)))
        keys[np.abs(offsets)[None, :] > count[:, None]] = 2.0
        picked = offsets[np.argsort(keys, axis=1)]
        chosen = np.concatenate([first[:, None], (first[:, None] + picked) % len(pool)], axis=1)
        used = np.arange(chosen.shape[1])[None, :] < count[:, None]
        sentences = chosen[used]
        docs = np.repeat(np.repeat(np.arange(n), count), sizes[sentences])
        words = term_ids[ranges(begins[sentences], sizes[sentences])]
        pairs, tf = np.unique(rank[words] * n + docs, return_counts=True)
        rows, df = np.unique(pairs // n, return_counts=True)
        parts.append(
            Postings(
                hashes[by_hash][rows],
                np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
                (pairs % n).astype(np.int32),
                np.minimum(tf, MAX_COUNT).astype(np.uint16),
                np.bincount(docs, minlength=n).astype(np.uint32),
            )
        )
    return Postings.concat(parts) if len(parts) > 1 else parts[0]


def cmrc_index(benchmark: cmrc.Benchmark, work: Path) -> LexicalIndex:
    """The CMRC paragraphs' lexical index, built by seedqa and read back as ``seedqa ask`` does."""
    from retrieval import build_index, read_index

    root = work / "cmrc-index"
    if not (root / "CURRENT").exists():
        seeds = cmrc.write_seeds(benchmark, work / "cmrc-seeds")
        build_index(seeds, root, None, None)
    return read_index(root).lexical


def synthetic_index(benchmark: cmrc.Benchmark, work: Path, size: int) -> LexicalIndex:
    folder = work / f"postings-{size}"
    if not (folder / "complete").exists():
        started = time.perf_counter()
        folder.mkdir(parents=True, exist_ok=True)
        synthetic_postings(benchmark, size).save(folder)
        (folder / "complete").touch()
        print(
            f"  built {size:,} paragraphs in {time.perf_counter() - started:.0f} s", file=sys.stderr
        )
    return LexicalIndex(Postings.load(folder))


def median_p95(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in seconds)
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def same(a: LexicalMatches, b: LexicalMatches) -> bool:
    """Whether two searches agree, but for which of the documents tied at the k-th score
    the exhaustive search kept (its partial sort keeps any of them; pruning keeps the first)."""
    if not np.array_equal(a.scores, b.scores):
        return False
    tied = a.scores == a.scores[-1] if len(a.scores) else a.scores.astype(bool)
    return np.array_equal(a.ids[~tied], b.ids[~tied]) and np.array_equal(
        a.coverage[~tied], b.coverage[~tied]
    )


def compare(
    index: LexicalIndex, queries: list[list[str]], warm_up: list[list[str]], depth: int
) -> dict[str, float]:
    """Median and p95 of both searches over ``queries``, and how many results differ.

    Pruning finds each term's largest contribution the first time it meets the term, so a
    fresh index is asked every question twice: a first pass, then one with the bounds known.
    """
    for query in warm_up:  # page cache, jieba's dictionary
        exhaustive(index, query, depth)
        index.search(query, depth)
    learning = LexicalIndex(index.postings, index.k1, index.b, index._check, stored_bounds=False)
    fresh = LexicalIndex(index.postings, index.k1, index.b, index._check)
    counted = [[t for t in query if counts_as_evidence(t)] for query in queries]
    times: dict[str, list[float]] = {name: [] for name in NAMES}
    differ = 0
    for name, searched in (
        ("first pass, learnt", learning),
        ("first pass", fresh),
        ("pruned", fresh),
    ):
        for query, evidence in zip(queries, counted, strict=True):
            started = time.perf_counter()
            before = exhaustive(searched, query, depth, evidence)
            between = time.perf_counter()
            after = searched.search(query, depth, evidence)
            times[name].append(time.perf_counter() - between)
            if name == "pruned":
                times["exhaustive"].append(between - started)
            differ += not same(before, after)
    out: dict[str, float] = {"differ": differ}
    for name, seconds in times.items():
        out[f"{name} median"], out[f"{name} p95"] = median_p95(seconds)
    return out


class ExhaustiveIndex(LexicalIndex):
    """The lexical index as it was, for a ``Searcher`` to use: :func:`exhaustive` search, and
    document frequencies from the lengths of every list."""

    def search(
        self, terms: Sequence[str], k: int, counted: Sequence[str] | None = None
    ) -> LexicalMatches:
        return exhaustive(self, list(terms), k, None if counted is None else list(counted))

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        distinct = list(dict.fromkeys(terms))
        rows, _ = self._lookup(hash64(distinct))
        df = self.postings.df
        pairs = zip(distinct, rows.tolist(), strict=True)
        return {t: int(df[r]) if r >= 0 else 0 for t, r in pairs}


def rank_cmrc(root: Path, questions: list[str]) -> dict[str, float]:
    """``Searcher.rank`` (what ``bench.peers`` times: the question analysed, then ranked) with
    either search, alternating on each question."""
    from retrieval import Searcher, read_index

    index = read_index(root)
    old = ExhaustiveIndex(index.postings, index.lexical.k1, index.lexical.b, index.lexical._check)
    searchers = {"exhaustive": Searcher(replace(index, lexical=old)), "pruned": Searcher(index)}
    times: dict[str, list[float]] = {name: [] for name in searchers}
    for question in questions[:WARM_UP] + questions:
        for name, searcher in searchers.items():
            started = time.perf_counter()
            searcher.rank(question)
            times[name].append(time.perf_counter() - started)
    out = {}
    for name, seconds in times.items():
        out[f"{name} median"], out[f"{name} p95"] = median_p95(seconds[WARM_UP:])
    return out


def rank_passes(root: Path, questions: list[str]) -> dict[str, float]:
    """``Searcher.rank`` on the index at ``root``, freshly read: every question once (the first
    pass, as a new process meets them), then again."""
    from retrieval import Searcher, read_index

    searcher = Searcher(read_index(root))
    times: dict[str, list[float]] = {"first pass": [], "second pass": []}
    for seconds in times.values():
        for question in questions:
            started = time.perf_counter()
            searcher.rank(question)
            seconds.append(time.perf_counter() - started)
    out = {}
    for name, seconds in times.items():
        out[f"{name} median"], out[f"{name} p95"] = median_p95(seconds)
    return out


def bm25s_cmrc(
    seeds: Path, questions: list[str], depth: int, index: LexicalIndex, queries: list[list[str]]
) -> dict[str, float] | None:
    """bm25s over jieba words as ``bench.peers`` builds it: its question tokenising and its
    ranking timed apart, and ``index`` searched for the same question (``queries``: its
    analysed terms) between the two, so that both rankings meet the same moments of the
    machine (None when bm25s is not installed)."""
    try:
        import bm25s
        import jieba
        from bm25s.tokenization import Tokenizer
    except ImportError:
        return None
    texts = [path.read_text(encoding="utf-8") for path in sorted(seeds.glob("*.md"))]
    tokenizer = Tokenizer(lower=True, stopwords="zh", splitter=jieba.lcut)
    tokens = tokenizer.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    k = min(depth, len(texts))
    times: dict[str, list[float]] = {"tokenize": [], "retrieve": [], "seedqa": []}
    counted = [[t for t in query if counts_as_evidence(t)] for query in queries]
    # Twice over the questions: the first time seedqa's search also looks each new term up
    # (bm25s's tokenizer does that), so only the second pass's rankings are compared.
    for at, question in enumerate(questions[:WARM_UP] + questions + questions):
        started = time.perf_counter()
        query = tokenizer.tokenize(
            [question], update_vocab=False, return_as="ids", show_progress=False
        )
        between = time.perf_counter()
        retriever.retrieve(query, k=k, show_progress=False)
        times["tokenize"].append(between - started)
        times["retrieve"].append(time.perf_counter() - between)
        ours = (at - WARM_UP) % len(questions)
        started = time.perf_counter()
        if at >= WARM_UP:
            index.search(queries[ours], depth, counted[ours])
        times["seedqa"].append(time.perf_counter() - started)
    out = {}
    for name, seconds in times.items():
        out[f"{name} median"], out[f"{name} p95"] = median_p95(seconds[WARM_UP + len(questions) :])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="cmrc,100000,1000000", help="cmrc and/or paragraphs")
    parser.add_argument("--work", type=Path, default=Path("/tmp/seedqa-lexical-speed"))
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="the CMRC benchmark")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--depth", type=int, default=50, help="k asked of the lexical leg")
    parser.add_argument(
        "--rank-index",
        type=Path,
        metavar="DIR",
        help="also time Searcher.rank on the index in DIR (a lexical one of seedqa index)",
    )
    args = parser.parse_args()
    benchmark = cmrc.load(args.cmrc)
    asked = [str(q["text"]) for q in benchmark.queries[::10]][: args.questions]
    others = [str(q["text"]) for q in benchmark.queries[5::10]][:WARM_UP]
    analysis = []
    queries = []
    for question in others + asked:
        started = time.perf_counter()
        queries.append(question_terms(question).terms)
        analysis.append(time.perf_counter() - started)
    warm_up, queries = queries[:WARM_UP], queries[WARM_UP:]
    median, p95 = median_p95(analysis[WARM_UP:])
    print(f"question analysis (question_terms): median {median:.3f} ms, p95 {p95:.3f} ms")
    print(f"\n{len(queries)} questions, k = {args.depth}; milliseconds, median / p95\n")
    print(
        "| paragraphs | postings | exhaustive | pruned, first pass, bounds learnt "
        "| pruned, first pass, bounds stored | pruned "
        "| exhaustive / pruned (medians) | results differing |"
    )
    print("|---|---|---|---|---|---|---|---|")
    args.work.mkdir(parents=True, exist_ok=True)
    peer = ranked = None
    for size in args.sizes.split(","):
        if size == "cmrc":
            index = cmrc_index(benchmark, args.work)
            peer = bm25s_cmrc(args.work / "cmrc-seeds", asked, args.depth, index, queries)
            ranked = rank_cmrc(args.work / "cmrc-index", asked)
        else:
            index = synthetic_index(benchmark, args.work, int(size))
        row = compare(index, queries, warm_up, args.depth)
        print(
            f"| {index.n_docs:,} | {len(index.postings.doc_ids):,} "
            + "".join(f"| {row[f'{n} median']:.3f} / {row[f'{n} p95']:.3f} " for n in NAMES)
            + f"| {row['exhaustive median'] / row['pruned median']:.1f} | {int(row['differ'])} |",
            flush=True,
        )
    if ranked is not None:
        print(
            "\nSearcher.rank, CMRC (analysis included): "
            + ", ".join(
                f"{name} {ranked[f'{name} median']:.3f} / {ranked[f'{name} p95']:.3f} ms"
                for name in ("exhaustive", "pruned")
            )
        )
    if args.rank_index is not None:
        passes = rank_passes(args.rank_index, asked)
        print(
            f"\nSearcher.rank on {args.rank_index} (analysis included): "
            + ", ".join(
                f"{name} {passes[f'{name} median']:.3f} / {passes[f'{name} p95']:.3f} ms"
                for name in ("first pass", "second pass")
            )
        )
    if peer is not None:
        print(
            f"\nbm25s over jieba words, CMRC: tokenizing the question {peer['tokenize median']:.3f}"
            f" / {peer['tokenize p95']:.3f} ms, ranking {peer['retrieve median']:.3f}"
            f" / {peer['retrieve p95']:.3f} ms (median / p95); between bm25s's, seedqa's"
            f" LexicalIndex.search {peer['seedqa median']:.3f} / {peer['seedqa p95']:.3f} ms"
        )


if __name__ == "__main__":
    main()
