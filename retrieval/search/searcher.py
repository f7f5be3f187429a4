"""Answering a question: both legs, fusion, abstention and highlights, over one loaded index."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np

from ..encoder import Encoder
from ..errors import IndexMismatchError
from ..index.info import IndexInfo, Mode, index_info
from ..index.record import BuildRecord, reuse
from ..index.store import StoredIndex
from ..ingest.paragraphs import Paragraph, Source
from ..text.normalize import is_cjk, normalize
from ..text.sentences import Span, sentences
from ..text.terms import (
    REPORTS_ASKED,
    QuestionTerms,
    counts_as_evidence,
    is_bigram,
    question_terms,
    searchable,
    surface,
)
from .fusion import DEPTH, Fusion
from .highlight import best_sentence
from .question import clean_question

__all__ = ["COVERAGE_FLOOR", "LATER_FLOOR", "LATER_SHARE", "Answer", "Hit", "Searcher"]

COVERAGE_FLOOR = 0.3
"""Share of a question's IDF mass some paragraph must hold for the question to be answered.

In hybrid mode a question is answered for its meaning too: when a paragraph's similarity to it
reaches the calibrated ``dense_floor`` (see :class:`~retrieval.search.fusion.Calibration`).
Chosen with the other thresholds below on the labelled question sets in ``tests/data``;
``docs/abstention.md`` has the sweep and the trade-off it shows. It decides whether to answer;
the passages shown then follow the ranking, down to ``LATER_FLOOR``.
"""

UNKNOWN_GROUPS = 0.5
"""Share of a question's groups that no paragraph holds at which the question is not answered.

A group is a run of content words of the question (:func:`~retrieval.text.terms.question_terms`):
建行那曲分行的地址 has two, 建行那曲分行 and 地址. When the documents never mention 地址 at all,
what they say about 建行那曲分行 does not answer it: a place or a name alone is not evidence.
"""

LATER_FLOOR = 0.2
"""Coverage the passages after the first must hold once the question is answered.

On CMRC (``bench/abstention_sweep.py``) it keeps R@5 of what ``ask -k 10`` shows at 0.991 (0.994
with none, 0.989 with every passage held to ``COVERAGE_FLOOR`` as before) and leaves out what
holds less than a fifth of the question; 0.15 would keep 0.993, but on the project's set a
passage holding 0.16 of ``拉孜县怎样留住人才？`` then pushes the answer from rank 4 to 5 in hybrid
mode. See ``docs/abstention.md``.
"""

LATER_SHARE = 0.3
"""Share of the first passage's coverage the passages after it must hold too (beside
``LATER_FLOOR``), unless found by meaning.

A question that one paragraph answers in full (``星光计划是什么？``, coverage 1.0) does not need
the paragraphs that share one of its common words (计划, 0.2). On CMRC
(``bench/abstention_sweep.py``) 0.3 keeps R@5 of what ``ask -k 10`` shows where it was while it
shows 4.0 passages a question instead of 5.4, and on the project's sets 1.2 passages without the
answer instead of 1.9; 0.4 also keeps CMRC's R@5 but hides passages that answer in part
(``边境党员干部受到了哪些教育？`` keeps two of its four). See ``docs/abstention.md``.
"""

PATIENCE = 5
"""Passages a passage set aside waits for (see ``_text_first``)."""

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
    byline: str | None = None
    """The article's byline (``本报记者 …``) when the question names a word of it — asks for its
    reporter, or names one: what the answer must show, for it is in no paragraph's text."""
    byline_answers: bool = False
    """Whether the byline is the answer, not a sentence of the paragraph: the question asks who
    wrote the article, or names its reporter and nothing the paragraph says. The paragraph is
    then the article's first, shown for what the article is about."""

    @property
    def source(self) -> Source:
        """Where the paragraph stands (its first source)."""
        return self.paragraph.source

    @property
    def highlight_text(self) -> str:
        """The answering sentence (the byline, when it is the answer)."""
        if self.byline_answers and self.byline:
            return self.byline
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


@dataclass(frozen=True, slots=True)
class _Evidence:
    """What the question's words say about each lexical candidate."""

    unknown: float
    """Share of the question's groups that no paragraph holds (none of their counted terms)."""


