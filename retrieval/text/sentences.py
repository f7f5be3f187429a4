"""Sentences of a paragraph, as character spans of its text.

Chinese sentences end at 。！？ (and ；, which in Chinese prose closes a full clause); closing
quotes and brackets after the stop belong to the sentence (``……土地。”``). English sentences end
at . ! ? followed by a space. A line break ends a sentence too. A stop inside brackets or quotes
does not end the sentence around them: ``“三三制”(“三部一体”即…;“三定先行”即…)`` is one sentence.

``SENTENCE_ENDS`` and ``CLOSERS`` are the one definition of those characters for the project.
"""

from __future__ import annotations

import re

__all__ = ["CLOSERS", "SENTENCE_ENDS", "Span", "clauses", "sentences"]

Span = tuple[int, int]

SENTENCE_ENDS = "。！？；!?;…"
"""Characters that end a sentence (``.`` only before a space: see ``_SENTENCE_END``)."""
CLOSERS = "”’\"'」』）)】》〉]"
"""Closing quotes and brackets that belong to the sentence their stop ends."""
_PAIRS = {
    "（": "）",
    "(": ")",
    "【": "】",
    "[": "]",
    "“": "”",
    "‘": "’",  # noqa: RUF001
    "「": "」",
    "『": "』",
    "《": "》",
}
_LONGEST_PROTECTED = 300
"""Brackets or quotes longer than this hold whole sentences, which may end inside them."""

_NOT_ABBREVIATION = r"(?<!\b[MD]r)(?<!\b[MS][st])(?<!\bvs)(?<!\bNo)(?<!\bMrs)"
_SENTENCE_END = re.compile(
    r"(?:[" + re.escape(SENTENCE_ENDS.replace("…", "")) + r"]+|…{1,2}|\.{3})"
    r"[" + re.escape(CLOSERS) + r"]*"  # Chinese stops, with their closers
    r"""|(?<=[a-z0-9)\]"'])""" + _NOT_ABBREVIATION + r"""\.[”’"')\]]*(?=\s)"""  # English
    r"""|\n"""
)
_CLAUSE_END = re.compile(r"[，,、：:]+")
_BRACKET = re.compile("[\n" + re.escape("".join(_PAIRS) + "".join(_PAIRS.values())) + "]")
"""What :func:`_protected` looks at: brackets, quotes and line breaks (the rest is skipped)."""
_ALPHANUMERIC = re.compile(r"[^\W_]")
"""A character for which ``str.isalnum`` holds (``\\w`` matches those and ``_``)."""


def sentences(text: str) -> list[Span]:
    """Spans of the sentences of ``text``, in order, without surrounding whitespace."""
    return _split(text, _SENTENCE_END, _protected(text) + _list_numbers(text))


_LIST_NUMBER = re.compile(r"^[ \t]*\d{1,3}\.(?=\s)", re.MULTILINE)


def _list_numbers(text: str) -> list[Span]:
    """The numbers of a numbered list's items (``1. 拆开包装``): their dot ends no sentence."""
    return [match.span() for match in _LIST_NUMBER.finditer(text)]


def _protected(text: str) -> list[Span]:
    """The insides of the balanced brackets and quotes of ``text`` (up to a length), outermost."""
    closers = set(_PAIRS.values())
    stack: list[tuple[str, int]] = []
    inside: list[Span] = []
    for match in _BRACKET.finditer(text):
        i, ch = match.start(), match.group()
        if ch == "\n":
            stack.clear()  # a line break ends everything open
        elif ch in closers and stack and _PAIRS[stack[-1][0]] == ch:
            _, start = stack.pop()
            if not stack and i - start <= _LONGEST_PROTECTED:
                inside.append((start + 1, i))
        elif ch in _PAIRS:
            stack.append((ch, i))
    return inside


def clauses(text: str, span: Span) -> list[Span]:
    """Spans of the clauses (split at commas and colons) of the sentence at ``span``."""
    start, end = span
    return [(start + a, start + b) for a, b in _split(text[start:end], _CLAUSE_END)]


def _split(text: str, boundary: re.Pattern[str], protected: list[Span] = []) -> list[Span]:  # noqa: B006
    spans: list[Span] = []
    start = 0
    for match in boundary.finditer(text):
        if any(a <= match.start() and match.end() <= b for a, b in protected):
            continue
        _append(spans, text, start, match.end())
        start = match.end()
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end and _ALPHANUMERIC.search(text, start, end):
        spans.append((start, end))
    elif start < end and spans:  # stray punctuation joins the sentence before it
        spans[-1] = (spans[-1][0], end)
