"""Checking a generated reply against the passages it cites, sentence by sentence.

A model's reply is trusted no further than its citations: every sentence must end with the
``[n]`` of the passage(s) it rests on, and is kept only if those passages support it — every
number (by value: ``3亿元`` is 300,000,000 and does not support ``9亿元``), every Latin-script name
or acronym, every quoted phrase, and most of its content words are found there, after the index's
own folding (width, case, traditional to simplified). A sentence with no citation, or citing only
passages that do not exist, is dropped. ``<think>…</think>`` is removed first, the reply ends at
a chat-template token written as text (``<|im_end|>``), and the marker variants models write
(``【1】``, ``[1,2]``, ``[1][2]``, ``[^1]``, ``[1-3]``) are all read.

:class:`SentenceStream` does this incrementally: fed the reply as it arrives, it hands out each
sentence once it is complete (its stop and every citation after it have arrived) and checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..text.normalize import is_cjk, normalize
from ..text.terms import STOPWORDS, counts_as_evidence, is_bigram, terms

__all__ = [
    "NO_ANSWER",
    "SUPPORT_SHARE",
    "CheckedSentence",
    "Passage",
    "SentenceStream",
    "check_reply",
    "is_no_answer",
    "strip_thinking",
    "supported",
]

NO_ANSWER = "NO_ANSWER"
"""The exact reply the prompt asks for when the passages do not answer the question."""

SUPPORT_SHARE = 0.7
"""Share of a sentence's content words that must be found in the passages it cites.

Not all: a model joins facts with words of its own (``因此``, ``包括``) and may inflect a word
the passage has in another form. Numbers, Latin names and quoted phrases have no such slack.
"""


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage as the model was shown it: its number in the prompt, title and text."""

    number: int
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class CheckedSentence:
    """A sentence that its cited passages support, with its citations (1-based passage numbers)."""

    text: str
    """The sentence without its markers (render the citations after it)."""
    citations: tuple[int, ...]

    @property
    def cited(self) -> str:
        """The sentence with its citations as ``[1][2]`` after it."""
        return self.text + "".join(f"[{n}]" for n in self.citations)


# A citation marker: [1] [1,2] [1, 2] [1-3] [^1] 【1】, and full-width brackets (NFKC folds them).
_MARKER = re.compile(
    r"[\[【\uff3b]\s*\^?\s*(\d{1,3}(?:\s*[,，、;；\-\u2013~]\s*\^?\s*\d{1,3})*)\s*[\]】\uff3d]"
)
# What a marker can look like before it is finished: a sentence followed by this may still get it.
_PARTIAL_MARKER = re.compile(r"[\[【\uff3b]\s*\^?[\d\s,，、;；\-\u2013~^]*\Z")
_SENTENCE_END = re.compile(
    # Chinese stops and their closers. Not ；: the citation at a sentence's end covers its clauses.
    r"""(?:[。！？!?]+|…{1,2}|\.{3})[”’"'」』）)]*"""
    r"""|(?<=[A-Za-z0-9)\]"'])\.[”’"')\]]*(?=\s|\[|【|\Z)"""  # an English full stop
    r"""|\n"""
)
_TRAILING = re.compile(r"(?:[ \t]*" + _MARKER.pattern + r")+")
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_OPEN_THINK = re.compile(r"<think>", re.IGNORECASE)
# What opens the model's own turn, written out as text (a template the model was not trained on).
_OPENER = re.compile(
    r"\A(?:\s*(?:<s>|<bos>|<\|im_start\|>(?:assistant)?|<start_of_turn>(?:model)?"
    r"|<\|start_header_id\|>assistant<\|end_header_id\|>|<\|assistant\|>))+"
)
# Any other chat-template token ends the turn: what follows is the model playing the next one.
_TEMPLATE_TOKEN = re.compile(r"<\|[^|<>]{1,40}\|>|</?s>|<[be]os>|<(?:start|end)_of_turn>")

