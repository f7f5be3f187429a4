"""The ``seedqa`` command line: build the index, ask questions, run the Telegram bot."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from embeddings import DEFAULT_MODEL
from retrieval import (
    SILENT,
    BuildReport,
    ConfigError,
    QuestionError,
    SeedQAError,
    build_running,
    clean_question,
    read_manifest,
    seed_changes,
)
from retrieval.dialogue.evaluation import is_conversation_file
from retrieval.search.evaluation import evaluate, load_questions

from . import chat, runtime
from .citations import display_root
from .progress import TerminalMeter
from .render import answer_json, answer_text, dumps
from .scorecard import scorecard_json, scorecard_text
from .settings import Settings
from .status import status_json, status_text
from .telegram.config import ENVIRONMENT as BOT_ENVIRONMENT
from .telegram.config import add_arguments as add_bot_arguments

__all__ = ["main"]

MAX_K = 50

DESCRIPTION = """\
Answer questions from a folder of documents, with the answering sentence picked out and a
citation (article, section, paragraph, file and line) for every passage.

  seedqa index                      build or update the index of ./seeds in ./index
  seedqa status                     what is indexed, and which seed files changed since
  seedqa ask "边境党员受到了哪些教育？"   answer a question (builds the index first if needed)
  seedqa ask < questions.txt        answer one question per line
  seedqa bot                        answer in Telegram (token in $TELEGRAM_BOT_TOKEN)
  seedqa chat                       a conversation: follow-up questions understood in context
  seedqa eval questions.jsonl       measure the answers against labelled questions
"""

ENVIRONMENT = f"""\
environment:
  SEEDQA_SEEDS   seeds folder (--seeds), default ./seeds
  SEEDQA_INDEX   index folder (--index), default ./index
  SEEDQA_MODEL   embedding model (--model): a Hugging Face name, a local folder, or "none"
                 for lexical search only; default: the index's model, else {DEFAULT_MODEL}
  NO_COLOR       if set, the answering sentence is marked with ** instead of bold
"""


EVAL_DESCRIPTION = """\
Ask every question of QUESTIONS and measure the answers: recall@1, @3 and @5 and MRR@10
(a passage is right when it contains the answer text), how often the first passage's
picked-out sentence holds the answer, abstention on unanswerable questions, false abstention
on answerable ones, and latency. Recall, MRR and highlight are shares of the answerable
questions. Lists every miss with the passage that came first instead. Builds the index
first if there is none.
"""

EVAL_FORMAT = """\
QUESTIONS holds one JSON object a line:
  {"question": "阿里地区创建的党建品牌叫什么？", "answer": "藏西先锋·红色阿里"}
  {"question": "明天北京会下雨吗？", "unanswerable": true}
