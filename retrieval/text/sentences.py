"""Sentences of a paragraph, as character spans of its text.

Chinese sentences end at 。！？ (and ；, which in Chinese prose closes a full clause); closing
quotes and brackets after the stop belong to the sentence (``……土地。”``). English sentences end
at . ! ? followed by a space. A line break ends a sentence too.
"""

from __future__ import annotations

import re

__all__ = ["Span", "clauses", "sentences"]

Span = tuple[int, int]

_NOT_ABBREVIATION = r"(?<!\b[MD]r)(?<!\b[MS][st])(?<!\bvs)(?<!\bNo)(?<!\bMrs)"
_SENTENCE_END = re.compile(
    r"""(?:[。！？；!?;]+|…{1,2}|\.{3})[”’"'」』）)】]*"""  # Chinese stops, with their closers
    r"""|(?<=[a-z0-9)\]"'])""" + _NOT_ABBREVIATION + r"""\.[”’"')\]]*(?=\s)"""  # English
    r"""|\n"""
)
_CLAUSE_END = re.compile(r"[，,、：:]+")


def sentences(text: str) -> list[Span]:
    """Spans of the sentences of ``text``, in order, without surrounding whitespace."""
    return _split(text, _SENTENCE_END)


def clauses(text: str, span: Span) -> list[Span]:
    """Spans of the clauses (split at commas and colons) of the sentence at ``span``."""
    start, end = span
    return [(start + a, start + b) for a, b in _split(text[start:end], _CLAUSE_END)]


def _split(text: str, boundary: re.Pattern[str]) -> list[Span]:
    spans: list[Span] = []
    start = 0
    for match in boundary.finditer(text):
        _append(spans, text, start, match.end())
        start = match.end()
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end and any(c.isalnum() for c in text[start:end]):
        spans.append((start, end))
    elif start < end and spans:  # stray punctuation joins the sentence before it
        spans[-1] = (spans[-1][0], end)