def _relevant(
    ranked: list[_Candidate], evidence: _Evidence, dense_floor: float | None
) -> list[_Candidate]:
    """The candidates to show, in order; none at all is an abstention.

    The question is answered when some candidate clears the bar by its words (coverage and
    groups) or by its meaning (dense similarity above the calibrated floor). The best-ranked such
    candidate comes first, then the rest of the ranking, less what holds under ``LATER_FLOOR``
    and is not similar enough either.
    """

    def by_meaning(candidate: _Candidate) -> bool:
        similarity = candidate.similarity
        return dense_floor is not None and similarity is not None and similarity >= dense_floor

    def passes(candidate: _Candidate) -> bool:
        by_words = candidate.coverage >= COVERAGE_FLOOR and evidence.unknown < UNKNOWN_GROUPS
        return by_words or by_meaning(candidate)

    first = next((candidate for candidate in ranked if passes(candidate)), None)
    if first is None:
        return []
    # The first passage shown is evidence itself: a better-ranked one that is not (a dense leg
    # that cannot read the text can rank one first) follows it, if it clears the later bar.
    bar = max(LATER_FLOOR, LATER_SHARE * first.coverage)
    return [first] + [c for c in ranked if c is not first and (c.coverage >= bar or by_meaning(c))]


def _invented(term: str, df: int) -> bool:
    """A word no paragraph holds that jieba made of three characters or more (普兰县).

    Its bigrams and unigrams stand for it; counting it too would make the question's own
    segmentation, not the paragraph, decide the coverage.
    """
    return df == 0 and len(term) >= 3 and not is_bigram(term) and all(map(is_cjk, term))


def _byline(bylines: Sequence[str], query: QuestionTerms) -> str | None:
    """The first byline holding the characters of a question term that counts as evidence."""
    asked = [surface(term) for term in query.terms if counts_as_evidence(term)]
    for byline in bylines:
        text = searchable(byline)
        if any(part in text for part in asked):
            return byline
    return None


_ASKS_REPORTER = re.compile(
    r"(?:记者|作者|撰稿人?|执笔人?|通讯员|采写者)(?:是|为|有)?(?:谁|哪[位些]|什么人|叫什么|的名字)"
    r"|谁(?:写|撰写|报道|采写|执笔)|哪[位个名](?:记者|作者|通讯员)"
)
"""A question for who wrote an article (normalised): its byline answers it."""


@dataclass(frozen=True, slots=True)
class _Asked:
    """A question as its passages are chosen and shown."""

    text: str
    query: QuestionTerms
    weights: dict[str, float]
    """The IDF of each of its terms."""
    evidence: tuple[str, ...]
    """Its distinct terms that count in coverage."""
    total: float
    """Their IDF mass."""
    for_reporter: bool
    """Whether it asks who wrote an article."""
    for_reports: bool
    """Whether it asks for articles (李明华写了哪些报道？): those by a byline come first."""


@dataclass(frozen=True, slots=True)
class _Passage:
    """A candidate as the answer shows it."""

    candidate: _Candidate
    row: int
    """The row shown: the candidate's, or its article's first when who wrote it is the answer."""
    paragraph: Paragraph
    article: tuple[str, str | None, tuple[str, ...]]
    """The article the paragraph stands in (file, title and bylines)."""
    byline: str | None
    byline_answers: bool
    held: frozenset[str] = frozenset()
    """The question's terms the paragraph holds (its index terms; empty when not looked up)."""
    aside: bool = False
    """Whether it is shown after the passages that say what is asked: its own text holds
    nothing of the question (its article's title does), or it is a photo caption."""
    credit: Span | None = None
    """The paragraph's dateline when it names the article's reporters (``本报拉萨讯(记者 …)``)
    and they are what the question asks for: picked out in place of a sentence."""

    @property
    def names_reporter(self) -> bool:
        """Whether who wrote the article is the answer: one such passage an article."""
        return self.byline_answers or self.credit is not None


def _by_byline(own: Sequence[str], byline: str, asked: _Asked) -> bool:
    """Whether a paragraph matched by its article's byline (a reporter's name), not by what it
    says: of the question its text holds (``own``) under ``LATER_FLOOR``, or only what the
    byline holds too (a photo credit, ``本报记者 王晓燕摄``)."""
    credited = searchable(byline)
    if all(surface(term) in credited for term in own):
        return True
    return sum(asked.weights[term] for term in own) < LATER_FLOOR * asked.total


def _text_first(passages: Iterator[_Passage], patience: int = PATIENCE) -> Iterator[_Passage]:
    """The passages, those set aside (``_Passage.aside``) after the ones that follow them, up
    to ``patience`` passages later: the notice's ``各位居民：``, which holds nothing of
    ``暂停开放多少天？`` but the notice's title, comes after the paragraph that says how long."""
    waiting: list[_Passage] = []
    since = 0
    for passage in passages:
        if passage.aside:  # never one that names the reporter: those are made not aside
            waiting.append(passage)
        else:
            yield passage
        if waiting:
            since += 1
            if since > patience:
                yield from waiting
                waiting, since = [], 0
    yield from waiting


