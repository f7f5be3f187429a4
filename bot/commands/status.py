"""``seedqa status``: what the index holds, and which seed files changed since it was built."""

from __future__ import annotations

from retrieval import status

from ..render import dumps
from ..status import status_json, status_text
from . import Command, Invocation

__all__ = ["COMMAND"]


def run(call: Invocation) -> int:
    """Show the status; checks every index file."""
    settings = call.settings
    where = (str(settings.index), str(settings.seeds), status(settings.seeds, settings.index))
    if call.args.json:
        call.console.print(dumps(status_json(*where)))
    else:
        call.console.print(call.console.hint(status_text(*where)))
    return 0


COMMAND = Command(
    name="status",
    help="show what is indexed and which seed files changed since",
    description="Show what the index holds (files, paragraphs, model, when it was built), "
    "checking every index file, and which seed files were added, changed or removed since.",
    run=run,
)