"""


def _positive(limit: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be between 1 and {limit}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("where")
    where.add_argument("--seeds", metavar="DIR", help="folder of seed documents (default ./seeds)")
    where.add_argument("--index", metavar="DIR", help="index folder (default ./index)")
    where.add_argument(
        "--model",
        metavar="NAME|PATH|none",
        help="sentence-transformers model for the dense leg, or 'none' for lexical search only "
        f"(default: the index's model; for a new index {DEFAULT_MODEL})",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="print no progress messages")
    common.add_argument(
        "-v", "--verbose", action="store_true", help="log what happens, for debugging"
    )

    parser = argparse.ArgumentParser(
        prog="seedqa",
        description=DESCRIPTION,
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    index = commands.add_parser(
        "index",
        parents=[common],
        help="build or update the index of the seeds folder",
        description="Build the index of the seeds folder, or update it: only new or changed "
        "paragraphs are embedded. Prints what it did.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    index.add_argument("--full", action="store_true", help="rebuild from scratch, reusing nothing")
    index.add_argument("--json", action="store_true", help="print the report as one JSON object")
    index.set_defaults(handler=run_index)

    status = commands.add_parser(
        "status",
        parents=[common],
        help="show what is indexed and which seed files changed since",
        description="Show what the index holds (files, paragraphs, model, when it was built), "
        "checking every index file, and which seed files were added, changed or removed since.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("--json", action="store_true", help="print the status as one JSON object")
    status.set_defaults(handler=run_status)

    ask = commands.add_parser(
        "ask",
        parents=[common],
        help="answer a question (or one question per line from standard input)",
        description="Answer a question with the passages of the seeds that answer it, the "
        "answering sentence picked out, and a citation for each. Builds the index first if there "
        "is none. Without QUESTION, reads one question per line from standard input.",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ask.add_argument(
        "question", nargs="?", metavar="QUESTION", help="the question (omit to read stdin)"
    )
    ask.add_argument(
        "-k",
        "--top",
        type=_positive(MAX_K),
        default=3,
        metavar="N",
        help="passages to show (default 3)",
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.set_defaults(handler=run_ask)

    bot = commands.add_parser(
        "bot",
        parents=[common],
        help="answer questions in Telegram: private chats, groups and inline mode",
        description="Run the Telegram bot: long polling by default, or a webhook with "
        "--webhook-url. Builds the index first if there is none. Stop it with Ctrl-C or SIGTERM.",
        epilog=BOT_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_bot_arguments(bot)
    bot.set_defaults(handler=run_bot)
    eval_parser = commands.add_parser(
        "eval",
        parents=[common],
        help="measure the answers against a file of labelled questions",
        description=EVAL_DESCRIPTION,
        epilog=EVAL_FORMAT + "\n" + ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    eval_parser.add_argument(
        "questions", type=Path, metavar="QUESTIONS", help="labelled questions (JSON lines)"
    )
    eval_parser.add_argument(
        "--json", action="store_true", help="print the report as one JSON object"
    )
    eval_parser.set_defaults(handler=run_eval)
    chat.add_parser(commands, [common], ENVIRONMENT)
    return parser


class _Console:
    """Progress and warnings on standard error: progress unless quiet, each warning once."""

    def __init__(self, quiet: bool, stream: TextIO) -> None:
        self.quiet = quiet
        self.stream = stream
        self._warned: set[str] = set()

    def say(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def warn(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            print(f"warning: {message}", file=self.stream, flush=True)


def run_index(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """``seedqa index``."""
    started = time.perf_counter()
    settings = Settings.resolve(args.seeds, args.index, args.model, environ)
    console = _Console(args.quiet or args.json, sys.stderr)
    meter = SILENT if args.quiet else TerminalMeter(sys.stderr)
    report, _ = runtime.build(settings, console.warn, console.say, full=args.full, meter=meter)
    if report is None:
        manifest = read_manifest(settings.index)
        if args.json:
            seconds = time.perf_counter() - started
            print(dumps(_up_to_date_json(manifest.paragraphs, list(manifest.files), seconds)))
        else:
            mode = "hybrid" if manifest.dense else "lexical"
            print(
                f"Index in {settings.index} is up to date: {_count(len(manifest.files), 'file')}, "
                f"{_count(manifest.paragraphs, 'paragraph')} ({mode}). Nothing to do."
            )
        return 0
    print(dumps(_report_json(report)) if args.json else _report_text(report, settings))
    return 0


def _report_json(report: BuildReport) -> dict[str, Any]:
    data = asdict(report)
    for key in ("files_added", "files_changed", "files_removed", "files_unchanged"):
        data[key.replace("files_", "paths_")] = list(data[key])
        data[key] = len(data[key])
    data["seconds"] = round(report.seconds, 3)
    data["skipped"] = [{"path": s.path, "reason": s.reason} for s in report.skipped]
    data["notes"] = list(report.notes)
    return data


def _up_to_date_json(paragraphs: int, files: list[str], seconds: float) -> dict[str, Any]:
    return {
        "version": None,
        "files": len(files),
        "paragraphs": paragraphs,
        "files_added": 0,
        "files_changed": 0,
        "files_removed": 0,
        "files_unchanged": len(files),
        "paths_unchanged": files,
        "paragraphs_embedded": 0,
        "paragraphs_reused": paragraphs,
        "seconds": round(seconds, 3),
        "up_to_date": True,
    }


def _report_text(report: BuildReport, settings: Settings) -> str:
    lines = [
        f"Indexed {_count(report.files, 'file')}, {_count(report.paragraphs, 'paragraph')}, "
        f"{_count(report.windows, 'window')} ({report.mode}) into {settings.index} "
        f"in {report.seconds:.1f} s.",
        f"  files: {len(report.files_added)} added, {len(report.files_changed)} changed, "
        f"{len(report.files_removed)} removed, {len(report.files_unchanged)} unchanged",
        f"  paragraphs: {report.paragraphs_embedded} embedded, {report.paragraphs_reused} reused; "
        f"{_count(report.page_breaks, 'page break')} joined",
    ]
    if report.windows_embedded or report.windows_cached:
        lines.append(
            f"  windows: {report.windows_embedded} embedded, {report.windows_cached} from the cache"
        )
    lines += [f"  note: {note}" for note in report.notes]
    lines += [f"  skipped {s.path}: {s.reason}" for s in report.skipped]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def run_ask(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """``seedqa ask``."""
    settings = Settings.resolve(args.seeds, args.index, args.model, environ)
    console = _Console(args.quiet, sys.stderr)
    single = args.question is not None and args.question != "-"
    if single:
        clean_question(args.question)  # a bad question is refused before anything loads
    engine = runtime.open_engine(settings, console.warn, console.say)
    root = display_root(engine.searcher.index.manifest.seeds)
    colour = sys.stdout.isatty() and "NO_COLOR" not in environ
    emphasis = ("\033[1;4m", "\033[0m") if colour else ("**", "**")

    def answer(question: str) -> None:
        result = engine.ask(question, k=args.top)
        print(dumps(answer_json(result)) if args.json else answer_text(result, root, emphasis))

    if single:
        answer(args.question)
        return 0
    return _batch(sys.stdin, answer, args.json, console)


def run_bot(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """``seedqa bot`` (imports the Telegram library only now: ``seedqa ask`` does without)."""
    from .telegram.application import run

    console = _Console(args.quiet, sys.stderr)
    return run(args, environ, console.warn, console.say)


def _batch(lines: TextIO, answer: Callable[[str], None], as_json: bool, console: _Console) -> int:
    """Answer one question per line; a rejected line is reported and the rest go on."""
    interactive = lines.isatty()
    rejected = 0
    first = True
    if interactive:
        console.say("Ask a question per line; end with Ctrl-D.")
    for number, line in enumerate(lines, start=1):
        question = line.strip()
        if not question:
            continue
        if not as_json and not first and not interactive:
            print()
        first = False
        try:
            answer(question)
        except QuestionError as error:
            rejected += 1
            print(f"error: line {number}: {error}", file=sys.stderr)
            if as_json:
                print(dumps({"question": question[:200], "error": str(error), "hits": []}))
        sys.stdout.flush()
    return 2 if rejected else 0


def run_eval(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """``seedqa eval``."""
    if is_conversation_file(args.questions):
        return chat.run_conversation_eval(args, environ)
    settings = Settings.resolve(args.seeds, args.index, args.model, environ)
    console = _Console(args.quiet, sys.stderr)
    questions = load_questions(args.questions)  # a bad file is refused before anything loads
    engine = runtime.open_engine(settings, console.warn, console.say)
    console.say(f"Asking {_count(len(questions), 'question')} from {args.questions}")
    report = evaluate(engine.ask, questions)
    mode = engine.searcher.mode
    if args.json:
        print(dumps(scorecard_json(report, mode)))
    else:
        print(scorecard_text(report, mode, display_root(engine.searcher.index.manifest.seeds)))
    return 0


def run_status(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """``seedqa status``."""
    settings = Settings.resolve(args.seeds, args.index, args.model, environ)
    manifest = read_manifest(settings.index, check=True)
    changes = seed_changes(settings.seeds, manifest)
    where = (str(settings.index), str(settings.seeds), manifest, changes)
    building = build_running(settings.index)
    print(dumps(status_json(*where, building)) if args.json else status_text(*where, building))
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run ``seedqa``; returns the exit status (0 ok, 1 failure, 2 bad usage or input)."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    environ = os.environ if environ is None else environ
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines hold the bot token
    try:
        return int(args.handler(args, environ))
    except (QuestionError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SeedQAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
