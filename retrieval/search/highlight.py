"""Picking the sentence of a paragraph that best answers a question.

Each sentence is scored by the IDF of the question's terms it contains — rare words such as
names and numbers count most, so the sentence that holds ``札达、普兰、日土、噶尔`` beats one that
only repeats ``党员``. Three things then tell the answering sentence from the one that merely names
the question's subject:

- The first group of the question's words is usually its subject (措勤县 in
  ``措勤县的主题党日活动涵盖多少个基层党组织？``), named once where the paragraph starts; what
  the question asks about comes after it. Terms only of the first group count for less.
- What follows a question word inside the question (``怎样整改查出的问题``) is what it asks
  about, whatever its group.
- A question for a number or an amount (多少, 几, 哪一年) wants a sentence with a number in it;
  one that counts the very thing asked (``多少名党员``: ``1600余名党员``; ``多少生态保护资金？``:
  资金; ``参观人数是多少？``: 人数) answers it before any other, as does one that gives a
  duration for ``多久`` or a length, an area or a weight for ``多长``, ``多大面积``, ``多重``.
  A date is no amount unless the question asks when.
- A question for what something is (是什么, 指什么) wants the sentence that defines it
  (``“三部一体”即…``, ``指的是…``); a sentence that names it and defines nothing hands over
  to the next when that one enumerates (``以“四个前移”为方向。工作队创新“旗帜前移、…``).

When no sentence shares a term with the question (a paraphrase found by the dense leg), the caller
can pick by embedding similarity instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from itertools import pairwise

from ..ingest.paragraphs import ANSWER_LINE, QUESTION_LINE
from ..text.normalize import normalize
from ..text.sentences import Span, sentences
from ..text.terms import BIGRAM, UNIGRAM, QuestionTerms, blank_datelines, surface

__all__ = ["best_sentence"]

SUBJECT_WEIGHT = 0.5
"""What a term only of the question's first group weighs, as a share of its IDF."""
UNIGRAM_WEIGHT = 0.1
"""What a shared character weighs (it breaks ties between sentences sharing the same words)."""
NUMBER_BONUS = 1.5
"""Factor on a sentence with a number next to a question word, for a question asking for one."""
NEAR = 6
"""Characters between a number and a question word for them to stand next to each other."""
DEFINITION_BONUS = 1.5
"""Factor on a sentence that defines something, for a question that asks what it is."""

HAND_OVER = 1.01
"""Factor on the score of the sentence handed over to (above the one that hands over)."""

_ASKS_NUMBER = re.compile(r"多少|几[^乎]|哪一年|哪年|何年|第几|多[大高远长久重]|幾|什么时候|何时")
_NUMBER = re.compile(
    r"\d+|[〇零一二两三四五六七八九十百千万亿]+(?:点[〇零一二三四五六七八九]+)?"
    r"(?:[个名人次项元岁年月天期位家所种条座户倍场届批件%]|公里|公尺|公斤|千米|米|吨|亩|小时|分钟)"
)
_ASKS_TIME = re.compile(
    r"哪一?[年月天日]|何[年时]|什么时[候间]|几[年月日号点]|多少年|多久|多长时间"
)
_DATE = "年月日号"
_LINKING = "是为有达约共"
"""Words between what a question counts and its question word at the end (人数是多少)."""
_ASKS_SIZE = re.compile(r"多(?:长|高|远|重|深|宽|大面积)(?!时间)|(?:长度|高度|面积|重量)是?多少")
_SIZE = re.compile(
    r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)(?:多|余)?"
    r"(?:平方公里|平方米|公里|千米|公尺|公分|米|厘米|毫米|公斤|千克|克|吨|公顷|亩)"
)
_ASKS_DURATION = re.compile(
    r"多久|多长时间|几(?:年|天|周|个月|个星期|个?小时|个钟头)|多少(?:年|天|周|个月|小时)"
)
_ASKS_LASTING = re.compile(r"(?:寿命|时间|时长|工期|期限|有效期)有?多长")
"""多长 of a time (滤网寿命多长？), not of a length (神农街有多长？)."""
_DURATION = re.compile(
    r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百半]+)(?:个月|个小时|小时|分钟|天|周|个星期|星期|秒)"
    r"|(?<!\d)(?:\d{1,3}|[一二两三四五六七八九十百半]+)年"  # 2年, not the year 1994年
)
_ASKS_DEFINITION = re.compile(
    r"是什么|指什么|是指|指的是|什么是|是怎样的|包括哪些|有哪些内容|甚么|什麼"
)
_DEFINES = re.compile(r"即|指的是|是指|就是|包括|分别是|：|:")
_ASKS_MANNER = re.compile(r"怎样|如何|怎么")
_STEP = re.compile(r"[ \t]*(?:\d{1,3}|[一二三四五六七八九十]{1,3})[.、)）]")
"""An item of a numbered list (``1. 拆开包装``)."""
_FIRST_STEP = re.compile(r"[ \t]*[1一][.、)）]")
_ASKS = re.compile(r"什么|哪|多少|几|谁|为什么|为何|何")
_QUESTION_END = "?？。!！呢吗 "


