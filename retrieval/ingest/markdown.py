"""Markdown files that are not newspaper pages, read with a real Markdown parser (markdown-it-py).

A seed text is a newspaper page when it carries a newspaper's marks — a byline (``本报记者 …``), a
dateline opening a paragraph (``本报拉萨讯``, ``新华社…电``) or a ``——`` subtitle under a title —
and is then read by :mod:`retrieval.ingest.paragraphs`, whose rules rejoin paragraphs that page
layout cut. Any other ``.md``/``.markdown`` file, and a ``.txt`` file written in Markdown (fenced
code, tables, emphasis or links), is read here, as CommonMark with tables:

- The top heading level in the file titles articles (``# 员工手册``); deeper headings are sections,
  nested by level (``## 第一章 考勤`` then ``### 请假``).
- A paragraph is a paragraph of the source, its inline markup removed (``**注意**`` → ``注意``);
  lines a paragraph was written on keep their line numbers.
- A list is one passage, an item a line; a table is one passage, a row a line (``a | b``), the
  ``|---|`` row left out; a fenced or indented code block is one passage, as written; each joins
  the paragraph that leads in to it with a colon (``包括以下内容：``, ``示例如下：``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .paragraphs import (
    MAX_PARAGRAPH_CHARS,
    Article,
    Document,
    Paragraph,
    Source,
    paragraph_id,
)
from .scripts import both_scripts

__all__ = ["is_newspaper", "parse_markdown", "reads_as_markdown"]

_NEWSPAPER_MARKS = re.compile(
    both_scripts(
        r"^[ \t]*(本报(特约|见习|实习)?记者|(本报|新华社|人民日报|中新社)(特约)?通讯员"
        r"|本报[^\s(（,，。]{1,10}?(?:讯|\d{1,2}月\d{1,2}日电)|新华社[^\s(（,，。]{1,16}?电"
        r"|#{1,6}[ \t]+——)"
    ),
    re.MULTILINE,
)
_MARKDOWN_MARKS = re.compile(
    r"^[ \t]*(```|~~~)|^\s*\|?\s*:?-{3,}:?\s*\|"  # fenced code, a table's rule row
    r"|\*\*[^*\n]+\*\*|__[^_\n]+__|\[[^\]\n]+\]\([^)\n]+\)",  # emphasis, links
    re.MULTILINE,
)
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})


def is_newspaper(text: str) -> bool:
    """Whether a text carries a newspaper page's marks (bylines, datelines, ``——`` subtitles)."""
    return bool(_NEWSPAPER_MARKS.search(text))


def reads_as_markdown(text: str, suffix: str) -> bool:
    """Whether a text file is read as Markdown rather than by the newspaper-page rules."""
    if is_newspaper(text):
        return False
    return suffix.lower() in MARKDOWN_SUFFIXES or bool(_MARKDOWN_MARKS.search(text))


