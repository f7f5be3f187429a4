"""How a long build says how far it has got: a seam the command line fills with a progress bar."""

from __future__ import annotations

from typing import Protocol

__all__ = ["SILENT", "Meter"]


class Meter(Protocol):
    """Counts the units of one long step (files read, paragraphs analysed, windows embedded)."""

    def start(self, label: str, total: int) -> None:
        """A step of ``total`` units begins (the previous one, if any, is over)."""
        ...

    def advance(self, count: int) -> None:
        """``count`` more units of the current step are done."""
        ...

    def stop(self) -> None:
        """The current step is over."""
        ...


class _Silent:
    """A meter that shows nothing."""

    def start(self, label: str, total: int) -> None:
        """Show nothing."""

    def advance(self, count: int) -> None:
        """Show nothing."""

    def stop(self) -> None:
        """Show nothing."""


SILENT: Meter = _Silent()
"""The meter of a build nobody watches."""
