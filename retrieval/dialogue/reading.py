"""Reading one turn of a conversation: its cues, its slots, and the words of its own.

A follow-up shows itself on the surface: it opens with 那/那么/还有/它/他们/其/这, ends in 呢, or
has no content word at all (``受教育多少人次？``). Its *slots* are the words that name what it is
about — places, people, organisations, times and numbers, by jieba's part of speech (``ns``,
``nr``, ``nt``, ``t``, ``m``) — the words a follow-up swaps: ``那普兰县呢？`` after
``札达县发展了多少党员？`` swaps the place and keeps the rest.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import jieba

from ..text.normalize import is_cjk, normalize

__all__ = [
    "Reading",
    "Slot",
    "SlotKind",
    "named_phrase",
    "read_turn",
    "swap_asked",
    "swap_phrase",
    "swap_slots",
]

jieba.setLogLevel(logging.WARNING)

SlotKind = Literal["place", "person", "organisation", "time", "number"]

OPENING_CUES = ("那么", "那", "还有", "另外", "此外")
"""Words a follow-up opens with; the first that matches is cut off before the turn is read."""
PRONOUNS = frozenset(
    [
        "它",
        "他",
        "她",
        "他们",
        "她们",
        "它们",
        "其",
        "该",
        "此",
        "这",
        "这个",
        "这些",
        "那个",
        "那些",
        "该校",
        "该县",
        "该乡",
        "其中",
        "当地",
        "那里",
        "这里",
        "当时",
        "这次",
        "此次",
        "这项",
        "该项",
        "这里",
        "那时",
    ]
)
"""Words that point back to something said before."""
SHORT = 8
"""Characters (cues and punctuation cut off) up to which a turn with no noun is elliptical."""

_PLACE_ENDINGS = tuple("县乡镇村市省州")
_QUESTION_WORDS = frozenset(
    [
        "多少",
        "几",
        "哪",
        "哪些",
        "哪个",
        "什么",
        "谁",
        "如何",
        "怎么",
        "怎样",
        "怎么样",
        "哪里",
        "哪儿",
        "哪一年",
        "何时",
        "多大",
        "多久",
        "为什么",
        "是否",
        "吗",
    ]
)
_TRAILING = re.compile(r"[\s?？!！。.,，、~…]+$")
_PARTICLE = re.compile(r"(呢|吗|啊|呀|吧)$")
_TIME = re.compile(r"\d{1,4}(年|月|日|年度)(\d{1,2}月)?")
_TIME_TAIL = frozenset(["年", "月", "日", "月份", "年度", "年底", "年初"])


@dataclass(frozen=True, slots=True)
class Slot:
    """A word that names what a question is about, with its kind and place in the text."""

    kind: SlotKind
    text: str
    start: int


@dataclass(frozen=True, slots=True)
class Reading:
    """What the surface of a turn says: its core, its cues, its slots and its other words."""

    text: str
    """The turn as asked (cleaned)."""
    core: str
    """The turn without its opening cue, closing particle and punctuation."""
    opening: bool
    """It opens with a follow-up word (那, 还有, 它 …)."""
    ends_in_ne: bool
    """It ends in 呢."""
    pointers: tuple[tuple[str, int], ...]
    """Pronouns that point back (它, 其, 该, 这次 …), with their offset in ``core``."""
    slots: tuple[Slot, ...]
    nouns: tuple[str, ...]
    """Content nouns other than slots."""
    verbs: tuple[str, ...]
    asking: bool
    """It holds a question word (多少, 什么, 哪 …) or asks yes or no (…吗)."""
    subject: str
    """What the question is about: ``core`` up to its first verb or question word."""

    @property
    def pointing(self) -> bool:
        """It holds a pronoun that points back."""
        return bool(self.pointers)

    @property
    def fragment(self) -> bool:
        """Not a question on its own: no question word, and a noun phrase only or ``…呢``."""
        return not self.asking and (self.ends_in_ne or not self.verbs)

    @property
    def elliptical(self) -> bool:
        """Short, with no content noun or slot of its own: it needs what was said before."""
        return len(self.core) <= SHORT and not self.nouns and not self.slots

    @property
    def subjectless(self) -> bool:
        """It starts with its verb or question word and names no slot: 位于哪里？"""
        return not self.subject and not self.slots

    @property
    def topic(self) -> str:
        """What the question is about, as a follow-up would carry it: the subject before 的."""
        return self.subject.split("的", 1)[0]

    @property
    def cued(self) -> bool:
        """Any surface sign of a follow-up."""
        return (
            self.opening or self.ends_in_ne or self.pointing or self.elliptical or self.subjectless
        )

    @property
    def only_slots(self) -> bool:
        """The turn names slots and nothing else (``那普兰县呢？``, ``2018年呢？``)."""
        return bool(self.slots) and not self.nouns and not self.verbs


@cache
def _dictionary() -> jieba.Tokenizer:
    return jieba.dt


def _tagged(text: str) -> list[tuple[str, str]]:
    """jieba's words of ``text`` with their parts of speech. ``jieba.posseg`` is imported at the
    first follow-up it reads: loading its tables takes a quarter of a second of every start, and
    a question asked on its own never needs them."""
    import jieba.posseg

    return [(word.word, word.flag) for word in jieba.posseg.cut(text)]


def _strip_opening(text: str) -> tuple[str, bool]:
    """The text without its opening cue word, unless that word begins a name (那曲)."""
    english = _ENGLISH_OPENING.match(text)
    if english and 0 < english.end() < len(text):
        return text[english.end() :], True
    for cue in OPENING_CUES:
        if text.startswith(cue) and len(text) > len(cue):
            first = next(iter(_dictionary().cut(text, HMM=False)), "")
            if len(first) > len(cue) and first.startswith(cue) and first not in PRONOUNS:
                return text, False  # 那曲分行…: the cue is the start of a word
            return text[len(cue) :].lstrip("，, "), True
    return text, False


def read_turn(text: str) -> Reading:
    """Read a (cleaned) turn: cues, slots, nouns and verbs by jieba's part of speech."""
    body = _TRAILING.sub("", normalize(text, fold_case=False))
    ends_in_ne = body.endswith("呢")
    asking = body.endswith("吗")
    body = _PARTICLE.sub("", body)
    core, opening = _strip_opening(body)
    slots: list[Slot] = []
    nouns: list[str] = []
    verbs: list[str] = []
    pointers: list[tuple[str, int]] = []
    subject_end: int | None = None
    previous_start = 0
    position = 0
    pairs = _tagged(core)
    index = 0
    while index < len(pairs):
        word, flag = pairs[index]
        start = position
        if flag == "m" and word.isdigit() and index + 1 < len(pairs):
            unit = pairs[index + 1][0]
            if unit in _TIME_TAIL:  # 2019 + 年: one time
                word += unit
                index += 1
                flag = "t"
        elif flag == "b" and index + 1 < len(pairs) and _is_noun(pairs[index + 1][1]):
            word += pairs[index + 1][0]  # 临时 + 党支部: one noun
            flag = pairs[index + 1][1]
            index += 1
        position = start + len(word)
        index += 1
        kind = _slot_kind(word, flag)
        question_word = (
            word in _QUESTION_WORDS
            or (flag in ("r", "m") and any(mark in word for mark in _QUESTION_MARKS))
            or (flag == "eng" and word.casefold() in _ENGLISH_ASKING)
        )
        asking = asking or question_word
        if subject_end is None:
            # The subject ends at the first verb (a one-character "verb" is often jieba's
            # misreading, 藏医系), at the word before 了 (选派了, tagged a noun), or at the
            # question word.
            follows = pairs[index][0] if index < len(pairs) else ""
            if question_word or (flag.startswith("v") and (len(word) > 1 or follows != "的")):
                subject_end = start
            elif flag in ("ul", "uz", "ug"):
                subject_end = previous_start
        previous_start = start
        if question_word:
            continue
        if flag == "eng":
            _read_english(word, start, pointers, nouns)
        elif word in PRONOUNS or (flag == "r" and word not in _SPEAKERS):
            pointers.append((word, start))
        elif kind is not None:
            slots.append(Slot(kind, word, start))
        elif _is_noun(flag) and len(word) > 1:
            nouns.append(word)
        elif flag.startswith("v") and word not in _LIGHT_VERBS:
            verbs.append(word)
    subject = core[: subject_end or 0].rstrip("的是有在于对指为")
    if any(start < len(subject) for _, start in pointers):
        subject = ""  # 它的…: the subject is the pronoun, not a topic to carry
    return Reading(
        text,
        core,
        opening,
        ends_in_ne,
        tuple(pointers),
        tuple(slots),
        tuple(nouns),
        tuple(verbs),
        asking,
        subject,
    )


