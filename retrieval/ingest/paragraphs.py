"""Paragraphs of a seed text, with the article, section and line each one stands at.

Seed files are Markdown-like text, often extracted from printed newspaper pages:

- ``#``/``##`` lines are article titles; a ``###`` line directly before a title is its kicker
  (引题); a heading that starts with ``——`` right after a title is its subtitle; other headings
  inside an article are section headings, nested by level.
- A title may also be written without ``#``: a short line with no sentence punctuation and a
  blank line under it, above a byline, or first in the text when a line of its own follows
  (``问：…``, ``会议时间：…``); a short ``一、…`` line is a section heading.
- ``本报记者 …`` lines are bylines; ``本报拉萨讯(记者 …)`` opens a paragraph as its dateline; a
  photo caption (``图为…``, ending in ``摄``) is a paragraph of its own; in either script
  (``本報記者``).
- ``问：…`` opens a paragraph, and the ``答：…`` line under it joins it: a question and its
  answer are one passage.
- Page layout cuts paragraphs in mid-sentence with a blank line. A fragment that does not end a
  sentence, followed by one that does not open a paragraph, is joined back to it — with no space
  between Chinese characters — and the join is recorded as a :class:`PageBreak`.
- Lines that follow each other without a blank line belong to one paragraph while the sentence goes
  on (hard-wrapped text); a line that ends a sentence ends the paragraph (one-paragraph-per-line
  text), except inside a list or a table.
- A paragraph stops growing at ``MAX_PARAGRAPH_CHARS``: text with no sentence end or no line break
  for megabytes is cut at sentence ends into passages a reader (and the index) can take whole.

A paragraph's text is kept exactly as written; normalisation happens only for matching.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..text.sentences import CLOSERS as SENTENCE_CLOSERS
from ..text.sentences import SENTENCE_ENDS, sentences
from .scripts import both_scripts

__all__ = [
    "ANSWER_LINE",
    "MAX_PARAGRAPH_CHARS",
    "PARSER_VERSION",
    "QUESTION_LINE",
    "Article",
    "Document",
    "PageBreak",
    "Paragraph",
    "Source",
    "headings",
    "merge",
    "paragraph_id",
    "parse",
]

# Characters that end a sentence, and closers that may follow them (。” ends a sentence too).
SENTENCE_END = frozenset(SENTENCE_ENDS + "：:.")  # a line ending in a colon is complete too
CLOSERS = frozenset(SENTENCE_CLOSERS)
# What may close a paragraph after its last sentence: bracketed citations ("[1]", "[需要引证]",
# "[来源请求]") and a page range ("：212-219", "pp. 12-19", any dash) that ends a reference.
_TRAILING_CITATIONS = re.compile(r"(\s*\[[^\[\]\n]{1,20}\])+\s*$")
_PAGE_RANGE = re.compile(
    r"[:：,，]\s*(?:pp?\.\s*)?\d{1,5}\s*[-\u2013\u2014~\uff5e]\s*\d{1,5}\s*[.。]?\s*$"
)

PARSER_VERSION = "newspaper-md/9"
"""Version of how :func:`parse` cuts a text into paragraphs; an index parsed otherwise is stale."""

MAX_PARAGRAPH_CHARS = 4000
"""Longest paragraph kept whole; longer text is cut at sentence ends (a sentence over it, hard)."""

_HEADING = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$")
_RULE = re.compile(r"^\s*([-*_=])(\s*\1){2,}\s*$")
# Bylines, datelines and captions in simplified or traditional characters (both_scripts).
_BYLINE = re.compile(
    both_scripts(
        r"^[□■●◎◆\s]*(文/图|图/文|文|图)?[:：/\s]*"
        r"(本报|新华社|人民日报|中新社)?(特约|见习|实习)?(记者|通讯员|评论员)[\s　]*\S"
    )
)
_DATELINE = re.compile(
    both_scripts(
        r"^(本报[^\s(（,，。]{1,10}?(?:讯|\d{1,2}月\d{1,2}日电)|新华社[^\s(（,，。]{1,16}?电"
        r"|中新网[^\s(（,，。]{1,16}?电)"
        r"\s*([(（][^)）]{1,40}[)）])?"
    )
)
_CAPTION_START = re.compile(both_scripts(r"^(图为|上图|下图|图[:：])"))
_CAPTION_END = re.compile(both_scripts(r"摄[)）]?$"))
# Lines that always open a paragraph (or a list item or table row) of their own.
_LIST_ITEM = re.compile(
    r"^(\s*[-*+•]\s|\s*\d{1,3}[.)、]\s*|\s*[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|\s*[|>])"
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a paragraph stands: a seed file, a line, an article, a section."""

    path: str
    """Path of the seed file relative to the seeds folder, with ``/`` separators."""
    line: int
    """1-based line where the paragraph starts."""
    ordinal: int
    """1-based position of the paragraph within its article (within the file if no article)."""
    title: str | None = None
    kicker: str | None = None
    subtitle: str | None = None
    sections: tuple[str, ...] = ()
    """Headings inside the article above the paragraph, outermost first."""
    lines: tuple[tuple[int, int], ...] = ()
    """(offset in the text, line number) of each written line the paragraph was joined from."""
    page: int | None = None
    """Page number, for paged formats such as PDF."""
    bylines: tuple[str, ...] = ()
    """The article's bylines (``本报记者 …``), wherever they stand in it."""

    @property
    def section(self) -> str | None:
        """The outermost section heading above the paragraph, if any."""
        return self.sections[0] if self.sections else None

    def line_at(self, offset: int) -> int:
        """The file line that holds the character at ``offset`` of the paragraph text."""
        line = self.line
        for start, number in self.lines:
            if start > offset:
                break
            line = number
        return line


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of text and every place it stands in the seeds."""

    id: str
    text: str
    sources: tuple[Source, ...]
    kind: Literal["text", "caption"] = "text"
    dateline: str | None = None
    """The opening ``本报拉萨讯(记者 …)`` of a news paragraph, if any."""

    @property
    def source(self) -> Source:
        """The first place the paragraph stands (the one cited)."""
        return self.sources[0]

    def to_json(self) -> dict[str, Any]:
        """The paragraph as one JSON object (how the index stores it)."""
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "dateline": self.dateline,
            "sources": [
                {
                    "path": s.path,
                    "line": s.line,
                    "ordinal": s.ordinal,
                    "title": s.title,
                    "kicker": s.kicker,
                    "subtitle": s.subtitle,
                    "sections": list(s.sections),
                    "lines": [list(pair) for pair in s.lines],
                    "page": s.page,
                    "bylines": list(s.bylines),
                }
                for s in self.sources
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Paragraph:
        """The paragraph :meth:`to_json` made; raises KeyError or TypeError when it is damaged."""
        sources = tuple(
            Source(
                path=s["path"],
                line=s["line"],
                ordinal=s["ordinal"],
                title=s["title"],
                kicker=s["kicker"],
                subtitle=s["subtitle"],
                sections=tuple(s["sections"]),
                lines=tuple((a, b) for a, b in s["lines"]),
                page=s["page"],
                bylines=tuple(s.get("bylines", ())),
            )
            for s in data["sources"]
        )
        return cls(data["id"], data["text"], sources, data["kind"], data["dateline"])


@dataclass(frozen=True, slots=True)
class Article:
    """An article of a seed file: its headings, bylines and sections."""

    title: str
    line: int
    kicker: str | None = None
    subtitle: str | None = None
    bylines: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PageBreak:
    """A paragraph cut by a blank line in mid-sentence, and joined back."""

    path: str
    before_line: int
    after_line: int
    before: str
    """The end of the fragment before the break."""
    after: str
    """The start of the fragment after the break."""


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed seed file."""

    path: str
    articles: tuple[Article, ...]
    paragraphs: tuple[Paragraph, ...]
    page_breaks: tuple[PageBreak, ...]


