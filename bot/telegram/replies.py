"""Answers and paragraphs as Telegram messages: the answering sentence in bold, in enough of its
paragraph to read it, under a numbered citation (article, section, paragraph, file and line)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import PurePath

from retrieval import Answer, Hit, Manifest, Paragraph
from retrieval.text.sentences import SENTENCE_ENDS

from ..citations import Language, citation_label, line_note, location
from .markup import Block, Chunk, Run, paginate
from .phrases import phrases

__all__ = [
    "CONTEXT",
    "about_messages",
    "answer_messages",
    "clip",
    "excerpt",
    "paragraph_messages",
    "passage",
    "seeds_root",
    "text_messages",
]

CONTEXT = 150
"""Characters of the paragraph shown on each side of the answering sentence, at most.

Enough to read the sentence in its place; the 📄 button shows the whole paragraph.
"""
LONGEST_SENTENCE = 1000
"""An answering sentence longer than this (a table, a list without stops) is shown cut."""
LONGEST_LABEL = 200
_STOPS = SENTENCE_ENDS + "\n"
_FILES_LISTED = 20


def seeds_root(manifest: Manifest) -> str:
    """The seeds folder as cited to users: its name only, never the server's absolute path."""
    return PurePath(manifest.seeds).name


def text_messages(text: str) -> list[Chunk]:
    """A plain sentence of the bot's as messages."""
    return paginate([(Run(text),)])


def answer_messages(answer: Answer, root: str, language: Language) -> list[Chunk]:
    """The passages of an answer as messages, or the polite nothing-found reply."""
    if answer.abstained:
        return text_messages(phrases(language).nothing_found)
    return paginate([passage(hit, root, language) for hit in answer.hits])


def passage(hit: Hit, root: str, language: Language, numbered: bool = True) -> Block:
    """One passage: its citation (numbered), the answering sentence in bold in its context."""
    before, sentence, after = excerpt(hit.paragraph.text, hit.highlight)
    return (
        Run(f"[{hit.rank}] " if numbered else ""),
        Run(clip(citation_label(hit.source, language), LONGEST_LABEL), "i"),
        Run("\n"),
        Run(before),
        Run(sentence, "b"),
        Run(after),
        Run("\n↳ "),
        Run(location(hit.source, root), "code"),
        Run(line_note(hit.source, hit.highlight_line, language)),
    )


def excerpt(text: str, span: tuple[int, int], context: int = CONTEXT) -> tuple[str, str, str]:
    """The text before the sentence at ``span``, the sentence, and the text after it, each side
    cut to about ``context`` characters at a sentence boundary, with ``…`` where text is left out.
    """
    start, end = span
    sentence = text[start:end]
    if len(sentence) > LONGEST_SENTENCE:
        return _head(text[:start], context), sentence[:LONGEST_SENTENCE] + "…", ""
    return _head(text[:start], context), sentence, _tail(text[end:], context)


def _head(text: str, context: int) -> str:
    if len(text) <= context:
        return text
    window = text[-context:]
    stops = [i for i, ch in enumerate(window) if ch in _STOPS]
    return "…" + (window[stops[0] + 1 :] if stops else window).lstrip()


def _tail(text: str, context: int) -> str:
    if len(text) <= context:
        return text
    window = text[:context]
    stops = [i for i, ch in enumerate(window) if ch in _STOPS]
    return (window[: stops[-1] + 1] if stops else window).rstrip() + "…"


def clip(text: str, longest: int) -> str:
    """The text, cut to ``longest`` characters with an ellipsis if longer."""
    return text if len(text) <= longest else text[: longest - 1] + "…"


def paragraph_messages(
    paragraph: Paragraph,
    neighbours: tuple[Paragraph | None, Paragraph | None],
    root: str,
    language: Language,
) -> list[Chunk]:
    """A whole paragraph between the paragraphs before and after it, each under its citation."""
    before, after = neighbours
    blocks = [
        _whole(neighbour, root, language, focal=neighbour is paragraph)
        for neighbour in (before, paragraph, after)
        if neighbour is not None
    ]
    return paginate(blocks)


def _whole(paragraph: Paragraph, root: str, language: Language, focal: bool) -> Block:
    return (
        Run(phrases(language).this_paragraph if focal else ""),
        Run(clip(citation_label(paragraph.source, language), LONGEST_LABEL), "i"),
        Run(" — "),
        Run(location(paragraph.source, root), "code"),
        Run("\n"),
        Run(paragraph.text, "" if focal else "i"),
    )


def about_messages(manifest: Manifest, mode: str, language: Language) -> list[Chunk]:
    """What is indexed: files, paragraphs, model, search mode, when it was built."""
    say = phrases(language)
    names: Sequence[str] = sorted(manifest.files)
    listed = "\n".join(f"• {name}" for name in names[:_FILES_LISTED])
    if len(names) > _FILES_LISTED:
        listed += f"\n… (+{len(names) - _FILES_LISTED})"
    text = say.about.format(
        files=len(names),
        paragraphs=manifest.paragraphs,
        model=manifest.model or say.no_model,
        mode=say.mode_hybrid if mode == "hybrid" else say.mode_lexical,
        built=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(manifest.built_at)),
        version=manifest.version,
        names=listed or "—",
    )
    return text_messages(text)
