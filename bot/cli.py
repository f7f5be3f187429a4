"""The ``seedqa`` command line: build the index, ask questions, run the Telegram bot.

Each subcommand lives in a module of :mod:`bot.commands` and declares its settings; this module
makes the parser from the declarations, resolves the settings once, and turns errors into
``error: …`` lines and exit statuses.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from typing import Any

from retrieval import QuestionError, SeedQAError

from .commands import Command, Invocation
from .commands.ask import COMMAND as ASK
from .commands.chat import COMMAND as CHAT
from .commands.evaluation import COMMAND as EVAL
from .commands.index import COMMAND as INDEX
from .commands.serve import COMMAND as SERVE
from .commands.status import COMMAND as STATUS
from .commands.telegram import COMMAND as BOT
from .console import Console
from .errors import ConfigError
from .settings import WHERE, Setting, add_settings, environment_help, resolve

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: tuple[Command, ...] = (INDEX, STATUS, ASK, CHAT, BOT, SERVE, EVAL)
"""Every subcommand, in the order ``seedqa --help`` lists them."""

DESCRIPTION = """\
Answer questions from a folder of documents, with the answering sentence picked out and a
citation (article, section, paragraph, file and line) for every passage.

  seedqa index                      build or update the index of ./seeds in ./index
  seedqa status                     what is indexed, and which seed files changed since
  seedqa ask "边境党员受到了哪些教育？"   answer a question (builds the index first if needed)
  seedqa ask < questions.txt        answer one question per line
  seedqa chat                       a conversation: follow-up questions understood in context
  seedqa bot                        answer in Telegram (token in $TELEGRAM_BOT_TOKEN)
  seedqa serve                      answer over HTTP (JSON search, Dify, OpenAI chat)
  seedqa eval questions.jsonl       measure the answers against labelled questions
"""


def version() -> str:
    """seedqa's version, as installed (or 'unknown' when run from a bare source tree)."""
    try:
        return metadata.version("seedqa")
    except metadata.PackageNotFoundError:
        return "unknown"


def _all_settings(commands: Iterable[Command]) -> list[Setting[Any]]:
    seen: dict[str, Setting[Any]] = {}
    for command in commands:
        for setting in command.settings:
            seen.setdefault(setting.name, setting)
    return list(seen.values())


def build_parser(commands: Sequence[Command] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser of every subcommand, made from their declarations."""
    parser = argparse.ArgumentParser(
        prog="seedqa",
        description=DESCRIPTION,
        epilog=environment_help(_all_settings(commands)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"seedqa {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in commands:
        epilog = environment_help(command.settings)
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=(command.epilog + "\n" if command.epilog else "") + epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(sub)
        if command.json:
            sub.add_argument("--json", action="store_true", help="print JSON, one object a line")
        sub.add_argument("-q", "--quiet", action="store_true", help="print no progress messages")
        sub.add_argument(
            "-v", "--verbose", action="store_true", help="log what happens, for debugging"
        )
        for group in command.groups:
            if any(setting.flag for setting in group.settings):
                add_settings(sub.add_argument_group(group.title, group.description), group.settings)
        sub.set_defaults(command_object=command)
    return parser


def _utf8(stream: Any) -> None:
    """Write UTF-8 whatever the locale says: answers and JSON hold Chinese."""
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(encoding="utf-8", errors="replace")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run ``seedqa``; returns the exit status (0 ok, 1 failure, 2 bad usage or input)."""
    for stream in (sys.stdout, sys.stderr):
        _utf8(stream)
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    environ = os.environ if environ is None else environ
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines hold the bot token
    command: Command = args.command_object
    console = Console(args.quiet or (getattr(args, "json", False) and command is INDEX))
    try:
        values = resolve(command.settings, args, environ)
        console.hint_flags = values.flags(WHERE)
        return int(command.run(Invocation(args, values, environ, console)))
    except (QuestionError, ConfigError) as error:
        console.error(f"error: {error}")
        return 2
    except SeedQAError as error:
        console.error(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        console.error("")
        return 130
    except BrokenPipeError:  # a write the console did not make (a library's own print)
        return 1
