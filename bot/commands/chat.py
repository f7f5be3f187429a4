"""``seedqa chat``: a conversation at the command line, follow-up questions understood in context.

In a terminal it prompts for each turn (with readline history); with standard input not a
terminal each line is the next turn of one conversation and a line ``/new`` starts a new one.
``--json`` prints one object per turn: ``seedqa ask --json``'s, plus ``understood_as`` and
``followup``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from retrieval import Conversation, Dialogue, QuestionError

from .. import runtime
from ..chat import reply_json, understood_line
from ..citations import display_root
from ..render import answer_text, dumps
from ..settings import NO_COLOR, WHERE
from . import Command, Group, Invocation
from .ask import HISTORY, MAX_K, positive, terminal_lines

__all__ = ["COMMAND", "NEW"]

NEW = "/new"
"""The line that starts a new conversation."""

DESCRIPTION = """\
A conversation about the seeds: each question is answered in the context of the one before,
so that a follow-up such as 那普兰县呢？ or 受教育多少人次？ is understood (the answer says how,
in one line). A new topic is answered as if asked alone. In a terminal, type a question at the
prompt (Ctrl-D ends); otherwise each line of standard input is the next turn. A line /new starts
a new conversation. Builds the index first if there is none.
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-k", "--top", type=positive(MAX_K), default=3, metavar="N", help="passages per answer"
    )


def run(call: Invocation) -> int:
    """Answer each turn in the context of the ones before it."""
    args, console = call.args, call.console
    engine = runtime.open_engine(call.settings, console.warn, console.say)
    dialogue = Dialogue(engine)
    root = display_root(engine.info.seeds)
    interactive = sys.stdin.isatty()
    colour = sys.stdout.isatty() and not call.values[NO_COLOR]
    emphasis = ("\033[1;4m", "\033[0m") if colour else ("**", "**")
    if interactive:
        console.say(f"Ask a question; {NEW} starts a new conversation; Ctrl-D ends.")
    lines: Iterator[str] = (
        terminal_lines(call.values[HISTORY], "> ") if interactive else iter(sys.stdin)
    )
    conversation = Conversation()
    rejected = 0
    first = True
    for number, line in enumerate(lines, start=1):
        question = line.strip()
        if not question:
            continue
        if question == NEW:
            conversation = Conversation()
            if interactive:
                console.say("(a new conversation)")
            continue
        try:
            reply = dialogue.ask(conversation, question, k=args.top)
        except QuestionError as error:
            rejected += 1
            console.error(f"error: line {number}: {error}")
            if args.json:
                console.print(dumps({"question": question[:200], "error": str(error), "hits": []}))
            continue
        conversation = reply.conversation
        if args.json:
            shown = console.print(dumps(reply_json(reply)))
        else:
            if not first and not interactive:
                console.print()
            note = understood_line(reply)
            if note:
                console.print(note)
            shown = console.print(answer_text(reply.answer, root, emphasis))
        first = False
        if not shown:  # the reader of the answers has gone away
            return 1
    return 2 if rejected else 0


COMMAND = Command(
    name="chat",
    help="a conversation: follow-up questions answered in context",
    description=DESCRIPTION,
    run=run,
    arguments=_arguments,
    groups=(Group("where", WHERE), Group("terminal", (NO_COLOR, HISTORY))),
)