def paragraph_id(text: str) -> str:
    """A short stable id for a paragraph text: the same text always gets the same id."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def parse(text: str, path: str, joins: bool = True) -> Document:
    """Split a seed text into articles and paragraphs.

    ``joins=False`` is for formats that mark their paragraphs (Word, HTML): a blank line then always
    ends a paragraph, and a fragment that does not end a sentence is not joined to the next.
    """
    return _Parser(path, joins).run(text)


def is_sentence_end(text: str) -> bool:
    """True when ``text`` ends a sentence (closing quotes and brackets after the stop allowed).

    A bracketed citation mark or a page range at the very end also ends one: encyclopaedia and
    reference text ends its paragraphs so (``…位于北京[1]``, ``《史记》：212-219``), and the
    page-break joiner must not glue the next paragraph to it.
    """
    if _TRAILING_CITATIONS.search(text) or _PAGE_RANGE.search(text):
        return True
    stripped = text.rstrip()
    while stripped and stripped[-1] in CLOSERS:
        stripped = stripped[:-1].rstrip()
    return bool(stripped) and stripped[-1] in SENTENCE_END


def _is_caption(text: str) -> bool:
    return bool(_CAPTION_START.match(text)) and bool(_CAPTION_END.search(text.rstrip()))


def _opens_paragraph(line: str) -> bool:
    return bool(
        _DATELINE.match(line)
        or _CAPTION_START.match(line)
        or line.startswith("——")
        or QUESTION_LINE.match(line)
    )


_LONGEST_TITLE = 40
_NOT_IN_TITLES = "。！？；，,：:"
_DOCUMENT_KIND = re.compile(
    r"(?:公告|通知|通告|通报|公报|决定|办法|规定|条例|细则|纪要|指南|手册|说明书?|须知|简介|报告|方案)$"
)
"""The kind of document a title line ends with (``…利润分配方案的公告``)."""
_FIELD = re.compile(r"^[^\s：:，。,]{2,8}[：:]")
"""A line opening with a field's name (``会议时间：…``)."""
_NUMBERED_HEADING = re.compile(r"^[一二三四五六七八九十]{1,3}、\S{1,18}$")
"""A section heading of a plain text: ``一、上周工作回顾``."""
QUESTION_LINE = re.compile(both_scripts(r"^(问|Q|记者)\s*[：:.\uff0e]"))
"""The question of a question-and-answer text or an interview (``问：…``, ``记者：…``): it
opens a paragraph."""
ANSWER_LINE = re.compile(r"^(答|A)\s*[：:.\uff0e]|^[^\s：:，。,][^：:，。,]{0,11}[：:]")
"""Its answer, on the next line (``答：…``, ``受访者 陈立春：…``): it joins the question's
paragraph."""


