"""``seedqa ask``: answer one question, a file of them on standard input, or a person at a
terminal (a prompt, history, trimmed passages)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from retrieval import QuestionError, clean_question, seeds_changed

from .. import generated, runtime
from ..citations import display_root
from ..render import AROUND, answer_json, answer_text, dumps
from ..settings import NO_COLOR, WHERE, Setting, path
from ..status import stale_warning
from . import Command, Group, Invocation

__all__ = ["COMMAND", "HISTORY", "MAX_K", "positive", "terminal_lines"]

MAX_K = 50

HISTORY: Setting[Path] = Setting(
    "history",
    "file that keeps the questions asked at the terminal, for the up arrow; 'none' keeps none",
    env="SEEDQA_HISTORY",
    default=Path("~/.seedqa_history").expanduser(),
    parse=path,
    shown_default="~/.seedqa_history",
)


def positive(limit: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 1 and {limit}")
        return value

    return parse


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "question", nargs="?", metavar="QUESTION", help="the question (omit to read stdin)"
    )
    parser.add_argument(
        "-k",
        "--top",
        type=positive(MAX_K),
        default=3,
        metavar="N",
        help="passages to show (default 3)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="at a terminal, show whole paragraphs, not just the lines around the answer "
        "(so does -v)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="check every index file against its checksum before answering (without it, the "
        "big files are checked as the answer reads them)",
    )


def run(call: Invocation) -> int:
    """Answer the question, or each line of standard input."""
    args, console = call.args, call.console
    single = args.question is not None and args.question != "-"
    if single:
        clean_question(args.question)  # a bad question is refused before anything loads
    engine = runtime.open_engine(call.settings, console.warn, console.say, check=args.check)
    if seeds_changed(call.settings.seeds, call.settings.index, engine.info.version):  # once
        console.warn(stale_warning())
    root = display_root(engine.info.seeds)
    colour = sys.stdout.isatty() and not call.values[NO_COLOR]
    emphasis = ("\033[1;4m", "\033[0m") if colour else ("**", "**")
    interactive = not single and sys.stdin.isatty()
    around = AROUND if interactive and not (args.full or args.verbose) else None

    writer = generated.open_writer(call.values)

    def answer(question: str) -> bool:
        result = engine.ask(question, k=args.top)
        if args.json:
            shown = generated.with_generated(answer_json(result), result, writer)
            return console.print(dumps(shown))
        if not single and not interactive:  # a batch: each answer under its question
            console.print(f"Q: {question}")
        above = generated.text_above(result, writer)
        return console.print(above + answer_text(result, root, emphasis, around))

    try:
        if single:
            answer(args.question)
            return 1 if console.closed else 0
        if interactive:
            console.say("Ask a question per line; end with Ctrl-D.")
            lines: Iterator[str] = terminal_lines(call.values[HISTORY])
        else:
            lines = _lines(sys.stdin)
        return _batch(lines, answer, args.json, call, interactive)
    finally:
        if writer is not None:
            writer.close()


def _lines(stream: TextIO) -> Iterator[str]:
    yield from stream


def terminal_lines(history: Path | None, prompt: str = "? ") -> Iterator[str]:
    """Questions typed at a terminal: a prompt, line editing, and history kept across runs."""
    try:
        import readline
    except ImportError:  # Windows: input() still works, without history
        readline = None  # type: ignore[assignment]
    keep = readline is not None and history is not None and history.name.lower() != "none"
    if keep:
        assert readline is not None and history is not None
        with contextlib.suppress(OSError):  # none yet
            readline.read_history_file(history)
        readline.set_history_length(1000)
    try:
        while True:
            try:
                line = _prompted(prompt)
            except EOFError:
                print(file=sys.stderr)
                return
            yield line
    finally:
        if keep:
            assert readline is not None and history is not None
            # A read-only home: the history of this run is lost, nothing else.
            with contextlib.suppress(OSError):
                readline.write_history_file(history)


def _prompted(prompt: str) -> str:
    """A line typed at the terminal; the prompt on standard error when the output is a file."""
    if sys.stdout.isatty():
        return input(prompt)
    print(prompt, end="", file=sys.stderr, flush=True)
    return input()


def _batch(
    lines: Iterator[str],
    answer: Callable[[str], bool],
    as_json: bool,
    call: Invocation,
    interactive: bool = False,
) -> int:
    """Answer one question per line; a rejected line is reported and the rest go on.

    Stops when nobody reads the answers any more (``| head``): exit status 1, as for any output
    that could not be written.
    """
    console = call.console
    rejected = 0
    first = True
    for number, line in enumerate(lines, start=1):
        question = line.strip()
        if not question:
            continue
        if not as_json and not first and not interactive:
            console.print()  # a blank line between answers
        first = False
        try:
            written = answer(question)
        except QuestionError as error:
            rejected += 1
            console.error(f"error: line {number}: {error}")
            written = not as_json or console.print(
                dumps({"question": question[:200], "error": str(error), "hits": []})
            )
        if not written:
            return 1
        if interactive and not as_json:
            console.print()  # a blank line before the next prompt
    return 2 if rejected else 0


COMMAND = Command(
    name="ask",
    help="answer a question (or one question per line from standard input)",
    description="Answer a question with the passages of the seeds that answer it, the "
    "answering sentence picked out, and a citation for each. Builds the index first if there "
    "is none. Without QUESTION, reads one question per line from standard input; at a "
    "terminal it prompts, keeps a history, and shows the lines around each answer.",
    run=run,
    groups=(
        Group("where", WHERE),
        Group("terminal", (NO_COLOR, HISTORY)),
        generated.LLM_GROUP,
    ),
    arguments=_arguments,
)
