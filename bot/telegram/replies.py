"""Answers and paragraphs as Telegram messages: the answering sentence in bold, in enough of its
paragraph to read it, under a numbered citation (article, section, paragraph, file and line)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode

from retrieval import (
    SENTENCE_ENDS,
    Answer,
    Context,
    GeneratedAnswer,
    Hit,
    IndexInfo,
    Paragraph,
    Source,
)

from ..citations import Language, citation_label, line_note, location
from ..console import count
from ..generated import generated_text
from .keyboards import deep_link
from .markup import Block, Chunk, Run, paginate
from .phrases import phrases

__all__ = [
    "CONTEXT",
    "about_messages",
    "answer_messages",
    "cited",
    "clip",
    "excerpt",
    "generated_messages",
    "inline_articles",
    "paragraph_messages",
    "passage",
    "questions_messages",
    "real_file_first",
    "real_files_first",
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
_PLACES_LISTED = 3


def real_files_first(answer: Answer, seeds: Path) -> Answer:
    """The answer with each paragraph's places in seed files before places through symlinks.

    The same paragraph in several files is one paragraph citing every place; a link to a file is
    the least useful place to cite first (it moves, and it names the same text twice).
    """

    hits = tuple(
        dataclasses.replace(hit, paragraph=real_file_first(hit.paragraph, seeds))
        for hit in answer.hits
    )
    return dataclasses.replace(answer, hits=hits)


def real_file_first(paragraph: Paragraph, seeds: Path) -> Paragraph:
    """The paragraph with its places in seed files before its places through symlinks."""
    if len(paragraph.sources) < 2:
        return paragraph

    def linked(source: Source) -> bool:
        try:
            return (seeds / source.path).is_symlink()
        except OSError:
            return False

    ordered = tuple(sorted(paragraph.sources, key=linked))  # stable: the files' order is kept
    return dataclasses.replace(paragraph, sources=ordered)


def text_messages(text: str) -> list[Chunk]:
    """A plain sentence of the bot's as messages."""
    return paginate([(Run(text),)])


def answer_messages(
    answer: Answer, root: str, language: Language, understood: str | None = None
) -> list[Chunk]:
    """The passages of an answer as messages, or the polite nothing-found reply; ``understood``
    (``理解为：…``, when context changed the question) is the line above them."""
    above: list[Block] = [(Run(understood, "i"),)] if understood else []
    if answer.abstained:
        return paginate([*above, (Run(phrases(language).nothing_found),)])
    return paginate([*above, *(passage(hit, root, language) for hit in answer.hits)])


def generated_messages(
    generated: GeneratedAnswer,
    answer: Answer,
    root: str,
    language: Language,
    understood: str | None = None,
) -> list[Chunk]:
    """A written answer with its ``[n]`` (or the extractive sentence, marked as quoted), then
    each passage's numbered citation with its answering sentence in an expandable quote;
    ``understood`` above, as in :func:`answer_messages`."""
    text = generated_text(generated, language)
    if answer.abstained or not text:
        return answer_messages(answer, root, language, understood)
    blocks: list[Block] = [(Run(understood, "i"),)] if understood else []
    blocks.append((Run(text),))
    blocks.extend(cited(hit, root, language) for hit in answer.hits)
    return paginate(blocks)


def cited(hit: Hit, root: str, language: Language) -> Block:
    """One numbered citation: article, section, paragraph, file and line, then the passage's
    answering sentence in an expandable quote."""
    sentence = hit.highlight_text.strip()
    return (
        Run(f"[{hit.rank}] "),
        Run(clip(citation_label(hit.source, language), LONGEST_LABEL), "i"),
        Run("\n↳ "),
        Run(location(hit.source, root), "code"),
        Run(line_note(hit.source, hit.highlight_line, language)),
        Run("\n"),
        Run(clip(sentence, LONGEST_SENTENCE), "quote"),
    )


def questions_messages(answers: Sequence[Answer], root: str, language: Language) -> list[Chunk]:
    """Several questions of one message answered in one reply, each under the question."""
    blocks: list[Block] = []
    for number, answer in enumerate(answers, 1):
        blocks.append((Run(f"{number}. {answer.question}", "b"),))
        if answer.abstained:
            blocks.append((Run(phrases(language).nothing_found),))
        blocks.extend(passage(hit, root, language) for hit in answer.hits)
    return paginate(blocks)