def _is_byline(line: str) -> bool:
    return len(line) <= 40 and not any(c in line for c in "。！？") and bool(_BYLINE.match(line))


def _joiner(before: str, after: str) -> str:
    """What stands between two fragments of one paragraph cut by a page break."""
    a, b = before.rstrip()[-1:], after.lstrip()[:1]
    if a.isascii() and a.isalnum() and b.isascii() and b.isalnum():
        return " "
    return ""


@dataclass
class _Open:
    """A paragraph being collected."""

    text: str
    line: int
    lines: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _ArticleState:
    title: str
    line: int
    kicker: str | None = None
    subtitle: str | None = None
    bylines: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, path: str, joins: bool = True) -> None:
        self.path = path
        self.joins = joins
        self.articles: list[_ArticleState] = []
        self.paragraphs: list[Paragraph] = []
        self.article_of: list[int] = []  # each paragraph's article (-1: before the first)
        self.page_breaks: list[PageBreak] = []
        self.section_stack: list[tuple[int, str]] = []
        self.ordinal = 0
        self.open: _Open | None = None
        self.gap = False  # a blank line since the last text line
        self.after_title = False  # nothing but blank lines since the article title
        self.kicker: str | None = None  # a heading waiting for the title below it

    @property
    def article(self) -> _ArticleState | None:
        return self.articles[-1] if self.articles else None

    def run(self, text: str) -> Document:
        lines = [line.rstrip("\r") for line in text.split("\n")]
        for index, raw in enumerate(lines):
            line = raw.strip()
            if not line:
                self.gap = True
                continue
            heading = _HEADING.match(line)
            if heading:
                self.close()
                self.heading(
                    len(heading[1]),
                    (heading[2] or "").strip(),
                    index + 1,
                    _next_line(lines, index),
                )
            elif _RULE.match(line):
                self.close()
            elif _is_byline(line) and (self.open is None or self.gap):
                self.close()
                if self.article is not None:
                    self.article.bylines.append(line)
            elif (self.open is None or self.gap) and self._plain_heading(line, lines, index):
                self.close()  # a title or a numbered heading written without ``#``
                level = 3 if _NUMBERED_HEADING.match(line) else 1
                self.heading(level, line, index + 1, _next_line(lines, index))
            elif len(line) > MAX_PARAGRAPH_CHARS:
                for piece in _cut(raw.strip()):
                    self.close()
                    self.text_line(piece, index + 1)
                self.close()
                self.after_title = False
            else:
                self.text_line(raw.rstrip(), index + 1)
                self.after_title = False
            self.gap = False
        self.close()
        articles = tuple(
            Article(a.title, a.line, a.kicker, a.subtitle, tuple(a.bylines), tuple(a.sections))
            for a in self.articles
        )
        return Document(self.path, articles, self._with_bylines(articles), tuple(self.page_breaks))

    def _with_bylines(self, articles: tuple[Article, ...]) -> tuple[Paragraph, ...]:
        """Every paragraph with its article's bylines, also those written below it."""
        paragraphs = []
        for paragraph, article in zip(self.paragraphs, self.article_of, strict=True):
            bylines = articles[article].bylines if article >= 0 else ()
            if bylines:
                source = replace(paragraph.source, bylines=bylines)
                paragraph = replace(paragraph, sources=(source,))
            paragraphs.append(paragraph)
        return tuple(paragraphs)

    def heading(self, level: int, title: str, number: int, next_line: str) -> None:
        if not title:
            return
        article = self.article
        if article is not None and self.after_title and title.startswith("——"):
            article.subtitle = title
            self.after_title = False
            return
        if level <= 2:
            self.articles.append(_ArticleState(title, number, kicker=self.kicker))
            self.kicker = None
            self.section_stack = []
            self.ordinal = 0
            self.after_title = True
            return
        self.after_title = False
        following = _HEADING.match(next_line)
        if (
            following
            and following[2]
            and len(following[1]) <= 2
            and not following[2].startswith("——")
        ):
            self.kicker = title
            return
        while self.section_stack and self.section_stack[-1][0] >= level:
            self.section_stack.pop()
        self.section_stack.append((level, title))
        if article is not None:
            article.sections.append(title)

    def _plain_heading(self, line: str, lines: list[str], index: int) -> bool:
        """Whether a text line is a heading written without ``#``: a short line with no
        punctuation of a sentence that is the text's first line, or stands above a byline
        (``本报记者 …``), with a blank line under it; or a numbered heading (``一、会议决定``)."""
        if len(line) > _LONGEST_TITLE or any(mark in line for mark in _NOT_IN_TITLES):
            return False
        if _NUMBERED_HEADING.match(line) and not _NUMBERED_HEADING.match(_next_line(lines, index)):
            return True  # not an item of a list of short lines
        blank_under = index + 1 < len(lines) and not lines[index + 1].strip()
        below = _next_line(lines, index)
        # The text's first line titles it when what follows starts a new line of its own (问：,
        # 会议时间：…), not the rest of a sentence cut by a blank line (a page break).
        first = not self.paragraphs and not self.articles and self.open is None and self.joins
        opens = _opens_paragraph(below) or bool(_FIELD.match(below) or _LIST_ITEM.match(below))
        named = bool(_DOCUMENT_KIND.search(line))  # …的公告, …通知: what a title says
        return blank_under and (_is_byline(below) or (first and (opens or named)))

    def text_line(self, line: str, number: int) -> None:
        current = self.open
        if current is not None and self._continues(current.text, line):
            if self.gap and not ANSWER_LINE.match(line.lstrip()):  # an answer is no page break
                joiner = _joiner(current.text, line)
                self.page_breaks.append(
                    PageBreak(
                        self.path,
                        current.lines[-1][1],
                        number,
                        current.text[-12:],
                        line.strip()[:12],
                    )
                )
                current.lines.append((len(current.text) + len(joiner), number))
                current.text += joiner + line.lstrip()
            else:
                current.lines.append((len(current.text) + 1, number))
                current.text += "\n" + line
            return
        self.close()
        self.open = _Open(line.lstrip(), number, [(0, number)])

    def _continues(self, before: str, line: str) -> bool:
        stripped = line.lstrip()
        if ANSWER_LINE.match(stripped) and QUESTION_LINE.match(before) and "\n" not in before:
            return True  # 问：… then 答：…: one passage, the answer under its question
        if _opens_paragraph(stripped) or _is_caption(before):
            return False
        if len(before) + len(line) > MAX_PARAGRAPH_CHARS:
            return False
        if self.gap:
            if not self.joins or is_sentence_end(before) or _LIST_ITEM.match(line):
                return False
            # An English line ending in a word, then a capitalised line: a title, not a cut.
            last = before.rstrip()[-1:]
            return not (last.isascii() and last.isalpha() and stripped[:1].isupper())
        return not is_sentence_end(before) or bool(_LIST_ITEM.match(line))

    def close(self) -> None:
        current, self.open = self.open, None
        if current is None or not any(c.isalnum() for c in current.text):
            return
        self.ordinal += 1
        article = self.article
        text = current.text.rstrip()
        dateline = _DATELINE.match(text)
        source = Source(
            path=self.path,
            line=current.line,
            ordinal=self.ordinal,
            title=article.title if article else None,
            kicker=article.kicker if article else None,
            subtitle=article.subtitle if article else None,
            sections=tuple(title for _, title in self.section_stack),
            lines=tuple(current.lines),
        )
        self.article_of.append(len(self.articles) - 1)
        self.paragraphs.append(
            Paragraph(
                id=paragraph_id(text),
                text=text,
                sources=(source,),
                kind="caption" if _is_caption(text) else "text",
                dateline=dateline[0].rstrip() if dateline else None,
            )
        )


