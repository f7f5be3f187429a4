"""Word, PDF and HTML seed files as text for the paragraph parser, each line with its real place.

Each format is read by a well-kept library — python-docx, pypdf, Beautiful Soup — into lines of
Markdown-like text (headings as ``#``, table rows as ``| a | b |``), so that one parser handles
every format. Each line remembers where it stands in the original: for Word the number of the
paragraph in the document (tables count a paragraph a row), for HTML the line of the source file,
for PDF the page and the line on that page. :func:`relocate` moves the parser's
citations from the Markdown-like text back to those places.

Word and HTML mark their paragraphs, so a blank line always ends one there; PDF text is laid out
like a printed page, so a paragraph cut by a page or column break is joined as in a text file.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from ..text.normalize import HAN
from .decoding import Decoded, decode
from .paragraphs import Document, Paragraph, Source

__all__ = ["FORMATS", "Layout", "Line", "layout", "one_line", "relocate"]

logger = logging.getLogger(__name__)

FORMATS = {".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html"}
"""Seed file suffixes read by a library rather than as plain text, and the format of each."""

_SPACES = re.compile(r"\s+")
# Chinese, or its punctuation and full-width forms, before; Chinese after.
_CJK_GAP = re.compile(rf"(?<=[{HAN}\u3000-\u303f\uff00-\uffef])\s*\n\s*(?=[{HAN}])")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the text handed to the parser, and where it stands in the original file."""

    text: str
    origin: int
    """The line (HTML), the paragraph number (Word) or the line on the page (PDF)."""
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    """A file's text as lines for the parser, and how it was read."""

    lines: tuple[Line, ...]
    encoding: str
    joins: bool
    """Whether a paragraph may continue across a blank line (a page or column break)."""

    @property
    def text(self) -> str:
        """The lines as one text."""
        return "\n".join(line.text for line in self.lines)


def layout(data: bytes, kind: str) -> Layout:
    """Read a Word, PDF or HTML file; raises ValueError saying why when it cannot be read."""
    if not data:
        raise ValueError("empty file")
    try:
        if kind == "docx":
            return Layout(tuple(_docx_lines(data)), "docx", joins=False)
        if kind == "pdf":
            return Layout(tuple(_pdf_lines(data)), "pdf", joins=True)
        decoded = _html_text(data)
        return Layout(tuple(_html_lines(decoded.text)), decoded.encoding, joins=False)
    except ValueError:
        raise
    except Exception as error:  # the parsers raise KeyError, struct.error, BadZipFile… on bad files
        logger.info("Cannot read a %s file", kind, exc_info=True)
        raise ValueError(f"not a readable {kind.upper()} file ({_first_line(error)})") from None


def relocate(document: Document, lines: tuple[Line, ...]) -> Document:
    """The document with every source's line numbers (and page) taken from the original file."""

    def origin(number: int) -> Line:
        return lines[min(max(number, 1), len(lines)) - 1]

    def move(source: Source) -> Source:
        start = origin(source.line)
        return replace(
            source,
            line=start.origin,
            page=start.page,
            lines=tuple((offset, origin(number).origin) for offset, number in source.lines),
        )

    paragraphs = tuple(
        Paragraph(p.id, p.text, tuple(move(s) for s in p.sources), p.kind, p.dateline)
        for p in document.paragraphs
    )
    return replace(document, paragraphs=paragraphs)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]


# Word ----------------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


def _docx_lines(data: bytes) -> Iterator[Line]:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    blocks = list(document.iter_inner_content())
    titled = any(
        not isinstance(b, Table) and b.style is not None and b.style.name == "Title" for b in blocks
    )
    number = 0
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                number += 1
                cells = _distinct_cells(row.cells)
                if any(cells):
                    yield Line("| " + " | ".join(cells) + " |", number)
            yield Line("", number)
            continue
        number += 1
        text = one_line(block.text)
        if text:
            style = block.style.name if block.style is not None else ""
            yield Line(_docx_heading(style, titled) + text, number)
            yield Line("", number)


def _docx_heading(style: str, titled: bool) -> str:
    """Markdown heading marks for a Word paragraph style ('' for body text).

    The article title is the Title paragraph, or each Heading 1 when there is none; lower headings
    are sections.
    """
    heading = _HEADING_STYLE.match(style.strip())
    if style == "Title":
        return "# "
    if not heading:
        return ""
    return _marks(int(heading[1]) + (1 if titled else 0))


