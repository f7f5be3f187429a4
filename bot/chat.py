"""``seedqa chat``: a conversation at the command line, follow-up questions understood in context.

In a terminal it prompts for each turn (with readline history); with standard input not a
terminal each line is the next turn of one conversation and a line ``/new`` starts a new one.
``--json`` prints one object per turn: ``seedqa ask --json``'s, plus ``understood_as`` and
``followup``. Also ``seedqa eval`` over a conversation file (its scorecard is here too).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from retrieval import QuestionError
from retrieval.dialogue import Conversation, Dialogue, Reply
from retrieval.dialogue.evaluation import (
    ConversationReport,
    evaluate_conversations,
    load_conversations,
)

from . import runtime
from .citations import display_root, language_of
from .render import answer_json, answer_text, dumps
from .settings import Settings

__all__ = [
    "NEW",
    "add_parser",
    "reply_json",
    "run_chat",
    "run_conversation_eval",
    "understood_line",
]

NEW = "/new"
"""The line that starts a new conversation."""
PROMPT = "> "

DESCRIPTION = """\
A conversation about the seeds: each question is answered in the context of the one before,
so that a follow-up such as 那普兰县呢？ or 受教育多少人次？ is understood (the answer says how,
in one line). A new topic is answered as if asked alone. In a terminal, type a question at the
prompt (Ctrl-D ends); otherwise each line of standard input is the next turn. A line /new starts
a new conversation. Builds the index first if there is none.
"""

UNDERSTOOD = {"zh": "理解为：", "en": "Understood as: "}


def add_parser(commands: Any, parents: list[argparse.ArgumentParser], epilog: str) -> None:
    """Declare ``seedqa chat`` among the subcommands."""
    chat = commands.add_parser(
        "chat",
        parents=parents,
        help="a conversation: follow-up questions answered in context",
        description=DESCRIPTION,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    chat.add_argument("-k", "--top", type=int, default=3, metavar="N", help="passages per answer")
    chat.add_argument("--json", action="store_true", help="print one JSON object per turn")
    chat.set_defaults(handler=run_chat)


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


def run_chat(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """``seedqa chat``."""
    settings = Settings.resolve(args.seeds, args.index, args.model, environ)
    say = (lambda message: None) if args.quiet else _stderr
    warned: set[str] = set()

    def warn(message: str) -> None:
        if message not in warned:
            warned.add(message)
            _stderr(f"warning: {message}")

    if not 1 <= args.top <= 50:
        raise QuestionError("-k must be between 1 and 50.")
    engine = runtime.open_engine(settings, warn, say)
    dialogue = Dialogue(engine)
    root = display_root(engine.searcher.index.manifest.seeds)
    interactive = sys.stdin.isatty()
    colour = sys.stdout.isatty() and "NO_COLOR" not in environ
    emphasis = ("\033[1;4m", "\033[0m") if colour else ("**", "**")
    if interactive:
        say(f"Ask a question; {NEW} starts a new conversation; Ctrl-D ends.")
    conversation = Conversation()
    rejected = 0
    first = True
    for number, line in _turns(sys.stdin, interactive):
        question = line.strip()
        if not question:
            continue
        if question == NEW:
            conversation = Conversation()
            if interactive:
                say("(a new conversation)")
            continue
        try:
            reply = dialogue.ask(conversation, question, k=args.top)
        except QuestionError as error:
            rejected += 1
            print(f"error: line {number}: {error}", file=sys.stderr)
            if args.json:
                print(dumps({"question": question[:200], "error": str(error), "hits": []}))
            continue
        conversation = reply.conversation
        if args.json:
            print(dumps(reply_json(reply)))
        else:
            if not first and not interactive:
                print()
            note = understood_line(reply)
            if note:
                print(note)
            print(answer_text(reply.answer, root, emphasis))
        first = False
        sys.stdout.flush()
    return 2 if rejected else 0


def _turns(stream: TextIO, interactive: bool) -> Iterator[tuple[int, str]]:
    """Numbered lines: from a prompt with readline history in a terminal, else from the stream."""
    if not interactive:
        yield from enumerate(stream, start=1)
        return
    with contextlib.suppress(ImportError):  # not on every platform; input() works without it
        import readline  # noqa: F401  (imported for its side effect: line editing and history)
    number = 0
    while True:
        try:
            line = input(PROMPT)
        except EOFError:
            print(file=sys.stderr)
            return
        number += 1
        yield number, line


def show(value: float | None) -> str:
    """A share to three decimals, or n/a."""
    return "   n/a" if value is None else f"{value:6.3f}"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_conversation_eval(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """``seedqa eval CONVERSATIONS.jsonl``: the last turns with their context and alone."""
    settings = Settings.resolve(args.seeds, args.index, args.model, environ)
    conversations = load_conversations(args.questions)  # refused before anything loads
    say = (lambda message: None) if args.quiet or args.json else _stderr
    engine = runtime.open_engine(settings, lambda m: _stderr(f"warning: {m}"), say)
    say(f"Asking {len(conversations)} conversations from {args.questions}")
    report = evaluate_conversations(Dialogue(engine), conversations)
    mode = engine.searcher.mode
    print(dumps({"mode": mode, **report.to_json()}) if args.json else scorecard(report, mode))
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
