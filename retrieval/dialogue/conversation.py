"""Follow-up questions answered in the context of the exchange before them.

A conversation is a short list of turns — each the question as asked, as understood, and the
paragraphs that answered it — kept as a plain value that round-trips through JSON (the bot stores
one per chat and one per answer message). :class:`Dialogue` answers a new turn in it:

1. The turn is answered alone, as ``seedqa ask`` would. Without a previous answered turn, or when
   the turn is well answered alone (its best paragraph holds most of its words), that is the
   answer: a new topic is a new topic.
2. Otherwise it is a follow-up when its surface says so (:mod:`.reading`: 那…呢, a pronoun, no
   noun of its own) or when the previous answer's paragraph holds its words while nothing else
   answers it well.
3. A follow-up is resolved without any generative model: a slot it names replaces the previous
   question's slot of the same kind (``那普兰县呢？`` → ``普兰县发展了多少党员？``), a bare noun
   replaces what the previous question counted (``党员呢？``), else the previous question's slots
   are carried over (``受教育多少人次？`` → ``拉孜县2019年受教育多少人次？``). The search also
   carries the previous question's words that its answer held — the words with retrieval evidence.
4. The resolved question is searched, with the searcher's own abstention; its passages are kept
   only where the turn's own words are found too (context never makes an unanswerable turn look
   answered) and ranked by fusing their rank for the resolved question with their rank for the
   turn alone, the previous answer's article favoured a little.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..ingest.paragraphs import Source
from ..search.fusion import DEPTH
from ..search.question import clean_question
from ..search.searcher import EVIDENCE_FLOOR, Answer, Searcher
from ..text.normalize import is_cjk, normalize
from ..text.terms import ARTICLE_AT_HAND, counts_as_evidence, is_bigram, terms
from .reading import Reading, named_phrase, read_turn, swap_asked, swap_phrase, swap_slots

__all__ = [
    "MAX_TURNS",
    "WELL_ANSWERED",
    "Conversation",
    "Dialogue",
    "Reply",
    "Turn",
]

MAX_TURNS = 4
"""Turns a conversation keeps: the context is the last one, its words carry the older ones'."""
WELL_ANSWERED = 0.6
"""Share of a turn's IDF mass its best paragraph holds above which it is answered alone."""
OWN_FLOOR = EVIDENCE_FLOOR
"""Share of the turn's own IDF mass a follow-up's passage must hold: the turn's words must be
there, not only the context's."""
POOL = 10
"""Passages of the resolved question considered for a follow-up."""
RANK_K = 10
"""Reciprocal-rank constant of the fusion of the resolved and the alone rankings."""
ARTICLE_BONUS = 0.02
"""Added to a fused score when the passage is in the previous answer's article (a rank's worth
at the top is about 0.008): the same article is likelier, but not at any price."""
KEPT_PARAGRAPHS = 3
"""Paragraphs of an answer a turn remembers."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One exchange: the question as asked and as understood, and what answered it."""

    question: str
    understood_as: str
    followup: bool
    paragraphs: tuple[str, ...]
    """Ids of the answer's first paragraphs, best first; empty when nothing was found."""
    article: tuple[str, str] | None
    """(seed path, article title) of the first paragraph."""
    at: float
    """When it was asked (seconds since the epoch)."""

    def to_json(self) -> dict[str, Any]:
        """The turn as a JSON object."""
        return {
            "question": self.question,
            "understood_as": self.understood_as,
            "followup": self.followup,
            "paragraphs": list(self.paragraphs),
            "article": list(self.article) if self.article else None,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Turn:
        """A turn from :meth:`to_json`'s object; raises ValueError on anything else."""
        try:
            article = data.get("article")
            return cls(
                str(data["question"]),
                str(data["understood_as"]),
                bool(data.get("followup", False)),
                tuple(str(p) for p in data.get("paragraphs", ())),
                (str(article[0]), str(article[1])) if article else None,
                float(data.get("at", 0.0)),
            )
        except (KeyError, TypeError, IndexError, AttributeError) as error:
            raise ValueError(f"not a conversation turn: {error}") from error


@dataclass(frozen=True, slots=True)
class Conversation:
    """The last few turns of one conversation, oldest first; a plain value, stored as JSON."""

    turns: tuple[Turn, ...] = ()

    @property
    def last(self) -> Turn | None:
        """The previous turn, if any."""
        return self.turns[-1] if self.turns else None

    def then(self, turn: Turn) -> Conversation:
        """This conversation with one more turn (the oldest dropped past ``MAX_TURNS``)."""
        return Conversation((*self.turns, turn)[-MAX_TURNS:])

    def fresh(self, now: float, max_age: float) -> Conversation:
        """This conversation, or a new one when its last turn is older than ``max_age`` seconds."""
        last = self.last
        return self if last is not None and now - last.at <= max_age else Conversation()

    def to_json(self) -> dict[str, Any]:
        """The conversation as a JSON object."""
        return {"turns": [turn.to_json() for turn in self.turns]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Conversation:
        """A conversation from :meth:`to_json`'s object; anything unreadable is a new one."""
        try:
            turns = tuple(Turn.from_json(t) for t in (data or {}).get("turns", ()))
        except (ValueError, AttributeError, TypeError):
            return cls()
        return cls(turns[-MAX_TURNS:])


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a turn, how it was understood, and the conversation after it."""

    answer: Answer
    understood_as: str
    """The question as searched: the turn itself when no context was used."""
    followup: bool
    conversation: Conversation


class HasSearcher(Protocol):
    """An engine: whatever holds the searcher answering now."""

    @property
    def searcher(self) -> Searcher: ...


class Dialogue:
    """Answers the turns of conversations from one searcher (or the engine's current one)."""

    def __init__(self, source: Searcher | HasSearcher) -> None:
        self._source = source

    def _searcher(self) -> Searcher:
        source = self._source
        return source if isinstance(source, Searcher) else source.searcher

    def ask(
        self,
        conversation: Conversation,
        question: str,
        k: int = 3,
        now: float | None = None,
        use_context: bool = True,
    ) -> Reply:
        """Answer ``question`` as the next turn of ``conversation``.

        Raises :class:`~retrieval.errors.QuestionError` for an empty or overlong question. With
        ``use_context=False`` the turn is answered alone (and still recorded).
        """
        searcher = self._searcher()  # one version for the whole turn
        question = clean_question(question)
        at = time.time() if now is None else now
        previous = conversation.last if use_context else None
        followed = None
        if previous is not None and previous.paragraphs:
            followed = _follow(searcher, previous, question, k)
        if followed is None:
            answer = searcher.ask(question, k)
            understood, followup = answer.question, False
        else:
            (answer, understood), followup = followed, True
        turn = _turn(question, understood, followup, answer, at)
        return Reply(answer, understood, followup, conversation.then(turn))


def _follow(searcher: Searcher, previous: Turn, question: str, k: int) -> tuple[Answer, str] | None:
    """The answer in context and the resolved question, or None: answer it alone.

    Everything up to the decision is lexical (no query is embedded, no sentence picked out), so
    that a turn answered alone costs little more than without a conversation.
    """
    if previous.article and previous.article[1]:
        written = normalize(question, fold_case=False)  # 這篇報道 as 这篇报道
        at_hand = ARTICLE_AT_HAND.search(written)
        if at_hand is not None:  # 这篇报道的记者是谁？: the article of the previous answer
            title = f"《{previous.article[1]}》"
            if len(written) == len(question):  # keep the question's own characters elsewhere
                written = question
            understood = written[: at_hand.start()] + title + written[at_hand.end() :]
            answer = searcher.ask(understood, k)
            if not answer.abstained:
                return answer, understood
    turn = read_turn(question)
    whole = not (turn.fragment or turn.pointing or turn.subjectless)
    alone = _evidence(searcher, terms(question))
    best = max((coverage for _, coverage in alone.values()), default=0.0)
    if whole and best >= WELL_ANSWERED:
        return None  # a whole question, answered well alone: a new topic
    own_terms = terms(turn.core)
    own = _evidence(searcher, own_terms)
    linked = any(own.get(p, (0, 0.0))[1] >= OWN_FLOOR for p in previous.paragraphs)
    if not (turn.cued or linked):
        return None
    before = read_turn(previous.understood_as)
    resolved = _resolve(before, turn)
    if resolved is None:
        return None
    understood, replaced = resolved
    # The turn's words that the previous question did not have are what it newly asks about:
    # a passage that lacks them answers the context, not the turn.
    said = set(_words(terms(before.core)))
    new = [word for word in _words(own_terms) if word not in said]
    required = _evidence(searcher, terms(" ".join(new))) if new else own
    search = understood + _carried(searcher, before, previous, replaced, understood)
    pool = [
        scored
        for scored in searcher.scored(search, POOL, abstain=True)
        if not own_terms or required.get(scored[0], (0, 0.0))[1] >= OWN_FLOOR
    ]
    if not pool and not turn.cued:
        return None  # only the words linked it, and the context found nothing either
    article = previous.article
    share = _share(searcher, own_terms, terms(search))
    ranked = sorted(
        enumerate(pool),
        key=lambda item: -_fused(searcher, item[0] + 1, item[1][0], own, share, article),
    )
    focus = terms(" ".join(new))  # the sentence picked holds what the turn newly asks, if any does
    hits = searcher.shown(understood, [scored for _, scored in ranked[:k]], focus)
    return Answer(question, searcher.mode, hits, more=len(ranked) > k), understood


def _words(query: list[str]) -> list[str]:
    """The word terms of a query (its bigrams left out: they are rebuilt from the words)."""
    return [term for term in dict.fromkeys(query) if not is_bigram(term)]


def _evidence(searcher: Searcher, query: list[str]) -> dict[str, tuple[int, float]]:
    """Each paragraph's lexical rank and coverage for these terms, best first."""
    if not query:
        return {}
    matches = searcher.index.lexical.search(query, DEPTH)
    ids = searcher.index.paragraphs.ids
    return {
        ids[row].decode("ascii"): (rank, coverage)
        for rank, (row, coverage) in enumerate(
            zip(matches.ids.tolist(), matches.coverage.tolist(), strict=True), 1
        )
    }


def _resolve(before: Reading, turn: Reading) -> tuple[str, frozenset[str]] | None:
    """The turn as a whole question, and the previous slots it replaced; None if it cannot be."""
    if turn.slots and turn.only_slots:
        swapped = swap_slots(before, turn)
        if swapped is not None:
            return _asked(swapped[0]), frozenset(s.text for s in swapped[1])
    if turn.fragment and not turn.slots and turn.nouns:
        asked = swap_asked(before, turn.core) or swap_phrase(before, turn.core)
        if asked is not None:
            return _asked(asked), frozenset()
    if not (turn.nouns or turn.verbs or turn.slots or turn.pointers or turn.subjectless):
        return None  # 还有呢？ names nothing to look for
    kinds = {slot.kind for slot in turn.slots}
    slots = "".join(s.text for s in before.slots if s.kind not in kinds and s.text not in turn.core)
    topic = before.topic if before.topic and not turn.subject else slots
    core = turn.core
    if turn.pointers:
        word, start = turn.pointers[0]
        named = before.topic or slots or named_phrase(before)
        if not named:
            return None
        return _asked(core[:start] + named + core[start + len(word) :]), frozenset()
    if topic and topic in core:
        topic = ""
    return _asked(topic + core), frozenset()


def _asked(question: str) -> str:
    """The resolved question with the question mark of its language."""
    return question + ("？" if any(is_cjk(ch) for ch in question) else "?")


def _carried(
    searcher: Searcher,
    before: Reading,
    previous: Turn,
    replaced: frozenset[str],
    understood: str,
) -> str:
    """The previous question's words that its answer held and the resolution left out."""
    paragraph = searcher.paragraph(previous.paragraphs[0])
    if paragraph is None:
        return ""
    words = [
        word
        for word in (*before.nouns, *(s.text for s in before.slots))
        if word not in replaced
        and word.casefold() not in understood.casefold()
        and word.casefold() in paragraph.text.casefold()
    ]
    return " " + " ".join(words) if words else ""


def _share(searcher: Searcher, own: list[str], resolved: list[str]) -> float:
    """The share of the resolved question's IDF mass that the turn's own words hold."""
    idf = searcher.index.lexical.idf_of(list(dict.fromkeys(own + resolved)))
    total = sum(idf[t] for t in set(resolved) if counts_as_evidence(t))
    mine = sum(idf[t] for t in set(own) & set(resolved) if counts_as_evidence(t))
    return min(1.0, mine / total) if total else 1.0


def _fused(
    searcher: Searcher,
    rank: int,
    paragraph_id: str,
    own: dict[str, tuple[int, float]],
    share: float,
    article: tuple[str, str] | None,
) -> float:
    """Reciprocal-rank fusion of the resolved and alone rankings, plus the article's bonus.

    The alone ranking weighs what the turn's own words weigh in the resolved question: little
    for ``在哪里建立的？``, whose words alone find anything that was ever founded.
    """
    score = 1 / (RANK_K + rank)
    alone = own.get(paragraph_id)
    if alone is not None:
        score += share / (RANK_K + alone[0])
    if article is not None:
        paragraph = searcher.paragraph(paragraph_id)
        if paragraph is not None and _where(paragraph.source) == article:
            score += ARTICLE_BONUS
    return score


def _where(source: Source) -> tuple[str, str]:
    return source.path, source.title or ""


def _turn(question: str, understood: str, followup: bool, answer: Answer, at: float) -> Turn:
    hits = answer.hits[:KEPT_PARAGRAPHS]
    article = _where(hits[0].source) if hits else None
    return Turn(question, understood, followup, tuple(h.paragraph.id for h in hits), article, at)