_ENGLISH_OPENING = re.compile(
    r"^(?:(?:and|also|so|but|then|ok|okay)\b[\s,]*)*(?:(?:what|how) about\b\s*)?", re.IGNORECASE
)
"""English follow-up openings: ``And what about the gloves?`` is read as ``the gloves``."""
_ENGLISH_ASKING = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "many",
        "much",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "will",
        "would",
        "should",
        "has",
        "have",
    ]
)
_ENGLISH_POINTERS = frozenset(
    ["it", "they", "them", "this", "that", "these", "those", "he", "she", "him", "her", "there"]
)
_ENGLISH_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "but",
        "not",
        "no",
        "its",
        "their",
        "his",
        "our",
        "your",
        "my",
        "be",
        "been",
        "being",
        "get",
        "gets",
        "got",
        "any",
        "some",
        "all",
        "more",
        "most",
        "very",
        "there",
        "here",
        "than",
        "then",
        "also",
        "about",
        "into",
        "over",
        "under",
        "out",
        "up",
        "down",
        "off",
        "as",
        "if",
        "so",
        "such",
    ]
)


def _read_english(word: str, start: int, pointers: list[tuple[str, int]], nouns: list[str]) -> None:
    """An English word of a turn: a pronoun that points back, a content word, or neither."""
    folded = word.casefold()
    if folded in _ENGLISH_POINTERS:
        pointers.append((word, start))
    elif folded not in _ENGLISH_STOP and len(word) > 2:
        nouns.append(word)  # without a tagger, every content word may name the topic