def _one_per_article(passages: Iterator[_Passage]) -> Iterator[_Passage]:
    """The passages, less those that name the reporter of an article already shown.

    ``李明华写了哪些报道？`` and ``…的记者是谁？`` list each article once, with its byline, not
    every paragraph under it, nor its photo credit.
    """
    shown: set[tuple[str, str | None, tuple[str, ...]]] = set()
    for passage in passages:
        if passage.names_reporter and passage.article in shown:
            continue
        shown.add(passage.article)
        yield passage


_NAMES_REPORTER = re.compile(r"记者|通讯员")


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
        self.encoder = encoder if manifest.dense_used else None  # a weak model is not asked
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
        query, vector, candidates = self._ranked(
            question, depth=max(DEPTH, offset + k + 1), abstain=abstain
        )
        asked = self._asked(question, query)
        passages: Iterator[_Passage] = (self._passage(c, asked) for c in candidates)
        if abstain:
            passages = _one_per_article(_text_first(passages))
        kept = list(islice(passages, offset + k + 1))
        hits = tuple(
            self._hit(offset + i + 1, passage, asked, vector)
            for i, passage in enumerate(kept[offset : offset + k])
        )
        return Answer(question, self.mode, hits, len(kept) > offset + k, self.info)

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
        self,
        question: str,
        ranked: Sequence[tuple[str, float, float, float | None]],
        focus: Collection[str] = (),
    ) -> tuple[Hit, ...]:
        """Hits for ``ranked`` (as :meth:`scored` gives them), in that order, sentences picked for
        ``question`` by its words — among those holding a ``focus`` term, where any does."""
        question = clean_question(question)
        asked = self._asked(question, question_terms(question))
        hits = []
        for rank, (paragraph_id, score, coverage, similarity) in enumerate(ranked, 1):
            row = self.index.paragraphs.row_of(paragraph_id)
            if row is not None:
                passage = self._passage(_Candidate(row, score, coverage, similarity), asked)
                hits.append(self._hit(rank, passage, asked, None, focus))
        return tuple(hits)

    def _ranked(
        self, question: str, depth: int, abstain: bool
    ) -> tuple[QuestionTerms, np.ndarray | None, list[_Candidate]]:
        """The question's terms, its vector (hybrid mode) and the candidates, best first."""
        query = question_terms(question)
        vector = None
        if self.encoder is not None and self.index.dense is not None:
            vector = self.encoder.encode_queries([question])[0]
        return query, vector, self._candidates(query, vector, depth, abstain)

    def _counted(self, query: QuestionTerms) -> tuple[list[str], _Evidence]:
        """The question's terms that count in its coverage, and what they say about it."""
        df = self.index.lexical.document_frequency(query.terms)
        counted = [t for t in query.terms if counts_as_evidence(t) and not _invented(t, df[t])]
        kept = set(counted)
        groups = [[t for t in group if t in kept] for group in query.groups]
        groups = [group for group in groups if group]
        unknown = sum(all(df[t] == 0 for t in group) for group in groups)
        return counted, _Evidence(unknown / len(groups) if groups else 1.0)

    def _candidates(
        self, query: QuestionTerms, vector: np.ndarray | None, depth: int, abstain: bool
    ) -> list[_Candidate]:
        counted, found = self._counted(query)
        lexical = self.index.lexical.search(query.terms, depth, counted)
        evidence = found if abstain else None
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
            return _relevant(ranked, evidence, dense_floor=None) if evidence is not None else ranked
        rows, scores = self._fusion.fuse(lexical, dense.search(vector, depth), EVIDENCE_FLOOR)
        similarity = dense.similarities(vector, rows)
        ranked = [
            _Candidate(row, score, coverage.get(row, 0.0), sim)
            for row, score, sim in zip(
                rows.tolist(), scores.tolist(), similarity.tolist(), strict=True
            )
        ]
        if evidence is None:
            return ranked
        return _relevant(ranked, evidence, self._fusion.calibration.dense_floor)

    def _asked(self, question: str, query: QuestionTerms) -> _Asked:
        counted, _ = self._counted(query)
        evidence = tuple(dict.fromkeys(counted))
        folded = normalize(question)
        weights = self.index.lexical.idf_of([*query.terms, *evidence])
        return _Asked(
            question,
            query,
            weights,
            evidence,
            sum(weights[term] for term in evidence),
            _ASKS_REPORTER.search(folded) is not None,
            REPORTS_ASKED.search(folded) is not None,
        )

    def _passage(self, candidate: _Candidate, asked: _Asked) -> _Passage:
        """What a candidate shows: its paragraph, what of the question it holds, and whether who
        wrote its article answers."""
        paragraph = self.index.paragraphs[candidate.row]
        source = paragraph.source
        article = (source.path, source.title, source.bylines)
        held = frozenset(self.index.lexical.held(asked.query.terms, candidate.row))
        # What the paragraph itself says, under its own section's heading; its article's title
        # and byline stand over every paragraph of the article alike.
        text = searchable("\n".join([*source.sections, paragraph.text]))
        own = [term for term in asked.evidence if term in held and surface(term) in text]
        floor = self._fusion.calibration.dense_floor if self._fusion is not None else None
        similar = floor is not None and (candidate.similarity or -1.0) >= floor
        # A paragraph whose own text holds nothing of the question (its article's title does)
        # or a photo caption: shown after the paragraphs that say what is asked, if any follow.
        aside = not similar and (not own or paragraph.kind == "caption" or asked.for_reports)
        byline = _byline(source.bylines, asked.query)
        if byline is None and asked.for_reporter and source.bylines:
            byline = source.bylines[0]  # 《…》的作者是谁？ names the article, not a word of it
        answers = byline is not None and (
            asked.for_reporter or (not similar and _by_byline(own, byline, asked))
        )
        plain = _Passage(candidate, candidate.row, paragraph, article, byline, False, held, aside)
        if not answers and not asked.for_reporter:
            return plain
        row = self._lead(candidate.row, source)
        lead = paragraph if row == candidate.row else self.index.paragraphs[row]
        if answers:
            return _Passage(candidate, row, lead, article, byline, True)
        # No byline: the reporters may open the article, in its dateline (本报拉萨讯(记者 …)).
        dateline = lead.dateline
        if (
            dateline
            and _NAMES_REPORTER.search(normalize(dateline))
            and lead.text.startswith(dateline)
        ):
            return _Passage(candidate, row, lead, article, None, False, credit=(0, len(dateline)))
        return replace(plain, byline=None)

    def _lead(self, row: int, source: Source) -> int:
        """The row of the first paragraph of the article that ``row`` stands in."""
        first = row - (source.ordinal - 1)
        if 0 <= first < row:
            lead = self.index.paragraphs[first].source
            if (lead.path, lead.title, lead.ordinal) == (source.path, source.title, 1):
                return first
        return row

    def _hit(
        self,
        rank: int,
        passage: _Passage,
        asked: _Asked,
        vector: np.ndarray | None,
        focus: Collection[str] = (),
    ) -> Hit:
        candidate, paragraph, query = passage.candidate, passage.paragraph, asked.query
        if passage.credit is not None:
            span = passage.credit
        elif passage.byline_answers:  # the article's opening sentence says what it is about
            span = (sentences(paragraph.text) or [(0, len(paragraph.text))])[0]
        else:
            held = passage.held or self.index.lexical.held(query.terms, passage.row)
            span, score = best_sentence(
                paragraph.text, asked.text, query, asked.weights.__getitem__, held, focus
            )
            if score == 0 and vector is not None:
                span = self._closest_sentence(passage.row, paragraph.text, vector) or span
        return Hit(
            rank,
            candidate.score,
            paragraph,
            span,
            candidate.coverage,
            candidate.similarity,
            passage.byline,
            passage.byline_answers,
        )

    def _closest_sentence(self, row: int, text: str, vector: np.ndarray) -> Span | None:
        """The sentence the question's vector points to, for a paragraph found by meaning alone.

        Nothing is embedded: each sentence scores the mean similarity of the paragraph's windows
        that hold it (the index's own vectors), so the pick falls in the best window, on a
        sentence no weaker window shares; within a window, the first. A paragraph of one window
        gives its first sentence — for a news paragraph, usually what it is about.
        """
        dense, where = self.index.dense, self.index.dense_spans
        spans = sentences(text)
        if dense is None or where is None or len(spans) < 2:
            return None
        windows = dense.windows_of(row)
        if len(windows) < 2:
            return None
        similarity = dense.window_similarities(vector, windows)
        bounds = where[windows.start : windows.stop]
        best, chosen = -np.inf, None
        for a, b in spans:
            holding = (bounds[:, 0] < b) & (bounds[:, 1] > a)
            if holding.any() and (score := float(similarity[holding].mean())) > best:
                best, chosen = score, (a, b)
        return chosen

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
        # A deleted row (an update's) is no neighbour: the file's paragraphs are all live ones.
        before = table[row - 1] if table.alive(row - 1) else None
        after = table[row + 1] if table.alive(row + 1) else None
        return (
            before if before is not None and before.source.path == here else None,
            after if after is not None and after.source.path == here else None,
        )
