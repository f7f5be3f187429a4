"""Checking a question before it is searched."""

from __future__ import annotations

import re
import unicodedata

from ..errors import QuestionError

__all__ = ["MAX_QUESTION_CHARS", "clean_question"]

MAX_QUESTION_CHARS = 1000
"""Longest question accepted: a question is a sentence or two, not a document."""

_SPACES = re.compile(r"\s+")


def clean_question(text: str) -> str:
    """The question with control characters and runs of whitespace made single spaces.

    Raises :class:`QuestionError` for an empty question or one over ``MAX_QUESTION_CHARS``.
    """
    printable = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs", "Co") else ch for ch in text
    )
    cleaned = _SPACES.sub(" ", printable).strip()
    if not cleaned:
        raise QuestionError("The question is empty.")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"The question is {len(cleaned):,} characters long; ask in at most "
            f"{MAX_QUESTION_CHARS:,}."
        )
    return cleaned
