"""Picking the sentence of a paragraph that best answers a question.

Each sentence is scored by the IDF of the question's terms it contains — rare words such as
names and numbers count most, so the sentence that holds ``札达、普兰、日土、噶尔`` beats one that
only repeats ``党员``. When no sentence shares a term with the question (a paraphrase found by the
dense leg), the caller can pick by embedding similarity instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..text.sentences import Span, sentences

__all__ = ["best_sentence"]


def best_sentence(
    text: str,
    question_terms: Iterable[str],
    weight: Callable[[str], float],
    terms: Callable[[str], list[str]],
) -> tuple[Span, float]:
    """The span of the best-matching sentence and its score (0 when none shares a term)."""
    wanted = set(question_terms)
    spans = sentences(text) or [(0, len(text))]
    best, best_score = spans[0], 0.0
    for span in spans:
        shared = wanted.intersection(terms(text[span[0] : span[1]]))
        score = sum(weight(term) for term in shared)
        if score > best_score:
            best, best_score = span, score
    return best, best_score