_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_CN_DIGITS = {"零": 0, "\u3007": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
_CN_NUMBER = re.compile(r"[零\u3007一二两三四五六七八九十百千万亿]+")
# A Chinese numeral counts as a number only before a measure word: 三亿元, 五个, 九名 — not 统一.
_MEASURE = frozenset("元个名人位年月日天次场项家所座户万亿倍岁届批条件篇支队处村乡镇县种类")
_MULTIPLIER = re.compile(r"\s*([万亿])")
_LATIN_WORD = re.compile(r"[a-z][a-z0-9'\-]*[a-z0-9]|[a-z]")
_QUOTED = re.compile(
    r"“([^”]{2,})”|「([^」]{2,})」|『([^』]{2,})』|《([^》]{2,})》|\"([^\"]{2,})\""
)
# Words a model uses to talk about the passages rather than about the subject.
_META = (
    "根据 依据 资料 材料 段落 文中 文章 报道 提到 提及 表示 指出 介绍 显示 所述 可知 来看 "
    "according passage passages article document text mentions mentioned states stated"
)
_META_WORDS = frozenset(_META.split())


def _answer_part(reply: str) -> tuple[str, bool]:
    """The reply's answer, and whether the model's turn visibly ended (a template token)."""
    reply = _THINK.sub("", reply)
    opened = _OPEN_THINK.search(reply)
    if opened is not None:  # still thinking (or never stopped): nothing after it is an answer
        reply = reply[: opened.start()]
    opener = _OPENER.match(reply)
    if opener is not None:
        reply = reply[opener.end() :]
    end = _TEMPLATE_TOKEN.search(reply)
    return (reply, False) if end is None else (reply[: end.start()], True)


def strip_thinking(reply: str) -> str:
    """The reply without ``<think>…</think>`` blocks, an unclosed block, or its turn's tokens.

    A model served with a chat template it was not trained on (a base model gets llama.cpp's
    ChatML) writes the template's tokens as text: ``<|im_end|>``, then a made-up next turn.
    Only what comes before the first such token is its answer.
    """
    return _answer_part(reply)[0]


def _marker_ids(group: str) -> list[int]:
    ids: list[int] = []
    for part in re.split(r"\s*[,，、;；]\s*", group):
        part = part.replace("^", "").strip()
        bounds = [int(p) for p in re.split(r"\s*[\-\u2013~]\s*", part) if p]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 10:
            ids.extend(range(bounds[0], bounds[1] + 1))
        else:
            ids.extend(bounds)
    return ids


@dataclass(frozen=True, slots=True)
class _Segment:
    body: str
    """The sentence with its markers removed."""
    ids: tuple[int, ...]
    """Every id its markers name, in order, out-of-range ones included."""


def _segments(text: str) -> list[tuple[int, _Segment]]:
    """Sentences of ``text`` with the markers on their line after them: (end offset, segment).

    A marker that opens a line cites nothing: a citation follows the text it is for (an echo of
    the prompt's ``[2] 《title》`` lines must not turn a title into a cited sentence).
    """
    found: list[tuple[int, _Segment]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() < start:
            continue
        end = match.end()
        trailing = _TRAILING.match(text, end)
        if trailing is not None and match.group() != "\n":
            end = trailing.end()
        found.append((end, _segment(text[start:end])))
        start = end
    if start < len(text):
        found.append((len(text), _segment(text[start:])))
    return [(end, seg) for end, seg in found if any(ch.isalnum() for ch in seg.body)]


def _segment(raw: str) -> _Segment:
    raw = raw.strip()
    leading = re.match(r"(?:\s*" + _MARKER.pattern + r")+", raw)
    if leading is not None:
        raw = raw[leading.end() :]
    ids: list[int] = []
    for marker in _MARKER.finditer(raw):
        ids.extend(_marker_ids(marker.group(1)))
    body = _MARKER.sub("", raw)
    body = re.sub(r"[ \t]+([。！？!?；;，,.])", r"\1", body).strip()
    return _Segment(body, tuple(ids))


def _number_values(text: str, strict: bool) -> set[float]:
    """Numbers of normalised ``text`` by value: ``3亿`` and ``300000000`` alike.

    ``strict`` (for the sentence) counts a Chinese numeral only before a measure word; the
    passage side counts every one, so that a sentence may write a number the other way.
    """
    values: set[float] = set()
    for match in _NUMBER.finditer(text):
        value = float(match.group().replace(",", ""))
        big = _MULTIPLIER.match(text, match.end())
        if big is not None:
            value *= _CN_BIG[big.group(1)]
        values.add(value)
    for match in _CN_NUMBER.finditer(text):
        numeral = match.group()
        after = text[match.end() : match.end() + 1]
        if strict and (numeral in ("一", "万", "亿") or after not in _MEASURE):
            continue
        parsed = _chinese_value(numeral)
        if parsed is not None:
            values.add(parsed)
    return values


def _chinese_value(numeral: str) -> float | None:
    """The value of a Chinese numeral (三亿, 一千二百, 十五, 二〇二四); None if not one."""
    if all(ch in _CN_DIGITS for ch in numeral):
        return (
            float("".join(str(_CN_DIGITS[ch]) for ch in numeral))
            if len(numeral) > 1
            else (float(_CN_DIGITS[numeral]))
        )
    total, section, digit = 0, 0, None
    for ch in numeral:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif ch in _CN_BIG:
            section += digit or 0
            if section == 0:
                return None
            total += section * _CN_BIG[ch]
            section, digit = 0, None
    return float(total + section + (digit or 0))


def _is_chinese(text: str) -> bool:
    """Chinese prose with Latin words in it (not English with a Chinese name in it)."""
    return sum(1 for ch in text if is_cjk(ch)) >= len(_LATIN_WORD.findall(text))


@dataclass(frozen=True, slots=True)
class _Evidence:
    """The cited passages, folded once for all the sentences that cite them."""

    text: str
    numbers: frozenset[float]
    words: frozenset[str]

    @classmethod
    def of(cls, evidence: str) -> _Evidence:
        source = normalize(evidence)
        numbers = frozenset(_number_values(source, strict=False))
        return cls(source, numbers, frozenset(_LATIN_WORD.findall(source)))


def supported(sentence: str, evidence: str | _Evidence) -> bool:
    """Whether ``evidence`` (the cited passages) supports ``sentence`` (markers removed)."""
    prepared = _Evidence.of(evidence) if isinstance(evidence, str) else evidence
    said, source, source_words = normalize(sentence), prepared.text, prepared.words
    if not _number_values(said, strict=True) <= prepared.numbers:
        return False
    for groups in _QUOTED.findall(sentence):
        phrase = normalize(next(g for g in groups if g)).strip()
        if phrase and phrase not in source:
            return False
    latin = set(_LATIN_WORD.findall(said))
    if _is_chinese(said):
        names = latin  # in Chinese prose a Latin word is a name or an acronym: all must be there
    else:
        # In English only names need be exact: capitalised words after the first, and codes.
        written = re.findall(r"[A-Za-z][A-Za-z0-9'\-]*", sentence)
        names = {normalize(w) for w in written[1:] if w[0].isupper()} | {
            w for w in latin if any(ch.isdigit() for ch in w)
        }
    if not names <= source_words:
        return False
    words = [  # numbers were checked by value above, whatever their spelling (3亿 or 300000000)
        word
        for word in terms(sentence)
        # A one-character word is an index term of its own spelling (UNIGRAM + 说) that is never
        # found as such in the passage, and, as in the index's coverage, no evidence either.
        if counts_as_evidence(word)
        and not is_bigram(word)
        and word not in STOPWORDS
        and word not in _META_WORDS
        and not any(ch.isdigit() for ch in word)
    ]
    if not words:
        return False  # nothing to support: "是的[1]" says nothing the passage could back
    found = sum(1 for word in words if word in source or word in source_words)
    return found >= SUPPORT_SHARE * len(words)


class SentenceStream:
    """Checks a reply as it arrives: feed it text, take the checked sentences as they complete."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = {p.number: p for p in passages}
        self._evidence: dict[tuple[int, ...], _Evidence] = {}
        self._raw = ""
        self._done = 0  # characters of the cleaned reply already handed out as sentences
        self.kept: list[CheckedSentence] = []
        self.dropped = 0
        self._ended = False

    @property
    def reply(self) -> str:
        """The reply so far, without thinking."""
        return strip_thinking(self._raw).strip()

    @property
    def ended(self) -> bool:
        """Whether the model has written the end of its turn: nothing after it is read (as of
        the last piece fed)."""
        return self._ended

    def feed(self, text: str) -> list[CheckedSentence]:
        """Add the next piece of the reply; returns the sentences it completed that hold."""
        self._raw += text
        return self._take(final=False)

    def close(self, complete: bool = True) -> list[CheckedSentence]:
        """The reply has ended; ``complete=False`` (cut at the token limit) drops its last piece."""
        return self._take(final=complete)

    def _take(self, final: bool) -> list[CheckedSentence]:
        cleaned, self._ended = _answer_part(self._raw)
        pending = cleaned[self._done :]
        segments = _segments(pending)
        if not final and segments:
            # The last sentence may still grow (or get its marker); if what follows the one
            # before it could be the start of a marker, that one is not finished either.
            last_end = segments[-1][0]
            tail_start = segments[-2][0] if len(segments) > 1 else 0
            segments = segments[:-1]
            if segments and _PARTIAL_MARKER.match(pending[tail_start:last_end].lstrip()):
                segments = segments[:-1]
        elif not final:
            return []
        out: list[CheckedSentence] = []
        for _, segment in segments:
            if is_no_answer(segment.body):
                continue  # the model's way of saying it cannot answer, not a sentence of one
            checked = self._check(segment)
            if checked is None:
                self.dropped += 1
            else:
                out.append(checked)
        if segments:
            self._done += segments[-1][0]
        if final:
            self._done = len(cleaned)
        self.kept.extend(out)
        return out

    def _check(self, segment: _Segment) -> CheckedSentence | None:
        ids = tuple(dict.fromkeys(n for n in segment.ids if n in self.passages))
        if not ids:
            return None
        key = tuple(sorted(ids))
        if key not in self._evidence:
            joined = "\n".join(self.passages[n].title + "\n" + self.passages[n].text for n in key)
            self._evidence[key] = _Evidence.of(joined)
        if not supported(segment.body, self._evidence[key]):
            return None
        return CheckedSentence(segment.body, tuple(sorted(ids)))


def check_reply(reply: str, passages: Sequence[Passage]) -> tuple[list[CheckedSentence], int]:
    """The supported sentences of a whole reply, and how many were dropped."""
    stream = SentenceStream(passages)
    kept = stream.feed(reply) + stream.close()
    return kept, stream.dropped


def is_no_answer(reply: str) -> bool:
    """Whether the reply (without thinking) is the prompt's ``NO_ANSWER``."""
    return strip_thinking(reply).strip().strip("。.!！\"'`*") == NO_ANSWER
