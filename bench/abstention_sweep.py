"""How the abstention thresholds of retrieval.search.searcher trade answers for silence.

The decision to answer: some candidate holds ``COVERAGE_FLOOR`` of the question's IDF mass, and
under ``UNKNOWN_GROUPS`` of the question's groups are in no paragraph at all. For each candidate
floor, with the groups rule and without it: the share of the labelled unanswerable questions
abstained on, the share of answerable ones wrongly abstained on, and the accuracy of the decision,
over the project's question sets on the seed (``tests/data/seed_questions*.jsonl``: 102
answerable, 132 unanswerable); and the false abstention over the 3,219 CMRC 2018 dev questions
(all answerable). Then, once a question is answered, what ``LATER_FLOOR`` (the coverage the
passages after the first must hold, and ``LATER_SHARE``, the share of the first passage's
coverage they must hold) costs in R@5 of what ``ask -k 10`` shows on CMRC and on the project's
sets, how many passages it shows, and how many of them lack the answer (on the project's sets).
Lexical mode, since the thresholds apply to the lexical evidence.

    .venv/bin/python -m bench.abstention_sweep [--cmrc DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import cmrc
from retrieval import Searcher, build_index, read_index
from retrieval.search.evaluation import load_questions
from retrieval.search.fusion import DEPTH
from retrieval.search.question import clean_question
from retrieval.search.searcher import COVERAGE_FLOOR, LATER_FLOOR, LATER_SHARE, UNKNOWN_GROUPS
from retrieval.text.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent

GRID = [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
LATER = [0.0, 0.1, 0.15, 0.2, 0.3]
SHARES = [0.0, 0.3, 0.4, 0.5, 0.6]


@dataclass(frozen=True)
class Seen:
    """What the decision needs of one question: the candidates' rows and coverage, best first."""

    rows: list[int]
    coverage: list[float]
    unknown: float

    def answers(self, floor: float, groups: bool) -> bool:
        by_groups = not groups or self.unknown < UNKNOWN_GROUPS
        return by_groups and any(c >= floor for c in self.coverage)

    def shown(self, later: float, share: float) -> list[int]:
        """The rows ``ask -k 10`` shows with these floors for the passages after the first."""
        if not self.answers(COVERAGE_FLOOR, True):
            return []
        first = next(i for i, c in enumerate(self.coverage) if c >= COVERAGE_FLOOR)
        bar = max(later, share * self.coverage[first])
        rest = [
            row
            for i, (row, c) in enumerate(zip(self.rows, self.coverage, strict=True))
            if c >= bar and i != first
        ]
        return [self.rows[first], *rest[:9]]


def seen(searcher: Searcher, question: str) -> Seen:
    question = clean_question(question)
    query, _, candidates = searcher._ranked(question, DEPTH, abstain=False)
    _, evidence = searcher._counted(query)
    return Seen([c.row for c in candidates], [c.coverage for c in candidates], evidence.unknown)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="CMRC 2018 dev folder")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="seedqa-sweep-"))

    build_index(ROOT / "seeds", scratch / "seed-index", None, None)
    seed = Searcher(read_index(scratch / "seed-index"))
    labelled = [
        q
        for path in sorted((ROOT / "tests" / "data").glob("seed_questions*.jsonl"))
        for q in load_questions(path)
    ]
    answerable = [seen(seed, q.question) for q in labelled if q.answer is not None]
    unanswerable = [seen(seed, q.question) for q in labelled if q.answer is None]

    benchmark = cmrc.load(args.cmrc)
    build_index(cmrc.write_seeds(benchmark, scratch / "cmrc"), scratch / "cmrc-index", None, None)
    searcher = Searcher(read_index(scratch / "cmrc-index"))
    table = searcher.index.paragraphs
    file_of = [{Path(s.path).stem for s in table[row].sources} for row in range(len(table))]
    cmrc_seen = [seen(searcher, str(q["text"])) for q in benchmark.queries]
    golds = [set(q["gold"]) for q in benchmark.queries]  # type: ignore[arg-type]

    print(
        f"seed sets: {len(answerable)} answerable, {len(unanswerable)} unanswerable; "
        f"CMRC: {len(cmrc_seen)} answerable; groups rule: UNKNOWN_GROUPS = {UNKNOWN_GROUPS}"
    )
    print()
    print(
        "| floor | groups rule | abstains on unanswerable (seed) | false abstention (seed) | "
        "accuracy (seed) | false abstention (CMRC) |"
    )
    print("|---|---|---|---|---|---|")
    for floor in GRID:
        for groups in (False, True):
            abstained = sum(not s.answers(floor, groups) for s in unanswerable)
            wrongly = sum(not s.answers(floor, groups) for s in answerable)
            accuracy = (abstained + len(answerable) - wrongly) / (
                len(answerable) + len(unanswerable)
            )
            false_cmrc = sum(not s.answers(floor, groups) for s in cmrc_seen) / len(cmrc_seen)
            mark = " ← in use" if floor == COVERAGE_FLOOR and groups else ""
            print(
                f"| {floor:.2f}{mark} | {'yes' if groups else 'no'} | "
                f"{abstained / len(unanswerable):.3f} | {wrongly / len(answerable):.3f} | "
                f"{accuracy:.3f} | {false_cmrc:.3f} |"
            )
    print()
    print(
        "| later floor | share of the first's | shown R@5 (CMRC) | passages shown (CMRC) "
        "| shown R@5 (seed) | passages shown (seed) | of them without the answer (seed) |"
    )
    print("|---|---|---|---|---|---|---|")
    texts = [
        normalize(seed.index.paragraphs[row].text) for row in range(len(seed.index.paragraphs))
    ]
    answers = [normalize(q.answer) for q in labelled if q.answer is not None]
    for later in LATER:
        for share in SHARES:
            found = count = 0
            for s, gold in zip(cmrc_seen, golds, strict=True):
                shown = s.shown(later, share)
                count += len(shown)
                found += any(file_of[row] & gold for row in shown[:5])
            seed_found = seed_count = seed_without = 0
            for s, answer in zip(answerable, answers, strict=True):
                shown = s.shown(later, share)
                seed_count += len(shown)
                seed_found += any(answer in texts[row] for row in shown[:5])
                seed_without += sum(answer not in texts[row] for row in shown)
            mark = " ← in use" if (later, share) == (LATER_FLOOR, LATER_SHARE) else ""
            n, m = len(cmrc_seen), len(answerable)
            print(
                f"| {later:.2f}{mark} | {share:.1f} | {found / n:.4f} | {count / n:.2f} "
                f"| {seed_found / m:.3f} | {seed_count / m:.2f} | {seed_without / m:.2f} |"
            )
    print()
    print("unanswerable questions answered with the thresholds in use:")
    for item, s in zip([q for q in labelled if q.answer is None], unanswerable, strict=True):
        if s.answers(COVERAGE_FLOOR, True):
            print(f"  {max(s.coverage):.2f}  {item.question}")
    print("answerable questions abstained on:")
    for item, s in zip([q for q in labelled if q.answer is not None], answerable, strict=True):
        if not s.answers(COVERAGE_FLOOR, True):
            print(f"  {max(s.coverage, default=0):.2f}  {item.question}")


if __name__ == "__main__":
    main()
