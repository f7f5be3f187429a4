"""A progress bar on the terminal for long builds (tqdm), drawn only where someone watches."""

from __future__ import annotations

from typing import TextIO

from tqdm import tqdm

__all__ = ["TerminalMeter"]


class TerminalMeter:
    """Draws one bar per step of a build on ``stream``; nothing when it is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self._bar: tqdm[None] | None = None

    def start(self, label: str, total: int) -> None:
        """Begin a bar of ``total`` units (none for an empty step)."""
        self.stop()
        if self.enabled and total > 0:
            self._bar = tqdm(
                total=total, desc=label, file=self.stream, leave=False, dynamic_ncols=True
            )

    def advance(self, count: int) -> None:
        """Move the bar on by ``count`` units."""
        if self._bar is not None:
            self._bar.update(count)

    def stop(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
