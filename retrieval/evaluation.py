"""Measuring answers against a labelled question set: recall, MRR, highlights, abstention, latency.

A question file has one JSON object a line: ``{"question": str, "answer": str}`` — a passage is
right when it contains the answer text — or ``{"question": str, "unanswerable": true}``. Recall,
MRR and highlight figures are shares of the answerable questions, as a user sees them: a question
wrongly abstained on counts as missed.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SeedQAError
from .normalize import normalize
from .search import Answer

__all__ = ["EvalQuestion", "EvalReport", "Miss", "evaluate", "load_questions"]

DEPTH = 10
"""Passages asked for per question: enough for R@5 and MRR@10."""


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """A labelled question: the answer text it needs, or none when it is unanswerable."""

    question: str
    answer: str | None


@dataclass(frozen=True, slots=True)
class Miss:
    """A question answered wrongly: the answer not in the first passage, or answered at all."""

    question: str
    answer: str | None
    rank: int | None
    """Where the answer was found (1-based), if in the first ten."""
    first: str | None
    """The start of the passage that came first instead (None: abstained)."""


@dataclass(frozen=True, slots=True)
class EvalReport:
    """The figures of one evaluation run."""

    n: int
    answerable: int
    unanswerable: int
    recall: dict[int, float]
    mrr: float
    highlight: float
    abstention: float | None
    false_abstention: float | None
    latency_ms: dict[str, float]
    misses: list[Miss] = field(default_factory=list)


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a question file; raises SeedQAError naming the first bad line."""
    questions = []
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise SeedQAError(f"Cannot read {path}: {error}") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question = item["question"]
            answer = None if item.get("unanswerable") else item["answer"]
            if not isinstance(question, str) or not (answer is None or isinstance(answer, str)):
                raise TypeError("question and answer must be strings")
        except (ValueError, KeyError, TypeError) as error:
            raise SeedQAError(
                f'{path}:{number}: expected {{"question": …, "answer": …}} or '
                f'{{"question": …, "unanswerable": true}} ({error})'
            ) from error
        questions.append(EvalQuestion(question, answer))
    if not questions:
        raise SeedQAError(f"{path} holds no questions.")
    return questions


def _contains(text: str, answer: str) -> bool:
    return answer in text or normalize(answer) in normalize(text)


def evaluate(ask: Callable[[str, int], Answer], questions: Iterable[EvalQuestion]) -> EvalReport:
    """Ask every question (``ask(question, k)``) and measure the answers."""
    found_at: list[int | None] = []
    highlights = 0
    abstained_right = 0
    wrongly_abstained = 0
    latencies: list[float] = []
    misses: list[Miss] = []
    answerable = unanswerable = 0
    for item in questions:
        started = time.perf_counter()
        answer = ask(item.question, DEPTH)
        latencies.append((time.perf_counter() - started) * 1000)
        first = answer.hits[0].paragraph.text[:60] if answer.hits else None
        if item.answer is None:
            unanswerable += 1
            if answer.abstained:
                abstained_right += 1
            else:
                misses.append(Miss(item.question, None, None, first))
            continue
        answerable += 1
        wrongly_abstained += answer.abstained
        rank = next(
            (hit.rank for hit in answer.hits if _contains(hit.paragraph.text, item.answer)), None
        )
        found_at.append(rank)
        if rank == 1 and _contains(answer.hits[0].highlight_text, item.answer):
            highlights += 1
        if rank != 1:
            misses.append(Miss(item.question, item.answer, rank, first))
    share = (lambda count: count / answerable) if answerable else (lambda count: 0.0)
    ordered = sorted(latencies)
    return EvalReport(
        n=answerable + unanswerable,
        answerable=answerable,
        unanswerable=unanswerable,
        recall={k: share(sum(1 for r in found_at if r is not None and r <= k)) for k in (1, 3, 5)},
        mrr=share(sum(1 / r for r in found_at if r is not None and r <= DEPTH)),
        highlight=share(highlights),
        abstention=abstained_right / unanswerable if unanswerable else None,
        false_abstention=wrongly_abstained / answerable if answerable else None,
        latency_ms={
            "median": statistics.median(ordered) if ordered else 0.0,
            "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0,
        },
        misses=misses,
    )
