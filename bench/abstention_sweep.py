"""How the abstention threshold (``COVERAGE_FLOOR`` in retrieval/search) trades answers for silence.

For each candidate threshold: the share of the labelled unanswerable questions abstained on, the
share of answerable ones wrongly abstained on, and the accuracy of the answer/abstain decision
over the project's question set on the seed (tests/data/seed_questions.jsonl); and the false
abstention over the 3,219 CMRC 2018 dev questions (all answerable). Lexical mode, since the
threshold applies to the lexical evidence.

    .venv/bin/python -m bench.abstention_sweep
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import cmrc
from retrieval import Searcher, build_index, read_index
from retrieval.search.evaluation import load_questions
from retrieval.search.searcher import COVERAGE_FLOOR

ROOT = Path(__file__).resolve().parent.parent

GRID = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]


def top_coverage(searcher: Searcher, questions: list[str]) -> list[float]:
    """The coverage of the best-ranked paragraph of each question (0 when none matches)."""
    values = []
    for question in questions:
        hits = searcher.ask(question, k=1, abstain=False).hits if question.strip("-") else ()
        values.append(hits[0].coverage if hits else 0.0)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="CMRC 2018 dev folder")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="seedqa-sweep-"))

    build_index(ROOT / "seeds", scratch / "seed-index", None, None)
    seed = Searcher(read_index(scratch / "seed-index"))
    labelled = load_questions(ROOT / "tests" / "data" / "seed_questions.jsonl")
    answerable = top_coverage(seed, [q.question for q in labelled if q.answer is not None])
    unanswerable = top_coverage(seed, [q.question for q in labelled if q.answer is None])

    benchmark = cmrc.load(args.cmrc)
    build_index(cmrc.write_seeds(benchmark, scratch / "cmrc"), scratch / "cmrc-index", None, None)
    cmrc_searcher = Searcher(read_index(scratch / "cmrc-index"))
    cmrc_cov = top_coverage(cmrc_searcher, [str(q["text"]) for q in benchmark.queries])

    print(
        f"seed set: {len(answerable)} answerable, {len(unanswerable)} unanswerable; "
        f"CMRC: {len(cmrc_cov)} answerable"
    )
    print()
    print(
        "| threshold | abstains on unanswerable (seed) | false abstention (seed) | "
        "accuracy (seed) | false abstention (CMRC) |"
    )
    print("|---|---|---|---|---|")
    for threshold in GRID:
        abstained = sum(c < threshold for c in unanswerable)
        wrongly = sum(c < threshold for c in answerable)
        accuracy = (abstained + len(answerable) - wrongly) / (len(answerable) + len(unanswerable))
        false_cmrc = sum(c < threshold for c in cmrc_cov) / len(cmrc_cov)
        mark = " ← in use" if threshold == COVERAGE_FLOOR else ""
        print(
            f"| {threshold:.2f}{mark} | {abstained / len(unanswerable):.3f} | "
            f"{wrongly / len(answerable):.3f} | {accuracy:.3f} | {false_cmrc:.3f} |"
        )
    print()
    print("unanswerable questions answered at the threshold in use:")
    for question, coverage in zip(
        [q.question for q in labelled if q.answer is None], unanswerable, strict=True
    ):
        if coverage >= COVERAGE_FLOOR:
            print(f"  {coverage:.2f}  {question}")


if __name__ == "__main__":
    main()
