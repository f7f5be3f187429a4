"""Answering a question: both legs, fusion, abstention and highlights, over one loaded index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..encoder import Encoder
from ..errors import IndexMismatchError
from ..index.info import IndexInfo, Mode, index_info
from ..index.record import BuildRecord, reuse
from ..index.store import StoredIndex
from ..ingest.paragraphs import Paragraph, Source
from ..text.sentences import Span, sentences
from ..text.terms import terms
from .fusion import DEPTH, Fusion
from .highlight import best_sentence
from .question import clean_question

__all__ = ["COVERAGE_FLOOR", "Answer", "Hit", "Searcher"]

COVERAGE_FLOOR = 0.3
"""Share of a question's IDF mass a paragraph must hold to be shown for its words.

In hybrid mode a paragraph below it is still shown for its meaning: when its similarity to the
question reaches the calibrated ``dense_floor`` (see :class:`~retrieval.search.fusion.Calibration`).
A question none of whose paragraphs clears either bar is not answered. Every passage shown must
clear one, not only the first. The threshold with the best accuracy on the labelled question set
in ``tests/data/seed_questions.jsonl``; ``docs/abstention.md`` has the sweep and the trade-off it
shows.
"""

EVIDENCE_FLOOR = COVERAGE_FLOOR / 2
"""Share of a question's IDF mass below which a lexical match is no evidence in fusion.

One rare shared word can put an unrelated paragraph first in BM25; such a match must not outrank
what the dense leg found. ``bench/fusion_sweep.py`` measures floors from 0 to 0.30: from 0.15 to
0.20 both the English paraphrase set (a model that reads the text) and CMRC (one that cannot) are
at their best; half the answer bar lies there. See ``docs/fusion.md``.
"""

@dataclass(frozen=True, slots=True)
class Hit:
    """One paragraph of an answer, with the sentence that best answers the question."""

    rank: int
    """1-based rank in the answer."""
    score: float
    """How strongly the paragraph is ranked; higher is better. Not a probability.

    Hybrid mode: the fused score, the sum over both legs of the log-likelihood ratio of the rank
    each leg gave it (natural log, any sign: see :mod:`retrieval.search.fusion`). Lexical mode (or
    an index without calibration): its BM25 score.
    """
    paragraph: Paragraph
    highlight: Span
    """Character span of the answering sentence in ``paragraph.text``."""
    coverage: float
    """Share of the question's IDF mass the paragraph holds."""
    similarity: float | None
    """Best window's cosine similarity to the question (hybrid mode only)."""

    @property
    def source(self) -> Source:
        """Where the paragraph stands (its first source)."""
        return self.paragraph.source

    @property
    def highlight_text(self) -> str:
        """The answering sentence."""
        return self.paragraph.text[self.highlight[0] : self.highlight[1]]

    @property
    def highlight_line(self) -> int:
        """The file line where the answering sentence starts."""
        return self.source.line_at(self.highlight[0])


@dataclass(frozen=True, slots=True)
class Answer:
    """The relevant paragraphs for a question, best first; none means nothing relevant."""

    question: str
    mode: Mode
    hits: tuple[Hit, ...]
    more: bool = False
    """Whether more relevant paragraphs follow these (ask again with a larger offset)."""
    info: IndexInfo | None = None
    """The index version that answered (what to cite it from)."""

    @property
    def abstained(self) -> bool:
        """True when nothing in the corpus answers the question."""
        return not self.hits


@dataclass(frozen=True, slots=True)
class _Candidate:
    row: int
    score: float
    coverage: float
    similarity: float | None


def _relevant(ranked: list[_Candidate], dense_floor: float | None) -> list[_Candidate]:
    """The candidates that clear the bar, in order; none at all is an abstention.

    A candidate clears it by its words (coverage) or by its meaning (dense similarity above the
    calibrated floor).
    """

    def passes(candidate: _Candidate) -> bool:
        if candidate.coverage >= COVERAGE_FLOOR:
            return True
        similarity = candidate.similarity
        return dense_floor is not None and similarity is not None and similarity >= dense_floor

    return [candidate for candidate in ranked if passes(candidate)]