def best_sentence(
    text: str,
    question: str,
    query: QuestionTerms,
    weight: Callable[[str], float],
    held: Collection[str],
    focus: Collection[str] = (),
) -> tuple[Span, float]:
    """The span of the best-answering sentence and its score (0 when none shares a term).

    ``held`` holds the question's terms that the paragraph holds (its index terms): a sentence
    holds one of them when it holds the term's characters. Nothing is segmented at answer
    time; the paragraph was segmented once, when it was indexed.

    ``focus`` holds terms the sentence must share when any sentence does: a follow-up's own
    words (``那自行车呢？``) decide between sentences that share its context's words.
    """
    spans = sentences(text) or [(0, len(text))]
    folded = normalize(question)
    weights = _term_weights(query, weight, folded)
    asked = [term for term in weights if term in held]
    folded_sentences = [normalize(text[a:b]) for a, b in spans]  # once, for every check below
    shared = [_shared(blank_datelines(sentence), asked) for sentence in folded_sentences]
    _inherit(text, spans, shared)
    if focus and any(terms_.intersection(focus) for terms_ in shared):
        shared = [terms_ if terms_.intersection(focus) else set() for terms_ in shared]
    scores = [sum(weights[t] for t in terms_) for terms_ in shared]
    if not any(scores):
        return spans[0], 0.0
    number = _ASKS_NUMBER.search(folded)
    dates = bool(_ASKS_TIME.search(folded))
    definition = bool(_ASKS_DEFINITION.search(question))
    final = list(scores)
    words = [t for t in query.terms if not t.startswith((UNIGRAM, BIGRAM)) and len(t) > 1]
    counted = _counted(folded, number, words) if number else []
    size = bool(_ASKS_SIZE.search(folded))
    duration = bool(_ASKS_DURATION.search(folded) or _ASKS_LASTING.search(folded))
    counts = [False] * len(spans)
    for i, (a, b) in enumerate(spans):
        sentence = text[a:b]
        if number:
            folded_sentence = folded_sentences[i]
            quantity = (duration and bool(_DURATION.search(folded_sentence))) or (
                size and bool(_SIZE.search(folded_sentence))
            )
            counts[i] = scores[i] > 0 and (
                quantity or (bool(counted) and _number_by(folded_sentence, counted, dates))
            )
            if quantity and not scores[i] and i and scores[i - 1]:
                # 神农街…重新开放。这条老街全长约三百公尺: the quantity asked for, of the
                # subject the sentence before names
                counts[i], final[i] = True, final[i - 1]
            if _number_by(folded_sentence, words, dates):
                final[i] *= NUMBER_BONUS
        if definition and _DEFINES.search(sentence):
            final[i] *= DEFINITION_BONUS
    if definition:
        _hand_over(spans, text, scores, final)
    # A sentence that gives the number of the very thing counted answers a count (多少名党员).
    best = max(range(len(spans)), key=lambda i: (counts[i], final[i], -i))
    if _ASKS_MANNER.search(folded) and not number:
        # 如何首次使用？ over numbered steps: the procedure starts at its first step
        first = next((i for i, (a, _) in enumerate(spans) if _FIRST_STEP.match(text, a)), None)
        if first is not None and first < best and _STEP.match(text, spans[best][0]):
            best = first
    return spans[best], final[best]


def _inherit(text: str, spans: Sequence[Span], shared: list[set[str]]) -> None:
    """The lines under a table's header row, or under the question of a question and its answer
    (``问：…`` then ``答：…``), hold what that line holds, and it is no answer itself: it names
    what the lines under it give (``睡眠模式 | 1档 | 28分贝`` under ``模式 | … | 噪音``); nor is
    a line leading in to it (``价格如下：``), whose words the lines under it hold too."""
    lines = text.split("\n")
    head = next(
        (
            i
            for i, (line, below) in enumerate(pairwise(lines))
            if ("|" in line and "|" in below)
            or (QUESTION_LINE.match(line) and ANSWER_LINE.match(below))
        ),
        None,
    )
    if head is None:
        return
    end = sum(len(line) + 1 for line in lines[:head]) + len(lines[head])
    lead = [i for i, (_, b) in enumerate(spans) if b <= end]  # with the line leading in to it
    named = set().union(*(shared[i] for i in lead))
    for i, (a, _) in enumerate(spans):
        if i in lead:
            shared[i] = set()
        elif a > end:
            shared[i] = shared[i] | named


