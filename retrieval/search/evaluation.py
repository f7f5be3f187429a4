"""Measuring answers against a labelled question set: recall, MRR, highlights, abstention, latency.

A question file has one JSON object a line: ``{"question": str, "answer": str}`` — a passage is
right when it contains the answer text — or ``{"question": str, "unanswerable": true}``. Recall,
MRR and highlight figures are shares of the answerable questions, as a user sees them: a question
wrongly abstained on counts as missed.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import QuestionError, SeedQAError
from ..ingest.paragraphs import Source
from ..text.normalize import normalize
from .question import clean_question
from .searcher import Answer, Hit

__all__ = [
    "HIGHER_IS_WORSE",
    "SNIPPET",
    "EvalQuestion",
    "EvalReport",
    "Miss",
    "evaluate",
    "load_questions",
]

DEPTH = 10
"""Passages asked for per question: enough for R@5 and MRR@10."""
SNIPPET = 60
"""Characters of the passage that came first that a miss keeps."""
HIGHER_IS_WORSE = frozenset({"false_abstention"})
"""The figures (keys of :meth:`EvalReport.figures`) where a rise is a regression."""


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """A labelled question: the answer text it needs, or none when it is unanswerable."""

    question: str
    answer: str | None


@dataclass(frozen=True, slots=True)
class Miss:
    """A question answered wrongly: the answer not in the first passage (or not in its picked-out
    sentence), or an unanswerable question answered at all."""

    question: str
    answer: str | None
    rank: int | None
    """Where the answer was found (1-based), if in the first ten."""
    first: str | None
    """The start of the passage that came first instead (None: abstained)."""
    first_source: Source | None = None
    """Where that passage stands."""
    highlight: str | None = None
    """The sentence picked out of the first passage, when that passage holds the answer but the
    sentence does not (a highlight miss, ``rank`` 1)."""


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

    def figures(self) -> dict[str, float | None]:
        """The quality figures by their public names; None where no question measures one."""
        answered = self.answerable > 0
        return {
            "recall@1": self.recall[1] if answered else None,
            "recall@3": self.recall[3] if answered else None,
            "recall@5": self.recall[5] if answered else None,
            "mrr@10": self.mrr if answered else None,
            "highlight@1": self.highlight if answered else None,
            "abstention": self.abstention,
            "false_abstention": self.false_abstention,
        }


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a question file; raises SeedQAError naming the first bad line and what it should be."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SeedQAError(f"Cannot read the question file {path}: {reason}.") from error
    questions = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                questions.append(_question(line))
            except (ValueError, QuestionError) as error:
                raise SeedQAError(
                    f"{path}:{number}: {str(error).rstrip('.')}. Each line must be "
                    '{"question": "…", "answer": "…"} or {"question": "…", "unanswerable": true}.'
                ) from error
    if not questions:
        raise SeedQAError(f"{path} holds no questions: write one JSON object a line.")
    return questions


def _question(line: str) -> EvalQuestion:
    """One line of a question file; ValueError (or QuestionError) says what is wrong with it."""
    item = json.loads(line)
    if not isinstance(item, dict):
        raise ValueError("not a JSON object")
    question, answer = item.get("question"), item.get("answer")
    if not isinstance(question, str):
        raise ValueError('no "question" string')
    clean_question(question)
    if item.get("unanswerable") is True:
        if answer is not None:
            raise ValueError('both "answer" and "unanswerable": true')
        return EvalQuestion(question, None)
    if not isinstance(answer, str) or not answer.strip():
        raise ValueError('no "answer" string and no "unanswerable": true')
    return EvalQuestion(question, answer)


def _shown(hit: Hit) -> str:
    """What a passage shows: its paragraph, under its byline when that is shown (asked for)."""
    return f"{hit.byline}\n{hit.paragraph.text}" if hit.byline else hit.paragraph.text


def _contains(text: str, answer: str) -> bool:
    return answer in text or normalize(answer) in normalize(text)


def evaluate(
    ask: Callable[[str, int], Answer],
    questions: Iterable[EvalQuestion],
    observe: Callable[[EvalQuestion, Answer], None] | None = None,
) -> EvalReport:
    """Ask every question (``ask(question, k)``) and measure the answers.

    ``observe`` sees each question and its answer after it is timed (to measure more, such as
    generated answers, without asking twice).
    """
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
        if observe is not None:
            observe(item, answer)
        top = answer.hits[0] if answer.hits else None
        first = top.paragraph.text[:SNIPPET] if top else None
        where = top.source if top else None
        if item.answer is None:
            unanswerable += 1
            if answer.abstained:
                abstained_right += 1
            else:
                misses.append(Miss(item.question, None, None, first, where))
            continue
        answerable += 1
        wrongly_abstained += answer.abstained
        rank = next((hit.rank for hit in answer.hits if _contains(_shown(hit), item.answer)), None)
        found_at.append(rank)
        if rank == 1 and _contains(answer.hits[0].highlight_text, item.answer):
            highlights += 1
        elif rank == 1:
            sentence = answer.hits[0].highlight_text
            misses.append(Miss(item.question, item.answer, rank, first, where, sentence))
        if rank != 1:
            misses.append(Miss(item.question, item.answer, rank, first, where))
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
            "p95": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0,
        },
        misses=misses,
    )
