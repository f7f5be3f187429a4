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
from contextlib import contextmanager
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

    paragraphs = [
        Paragraph(p.id, p.text, tuple(move(s) for s in p.sources), p.kind, p.dateline)
        for p in document.paragraphs
    ]
    if any(line.page is not None for line in lines):
        paragraphs = _numbered_by_page(paragraphs)
    return replace(document, paragraphs=tuple(paragraphs))


def _numbered_by_page(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Paragraphs of a paged file numbered within the page they start on (``第2页 · 第1段``)."""
    counts: dict[int | None, int] = {}
    numbered = []
    for paragraph in paragraphs:
        source = paragraph.source
        counts[source.page] = counts.get(source.page, 0) + 1
        source = replace(source, ordinal=counts[source.page])
        numbered.append(replace(paragraph, sources=(source, *paragraph.sources[1:])))
    return numbered


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


_TITLE_MAX_CHARS = 60
_PLACEHOLDER_TITLES = frozenset({"untitled", "无标题", "unknown", "title", "document"})
_SENTENCE_STOPS = frozenset("。！？!?；;：:，,、")


def _pdf_lines(data: bytes) -> list[Line]:
    """The text layer as lines, page by page, with the document's title as a ``#`` heading.

    pypdf's own warnings about a damaged file (``EOF marker not found`` …) are logged here, as
    seedqa's, instead of reaching the terminal from pypdf's logger.
    """
    from pypdf import PdfReader

    with _captured("pypdf") as notes:
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise ValueError("the PDF is encrypted with a password; save an unprotected copy")
            lines: list[Line] = []
            for page_number, page in enumerate(reader.pages, start=1):
                text = page.extract_text() or ""
                for number, line in enumerate(text.splitlines(), start=1):
                    lines.append(Line(line.rstrip(), number, page_number))
                lines.append(Line("", 1, page_number))  # a page break: a cut paragraph rejoins
            title = _metadata_title(reader)
        finally:
            for note in notes:
                logger.info("pypdf: %s", note)
    if not any(line.text.strip() for line in lines):
        raise ValueError("the PDF has no text layer (a scanned document? run OCR on it first)")
    return _titled(lines, title)


def _metadata_title(reader: Any) -> str | None:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:  # a damaged information dictionary is no reason to skip the file
        return None
    title = one_line(str(title)) if title else ""
    # Word and converters often write the source file's name, or a placeholder: no title.
    if not title or title.lower() in _PLACEHOLDER_TITLES:
        return None
    if re.search(r"\.(docx?|pdf|txt|odt|pptx?)$", title, re.IGNORECASE):
        return None
    return title


def _titled(lines: list[Line], title: str | None) -> list[Line]:
    """The lines with the title made a heading: the metadata's, found as the first line or put
    before it, else a first line that reads as a title (short, no sentence stop, text below)."""
    first = next((i for i, line in enumerate(lines) if line.text.strip()), None)
    if first is None:
        return lines
    text = lines[first].text.strip()
    following = any(line.text.strip() for line in lines[first + 1 :])
    if title is not None and one_line(text) != title:
        return [Line(f"# {title}", lines[first].origin, lines[first].page), *lines]
    reads_as_title = len(text) <= _TITLE_MAX_CHARS and text[-1] not in _SENTENCE_STOPS and following
    if title is not None or reads_as_title:
        heading = replace(lines[first], text=f"# {text}")
        gap = Line("", heading.origin, heading.page)
        return [*lines[:first], heading, gap, *lines[first + 1 :]]
    return lines


class _Collector(logging.Handler):
    """A log handler that keeps the messages it is given."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(record.getMessage())


@contextmanager
def _captured(name: str) -> Iterator[list[str]]:
    """What the library logger ``name`` warns of while the block runs, kept from the terminal."""
    library = logging.getLogger(name)
    collector, propagate = _Collector(), library.propagate
    library.addHandler(collector)
    library.propagate = False
    try:
        yield collector.notes
    finally:
        library.removeHandler(collector)
        library.propagate = propagate


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
