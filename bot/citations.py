"""How a passage is cited, what is said when none is, and which language a reply is in.

Shared by every front-end, so that the terminal and Telegram say the same.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Literal

from retrieval import Source, is_cjk

__all__ = [
    "NOTHING_FOUND",
    "Language",
    "citation_label",
    "display_root",
    "language_of",
    "line_note",
    "location",
]

Language = Literal["zh", "en"]

NOTHING_FOUND: dict[Language, str] = {
    "zh": "没有找到能回答这个问题的内容。可以换个说法，或用资料中的词语再问一次。",
    "en": "Nothing in the documents answers this question. "
    "Try other words, ideally ones the documents use.",
}
"""The answer when nothing in the documents answers a question, in each reply language."""


def language_of(text: str) -> Language:
    """Chinese if the text has any Chinese character, else English."""
    return "zh" if any(is_cjk(ch) for ch in text) else "en"


def citation_label(source: Source, language: Language) -> str:
    """Article, section and paragraph number: ``《守边固边 共建家园》· 夯实基层基础 · 第6段``.

    A paragraph of no titled article is named by its file, in no title marks
    (``notes.txt · 第2段``): the marks would make the file name a title, which ``--json`` rightly
    says is not there.
    """
    if source.title:
        parts = [f"《{source.title}》" if language == "zh" else f"“{source.title}”"]
    else:
        parts = [PurePosixPath(source.path).name]
    if source.section:
        parts.append(source.section)
    if source.page is not None:
        parts.append(f"第{source.page}页" if language == "zh" else f"p. {source.page}")
    parts.append(f"第{source.ordinal}段" if language == "zh" else f"¶{source.ordinal}")
    label = parts[0]
    for part in parts[1:]:  # 《…》 closes itself: no space before the dot after it
        label += ("· " if label.endswith("》") else " · ") + part
    return label


def location(source: Source, root: str, line: int | None = None) -> str:
    """File and line of a passage as a user finds it: ``seeds/000_ebe6c6a426d89a77.txt:33``."""
    path = f"{root.rstrip('/')}/{source.path}" if root else source.path
    return f"{path}:{line if line is not None else source.line}"


def line_note(source: Source, line: int, language: Language) -> str:
    """``（答句在第21行）`` when the answering sentence starts below the paragraph's first line."""
    if line == source.line:
        return ""
    return f"（答句在第{line}行）" if language == "zh" else f" (answer on line {line})"


def display_root(seeds: str, cwd: Path | None = None) -> str:
    """The seeds folder as a path a user can type: relative to ``cwd`` when it lies below it."""
    absolute = Path(seeds)
    base = (cwd or Path.cwd()).resolve()
    try:
        relative = os.path.relpath(absolute, base)
    except ValueError:
        return str(absolute)
    return str(absolute) if relative.startswith("..") else PurePosixPath(Path(relative)).as_posix()
