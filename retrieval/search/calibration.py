"""Pseudo-questions made from the corpus, to measure how reliable each search leg is on it.

A pseudo-question is a random stretch of about half a sentence of a random paragraph; the
paragraph it came from is the right answer. Both legs answer every pseudo-question. Where each
leg ranks the source paragraph becomes the weight of each rank in fusion
(:mod:`retrieval.search.fusion`);
how similar the best *wrong* paragraph is, for the dense leg, becomes the similarity a dense match
must beat to count as evidence that a question is answerable.

Everything is seeded, so the same corpus and model always give the same calibration.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np

from ..encoder import Encoder
from ..index.dense import DenseIndex
from ..index.lexical import LexicalIndex
from ..index.segments import SegmentedDense, SegmentedLexical
from ..text.sentences import sentences
from .fusion import DEPTH, Calibration

__all__ = ["QUESTIONS", "calibrate", "pseudo_questions"]

QUESTIONS = 300
"""Pseudo-questions per calibration: enough that a rank-1 chance is known to about ±0.03."""
FLOOR_QUANTILE = 0.5
"""The dense floor is this quantile of the best-wrong-paragraph similarities (see the docs)."""


def pseudo_questions(
    texts: Sequence[str], count: int = QUESTIONS, seed: int = 0
) -> tuple[list[int], list[str]]:
    """``count`` (source row, question) pairs: half-sentence stretches of random paragraphs."""
    rng = random.Random(seed)
    rows: list[int] = []
    questions: list[str] = []
    # The paragraphs with a sentence: those with a letter or digit (cheaper than splitting them).
    candidates = [i for i, text in enumerate(texts) if any(ch.isalnum() for ch in text)]
    if not candidates:
        return rows, questions
    for _ in range(count):
        row = rng.choice(candidates)
        start, end = rng.choice(sentences(texts[row]))
        sentence = texts[row][start:end]
        units: Sequence[str] = sentence.split() if " " in sentence else sentence
        size = max(4 if isinstance(units, str) else 2, len(units) // 2)
        first = rng.randrange(0, max(1, len(units) - size + 1))
        piece = units[first : first + size]
        rows.append(row)
        questions.append(piece if isinstance(piece, str) else " ".join(piece))
    return rows, questions


def calibrate(
    texts: Sequence[str],
    lexical: LexicalIndex | SegmentedLexical,
    terms: Callable[[str], list[str]],
    dense: DenseIndex | SegmentedDense,
    encoder: Encoder,
    paragraphs: int | None = None,
) -> Calibration:
    """Measure both legs on pseudo-questions from ``texts`` (the paragraphs, by row; a deleted
    row's empty); ``paragraphs``: how many are live (by default all)."""
    rows, questions = pseudo_questions(texts)
    lexical_hits = np.zeros(DEPTH + 1)
    dense_hits = np.zeros(DEPTH + 1)
    best_wrong: list[float] = []
    vectors = encoder.encode_queries(questions)
    for row, question, vector in zip(rows, questions, vectors, strict=True):
        found = lexical.search(terms(question), DEPTH).ids.tolist()
        lexical_hits[found.index(row) if row in found else DEPTH] += 1
        matches = dense.search(vector, DEPTH)
        ranked = matches.ids.tolist()
        dense_hits[ranked.index(row) if row in ranked else DEPTH] += 1
        wrong = [
            score
            for other, score in zip(ranked, matches.scores.tolist(), strict=True)
            if other != row
        ]
        if wrong:
            best_wrong.append(wrong[0])
    floor = float(np.quantile(best_wrong, FLOOR_QUANTILE)) if best_wrong else 1.0
    return Calibration(
        lexical=tuple(int(x) for x in lexical_hits),
        dense=tuple(int(x) for x in dense_hits),
        questions=len(rows),
        paragraphs=len(texts) if paragraphs is None else paragraphs,
        dense_floor=floor,
    )
