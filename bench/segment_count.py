"""Search latency against the number of segments in an index, the paragraphs the same.

    PYTHONPATH=. .venv/bin/python -m bench.segment_count [--size 100000] [--work DIR] [--cmrc DIR]

An index updated a file at a time holds several segments, and every search asks each in turn;
the merge policy (``retrieval.lifecycle.merging``) leaves at most seven a level (a level: the
base-8 digits of a segment's live paragraphs). This measures what those segments cost, at
``--size`` synthetic paragraphs (``bench.synthetic``, 1,000 a seed file) indexed hybrid with the
sentence-mean encoder (``bench.sentencemean``), held three ways:

- **1 segment**: built whole;
- **8 segments**: the first ``size`` - 7,777 paragraphs built whole, then 7 seed files of 1,111
  paragraphs added, one ``build_index`` each;
- **29 segments**: the same big segment, then 7 files of 1,000 paragraphs added, 7 of 100, 7 of
  10 and 7 of 1, one build each: seven segments at each of four levels, the most the policy
  leaves unmerged (the run prints the segments each index really holds).

The added files hold the last 7,777 paragraphs in the same order under one title, and their names
sort after the big segment's, so every index holds the same paragraphs in the same rows: ties
break alike, and a paragraph's id (a hash of its text) is the same in all three.

The sentence-mean encoder cannot embed the calibration's pseudo-questions (stretches of half a
sentence, in no sentence table), so every build judges its dense leg weak and ``seedqa ask``
would answer by words alone. To time the fused path a model that reads the corpus takes, each
index is searched with its calibration's dense counts set to its lexical ones (``trusting``):
both legs searched and weighed alike. The indexes are built as they are, merge policy unpatched.

The three indexes are loaded with ``read_index``, warmed with 20 other CMRC questions, then asked
300 CMRC questions (every tenth) twice, in turn, which index goes first rotating. The first pass
times the answer (``Searcher.ask``, 3 passages as ``seedqa ask``) when the index meets the
question for the first time: each segment then looks up the terms it has not met before. The
second, every term known, times the lexical leg alone (``Searcher.rank`` without a model), the
dense leg alone (``dense.search``), both fused (``Searcher.rank``, top 10) and the answer again;
encoder time excluded. Then, untimed, it counts the questions whose top 10 differ from the
1-segment index's: lexical (ids and scores), dense (with each index's recall@10 against exact
search), fused, fused with the 1-segment index's calibration (an update keeps the calibration
until a tenth of the paragraphs changed, so the segmented indexes fuse with the big segment's),
and the answers' passages. Indexes and their build times are kept in ``--work`` and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench import cmrc, synthetic
from bench.sentencemean import SentenceMeanEncoder, prepare, trusting
from retrieval import Searcher, build_index, read_index
from retrieval.index.dense import DenseIndex
from retrieval.index.store import StoredIndex
from retrieval.search.fusion import DEPTH

QUESTIONS = 300
WARM_UP = 20
PASSAGES = 3
"""Passages an answer shows, as ``seedqa ask`` does by default."""
TAILS: dict[str, tuple[int, ...]] = {
    "8": (1111,) * 7,
    "29": (1000,) * 7 + (100,) * 7 + (10,) * 7 + (1,) * 7,
}
"""The paragraphs of each file added to the big segment, in the order added."""
TAIL = sum(TAILS["29"])
assert sum(TAILS["8"]) == TAIL
LEGS = ("new", "lexical", "dense", "rank", "answer")


def ms(seconds: Sequence[float]) -> tuple[float, float]:
    """Median and p95 in milliseconds."""
    values = sorted(s * 1000 for s in seconds)
    return statistics.median(values), values[int(0.95 * (len(values) - 1))]


def lay_out(corpus: Path, work: Path, size: int) -> tuple[Path, dict[str, Path]]:
    """The big segment's seed files, and each layout's added files (named in the order added)."""
    big, tails = work / f"big-{size}", {name: work / f"tail-{name}-{size}" for name in TAILS}
    if (big / ".complete").exists():
        return big, tails
    files = sorted(corpus.glob("*.md"))
    read = [f.read_text(encoding="utf-8").rstrip("\n").split("\n\n") for f in files]
    titled: dict[str, str] = {}  # each text once, as a build stores it
    for part in read:
        for text in part[1:]:
            titled.setdefault(text, part[0].removeprefix("# "))
    texts = [(title, text) for text, title in titled.items()]
    head, tail = texts[: len(texts) - TAIL], [text for _, text in texts[len(texts) - TAIL :]]
    title = texts[-1][0]
    for folder in (big, *tails.values()):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for number, at in enumerate(range(0, len(head), synthetic.PER_FILE)):
        batch = head[at : at + synthetic.PER_FILE]
        _write(big / f"b{number:05d}.md", batch[0][0], [text for _, text in batch])
    for name, sizes in TAILS.items():
        at = 0
        for number, count in enumerate(sizes, 1):
            _write(tails[name] / f"t{number:02d}.md", title, tail[at : at + count])
            at += count
    (big / ".complete").touch()
    return big, tails


def _write(path: Path, title: str, paragraphs: list[str]) -> None:
    path.write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _copy_seeds(source: Path, into: Path) -> None:
    shutil.copytree(source, into, ignore=shutil.ignore_patterns(".complete"), dirs_exist_ok=True)


def build_all(
    work: Path, size: int, big: Path, tails: dict[str, Path], encoder: SentenceMeanEncoder
) -> dict[str, dict[str, Any]]:
    """Each index's folder and how it was built (seconds), built unless a run before did."""
    built: dict[str, dict[str, Any]] = {}
    big_root = work / f"index-big-{size}"
    record = work / f"index-big-{size}.json"
    if not record.exists():
        shutil.rmtree(big_root, ignore_errors=True)
        started = time.perf_counter()
        build_index(big, big_root, encoder, encoder.name)
        record.write_text(json.dumps({"whole_s": time.perf_counter() - started}))
    big_s = float(json.loads(record.read_text())["whole_s"])
    for name in ("1", *TAILS):
        root, seeds = work / f"index-{name}-{size}", work / f"seeds-{name}-{size}"
        record = work / f"index-{name}-{size}.json"
        if not record.exists():
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(seeds, ignore_errors=True)
            _copy_seeds(big, seeds)
            if name == "1":
                _copy_seeds(tails["29"], seeds)
                started = time.perf_counter()
                build_index(seeds, root, encoder, encoder.name)
                figures: dict[str, Any] = {"whole_s": time.perf_counter() - started}
            else:
                shutil.copytree(big_root, root)
                updates = []
                for added in sorted(tails[name].glob("*.md")):
                    shutil.copy(added, seeds / added.name)
                    started = time.perf_counter()
                    report = build_index(seeds, root, encoder, encoder.name)
                    updates.append(time.perf_counter() - started)
                    if report.notes:
                        print(f"  {name}: {added.name}: {'; '.join(report.notes)}", flush=True)
                figures = {"big_s": big_s, "updates_s": updates}
            record.write_text(json.dumps(figures))
        built[name] = {"root": root, **json.loads(record.read_text())}
    return built


