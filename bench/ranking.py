"""seedqa's answers on its own labelled sets and on CMRC (simplified and traditional), side by side.

For each source tree given (this checkout by default; ``--against REV`` adds a git revision,
checked out into a scratch worktree), one subprocess builds lexical indexes of ./seeds, of CMRC
2018 dev and of its traditional conversion (``bench/traditional.py``), then answers:

- the project's labelled sets (``tests/data/seed_*.jsonl``): recall@1/@5, highlight@1,
  abstention, false abstention, as ``seedqa eval`` measures them;
- CMRC and CMRC-traditional: R@1/@5/@10 and MRR@10 of the ranking (``Searcher.rank``), R@5 of
  what ``ask -k 10`` shows (abstention included) and its false abstention, the median and 95th
  percentile of ``ask``'s latency (every 5th question), and the lexical index's size on disk.

The trees run one after another in the same invocation, on the same machine.

    .venv/bin/python -m bench.ranking [--against REV] [--cmrc DIR] [--traditional DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import cmrc, traditional

ROOT = Path(__file__).resolve().parent.parent

LATENCY_SAMPLE = 5
"""``ask`` is timed on every LATENCY_SAMPLE-th question."""


def child(tree: Path, cmrc_dir: Path, traditional_dir: Path) -> dict[str, Any]:
    """Everything measured for the source tree on ``sys.path`` (run in a subprocess)."""
    from retrieval import Searcher, build_index, read_index
    from retrieval.search.evaluation import evaluate, load_questions

    scratch = Path(tempfile.mkdtemp(prefix="seedqa-ranking-"))
    result: dict[str, Any] = {}
    build_index(ROOT / "seeds", scratch / "seed-index", None, None)
    seed = Searcher(read_index(scratch / "seed-index"))
    for path in sorted((ROOT / "tests" / "data").glob("seed_*.jsonl")):
        report = evaluate(lambda q, k: seed.ask(q, k), load_questions(path))
        result[path.stem] = report.figures()
    for name, folder in (("cmrc", cmrc_dir), ("cmrc-traditional", traditional_dir)):
        if not (folder / "corpus.jsonl").is_file():
            continue
        benchmark = cmrc.load(folder)
        seeds = cmrc.write_seeds(benchmark, scratch / name)
        build_index(seeds, scratch / f"{name}-index", None, None)
        index = read_index(scratch / f"{name}-index")
        searcher = Searcher(index)
        result[name] = _cmrc(searcher, benchmark, index.folder)
    return result


def _cmrc(searcher: Any, benchmark: cmrc.Benchmark, folder: Path) -> dict[str, Any]:
    table = searcher.index.paragraphs
    file_of = {
        table[row].id: {Path(s.path).stem for s in table[row].sources} for row in range(len(table))
    }
    ranks: list[int | None] = []
    shown: list[int | None] = []
    abstained = 0
    latencies: list[float] = []
    for number, query in enumerate(benchmark.queries):
        question, gold = str(query["text"]), set(query["gold"])  # type: ignore[arg-type]
        ranked = [file_of[i] for i in searcher.rank(question, 10)]
        ranks.append(next((r for r, f in enumerate(ranked, 1) if f & gold), None))
        started = time.perf_counter()
        answer = searcher.ask(question, 10)
        if number % LATENCY_SAMPLE == 0:
            latencies.append((time.perf_counter() - started) * 1000)
        abstained += answer.abstained
        hits = [{Path(s.path).stem for s in h.paragraph.sources} for h in answer.hits]
        shown.append(next((r for r, f in enumerate(hits, 1) if f & gold), None))
    n = len(ranks)
    recall = lambda found, k: sum(1 for r in found if r is not None and r <= k) / n  # noqa: E731
    latencies.sort()
    return {
        "R@1": recall(ranks, 1),
        "R@5": recall(ranks, 5),
        "R@10": recall(ranks, 10),
        "MRR@10": sum(1 / r for r in ranks if r is not None) / n,
        "shown R@5": recall(shown, 5),
        "false abstention": abstained / n,
        "ask median ms": statistics.median(latencies),
        "ask p95 ms": latencies[int(0.95 * (len(latencies) - 1))],
        "lexical MB": sum(p.stat().st_size for p in folder.glob("lexical.*")) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--against", action="append", default=[], help="a git revision")
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT)
    parser.add_argument("--traditional", type=Path, default=traditional.DEFAULT)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(args.child))
        print(json.dumps(child(args.child, args.cmrc, args.traditional)))
        return
    if not (args.traditional / "corpus.jsonl").is_file():
        traditional.convert(args.cmrc, args.traditional)
    trees = {"this checkout": ROOT}
    scratch = Path(tempfile.mkdtemp(prefix="seedqa-trees-"))
    for rev in args.against:
        tree = scratch / rev.replace("/", "_")
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
            check=True,
            capture_output=True,
        )
        trees[rev] = tree
    results = {}
    try:
        for name, tree in trees.items():
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(tree),
                    "--cmrc",
                    str(args.cmrc),
                    "--traditional",
                    str(args.traditional),
                ],
                check=True,
                stdout=subprocess.PIPE,  # a child's errors reach the terminal
                text=True,
                # bench from this checkout; the child puts the tree first for retrieval.
                env={"PYTHONPATH": str(ROOT)},
            ).stdout
            results[name] = json.loads(out.strip().splitlines()[-1])
    finally:
        for rev in args.against:
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "remove",
                    "--force",
                    str(scratch / rev.replace("/", "_")),
                ],
                check=False,
            )
    sets = sorted({s for r in results.values() for s in r})
    for name in sets:
        columns = sorted(
            {k for r in results.values() for k in r.get(name, {})},
            key=lambda k: (
                list(next(r[name] for r in results.values() if name in r)).index(k)
                if any(k in r.get(name, {}) for r in results.values())
                else 0
            ),
        )
        print(f"\n{name}\n")
        print("| tree | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for tree, result in results.items():
            row = result.get(name, {})
            cells = [_cell(row.get(c)) for c in columns]
            print(f"| {tree} | " + " | ".join(cells) + " |")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