def parse_markdown(text: str, path: str) -> Document:
    """Articles and passages of a Markdown text, each with its file line (1-based)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    return _Reader(path, _top_level(tokens)).run(tokens)


def _top_level(tokens: list[Any]) -> int:
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    return min(levels) if levels else 1


_LEADS_IN = ("：", ":")
"""How a paragraph ends that leads in to the list, table or code under it (``包括以下内容：``)."""
_LED_IN = ("fence", "code_block")
"""Blocks that join the paragraph leading in to them (lists and tables are read apart)."""


@dataclass
class _Passage:
    """A passage being collected: its text and where each of its lines stands."""

    line: int
    text: str = ""
    lines: list[tuple[int, int]] = field(default_factory=list)

    def add_line(self, text: str, number: int) -> None:
        if self.text:
            self.text += "\n"
        self.lines.append((len(self.text), number))
        self.text += text


class _Reader:
    def __init__(self, path: str, title_level: int) -> None:
        self.path = path
        self.title_level = title_level
        self.articles: list[Article] = []
        self.paragraphs: list[Paragraph] = []
        self.sections: list[tuple[int, str]] = []
        self.ordinal = 0
        self.lead: _Passage | None = None
        """A paragraph ending in a colon, kept to head the list or table that follows it."""

    def run(self, tokens: list[Any]) -> Document:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind in ("bullet_list_open", "ordered_list_open"):
                i = self.block(tokens, i, kind.replace("_open", "_close"), self.list_line)
                continue
            if kind == "table_open":
                i = self.block(tokens, i, "table_close", self.table_line)
                continue
            if self.lead is not None and kind not in ("paragraph_close", "inline", *_LED_IN):
                self.add(self.lead)  # no list or table under it after all
                self.lead = None
            if kind == "heading_open":
                self.heading(int(token.tag[1]), _plain(tokens[i + 1]), _line(token))
                i += 3
            elif kind == "paragraph_open":
                passage = _Passage(_line(token))
                _inline_into(passage, tokens[i + 1], _line(token))
                if passage.text.rstrip().endswith(_LEADS_IN) and token.level == 0:
                    self.lead = passage  # 包括以下内容：, with the list that follows
                else:
                    self.add(passage)
                i += 3
            elif kind in ("fence", "code_block"):
                passage = self.lead or _Passage(_line(token) + (kind == "fence"))
                self.lead = None
                for offset, code_line in enumerate(token.content.rstrip("\n").split("\n")):
                    passage.add_line(code_line, _line(token) + offset + (kind == "fence"))
                self.add(passage)
                i += 1
            else:  # blockquote and list wrappers, rules, raw HTML: their content, if any, follows
                i += 1
        if self.lead is not None:
            self.add(self.lead)
        return Document(self.path, tuple(self.articles), tuple(self.paragraphs), ())

    def heading(self, level: int, title: str, number: int) -> None:
        if not title:
            return
        if level <= self.title_level:
            self.articles.append(Article(title, number))
            self.sections, self.ordinal = [], 0
            return
        while self.sections and self.sections[-1][0] >= level:
            self.sections.pop()
        self.sections.append((level, title))

    def block(self, tokens: list[Any], start: int, closer: str, take: Any) -> int:
        """One passage from a list or table, a line per item or row; the index after it."""
        depth, i = 0, start
        passage = self.lead or _Passage(_line(tokens[start]))  # under the line leading in to it
        self.lead = None
        opener = tokens[start].type
        while i < len(tokens):
            token = tokens[i]
            if token.type == opener:
                depth += 1
            elif token.type == closer:
                depth -= 1
                if depth == 0:
                    break
            take(tokens, i, passage)
            i += 1
        self.add(passage)
        return i + 1

    @staticmethod
    def list_line(tokens: list[Any], i: int, passage: _Passage) -> None:
        token = tokens[i]
        if token.type == "inline" and tokens[i - 1].type == "paragraph_open":
            item = next((t for t in reversed(tokens[:i]) if t.type == "list_item_open"), None)
            marker = "-" if item is None else f"{item.info}{item.markup}" or "-"
            text = _plain(token).replace("\n", " ")
            passage.add_line(f"{marker} {text}", _line(token))

    @staticmethod
    def table_line(tokens: list[Any], i: int, passage: _Passage) -> None:
        token = tokens[i]
        if token.type != "tr_open":
            return
        cells: list[str] = []
        j = i + 1
        while tokens[j].type != "tr_close":
            if tokens[j].type == "inline":
                cells.append(_plain(tokens[j]).replace("\n", " "))
            j += 1
        if any(cells):
            passage.add_line(" | ".join(cells), _line(token))

    def add(self, passage: _Passage) -> None:
        text = passage.text.rstrip()
        if not any(c.isalnum() for c in text):
            return
        if len(text) > MAX_PARAGRAPH_CHARS:
            for piece in _pieces(passage):
                self.add(piece)
            return
        self.ordinal += 1
        article = self.articles[-1] if self.articles else None
        source = Source(
            path=self.path,
            line=passage.line,
            ordinal=self.ordinal,
            title=article.title if article else None,
            sections=tuple(title for _, title in self.sections),
            lines=tuple(passage.lines),
        )
        self.paragraphs.append(Paragraph(paragraph_id(text), text, (source,)))


def _pieces(passage: _Passage) -> list[_Passage]:
    """A passage over the length limit, cut between its lines (a line over it, hard)."""
    pieces: list[_Passage] = []
    current: _Passage | None = None
    bounds = [*passage.lines, (len(passage.text) + 1, 0)]
    for (start, number), (end, _) in pairwise(bounds):
        line = passage.text[start : end - 1]
        for offset in range(0, max(len(line), 1), MAX_PARAGRAPH_CHARS):
            part = line[offset : offset + MAX_PARAGRAPH_CHARS]
            if current is None or len(current.text) + len(part) + 1 > MAX_PARAGRAPH_CHARS:
                current = _Passage(number)
                pieces.append(current)
            current.add_line(part, number)
    return pieces


def _line(token: Any) -> int:
    """The 1-based file line a block token starts on."""
    return int(token.map[0]) + 1 if token.map else 1


def _plain(inline: Any) -> str:
    """An inline token's text without its markup (soft line breaks kept as newlines)."""
    passage = _Passage(0)
    _inline_into(passage, inline, 0)
    return passage.text


def _inline_into(passage: _Passage, inline: Any, first_line: int) -> None:
    """Append an inline token's text to ``passage``, a line per written line."""
    number = first_line
    line = ""
    for child in inline.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            line += child.content
        elif kind in ("softbreak", "hardbreak"):
            passage.add_line(line, number)
            line, number = "", number + 1
        elif kind == "image":
            line += child.content  # the alt text
    passage.add_line(line, number)