def _cut(line: str) -> list[str]:
    """A line too long for one paragraph, cut at sentence ends (or hard) into pieces that fit."""
    pieces: list[str] = []
    start = 0
    for sentence_start, end in sentences(line):
        if end - start > MAX_PARAGRAPH_CHARS and sentence_start > start:
            pieces.append(line[start:sentence_start].strip())
            start = sentence_start
        while end - start > MAX_PARAGRAPH_CHARS:
            pieces.append(line[start : start + MAX_PARAGRAPH_CHARS].strip())
            start += MAX_PARAGRAPH_CHARS
    pieces.append(line[start:].strip())
    return [piece for piece in pieces if piece]


def _next_line(lines: list[str], index: int) -> str:
    """The next non-blank line after ``lines[index]``, stripped ('' at the end)."""
    for line in lines[index + 1 :]:
        if line.strip():
            return line.strip()
    return ""


def merge(documents: Iterable[Document]) -> list[Paragraph]:
    """The paragraphs of all documents in order, each distinct text once with all its sources."""
    merged: dict[str, Paragraph] = {}
    for document in documents:
        for paragraph in document.paragraphs:
            seen = merged.get(paragraph.text)
            if seen is None:
                merged[paragraph.text] = paragraph
            else:
                merged[paragraph.text] = replace(seen, sources=seen.sources + paragraph.sources)
    return list(merged.values())


def headings(paragraph: Paragraph) -> list[str]:
    """The distinct headings above a paragraph in all its sources (kicker, title, sections…)."""
    seen: dict[str, None] = {}
    for source in paragraph.sources:
        for heading in (source.kicker, source.title, source.subtitle, *source.sections):
            if heading:
                seen.setdefault(heading, None)
    return list(seen)
