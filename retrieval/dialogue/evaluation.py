"""Measuring follow-ups: the last turn of labelled conversations, with their context and alone.

A conversation file has one JSON object a line: ``{"turns": ["…", "…"], "answer": "…"}`` — the
answer text of the last turn, a passage is right when it holds it — or ``"unanswerable": true``
instead of an answer. ``"switch": true`` marks a last turn that opens a new topic: it must be
answered exactly as if asked alone. The earlier turns are asked in order, each in the context of
the ones before, as a user would; the last is then asked in that context and alone.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import QuestionError, SeedQAError
from ..search.question import clean_question
from ..search.searcher import Answer
from ..text.normalize import normalize
from .conversation import Conversation, Dialogue

__all__ = [
    "HIGHER_IS_WORSE",
    "ConversationMiss",
    "ConversationReport",
    "EvalConversation",
    "evaluate_conversations",
    "is_conversation_file",
    "load_conversations",
]

DEPTH = 10
"""Passages asked for per last turn."""
HIGHER_IS_WORSE: frozenset[str] = frozenset()
"""Figures (keys of :attr:`ConversationReport.figures`) where a rise is a regression: none."""
FORMAT = (
    'Each line must be {"turns": ["…", "…"], "answer": "…"} or {"turns": [...], '
    '"unanswerable": true}, with "switch": true when the last turn opens a new topic.'
)


@dataclass(frozen=True, slots=True)
class EvalConversation:
    """A labelled conversation: its turns and the answer text of the last (None: unanswerable)."""

    turns: tuple[str, ...]
    answer: str | None
    switch: bool = False
    """The last turn opens a new topic."""

    @property
    def kind(self) -> str:
        """``followup``, ``switch`` or ``unanswerable``."""
        if self.answer is None:
            return "unanswerable"
        return "switch" if self.switch else "followup"


@dataclass(frozen=True, slots=True)
class ConversationMiss:
    """A last turn answered wrongly in context."""

    turns: tuple[str, ...]
    answer: str | None
    understood_as: str
    followup: bool
    rank: int | None
    first: str | None


@dataclass(frozen=True, slots=True)
class ConversationReport:
    """The figures of one run over a conversation file."""

    counts: dict[str, int]
    figures: dict[str, float | None]
    extra_ms: dict[str, float]
    """Time the context adds to a last turn: median and 95th percentile."""
    misses: list[ConversationMiss] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            "n": sum(self.counts.values()),
            **self.counts,
            **{k: None if v is None else round(v, 4) for k, v in self.figures.items()},
            "extra_ms": {k: round(v, 3) for k, v in self.extra_ms.items()},
            "misses": [
                {
                    "turns": list(m.turns),
                    "answer": m.answer,
                    "understood_as": m.understood_as,
                    "followup": m.followup,
                    "rank": m.rank,
                    "first": m.first,
                }
                for m in self.misses
            ],
        }


def is_conversation_file(path: Path) -> bool:
    """Whether the file's first object has ``turns`` (a conversation file, not a question file)."""
    try:
        with path.open(encoding="utf-8-sig") as lines:
            first = next((line for line in lines if line.strip()), "")
        item = json.loads(first)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(item, dict) and "turns" in item


def load_conversations(path: Path) -> list[EvalConversation]:
    """Read a conversation file; raises SeedQAError naming the first bad line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise SeedQAError(f"Cannot read the conversation file {path}: {reason}.") from error
    items = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                items.append(_conversation(line))
            except (ValueError, QuestionError) as error:
                raise SeedQAError(f"{path}:{number}: {str(error).rstrip('.')}. {FORMAT}") from error
    if not items:
        raise SeedQAError(f"{path} holds no conversations: write one JSON object a line.")
    return items


def _conversation(line: str) -> EvalConversation:
    item = json.loads(line)
    if not isinstance(item, dict):
        raise ValueError("not a JSON object")
    turns = item.get("turns")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        raise ValueError('no "turns" list of questions')
    for turn in turns:
        clean_question(turn)
    answer = item.get("answer")
    switch = item.get("switch", False) is True
    if item.get("unanswerable") is True:
        if answer is not None:
            raise ValueError('both "answer" and "unanswerable": true')
        return EvalConversation(tuple(turns), None, switch)
    if not isinstance(answer, str) or not answer.strip():
        raise ValueError('no "answer" string and no "unanswerable": true')
    return EvalConversation(tuple(turns), answer, switch)


def _contains(text: str, answer: str) -> bool:
    return answer in text or normalize(answer) in normalize(text)


def _rank(answer: Answer, expected: str) -> int | None:
    return next((h.rank for h in answer.hits if _contains(h.paragraph.text, expected)), None)


def evaluate_conversations(
    dialogue: Dialogue, conversations: Iterable[EvalConversation]
) -> ConversationReport:
    """Ask every conversation and measure its last turn with its context and alone."""
    ranks: dict[str, list[tuple[int | None, int | None]]] = {"followup": [], "switch": []}
    abstained = {"context": 0, "alone": 0}
    taken_as_followup: dict[str, int] = {"followup": 0, "switch": 0, "unanswerable": 0}
    counts = dict.fromkeys(taken_as_followup, 0)
    extra: list[float] = []
    misses: list[ConversationMiss] = []
    for item in conversations:
        conversation = Conversation()
        for turn in item.turns[:-1]:
            conversation = dialogue.ask(conversation, turn, DEPTH).conversation
        last = item.turns[-1]
        started = time.perf_counter()
        reply = dialogue.ask(conversation, last, DEPTH)
        middle = time.perf_counter()
        alone = dialogue.ask(conversation, last, DEPTH, use_context=False).answer
        extra.append(((middle - started) - (time.perf_counter() - middle)) * 1000)
        counts[item.kind] += 1
        taken_as_followup[item.kind] += reply.followup
        top = reply.answer.hits[0].paragraph.text[:60] if reply.answer.hits else None
        if item.answer is None:
            abstained["context"] += reply.answer.abstained
            abstained["alone"] += alone.abstained
            if not reply.answer.abstained:
                misses.append(
                    ConversationMiss(
                        item.turns, None, reply.understood_as, reply.followup, None, top
                    )
                )
            continue
        rank = _rank(reply.answer, item.answer)
        ranks[item.kind].append((rank, _rank(alone, item.answer)))
        if rank != 1:
            misses.append(
                ConversationMiss(
                    item.turns, item.answer, reply.understood_as, reply.followup, rank, top
                )
            )
    figures: dict[str, float | None] = {}
    for kind in ("followup", "switch"):
        pairs = ranks[kind]
        for k in (1, 3):
            for which, label in ((0, ""), (1, "alone_")):
                hits = sum(1 for pair in pairs if (rank := pair[which]) is not None and rank <= k)
                figures[f"{kind}_{label}recall@{k}"] = hits / len(pairs) if pairs else None
    figures["followup_detected"] = _share(taken_as_followup["followup"], counts["followup"])
    figures["switch_accuracy"] = _share(
        counts["switch"] - taken_as_followup["switch"], counts["switch"]
    )
    figures["abstention"] = _share(abstained["context"], counts["unanswerable"])
    figures["alone_abstention"] = _share(abstained["alone"], counts["unanswerable"])
    ordered = sorted(extra)
    return ConversationReport(
        counts,
        figures,
        {
            "median": statistics.median(ordered) if ordered else 0.0,
            "p95": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0,
        },
        misses,
    )


def _share(count: int, total: int) -> float | None:
    return count / total if total else None
