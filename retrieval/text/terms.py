"""Index terms for the lexical leg: jieba words plus character bigrams, over normalised text.

jieba's precise mode gives one segmentation with no overlapping tokens (its search mode emits
公积, 积金 and 公积金 for one word, which inflates BM25 for long words). Words alone miss names and
terms that jieba's dictionary segments differently in the question and in the text; character
bigrams over each run of Chinese characters match those. Function words and question words
(的, 什么, 哪些, who, the …) are dropped: a question is full of them and the text is not, so they
would only add noise — and they would make a bare ``你好`` or ``什么是`` match something.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import cache

import jieba

from .normalize import is_cjk, normalize

__all__ = ["ANALYZER_VERSION", "BIGRAM", "is_bigram", "terms"]

ANALYZER_VERSION = "jieba-precise+bigram/1"
BIGRAM = "\x02"
"""Prefix that keeps a bigram term apart from a word term with the same two characters."""

jieba.setLogLevel(logging.WARNING)

_STOPWORDS = (
    # Chinese function words, pronouns and question words.
    "的 地 得 了 着 过 是 在 和 与 及 或 并 而 且 也 都 就 还 又 再 才 只 把 被 让 给 对 向 从 自 "
    "到 于 以 为 之 其 该 所 等 个 些 这 那 此 每 各 某 啊 吗 呢 吧 呀 嘛 么 哦 嗯 哈 "
    "我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己 这个 那个 这些 那些 这里 那里 这样 那样 "
    "什么 哪 哪些 哪个 哪里 哪儿 谁 多少 几 几个 怎么 怎样 怎么样 如何 为什么 为何 是否 是不是 "
    "有没有 请问 请 问 一下 告诉 知道 有 没有 会 能 可以 要 想 应该 还是 "
    "什么样 什么时候 何时 何地 何人 怎样的 多久 多长 多大 多高 多远 几年 几天 几次 一共 总共 "
    "叫 叫做 称为 名叫 时候 有着 具有 主要 分别 其中 "
    # English function words and question words.
    "a an the of to in on at by for with from as is are was were be been being am do does did "
    "what which who whom whose when where why how that this these those it its and or but not no "
    "i you he she we they me him her us them my your his our their there here can could would "
    "should will shall may might must have has had about into than then so if"
)
STOPWORDS = frozenset(_STOPWORDS.split())


@cache
def _segmenter() -> jieba.Tokenizer:
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def is_bigram(term: str) -> bool:
    """True for a character-bigram term, False for a word term."""
    return term.startswith(BIGRAM)


def terms(text: str) -> list[str]:
    """The index terms of a text: its words and, for runs of Chinese characters, their bigrams."""
    return list(_terms(normalize(text)))


def _terms(normalized: str) -> Iterator[str]:
    run: list[str] = []
    for token in _segmenter().cut(normalized, HMM=True):
        token = _trim(token)
        if token in STOPWORDS or not any(ch.isalnum() for ch in token):
            yield from _bigrams(run)
            continue
        yield token
        if all(is_cjk(ch) for ch in token):
            run.append(token)
        else:
            yield from _bigrams(run)
    yield from _bigrams(run)


def _trim(token: str) -> str:
    """A word without the question word or particle that jieba's HMM glued onto it.

    In questions jieba often emits 哪国人, 哪三关 or 王沈是 (a name and 是) as one unknown word;
    the text has 国人, 三关 and 王沈. Words of jieba's own dictionary are left alone.
    """
    if len(token) < 3 or not all(is_cjk(ch) for ch in token) or _segmenter().FREQ.get(token):
        return token
    if token[0] == "哪":
        token = token[1:]
    if token[-1] in _GLUED_PARTICLES:
        token = token[:-1]
    return token


_GLUED_PARTICLES = frozenset("是有在的了吗呢")


def _bigrams(run: list[str]) -> Iterator[str]:
    """Bigrams of a run of Chinese words; empties the run."""
    chars = "".join(run)
    run.clear()
    for i in range(len(chars) - 1):
        yield BIGRAM + chars[i : i + 2]