_QUESTION_MARKS = ("多少", "哪", "几", "什么", "怎", "谁", "何")
_SPEAKERS = frozenset(["我", "你", "您", "我们", "你们", "咱们", "自己", "大家"])
"""Pronouns of the people talking: 我的快递 points at no earlier topic."""
_LIGHT_VERBS = frozenset(["是", "有", "在", "为"])


def _is_noun(flag: str) -> bool:
    """A noun's part of speech, an abbreviation's (党支部, 建行) among them."""
    return flag.startswith("n") or flag == "j"


def _slot_kind(word: str, flag: str) -> SlotKind | None:
    if word in _QUESTION_WORDS:
        return None
    if flag == "ns" or (flag.startswith("n") and len(word) > 2 and word.endswith(_PLACE_ENDINGS)):
        return "place"
    if flag in ("nr", "nrfg", "nrt"):
        return "person"
    if flag == "nt":
        return "organisation"
    if flag == "t" or _TIME.fullmatch(word):
        return "time"
    if flag == "m" and any(ch.isdigit() for ch in word):
        return "number"
    return None


def swap_slots(previous: Reading, turn: Reading) -> tuple[str, tuple[Slot, ...]] | None:
    """The previous question with each slot the turn names put in place of one of its kind.

    Returns the new question and the previous slots that were replaced, or None when the turn
    names no slot of a kind the previous question had.
    """
    replaced: list[Slot] = []
    text = previous.core
    shift = 0
    for slot in turn.slots:
        old = next((s for s in previous.slots if s.kind == slot.kind and s not in replaced), None)
        if old is None or old.text == slot.text:
            continue
        at = old.start + shift
        text = text[:at] + slot.text + text[at + len(old.text) :]
        shift += len(slot.text) - len(old.text)
        replaced.append(old)
    if not replaced:
        return None
    return text, tuple(replaced)


_ASKED = re.compile(r"(多少|几)([个名家期次位项件所座人场种类户对批]?)")


def swap_asked(previous: Reading, noun: str) -> str | None:
    """The previous question asking about ``noun`` instead: ``多少个基层党组织`` → ``多少个党员``.

    The thing a 多少/几 question counts is the run of nouns right after the question word; None
    when the previous question counts nothing.
    """
    match = _ASKED.search(previous.core)
    if match is None:
        return None
    rest = previous.core[match.end() :]
    length = 0
    for word, flag in _tagged(rest):
        quote = flag == "x" and word in "“”《》\"'"
        if not (quote or flag.startswith("n") or flag in ("j", "vn", "l", "i")):
            break
        length += len(word)
    if not length:
        return None
    return previous.core[: match.end()] + noun + rest[length:]


_DETERMINED = re.compile(
    r"\b(?:the|a|an|this|that|these|those|its|their|our|your|my)"
    r"(?:\s+(?!(?:[a-z]+(?:ed|ing)|made|done|kept|given|taken|built|sold|paid|held|found|known|seen"
    r"|shown|worn|put|set|is|are|was|were|do|does|did|get|gets|of|in|on|at|for|to|with)\b)"
    r"[^\W\d_][\w-]*){1,3}",
    re.IGNORECASE,
)
"""A determiner and the (up to three) words after it, up to a verb or preposition: a noun phrase,
as well as can be told without a tagger."""


def named_phrase(previous: Reading) -> str | None:
    """What an English question is about, as a pronoun would point at it: its last ``the X``."""
    found = _DETERMINED.findall(previous.core)
    return found[-1] if found else None


def swap_phrase(previous: Reading, phrase: str) -> str | None:
    """The previous English question asking about ``phrase`` instead of its last ``the X``.

    ``How hot do the ovens get?`` then ``What about the fryers?``: ``How hot do the fryers get``.
    None when the previous question has no such phrase, or either side is not English.
    """
    if any(is_cjk(ch) for ch in previous.core + phrase):
        return None
    found = list(_DETERMINED.finditer(previous.core))
    if not found:
        return None
    last = found[-1]
    if not _DETERMINED.fullmatch(phrase):
        phrase = last.group().split()[0] + " " + phrase
    return previous.core[: last.start()] + phrase + previous.core[last.end() :]
