"""What the command line writes: answers on standard output, progress and warnings on standard
error — and what it does when a reader goes away (``seedqa index | head -1``)."""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["Console", "count"]

_COMMAND = re.compile(r"\bseedqa (index|status|ask|eval|bot)\b((?: --?[a-z][\w-]*(?: (?!-)\S+)?)*)")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 file``, ``2 files``, ``1 miss``, ``2 misses``: the one plural rule of every front-end."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {plural or noun + ('es' if noun.endswith(('s', 'sh', 'ch', 'x')) else 's')}"


class Console:
    """Standard output and error of one ``seedqa`` run.

    Progress goes to standard error unless quiet, each warning once per process. A stream whose
    reader has gone away (a broken pipe) is dropped, not raised: output going away must not abort
    a build half done. ``closed`` tells the caller that some output was lost.

    Every line that names a ``seedqa`` command to run next repeats the flags the user gave
    (``hint_flags``), so that the command it suggests works on the same folders.
    """

    def __init__(
        self,
        quiet: bool,
        hint_flags: Sequence[str] = (),
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.quiet = quiet
        self.hint_flags = list(hint_flags)
        self._out = out
        self._err = err
        self._warned: set[str] = set()
        self._gone: set[int] = set()
        self.closed = False
        """Whether a write failed because the reader of the stream went away."""

    @property
    def out(self) -> TextIO:
        """Standard output (looked up on each write: tests swap ``sys.stdout``)."""
        return self._out or sys.stdout

    @property
    def err(self) -> TextIO:
        """Standard error."""
        return self._err or sys.stderr

    def hint(self, text: str) -> str:
        """``text`` with every ``seedqa COMMAND …`` in it completed by the flags the user gave."""
        if not self.hint_flags:
            return text

        def complete(match: re.Match[str]) -> str:
            given = match[2] or ""
            extra: list[str] = []
            for flag, value in zip(self.hint_flags[::2], self.hint_flags[1::2], strict=True):
                if f" {flag}" not in given:
                    extra += [flag, shlex.quote(value)]
            return f"seedqa {match[1]}{given}" + "".join(f" {part}" for part in extra)

        return _COMMAND.sub(complete, text)

    def print(self, text: str = "") -> bool:
        """Write a line on standard output; False when its reader has gone away."""
        return self._write(self.out, text)

    def error(self, text: str) -> None:
        """Write a line on standard error (an error message: even when quiet)."""
        self._write(self.err, self.hint(text))

    def say(self, message: str) -> None:
        """A progress line, unless quiet."""
        if not self.quiet:
            self._write(self.err, self.hint(message))

    def warn(self, message: str) -> None:
        """A warning, once per process however often it is raised."""
        if message not in self._warned:
            self._warned.add(message)
            self._write(self.err, "warning: " + self.hint(message))

    def _write(self, stream: TextIO, text: str) -> bool:
        if id(stream) in self._gone:
            return False
        try:
            print(text, file=stream, flush=True)
        except BrokenPipeError:
            self.closed = True
            self._gone.add(id(stream))
            _silence(stream)
            return False
        return True


def _silence(stream: TextIO) -> None:
    """Send what is still buffered for a stream whose reader went away to /dev/null.

    Without this the interpreter fails again flushing it at exit ("Exception ignored … Broken
    pipe") and may change the exit status.
    """
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)
