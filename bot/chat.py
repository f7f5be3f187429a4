"""Conversations in the front-ends: a turn's answer as JSON and its ``理解为：`` line, and
``seedqa eval`` over a conversation file (``seedqa chat`` itself is in bot/commands/chat.py)."""

from __future__ import annotations

from typing import Any

from retrieval import (
    ConversationReport,
    Dialogue,
    Reply,
    evaluate_conversations,
    load_conversations,
)

from . import runtime
from .citations import language_of
from .commands import Invocation
from .console import count
from .render import answer_json, dumps

__all__ = ["reply_json", "run_conversation_eval", "scorecard", "understood_line"]

UNDERSTOOD = {"zh": "理解为：", "en": "Understood as: "}


def reply_json(reply: Reply) -> dict[str, Any]:
    """A turn's answer as ``seedqa ask --json`` prints it, plus how it was understood."""
    return answer_json(reply.answer) | {
        "understood_as": reply.understood_as,
        "followup": reply.followup,
    }


def understood_line(reply: Reply) -> str | None:
    """``理解为：…`` when the context changed the question, else None."""
    if not reply.followup:
        return None
    return UNDERSTOOD[language_of(reply.answer.question)] + reply.understood_as


def show(value: float | None) -> str:
    """A share to three decimals, or n/a."""
    return "   n/a" if value is None else f"{value:6.3f}"


def run_conversation_eval(call: Invocation) -> int:
    """``seedqa eval CONVERSATIONS.jsonl``: the last turns with their context and alone."""
    console = call.console
    conversations = load_conversations(call.args.questions)  # refused before anything loads
    engine = runtime.open_engine(call.settings, console.warn, console.say)
    console.say(f"Asking {count(len(conversations), 'conversation')} from {call.args.questions}")
    report = evaluate_conversations(Dialogue(engine), conversations)
    mode = engine.info.mode
    console.print(
        dumps({"mode": mode, **report.to_json()}) if call.args.json else scorecard(report, mode)
    )
    return 0


def scorecard(report: ConversationReport, mode: str) -> str:
    """The conversation figures, one a line, then every last turn answered wrongly."""
    counts, figures = report.counts, report.figures
    lines = [
        f"{sum(counts.values())} conversations ({counts['followup']} follow-ups, "
        f"{counts['switch']} topic switches, {counts['unanswerable']} unanswerable), "
        f"{mode} search; the last turn, in context and alone:",
        "",
    ]
    rows = [
        ("follow-up recall@1", "followup_recall@1", "followup_alone_recall@1"),
        ("follow-up recall@3", "followup_recall@3", "followup_alone_recall@3"),
        ("switch recall@1", "switch_recall@1", "switch_alone_recall@1"),
        ("switch recall@3", "switch_recall@3", "switch_alone_recall@3"),
        ("abstention", "abstention", "alone_abstention"),
    ]
    for label, context, alone in rows:
        lines.append(f"  {label:<20}{show(figures[context])}  alone {show(figures[alone])}")
    lines.append(f"  {'follow-ups detected':<20}{show(figures['followup_detected'])}")
    lines.append(f"  {'switch accuracy':<20}{show(figures['switch_accuracy'])}")
    extra = report.extra_ms
    lines.append(
        f"  {'context costs':<20}median {extra['median']:.2f} ms, p95 {extra['p95']:.2f} ms a turn"
    )
    lines.append("")
    if not report.misses:
        lines.append("No misses.")
    for miss in report.misses:
        expected = "unanswerable" if miss.answer is None else f"expected “{miss.answer}”"
        where = "nothing found" if miss.first is None else f"first: {miss.first}"
        lines.append(f"- {' / '.join(miss.turns)}")
        lines.append(
            f"    understood as {miss.understood_as} ({expected}; rank {miss.rank}); {where}"
        )
    return "\n".join(lines)
