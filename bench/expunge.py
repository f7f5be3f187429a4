"""Deleted rows in a segment: what they cost its searches, against rewriting it without them.

    python -m bench.expunge [--paragraphs 100000] [--shares 0,0.1,0.25,0.4,0.5,0.6,0.75]
        [--work DIR] [--cmrc DIR]

A segment keeps its deleted rows until ``EXPUNGE_SHARE`` of them are deleted; then a merge
rewrites it alone without them (``retrieval.lifecycle.merging``). This measures both sides of
that choice, at each share of rows deleted (at random, the same rows for both legs):

- **dense**: one HNSW graph over ``--paragraphs`` unit vectors in clusters (one window a
  paragraph, 384 dimensions, as ``bench.dense_size`` makes them), searched for 10 paragraphs
  with the deleted ones masked (``DenseIndex.alive``: it fetches more until 10 live ones are
  found), against a graph built anew over the live vectors only. Latency and recall@10 against
  exact search over the live vectors, and the rebuild's time.
- **lexical**: the postings of ``--paragraphs`` synthetic paragraphs (``bench.lexical_speed``),
  searched for 50 with the deleted documents masked (``LexicalIndex(live=...)``, which reads
  their postings and drops them), against the live documents' postings selected into a new set
  (``Postings.select``). Both score with the live documents' statistics, so they must return the
  same documents: the run counts the questions where they do not. Every question is asked once
  of both before the timed pass, so that each term's bound is known.

Queries: 300 vectors near the clusters, and 300 CMRC questions (every tenth), each leg's two
searches alternating on each question.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench import cmrc
from bench.dense_size import clustered
from bench.lexical_speed import median_p95, synthetic_index
from retrieval.index.dense import DenseIndex
from retrieval.index.lexical import LexicalIndex
from retrieval.text.terms import question_terms

DIMENSION = 384
QUESTIONS = 300


class LiveStatistics:
    """The statistics of an index of the live documents only, for a masked one to score by."""

    def __init__(self, index: LexicalIndex) -> None:
        self.n_docs, self.avg_len = index.n_docs, index.avg_len
        self._index = index

    def idf(self, hashes: np.ndarray) -> np.ndarray:
        return self._index._lookup(hashes)[1]


def dense_row(
    vectors: np.ndarray, queries: np.ndarray, graph: DenseIndex, live: np.ndarray
) -> dict[str, float]:
    rows = np.flatnonzero(live)
    truth = [set(rows[np.argsort(-(vectors[rows] @ q))[:10]].tolist()) for q in queries]
    masked = graph.alive(live)
    started = time.perf_counter()
    rebuilt = DenseIndex.build(vectors[rows], np.arange(len(rows), dtype=np.int32), exact_up_to=0)
    rebuild_s = time.perf_counter() - started
    found: dict[str, list[float]] = {"masked": [], "rebuilt": []}
    recall: dict[str, int] = {"masked": 0, "rebuilt": 0}
    for q, expected in zip(queries, truth, strict=True):
        for name, index, ids in (("masked", masked, None), ("rebuilt", rebuilt, rows)):
            started = time.perf_counter()
            result = index.search(q, 10).ids
            found[name].append(time.perf_counter() - started)
            got = result if ids is None else ids[result]
            recall[name] += len(set(got.tolist()) & expected)
    out = {"rebuild_s": rebuild_s}
    for name in found:
        out[f"{name} median"], out[f"{name} p95"] = median_p95(found[name])
        out[f"{name} recall"] = recall[name] / (10 * len(queries))
    return out


def lexical_row(
    index: LexicalIndex, queries: list[list[str]], live: np.ndarray
) -> dict[str, float]:
    rows = np.flatnonzero(live).astype(np.int64)
    started = time.perf_counter()
    selected = LexicalIndex(index.postings.select(rows))
    select_s = time.perf_counter() - started
    masked = LexicalIndex(index.postings, corpus=LiveStatistics(selected), live=live)
    for query in queries:  # every term's bound learnt, in both
        masked.search(query, 50)
        selected.search(query, 50)
    times: dict[str, list[float]] = {"masked": [], "rebuilt": []}
    differ = 0
    for query in queries:
        started = time.perf_counter()
        a = masked.search(query, 50)
        between = time.perf_counter()
        b = selected.search(query, 50)
        times["rebuilt"].append(time.perf_counter() - between)
        times["masked"].append(between - started)
        differ += not (
            np.array_equal(a.ids, rows[b.ids]) and np.allclose(a.scores, b.scores, rtol=1e-6)
        )
    out = {"select_s": select_s, "differ": float(differ)}
    for name in times:
        out[f"{name} median"], out[f"{name} p95"] = median_p95(times[name])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=100_000)
    parser.add_argument("--shares", default="0,0.1,0.25,0.4,0.5,0.6,0.75")
    parser.add_argument("--work", type=Path, default=Path("/tmp/seedqa-lexical-speed"))
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="the CMRC benchmark")
    args = parser.parse_args()
    shares = [float(s) for s in args.shares.split(",")]
    rng = np.random.default_rng(0)
    points = clustered(rng, max(1, args.paragraphs // 100), args.paragraphs + QUESTIONS, DIMENSION)
    vectors, queries = points[: args.paragraphs], points[args.paragraphs :]
    started = time.perf_counter()
    graph = DenseIndex.build(vectors, np.arange(args.paragraphs, dtype=np.int32), exact_up_to=0)
    print(f"graph over {args.paragraphs:,} vectors built in {time.perf_counter() - started:.1f} s")
    benchmark = cmrc.load(args.cmrc)
    questions = [str(q["text"]) for q in benchmark.queries[::10]][:QUESTIONS]
    terms = [question_terms(q).terms for q in questions]
    args.work.mkdir(parents=True, exist_ok=True)
    lexical = synthetic_index(benchmark, args.work, args.paragraphs)
    print(
        "\nmilliseconds, median / p95; masked: deleted rows kept and skipped; rewritten: the "
        "segment without them\n"
    )
    print(
        "| deleted | dense masked | recall | dense rewritten | recall | graph rebuilt (s) "
        "| lexical masked | lexical rewritten | postings selected (s) | differing |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for share in shares:
        live = rng.random(args.paragraphs) >= share
        d = dense_row(vectors, queries, graph, live)
        w = lexical_row(lexical, terms, live)
        print(
            f"| {share:.0%} | {d['masked median']:.3f} / {d['masked p95']:.3f} "
            f"| {d['masked recall']:.3f} | {d['rebuilt median']:.3f} / {d['rebuilt p95']:.3f} "
            f"| {d['rebuilt recall']:.3f} | {d['rebuild_s']:.1f} "
            f"| {w['masked median']:.3f} / {w['masked p95']:.3f} "
            f"| {w['rebuilt median']:.3f} / {w['rebuilt p95']:.3f} | {w['select_s']:.1f} "
            f"| {int(w['differ'])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