def passage(hit: Hit, root: str, language: Language, numbered: bool = True) -> Block:
    """One passage: its citation (numbered), the answering sentence in bold in its context, and
    the other places the same paragraph stands."""
    before, sentence, after = excerpt(hit.paragraph.text, hit.highlight)
    # A byline is in no paragraph's text: shown above it when asked about, in bold when it is
    # the answer (the paragraph is then the article's opening, for what the article is about).
    byline = hit.byline or ""
    return (
        Run(f"[{hit.rank}] " if numbered else ""),
        Run(clip(citation_label(hit.source, language), LONGEST_LABEL), "i"),
        Run("\n"),
        Run(byline, "b" if hit.byline_answers else ""),
        Run("\n" if byline else ""),
        Run(before),
        Run(sentence, "" if hit.byline_answers else "b"),
        Run(after),
        Run("\n↳ "),
        Run(location(hit.source, root), "code"),
        Run(line_note(hit.source, hit.highlight_line, language)),
        *_also_in(hit.paragraph, root, language),
    )


def _also_in(paragraph: Paragraph, root: str, language: Language) -> Block:
    """``also in: a.txt:3, b.txt:9`` for a paragraph that stands in several places."""
    others = paragraph.sources[1:]
    if not others:
        return ()
    runs: list[Run] = [Run("\n" + phrases(language).also_in)]
    for number, source in enumerate(others[:_PLACES_LISTED]):
        runs += [Run(", " if number else " "), Run(location(source, root), "code")]
    if len(others) > _PLACES_LISTED:
        runs.append(Run(f" … (+{len(others) - _PLACES_LISTED})"))
    return tuple(runs)


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


def paragraph_messages(context: Context, language: Language) -> list[Chunk]:
    """A whole paragraph between the paragraphs before and after it, each under its citation."""
    root = context.info.seeds_name
    blocks = [
        _whole(neighbour, root, language, focal=neighbour is context.paragraph)
        for neighbour in (context.before, context.paragraph, context.after)
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


def about_messages(info: IndexInfo, language: Language, admin: bool) -> list[Chunk]:
    """What is indexed: counts, the model's name, search mode, when it was built; the files'
    names for admins only. Never a path on the server: /about answers anyone who asks."""
    say = phrases(language)
    text = say.about.format(
        files=len(info.files),
        paragraphs=info.paragraphs,
        files_counted=count(len(info.files), "file"),
        paragraphs_counted=count(info.paragraphs, "paragraph"),
        model=info.model_name or say.no_model,
        mode=say.mode_hybrid if info.mode == "hybrid" else say.mode_lexical,
        built=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(info.built_at)),
        version=info.version,
    )
    if admin:
        names: Sequence[str] = info.files
        listed = "\n".join(f"• {name}" for name in names[:_FILES_LISTED])
        if len(names) > _FILES_LISTED:
            listed += f"\n… (+{len(names) - _FILES_LISTED})"
        text += say.about_files.format(names=listed or "—")
    return text_messages(text)


def inline_articles(
    answer: Answer, language: Language, username: str, html: bool = True
) -> list[InlineQueryResultArticle]:
    """The results of an inline query: its citation as the title, the answering sentence as the
    description, the passage as the message, a link to the whole paragraph (cited alike)."""
    root = answer.info.seeds_name if answer.info else ""
    say = phrases(language)
    articles = []
    for hit in answer.hits:
        chunk = paginate([passage(hit, root, language, numbered=False)])[0]
        link = InlineKeyboardButton(
            say.open_paragraph, url=deep_link(username, hit.paragraph.id, language)
        )
        articles.append(
            InlineQueryResultArticle(
                id=hit.paragraph.id,
                title=clip(citation_label(hit.source, language), 100),
                description=clip(hit.highlight_text, 200),
                input_message_content=InputTextMessageContent(
                    chunk.html if html else chunk.plain,
                    parse_mode=ParseMode.HTML if html else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                reply_markup=InlineKeyboardMarkup([[link]]),
            )
        )
    return articles