def _marks(level: int) -> str:
    """Markdown marks for a heading level: level 1 titles an article, the others are sections.

    The paragraph parser reads one or two marks as an article title, so sections get three or more.
    """
    return "# " if level <= 1 else "#" * min(6, level + 1) + " "


def _distinct_cells(cells: Any) -> list[str]:
    """Cell texts of a row; a merged cell, which python-docx repeats, once."""
    seen: list[Any] = []
    texts: list[str] = []
    for cell in cells:
        if any(cell._tc is other for other in seen):
            continue
        seen.append(cell._tc)
        texts.append(one_line(cell.text))
    return texts


def one_line(text: str) -> str:
    """A paragraph's text on one line: a line break inside Chinese text vanishes, else a space."""
    return _SPACES.sub(" ", _CJK_GAP.sub("", text)).strip()


# PDF -----------------------------------------------------------------------------------------


def _pdf_lines(data: bytes) -> Iterator[Line]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("the PDF is encrypted with a password; save an unprotected copy")
    found = False
    for page_number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        for number, line in enumerate(text.splitlines(), start=1):
            found = found or bool(line.strip())
            yield Line(line.rstrip(), number, page_number)
        yield Line("", 1, page_number)  # a page break: a cut paragraph is joined across it
    if not found:
        raise ValueError("the PDF has no text layer (a scanned document? run OCR on it first)")


# HTML ----------------------------------------------------------------------------------------

_SKIP = {"head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object"}
_SKIP |= {"canvas", "button", "select", "textarea", "input", "nav"}  # controls and menus
_BLOCKS = {"address", "article", "aside", "blockquote", "body", "caption", "dd", "details"}
_BLOCKS |= {"dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form"}
_BLOCKS |= {"header", "hgroup", "hr", "html", "li", "main", "ol", "p", "pre", "section"}
_BLOCKS |= {"summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def _html_text(data: bytes) -> Decoded:
    from bs4.dammit import EncodingDetector

    declared = EncodingDetector.find_declared_encoding(data[:4096], is_html=True)
    return decode(data, declared)


def _html_lines(text: str) -> list[Line]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    walker = _HtmlWalker()
    if soup.find("h1") is None and soup.title is not None and soup.title.get_text(strip=True):
        walker.emit("# " + one_line(soup.title.get_text(" ")), soup.title.sourceline or 1)
    walker.walk(soup.body if soup.body is not None else soup)
    walker.flush()
    return walker.lines


class _HtmlWalker:
    """Collects the text of block elements in document order, one paragraph per block."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.start = 1
        self.preformatted = 0

    def emit(self, text: str, origin: int, blank: bool = True) -> None:
        self.lines.append(Line(text, origin))
        if blank:
            self.lines.append(Line("", origin))

    def flush(self) -> None:
        """Emit the text collected so far as one paragraph, and a blank line that ends it."""
        text = "".join(self.parts)
        self.parts = []
        if not self.preformatted:
            text = one_line(text)
        if not text.strip():
            return
        for offset, part in enumerate(text.split("\n")):
            self.emit(part.rstrip(), self.start + offset, blank=False)
        self.lines.append(Line("", self.start))

    def walk(self, node: Any) -> None:
        from bs4.element import NavigableString, PreformattedString, Tag

        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, CDATA, doctype
                continue
            if isinstance(child, NavigableString):
                self.parts.append(str(child))
                continue
            if not isinstance(child, Tag) or child.name in _SKIP:
                continue
            line = child.sourceline or self.start
            if child.name in _HEADINGS:
                self.flush()
                title = one_line(child.get_text(" "))
                if title:
                    self.emit(_marks(_HEADINGS[child.name]) + title, line)
            elif child.name == "br":  # a soft break: the paragraph goes on
                self.parts.append("\n")
            elif child.name == "tr":
                self.flush()
                cells = [
                    one_line(cell.get_text(" "))
                    for cell in child.find_all(["td", "th"], recursive=False)
                ]
                if any(cells):
                    self.emit("| " + " | ".join(cells) + " |", line, blank=False)
            elif child.name in _BLOCKS:
                self.flush()
                self.start = line
                self.preformatted += child.name == "pre"
                self.walk(child)
                self.flush()
                self.preformatted -= child.name == "pre"
                if child.name == "table":
                    self.lines.append(Line("", line))
            else:  # inline: its text belongs to the paragraph around it
                if not "".join(self.parts).strip():
                    self.start = line
                self.walk(child)
