"""Telegram HTML: styled runs of text, escaped once, packed into messages within Telegram's limit.

Telegram refuses a message longer than 4096 characters, counted after its HTML is parsed into
entities and counted in UTF-16 code units (an emoji outside the Basic Multilingual Plane counts
two). Text stays a sequence of runs (a piece of text and its style) until it is rendered, so a
message can be cut anywhere without cutting a tag or an entity in half: every piece renders its
own tags.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

from retrieval import SENTENCE_ENDS

__all__ = ["MESSAGE_LIMIT", "Block", "Chunk", "Run", "paginate", "render", "utf16_length"]

MESSAGE_LIMIT = 4096
"""Most characters (UTF-16 code units, after entity parsing) Telegram accepts in one message."""

Style = Literal["", "b", "i", "code", "quote"]
"""``quote``: an expandable blockquote, shown folded to a few lines until tapped."""

_SEPARATOR = "\n\n"
_LINE_BREAKS = "\n"
_SENTENCE_ENDS = SENTENCE_ENDS
_MIN_PIECE = 0.5
"""A cut inside a block falls in the last half of the room, so no piece is a sliver."""


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of text in one style; its text is plain and escaped only when rendered."""

    text: str
    style: Style = ""


Block = tuple[Run, ...]
"""Runs kept in one message where they fit (a passage and its citation)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One message: its Telegram HTML and the same text without markup (the plain fallback)."""

    html: str
    plain: str


def utf16_length(text: str) -> int:
    """The length of ``text`` as Telegram counts it: in UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def render(runs: Sequence[Run]) -> Chunk:
    """The runs as Telegram HTML (every character of text escaped) and as plain text."""
    parts = []
    for run in runs:
        if not run.text:
            continue
        escaped = html.escape(run.text, quote=False)
        if run.style == "quote":
            parts.append(f"<blockquote expandable>{escaped}</blockquote>")
        else:
            parts.append(f"<{run.style}>{escaped}</{run.style}>" if run.style else escaped)
    return Chunk("".join(parts), "".join(run.text for run in runs))


def paginate(blocks: Sequence[Block], limit: int = MESSAGE_LIMIT) -> list[Chunk]:
    """The blocks packed in order into as few messages as fit, a blank line between two blocks.

    A block too long for one message is cut at the last line break, else sentence end, else space
    in the last half of the room, else at the limit itself.
    """
    messages: list[list[Run]] = []
    current: list[Run] = []
    size = 0
    for block in blocks:
        for piece in _pieces(block, limit):
            length = utf16_length("".join(run.text for run in piece))
            if current and size + len(_SEPARATOR) + length > limit:
                messages.append(current)
                current, size = [], 0
            if current:
                current.append(Run(_SEPARATOR))
                size += len(_SEPARATOR)
            current.extend(piece)
            size += length
    if current:
        messages.append(current)
    return [render(runs) for runs in messages]


def _pieces(block: Block, limit: int) -> list[Block]:
    """The block trimmed of outer whitespace and cut into pieces that each fit in a message."""
    text = "".join(run.text for run in block)
    start, end = 0, len(text)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return []
    widths = [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)]
    pieces = []
    while widths[end] - widths[start] > limit:
        cut = _cut(text, widths, start, limit)
        pieces.append(_slice(block, start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    pieces.append(_slice(block, start, end))
    return [piece for piece in pieces if piece]


def _cut(text: str, widths: list[int], start: int, limit: int) -> int:
    """Where to end the piece that starts at ``start``: the best boundary within ``limit``."""
    room = max(start + 1, bisect_right(widths, widths[start] + limit) - 1)
    floor = start + max(1, int((room - start) * _MIN_PIECE))
    window = text[floor:room]
    for stops in (_LINE_BREAKS, _SENTENCE_ENDS):
        best = max(window.rfind(ch) for ch in stops)
        if best >= 0:
            return floor + best + 1
    spaces = [i for i, ch in enumerate(window) if ch.isspace()]
    return floor + spaces[-1] + 1 if spaces else room


def _slice(block: Block, start: int, end: int) -> Block:
    """The runs of ``block`` between two character offsets of its text, outer whitespace trimmed."""
    runs = []
    position = 0
    for run in block:
        a, b = max(start, position), min(end, position + len(run.text))
        if a < b:
            runs.append(Run(run.text[a - position : b - position], run.style))
        position += len(run.text)
    if runs:
        runs[0] = Run(runs[0].text.lstrip(), runs[0].style)
        runs[-1] = Run(runs[-1].text.rstrip(), runs[-1].style)
    return tuple(run for run in runs if run.text)