def sizes_of(index: StoredIndex) -> str:
    """The segments' paragraph counts, runs of one size written once: ``92,223 + 7 x 1,000``."""
    counts = [s.live for s in index.manifest.segments] or [index.manifest.paragraphs]
    runs: list[list[int]] = []
    for count in counts:
        if runs and runs[-1][0] == count:
            runs[-1][1] += 1
        else:
            runs.append([count, 1])
    return " + ".join(f"{n} x {c:,}" if n > 1 else f"{c:,}" for c, n in runs)


def exact_rows(index: StoredIndex, vectors: np.ndarray, k: int) -> list[list[int]]:
    """The rows of each query's ``k`` nearest paragraphs by exact search over every window."""
    assert index.dense is not None
    windows = np.asarray(index.dense.vectors)
    exact = DenseIndex.build(windows, np.asarray(index.dense.owners), exact_up_to=len(windows))
    return [exact.search(v, k).ids.tolist() for v in vectors]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/segcount"))
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="the CMRC 2018 dev folder")
    args = parser.parse_args(argv)
    if args.size < TAIL + 8**4:
        parser.error(f"--size must be at least {TAIL + 8**4:,}: the big segment a level above")
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    benchmark = cmrc.load(args.cmrc)
    pool = synthetic.sentences(benchmark)
    table = prepare(work, pool, [str(q["text"]) for q in benchmark.queries])
    encoder = SentenceMeanEncoder(table)
    near = synthetic.nearest(encoder.encode_passages(pool))
    corpus = synthetic.write_corpus(work / f"corpus-{args.size}", args.size, pool, near)
    big, tails = lay_out(corpus, work, args.size)
    built = build_all(work, args.size, big, tails, encoder)

    asked = [str(q["text"]) for q in benchmark.queries[::10]][:QUESTIONS]
    others = [str(q["text"]) for q in benchmark.queries[5::10]][:WARM_UP]
    vectors = encoder.encode_queries(asked)
    names = list(built)
    indexes = {name: read_index(built[name]["root"]) for name in names}
    lexical = {name: Searcher(index) for name, index in indexes.items()}
    hybrid = {name: Searcher(trusting(index), encoder) for name, index in indexes.items()}
    dense = {}
    for name, index in indexes.items():
        assert index.dense is not None and hybrid[name].mode == "hybrid"
        dense[name] = index.dense
    for question, vector in zip(others, encoder.encode_queries(others), strict=True):
        for name in names:  # jieba's dictionary, first page faults, each term's bound
            lexical[name].rank(question)
            dense[name].search(vector, DEPTH)
            hybrid[name].rank(question)
            hybrid[name].ask(question, k=PASSAGES)
    load_before = os.getloadavg()
    times: dict[str, dict[str, list[float]]] = {n: {leg: [] for leg in LEGS} for n in names}
    for i, (question, vector) in enumerate([*zip(asked, vectors, strict=True)] * 2):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            timed: dict[str, Callable[[], object]] = {
                "new": partial(hybrid[name].ask, question, k=PASSAGES),
            }
            if i >= len(asked):  # the second pass: every term of the question met before
                timed = {
                    "lexical": partial(lexical[name].rank, question),
                    "dense": partial(dense[name].search, vector, DEPTH),
                    "rank": partial(hybrid[name].rank, question),
                    "answer": partial(hybrid[name].ask, question, k=PASSAGES),
                }
            for leg, run in timed.items():
                before = encoder.seconds
                started = time.perf_counter()
                run()
                times[name][leg].append(time.perf_counter() - started - (encoder.seconds - before))
    load_after = os.getloadavg()

    one = indexes["1"]
    calibrated = {
        name: Searcher(trusting(index, one.manifest.calibration), encoder)
        for name, index in indexes.items()
    }
    truth = exact_rows(one, vectors, 10)
    ids = one.paragraphs.ids
    found: dict[str, dict[str, list[list[str]]]] = {name: {} for name in names}
    scores: dict[str, list[np.ndarray]] = {}
    for name in names:
        rows = indexes[name].paragraphs.ids
        scored = [lexical[name].scored(q, DEPTH)[:10] for q in asked]
        found[name]["lexical"] = [[hit[0] for hit in hits] for hits in scored]
        scores[name] = [np.array([hit[1] for hit in hits]) for hits in scored]
        found[name]["dense"] = [
            [i.decode("ascii") for i in rows[dense[name].search(v, 10).ids].tolist()]
            for v in vectors
        ]
        found[name]["rank"] = [hybrid[name].rank(q) for q in asked]
        found[name]["calibrated"] = [calibrated[name].rank(q) for q in asked]
        found[name]["calibrated answer"] = [
            [hit.paragraph.id for hit in calibrated[name].ask(q, k=PASSAGES).hits] for q in asked
        ]
        found[name]["answer"] = [
            [hit.paragraph.id for hit in hybrid[name].ask(q, k=PASSAGES).hits] for q in asked
        ]
    same_ids = all(np.array_equal(indexes[name].paragraphs.ids, ids) for name in names)

    print(f"\n{args.size:,} paragraphs, {len(asked)} CMRC questions; each index's segments:\n")
    for name in names:
        index = indexes[name]
        exact = sum(part.dense is not None and part.dense.exact for part in index.parts)
        print(
            f"- {len(index.parts)} segment{'s' * (len(index.parts) > 1)}: {sizes_of(index)}; "
            f"{len(dense[name]):,} windows; dense leg exact in {exact}, "
            f"HNSW in {len(index.parts) - exact}"
        )
    print(f"\nrows the same paragraphs in every index: {same_ids}")
    print(f"load average before / after the timed pass: {load_before[0]:.2f} / {load_after[0]:.2f}")
    print("\nmilliseconds, median / p95, encoder excluded\n")
    print(
        "| segments | answer, first pass | lexical leg | dense leg | rank (fused) | answer (k=3) "
        "| first pass / 1 segment | rank / 1 segment | answer / 1 segment |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    base = {leg: ms(times["1"][leg])[0] for leg in LEGS}
    for name in names:
        legs = {leg: ms(times[name][leg]) for leg in LEGS}
        cells = " | ".join(f"{m:.2f} / {p:.2f}" for m, p in legs.values())
        ratios = " | ".join(
            f"{legs[leg][0] / base[leg]:.2f} x" for leg in ("new", "rank", "answer")
        )
        print(f"| {len(indexes[name].parts)} | {cells} | {ratios} |")
    print(
        "\nquestions whose top 10 differ from the 1-segment index's (of "
        f"{len(asked)}), and the dense leg's recall@10 against exact search\n"
    )
    print(
        "| segments | lexical | lexical scores, largest relative difference | dense "
        "| dense recall@10 | fused (as sets) | fused, 1-segment calibration (as sets) "
        "| answer's passages | answer's passages, 1-segment calibration |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        pairs = {
            key: list(zip(found[name][key], found["1"][key], strict=True)) for key in found[name]
        }
        differ = {key: sum(a != b for a, b in pair) for key, pair in pairs.items()}
        as_sets = {key: sum(set(a) != set(b) for a, b in pair) for key, pair in pairs.items()}
        recall = sum(
            len(set(got) & {ids[row].decode("ascii") for row in want})
            for got, want in zip(found[name]["dense"], truth, strict=True)
        ) / (10 * len(asked))
        drift = max(
            float(np.max(np.abs(a - b) / np.abs(b), initial=0.0))
            for a, b in zip(scores[name], scores["1"], strict=True)
            if len(a) == len(b)
        )
        print(
            f"| {len(indexes[name].parts)} | {differ['lexical']} | {drift:.1e} | {differ['dense']} "
            f"| {recall:.3f} | {differ['rank']} ({as_sets['rank']}) "
            f"| {differ['calibrated']} ({as_sets['calibrated']}) | {differ['answer']} "
            f"| {differ['calibrated answer']} |"
        )
    print("\ncalibration as built (paragraphs measured on, changed since, lexical, dense first):")
    for name in names:
        c = indexes[name].manifest.calibration
        assert c is not None
        print(
            f"- {len(indexes[name].parts)}: {c.paragraphs:,}, {c.since:,}, "
            f"{c.lexical_first:.3f}, {c.dense_first:.3f}, weak: {c.dense_weak}"
        )
    print("\n| index | built | seconds |\n|---|---|---|")
    for name in names:
        figures = built[name]
        if "whole_s" in figures:
            print(f"| {name} segment | whole | {figures['whole_s']:.1f} |")
        else:
            updates = figures["updates_s"]
            print(
                f"| {name} segments | big segment whole, then {len(updates)} updates "
                f"(median {statistics.median(updates):.1f} s) "
                f"| {figures['big_s']:.1f} + {sum(updates):.1f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
