"""Measuring generated answers over a labelled question set (``seedqa eval --llm``).

For each question retrieval answered, how often the answer shown is a generated one (the rest
fell back to the extractive sentence), how many sentences the check dropped, and the
supported-answer rate: the share of answerable questions whose answer text — generated or
extractive, whichever is shown — contains the labelled answer. The same rate for the extractive
sentence alone is kept beside it, so that the generated answer is measured against what seedqa
shows without it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..search.evaluation import EvalQuestion
from ..search.searcher import Answer
from ..text.normalize import normalize
from .generator import GeneratedAnswer, extractive

__all__ = ["GenerationReport", "GenerationTally"]


@dataclass(frozen=True, slots=True)
class GenerationReport:
    """The figures of the generated answers of one evaluation run."""

    answered: int
    """Questions retrieval answered (did not abstain on)."""
    generated: int
    dropped: int
    """Sentences removed by the check, over all questions."""
    answerable: int
    supported: int
    """Answerable questions whose shown answer contains the labelled answer."""
    extractive_supported: int
    """The same count for the extractive sentence alone."""
    outcomes: dict[str, int]
    latency_ms: float
    """Median time a generated answer added to a question."""

    def figures(self) -> dict[str, float | int | None]:
        """The figures by their public names (shares are None when nothing measures them)."""
        return {
            "generated": self.generated / self.answered if self.answered else None,
            "dropped": self.dropped,
            "supported_answer": self.supported / self.answerable if self.answerable else None,
            "extractive_supported_answer": (
                self.extractive_supported / self.answerable if self.answerable else None
            ),
            "llm_latency_ms": round(self.latency_ms, 1),
        }


@dataclass
class GenerationTally:
    """Collects generated answers question by question: pass :meth:`observe` to the evaluation."""

    write: Callable[[Answer], GeneratedAnswer]
    """Writes the generated answer of a retrieval answer (blocking)."""
    top: int = 3
    """Passages given to the model: the ones a user is shown."""
    answers: list[tuple[EvalQuestion, Answer, GeneratedAnswer]] = field(default_factory=list)
    _latencies: list[float] = field(default_factory=list)

    def observe(self, item: EvalQuestion, answer: Answer) -> None:
        """Write and keep the generated answer for one asked question."""
        shown = Answer(answer.question, answer.mode, answer.hits[: self.top], answer.more)
        started = time.perf_counter()
        written = self.write(shown)
        if not shown.abstained:
            self._latencies.append((time.perf_counter() - started) * 1000)
        self.answers.append((item, shown, written))

    def report(self) -> GenerationReport:
        """The figures so far."""
        answered = [(q, a, g) for q, a, g in self.answers if not a.abstained]
        answerable = [(q, a, g) for q, a, g in self.answers if q.answer is not None]
        latencies = sorted(self._latencies)
        return GenerationReport(
            answered=len(answered),
            generated=sum(g.generated for _, _, g in answered),
            dropped=sum(g.dropped for _, _, g in self.answers),
            answerable=len(answerable),
            supported=sum(_contains(g.text, q.answer) for q, _, g in answerable if q.answer),
            extractive_supported=sum(
                _contains(extractive(a, "generated").text, q.answer)
                for q, a, _ in answerable
                if q.answer
            ),
            outcomes=dict(Counter(g.outcome for _, _, g in self.answers)),
            latency_ms=latencies[len(latencies) // 2] if latencies else 0.0,
        )


def _contains(text: str, answer: str) -> bool:
    return bool(text) and (answer in text or normalize(answer) in normalize(text))
