"""The buttons under an answer, and the short callback data and deep links they carry.

Telegram gives a button at most 64 bytes of callback data, and a user's app can send any bytes
back: data holds only short ids (a stored question's number, a paragraph's 16-hex-digit id), and
what comes back is parsed strictly, anything else being an expired button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from retrieval import Answer

from ..citations import Language
from .phrases import phrases

__all__ = [
    "MAX_CALLBACK_BYTES",
    "Action",
    "More",
    "Show",
    "Vote",
    "answer_keyboard",
    "decode",
    "deep_link",
    "encode",
    "paragraph_from_payload",
    "questions_keyboard",
]

MAX_CALLBACK_BYTES = 64

_DATA = re.compile(r"(m):(\d{1,12}):(\d{1,4})|(p):([0-9a-f]{16}):(zh|en)|(v):(\d{1,12}):([ud])")
_PAYLOAD = re.compile(r"p_([0-9a-f]{16})(?:_(zh|en))?")


@dataclass(frozen=True, slots=True)
class More:
    """Show the page of results of a stored question that starts at ``offset``."""

    question: int
    offset: int


@dataclass(frozen=True, slots=True)
class Show:
    """Show a whole paragraph with its neighbours."""

    paragraph: str
    language: Language


@dataclass(frozen=True, slots=True)
class Vote:
    """A 👍 (``up``) or 👎 on the answer to a stored question."""

    question: int
    up: bool


Action = More | Show | Vote


def encode(action: Action) -> str:
    """The callback data of a button (at most 64 bytes)."""
    match action:
        case More(question, offset):
            data = f"m:{question}:{offset}"
        case Show(paragraph, language):
            data = f"p:{paragraph}:{language}"
        case Vote(question, up):
            data = f"v:{question}:{'u' if up else 'd'}"
    assert len(data.encode()) <= MAX_CALLBACK_BYTES, data
    return data


def decode(data: str | None) -> Action | None:
    """The action of a button's callback data; None for anything this bot did not make."""
    match = _DATA.fullmatch(data or "")
    if match is None:
        return None
    if match[1]:
        return More(int(match[2]), int(match[3]))
    if match[4]:
        return Show(match[5], "zh" if match[6] == "zh" else "en")
    return Vote(int(match[8]), match[9] == "u")


def answer_keyboard(
    question: int, answer: Answer, offset: int, page: int, language: Language
) -> InlineKeyboardMarkup:
    """📄 per passage; back and more to page through the results; 👍 and 👎."""
    say = phrases(language)
    passages = [
        InlineKeyboardButton(
            say.passage.format(rank=hit.rank),
            callback_data=encode(Show(hit.paragraph.id, language)),
        )
        for hit in answer.hits
    ]
    paging = []
    if offset > 0:
        paging.append(
            InlineKeyboardButton(
                say.back, callback_data=encode(More(question, max(0, offset - page)))
            )
        )
    if answer.more:
        paging.append(
            InlineKeyboardButton(say.more, callback_data=encode(More(question, offset + page)))
        )
    votes = [
        InlineKeyboardButton("👍", callback_data=encode(Vote(question, True))),
        InlineKeyboardButton("👎", callback_data=encode(Vote(question, False))),
    ]
    return InlineKeyboardMarkup([row for row in (passages, paging + votes) if row])


def questions_keyboard(answers: list[Answer], language: Language) -> InlineKeyboardMarkup | None:
    """Under several answers in one reply: a row of 📄 per question (``📄 2.1``: the second
    question's first passage). Paging and votes stay with single questions: one message cannot
    carry a pager per question."""
    rows = [
        [
            InlineKeyboardButton(
                f"📄 {number}.{hit.rank}", callback_data=encode(Show(hit.paragraph.id, language))
            )
            for hit in answer.hits
        ]
        for number, answer in enumerate(answers, 1)
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def deep_link(username: str, paragraph_id: str, language: Language) -> str:
    """A ``t.me`` link that opens a private chat with the bot on this paragraph, cited in
    ``language`` — the language of the answer the link came with, whatever the app's."""
    return f"https://t.me/{username}?start=p_{paragraph_id}_{language}"


def paragraph_from_payload(payload: str) -> tuple[str, Language | None] | None:
    """The paragraph a ``/start`` deep-link payload names, and the language to cite it in
    (None in links made before the language was part of them)."""
    match = _PAYLOAD.fullmatch(payload)
    if match is None:
        return None
    language: Language | None = None
    if match[2]:
        language = "zh" if match[2] == "zh" else "en"
    return match[1], language