class Searcher:
    """Answers questions from one index version, with or without an embedding model."""

    def __init__(self, index: StoredIndex, encoder: Encoder | None = None) -> None:
        manifest = index.manifest
        if encoder is not None and manifest.dense:
            asked = BuildRecord.now(encoder.name, encoder, manifest.built_with.format)
            if not reuse(manifest.built_with, asked).questions:
                raise IndexMismatchError(
                    f"The index was built with model {manifest.model} "
                    f"({manifest.dimension} dimensions), not {encoder.name} "
                    f"({encoder.dimension}). Run: seedqa index --full --model {encoder.name}"
                )
        self.index = index
        self.encoder = encoder if manifest.dense else None
        self._fusion: Fusion | None = None
        if self.encoder is not None and manifest.calibration is not None:
            self._fusion = Fusion(manifest.calibration)  # checked when the manifest was read
        self.info = index_info(manifest, self.mode)
        """The version this searcher answers from."""

    @property
    def mode(self) -> Mode:
        """``hybrid`` when the dense leg is in use, else ``lexical``."""
        return "hybrid" if self.encoder is not None and self.index.dense is not None else "lexical"

    def ask(self, question: str, k: int = 3, offset: int = 0, abstain: bool = True) -> Answer:
        """The ``k`` most relevant paragraphs after the first ``offset`` ones.

        With ``abstain=False`` the best-ranked paragraphs are returned even when none is relevant
        (for measuring the ranking alone). Raises :class:`~retrieval.errors.QuestionError` for an
        empty or overlong question.
        """
        question = clean_question(question)
        question_terms, vector, candidates = self._ranked(
            question, depth=max(DEPTH, offset + k + 1), abstain=abstain
        )
        weights = self.index.lexical.idf_of(question_terms)
        hits = tuple(
            self._hit(offset + i + 1, candidate, question_terms, weights, vector)
            for i, candidate in enumerate(candidates[offset : offset + k])
        )
        return Answer(question, self.mode, hits, len(candidates) > offset + k, self.info)

    def rank(self, question: str, k: int = 10) -> list[str]:
        """The ids of the ``k`` best-ranked paragraphs, relevant or not.

        The ranking that :meth:`ask` with ``abstain=False`` shows, alone — no paragraph is read
        and no sentence picked out: for measuring it against retrievers that return row numbers.
        """
        _, _, candidates = self._ranked(clean_question(question), max(DEPTH, k), abstain=False)
        ids = self.index.paragraphs.ids
        return [ids[candidate.row].decode("ascii") for candidate in candidates[:k]]

    def scored(
        self, question: str, depth: int = DEPTH, abstain: bool = False
    ) -> list[tuple[str, float, float, float | None]]:
        """``(id, score, coverage, similarity)`` of the best-ranked paragraphs, best first.

        The ranking :meth:`ask` shows (with ``abstain``, only the paragraphs that clear its bar),
        without reading a paragraph or picking out a sentence: for callers that rank paragraphs
        themselves, such as a conversation weighing a follow-up with its context (:meth:`shown`).
        """
        _, _, candidates = self._ranked(clean_question(question), depth, abstain)
        ids = self.index.paragraphs.ids
        return [
            (ids[c.row].decode("ascii"), c.score, c.coverage, c.similarity)
            for c in candidates[:depth]
        ]

    def shown(
        self, question: str, ranked: Sequence[tuple[str, float, float, float | None]]
    ) -> tuple[Hit, ...]:
        """Hits for ``ranked`` (as :meth:`scored` gives them), in that order, sentences picked for
        ``question`` by its words."""
        question_terms = terms(clean_question(question))
        weights = self.index.lexical.idf_of(question_terms)
        hits = []
        for rank, (paragraph_id, score, coverage, similarity) in enumerate(ranked, 1):
            row = self.index.paragraphs.row_of(paragraph_id)
            if row is not None:
                candidate = _Candidate(row, score, coverage, similarity)
                hits.append(self._hit(rank, candidate, question_terms, weights, None))
        return tuple(hits)

    def _ranked(
        self, question: str, depth: int, abstain: bool
    ) -> tuple[list[str], np.ndarray | None, list[_Candidate]]:
        """The question's terms, its vector (hybrid mode) and the candidates, best first."""
        question_terms = terms(question)
        vector = None
        if self.encoder is not None and self.index.dense is not None:
            vector = self.encoder.encode_queries([question])[0]
        return question_terms, vector, self._candidates(question_terms, vector, depth, abstain)

    def _candidates(
        self, question_terms: list[str], vector: np.ndarray | None, depth: int, abstain: bool
    ) -> list[_Candidate]:
        lexical = self.index.lexical.search(question_terms, depth)
        coverage = dict(zip(lexical.ids.tolist(), lexical.coverage.tolist(), strict=True))
        dense = self.index.dense
        if vector is None or dense is None or self._fusion is None:
            ranked = [
                _Candidate(row, score, cov, None)
                for row, score, cov in zip(
                    lexical.ids.tolist(),
                    lexical.scores.tolist(),
                    lexical.coverage.tolist(),
                    strict=True,
                )
            ]
            return _relevant(ranked, dense_floor=None) if abstain else ranked
        rows, scores = self._fusion.fuse(lexical, dense.search(vector, depth), EVIDENCE_FLOOR)
        similarity = dense.similarities(vector, rows)
        ranked = [
            _Candidate(row, score, coverage.get(row, 0.0), sim)
            for row, score, sim in zip(
                rows.tolist(), scores.tolist(), similarity.tolist(), strict=True
            )
        ]
        return _relevant(ranked, self._fusion.calibration.dense_floor) if abstain else ranked

    def _hit(
        self,
        rank: int,
        candidate: _Candidate,
        question_terms: list[str],
        weights: dict[str, float],
        vector: np.ndarray | None,
    ) -> Hit:
        paragraph = self.index.paragraphs[candidate.row]
        span, score = best_sentence(paragraph.text, question_terms, weights.__getitem__, terms)
        if score == 0 and vector is not None:
            span = self._closest_sentence(paragraph.text, vector) or span
        return Hit(rank, candidate.score, paragraph, span, candidate.coverage, candidate.similarity)

    def _closest_sentence(self, text: str, vector: np.ndarray) -> Span | None:
        """The sentence most similar to the question by embedding (for paraphrased questions)."""
        assert self.encoder is not None
        spans = sentences(text)
        if len(spans) < 2:
            return None
        vectors = self.encoder.encode_passages([text[a:b] for a, b in spans])
        return spans[int(np.argmax(vectors @ vector))]

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        """The paragraph with this id, if the index holds it."""
        row = self.index.paragraphs.row_of(paragraph_id)
        return None if row is None else self.index.paragraphs[row]

    def neighbours(self, paragraph_id: str) -> tuple[Paragraph | None, Paragraph | None]:
        """The paragraphs just before and after this one in its seed file, if any."""
        row = self.index.paragraphs.row_of(paragraph_id)
        if row is None:
            return None, None
        here = self.index.paragraphs[row].source.path
        table = self.index.paragraphs
        before = table[row - 1] if row > 0 else None
        after = table[row + 1] if row + 1 < len(table) else None
        return (
            before if before is not None and before.source.path == here else None,
            after if after is not None and after.source.path == here else None,
        )
