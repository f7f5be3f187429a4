"""Answers as terminal text and as JSON lines, for the ``seedqa`` command line."""

from __future__ import annotations

import json
from typing import Any

from retrieval import Answer, Hit

from .citations import NOTHING_FOUND, Language, citation_label, language_of, line_note, location

__all__ = ["AROUND", "answer_json", "answer_text", "dumps", "place"]


AROUND = 80
"""Characters of context shown on each side of the answering sentence in a trimmed passage."""


def answer_text(
    answer: Answer,
    root: str,
    emphasis: tuple[str, str] = ("**", "**"),
    around: int | None = None,
) -> str:
    """Numbered passages, each under its citation line, with the answering sentence emphasised.

    ``around``: show only that many characters on each side of the answering sentence (``…``
    where the paragraph was cut); None shows the whole paragraph. The other places the same
    paragraph stands follow its citation (``also in: …``).
    """
    language = language_of(answer.question)
    if answer.abstained:
        return NOTHING_FOUND[language]
    blocks = []
    for hit in answer.hits:
        start, end = hit.highlight
        text = hit.paragraph.text
        first, last = 0, len(text)
        if around is not None:
            first, last = max(0, start - around), min(len(text), end + around)
        if hit.byline_answers:  # the byline is the answer, the paragraph what the article says
            start = end = first
        body = (
            ("…" if first > 0 else "")
            + text[first:start]
            + (emphasis[0] + text[start:end] + emphasis[1] if end > start else "")
            + text[end:last]
            + ("…" if last < len(text) else "")
        )
        if hit.byline_answers:
            body = f"{emphasis[0]}{hit.byline}{emphasis[1]}\n{body}"
        elif hit.byline:  # asked about, and in no paragraph's text
            body = f"{hit.byline}\n{body}"
        indented = "\n".join("    " + line for line in body.splitlines())
        places = [location(source, root) for source in hit.paragraph.sources[1:]]
        also = (
            "\n    "
            + ALSO_IN[language].format("，".join(places) if language == "zh" else ", ".join(places))
            if places
            else ""
        )
        blocks.append(f"[{hit.rank}] {_citation(hit, root, language)}{also}\n{indented}")
    return "\n\n".join(blocks)


ALSO_IN: dict[Language, str] = {"zh": "（又见：{}）", "en": "(also in {})"}


def _citation(hit: Hit, root: str, language: Language) -> str:
    return f"{citation_label(hit.source, language)} — {location(hit.source, root)}" + line_note(
        hit.source, hit.highlight_line, language
    )


def answer_json(answer: Answer) -> dict[str, Any]:
    """The answer as the documented JSON object (one line of ``seedqa ask --json``)."""
    return {
        "question": answer.question,
        "mode": answer.mode,
        "abstained": answer.abstained,
        "hits": [_hit_json(hit) for hit in answer.hits],
    }


def _hit_json(hit: Hit) -> dict[str, Any]:
    source = hit.source
    return {
        "rank": hit.rank,
        "score": round(hit.score, 6),
        "id": hit.paragraph.id,
        "text": hit.paragraph.text,
        "highlight": hit.highlight_text,
        "highlight_span": list(hit.highlight),
        "coverage": round(hit.coverage, 4),
        "similarity": None if hit.similarity is None else round(hit.similarity, 4),
        "byline": hit.byline,
        "byline_answers": hit.byline_answers,
        "source": {
            **place(hit),
            "sections": list(source.sections),
            "kicker": source.kicker,
            "subtitle": source.subtitle,
            "bylines": list(source.bylines),
        },
        "also_in": [{"path": s.path, "line": s.line} for s in hit.paragraph.sources[1:]],
    }


def place(hit: Hit) -> dict[str, Any]:
    """Where a passage stands, as every JSON front-end cites it: file, line, the answering
    sentence's line, article, section, paragraph number and page."""
    source = hit.source
    return {
        "path": source.path,
        "line": source.line,
        "highlight_line": hit.highlight_line,
        "title": source.title,
        "section": source.section,
        "ordinal": source.ordinal,
        "page": source.page,
    }


def dumps(data: dict[str, Any]) -> str:
    """One JSON line, Chinese left readable."""
    return json.dumps(data, ensure_ascii=False)