def _shared(searched: str, terms: Collection[str]) -> set[str]:
    """Which of the paragraph's ``terms`` a sentence of it holds (``searched``: the sentence's
    searchable form): those whose characters it holds.

    A term the paragraph holds as a word elsewhere and this sentence only inside a longer word
    (党员 in 党员干部) counts here too: the sentence speaks of it all the same.
    """
    return {term for term in terms if surface(term) in searched}


def _number_by(folded: str, words: Sequence[str], dates: bool) -> bool:
    """Whether a number in the normalised sentence ``folded`` stands next to one of the
    question's words.

    ``1600余名党员`` answers ``多少名党员``; a number elsewhere in the sentence does not, nor a
    date (``3月12日，生态环境部…``) unless ``dates``: the question asks when.
    """
    for match in _NUMBER.finditer(folded):
        if not dates and match.group().isdigit() and folded[match.end() : match.end() + 1] in _DATE:
            continue
        near = folded[max(0, match.start() - NEAR) : match.end() + NEAR]
        if any(word in near for word in words):
            return True
    return False


def _counted(folded: str, asked: re.Match[str], words: Sequence[str]) -> list[str]:
    """The question's word for what it counts, ``asked`` being its number question word.

    The word right after it (``多少名党员参加了…`` counts 党员); when a phrase ends the question
    there, the phrase's last word (``多少生态保护资金？`` counts 资金); when the question word
    ends the question, the word before it (``参观人数是多少？`` counts 人数).
    """
    after = asked.end()
    at = {folded.find(word, after): word for word in reversed(words) if word in folded[after:]}
    start = next((where for where in (after, after + 1) if where in at), None)
    if start is None:
        before = folded[: asked.start()].rstrip(_LINKING)
        return [word for word in words if before.endswith(word)][:1]
    run = [at[start]]
    end = start + len(run[0])
    while end in at:
        run.append(at[end])
        end += len(at[end])
    if not folded[end:].strip(_QUESTION_END):
        return [run[-1]]
    return [run[0]]


def _wh_factors(query: QuestionTerms, folded: str) -> dict[str, float]:
    """Factors set by where each term stands around the question word.

    What comes after a question word inside the question is what it asks about
    (``纪检干部怎样整改查出的问题`` asks about 整改 and 问题): those terms count in full whatever
    their group. A manner question (怎样, 如何, 怎么) also names its actor before the question
    word, and the actor's terms count as a subject's. A question word at the end
    (``…是多少？``) says nothing of this kind and leaves the factors to the groups.
    ``folded`` is the normalised question.
    """
    wh = _ASKS_MANNER.search(folded) or _ASKS.search(folded)
    if not wh or wh.end() >= len(folded.rstrip(_QUESTION_END)):
        return {}
    manner = _ASKS_MANNER.fullmatch(wh.group()) is not None
    factors = {}
    for term in query.terms:
        where = folded.find(surface(term))
        if where >= wh.end():
            factors[term] = 1.0
        elif manner and 0 <= where < wh.start():
            factors[term] = SUBJECT_WEIGHT
    return factors


def _term_weights(
    query: QuestionTerms, weight: Callable[[str], float], folded: str
) -> dict[str, float]:
    """Each question term's weight in a sentence's score (``folded``: the normalised question)."""
    # A group's factor rises from SUBJECT_WEIGHT for the first to 1 for the last; a term in
    # several groups takes its highest.
    count = len(query.groups)
    factor: dict[str, float] = {}
    for place, group in enumerate(query.groups):
        share = place / (count - 1) if count > 1 else 1.0
        for term in group:
            value = SUBJECT_WEIGHT + (1 - SUBJECT_WEIGHT) * share
            factor[term] = max(factor.get(term, 0.0), value)
    factor.update(_wh_factors(query, folded))
    weights = {}
    for term in query.terms:
        value = weight(term) * (UNIGRAM_WEIGHT if term.startswith(UNIGRAM) else 1.0)
        weights[term] = value * factor.get(term, 1.0)
    return weights


def _hand_over(spans: Sequence[Span], text: str, scores: list[float], final: list[float]) -> None:
    """A sentence that names the thing asked about but defines nothing hands over to the next.

    ``以“四个前移”为方向,…更加牢固。`` names 四个前移; the next sentence spells it out as an
    enumeration (``旗帜前移、阵地前移、…``) and is the answer, though it shares fewer words.
    """
    before = list(final)
    for i in range(len(spans) - 1):
        sentence = text[spans[i][0] : spans[i][1]]
        following = text[spans[i + 1][0] : spans[i + 1][1]]
        if (
            scores[i]
            and not _DEFINES.search(sentence)
            and "、" not in sentence
            and "、" in following
        ):
            final[i + 1] = max(final[i + 1], before[i] * HAND_OVER)
