"""``seedqa index``: build the index of the seeds folder, or update it, and say what it did."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from retrieval import SILENT, BuildReport

from .. import runtime
from ..console import count
from ..progress import TerminalMeter
from ..render import dumps
from ..settings import Settings
from . import Command, Invocation

__all__ = ["COMMAND"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true", help="rebuild from scratch, reusing nothing")


def run(call: Invocation) -> int:
    """Build or update the index; the report on standard output."""
    args, console, settings = call.args, call.console, call.settings
    meter = SILENT if args.quiet else TerminalMeter(sys.stderr)
    report, _ = runtime.build(settings, console.warn, console.say, full=args.full, meter=meter)
    if report.up_to_date and not args.json:
        console.print(
            f"Index in {settings.index} is up to date: {count(report.files, 'file')}, "
            f"{count(report.paragraphs, 'paragraph')} ({report.mode}). Nothing to do."
        )
        return 0
    console.print(dumps(_report_json(report)) if args.json else _report_text(report, settings))
    return 0  # the build is done even when nobody reads the report any more (| head)


def _report_json(report: BuildReport) -> dict[str, Any]:
    data = asdict(report)
    for key in ("files_added", "files_changed", "files_removed", "files_unchanged"):
        data[key.replace("files_", "paths_")] = list(data[key])
        data[key] = len(data[key])
    data["seconds"] = round(report.seconds, 3)
    data["skipped"] = [{"path": s.path, "reason": s.reason} for s in report.skipped]
    data["notes"] = list(report.notes)
    return data


def _report_text(report: BuildReport, settings: Settings) -> str:
    lines = [
        f"Indexed {count(report.files, 'file')}, {count(report.paragraphs, 'paragraph')}, "
        f"{count(report.windows, 'window')} ({report.mode}) into {settings.index} "
        f"in {report.seconds:.1f} s.",
        f"  files: {len(report.files_added)} added, {len(report.files_changed)} changed, "
        f"{len(report.files_removed)} removed, {len(report.files_unchanged)} unchanged",
        f"  paragraphs: {report.paragraphs_embedded} embedded, {report.paragraphs_reused} reused; "
        f"{count(report.page_breaks, 'page break')} joined",
    ]
    if report.windows_embedded or report.windows_cached:
        lines.append(
            f"  windows: {report.windows_embedded} embedded, {report.windows_cached} from the cache"
        )
    lines += [f"  note: {note}" for note in report.notes]
    lines += [f"  skipped {s.path}: {s.reason}" for s in report.skipped]
    return "\n".join(lines)


COMMAND = Command(
    name="index",
    help="build or update the index of the seeds folder",
    description="Build the index of the seeds folder, or update it: only new or changed "
    "paragraphs are embedded. Prints what it did. Segments due to be merged are merged by a "
    "process of its own after it returns (log: .merge.log in the index folder); a build "
    "started meanwhile stops that merge and goes on, unless it has nothing to do.",
    run=run,
    arguments=_arguments,
)
