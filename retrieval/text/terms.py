"""Index terms for the lexical leg: jieba words plus character bigrams, over normalised text.

jieba's precise mode gives one segmentation with no overlapping tokens (its search mode emits
公积, 积金 and 公积金 for one word, which inflates BM25 for long words). Words alone miss names and
terms that jieba's dictionary segments differently in the question and in the text; character
bigrams over each run of Chinese characters match those. Function words and question words
(的, 什么, 哪些, who, the …) are dropped: a question is full of them and the text is not, so they
would only add noise — and they would make a bare ``你好`` or ``什么是`` match something.
A one-character word is a *unigram* term: it counts in BM25 but not in a question's coverage
(:func:`counts_as_evidence`), since a shared 县 or 好 is no sign that a paragraph answers.
Unigrams of longer words too were measured and left out: they cost 0.5 point of R@1 on CMRC and
one question of R@3 on the project's set (``docs/benchmarks.md``).

A question is analysed by :func:`question_terms`: question phrases (哪一年, 第几, 多少名 …),
greetings and links are cut out before jieba sees it, and its terms come in *groups* — the runs
of content words between the words and punctuation dropped — which the abstention rule uses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import jieba

from .normalize import is_cjk, normalize

__all__ = [
    "ANALYZER_VERSION",
    "ARTICLE_AT_HAND",
    "BIGRAM",
    "REPORTS_ASKED",
    "UNIGRAM",
    "QuestionTerms",
    "blank_datelines",
    "counts_as_evidence",
    "is_bigram",
    "question_terms",
    "searchable",
    "surface",
    "terms",
]

ANALYZER_VERSION = "jieba-precise+bigram/3"
BIGRAM = "\x02"
"""Prefix that keeps a bigram term apart from a word term with the same two characters."""
UNIGRAM = "\x01"
"""Prefix of a character-unigram term."""

jieba.setLogLevel(logging.WARNING)

_STOPWORDS = (
    # Chinese function words, pronouns and question words.
    "的 地 得 了 着 过 是 在 和 与 及 或 并 而 且 也 都 就 还 又 再 才 只 把 被 让 给 对 向 从 自 "
    "到 于 以 为 之 其 该 所 等 个 些 这 那 此 每 各 某 啊 吗 呢 吧 呀 嘛 么 哦 嗯 哈 "
    "我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己 这个 那个 这些 那些 这里 那里 这样 那样 "
    "什么 哪 哪些 哪个 哪里 哪儿 谁 多少 几 几个 怎么 怎样 怎么样 如何 为什么 为何 是否 是不是 "
    "有没有 没 请问 请 问 一下 告诉 知道 有 没有 会 能 可以 要 想 应该 还是 "
    "什么样 什么时候 何时 何地 何人 怎样的 多久 多长 多大 多高 多远 几年 几天 几次 一共 总共 "
    "叫 叫做 称为 名叫 时候 有着 具有 主要 分别 其中 "
    # Thanks and farewells: a conversation's words, never a document's content.
    "谢谢 多谢 再见 拜拜 哈喽 嗨 喂 哈哈 哈哈哈 "
    # English function words and question words.
    "a an the of to in on at by for with from as is are was were be been being am do does did "
    "what which who whom whose when where why how that this these those it its and or but not no "
    "i you he she we they me him her us them my your his our their there here can could would "
    "should will shall may might must have has had about into than then so if "
    "hello hi hey thanks thank bye goodbye please"
)
STOPWORDS = frozenset(_STOPWORDS.split())


@cache
def _segmenter() -> jieba.Tokenizer:
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def is_bigram(term: str) -> bool:
    """True for a character-bigram term, False for a word or unigram term."""
    return term.startswith(BIGRAM)


def surface(term: str) -> str:
    """The characters a term stands for, without its kind's prefix.

    Every term of :func:`terms` is a stretch of its text's :func:`searchable` form: a text
    whose searchable form holds no term's surface holds none of those terms.
    """
    return term.lstrip(UNIGRAM + BIGRAM)


def counts_as_evidence(term: str) -> bool:
    """Whether a term counts in a question's coverage: words and bigrams do, unigrams do not."""
    return not term.startswith(UNIGRAM)


def terms(text: str) -> list[str]:
    """The index terms of a text: its words and, for runs of Chinese characters, their bigrams."""
    return [term for group in _groups(searchable(text)) for term in group]


def searchable(text: str) -> str:
    """The normalised text that :func:`terms` segments: every term's :func:`surface` is a
    stretch of it (a dateline, which names no content, is blanked out)."""
    return blank_datelines(normalize(text))


def blank_datelines(normalized: str) -> str:
    """:func:`searchable` of a text already normalised (by :func:`normalize`)."""
    return _DATELINE.sub(" ", normalized)


@dataclass(frozen=True, slots=True)
class QuestionTerms:
    """A question's terms, and the same terms in groups (runs of content words)."""

    terms: list[str]
    groups: tuple[tuple[str, ...], ...]


REPORTS_ASKED = re.compile(
    r"(?:(?:哪一?[些篇]|哪几篇|什么|几篇|多少篇)(?:报道|报导|文章|稿件|稿子|新闻)"
    r"|(?:报道|报导|采写)了?(?:什么|哪些)(?:内容|新闻)?)"
    r"(?=[呢吗啊呀]?[?？。!！]*\s*$)"
)
"""写了哪些报道？, 陈志远报道了什么？: the articles themselves are asked for, which no paragraph
names (at the question's end only: 什么新闻机构 asks for an agency)."""
ARTICLE_AT_HAND = re.compile(
    r"(?:这|本|该|此)一?篇(?:报道|报导|文章|稿件|稿子|新闻)"
    r"|(?:本|该|此)文(?=的|作者|记者|[?？,，。\s]|$)"
)
"""Words for the article at hand (这篇报道, 本文): in a conversation, the previous answer's."""

# Question phrases a question is full of and a document is not. They are cut out of the normalised
# question before segmenting it, so that jieba's HMM cannot glue them onto a word (哪一个 would
# come out as 一个, 多少岁 as one unknown word) and their characters do not become unigrams.
_MEASURE = "个名人次项元岁年月天日期位家所种类条座户号倍场届批件斤公里米度分"
_QUESTION_PHRASES = re.compile(
    "|".join(
        [
            REPORTS_ASKED.pattern,
            ARTICLE_AT_HAND.pattern,  # 这篇报道的记者是谁？: no paragraph names "this article"
            # …的记者是谁？: the byline is asked for, and a byline names no content
            r"(?:记者|作者|撰稿人|执笔人|通讯员)"
            r"(?=(?:是|为)?(?:谁|哪[位些]|什么人|叫什么)|(?:所|撰|采)?写的)",
            # 地铁报道的记者是谁？, …的报道是谁写的？: the article's kind names no content either
            r"(?:报道|报导|文章|稿件|新闻)"
            r"(?=的?(?:记者|作者)|是?(?:谁|哪[位个名](?:记者|作者))(?:写|撰写|采写))",
            r"(?:在)?(?:什么|哪些|哪种|何种)(?:情况|条件|情形)下?",  # a condition is asked for
            # 首次使用的步骤是什么？: a procedure is asked for; the text numbers its steps
            r"(?:操作)?(?:步骤|流程)(?=(?:是|有)?(?:什么|哪些|怎样|如何))|(?<=哪些)(?:步骤|流程)",
            r"哪一?[" + _MEASURE + r"些里儿国样方边]",  # 哪一年, 哪种, 哪位, 哪国, 哪里
            r"哪一",
            r"第几[" + _MEASURE + r"]?",
            r"多少[" + _MEASURE + r"]?",
            r"几[" + _MEASURE + r"]",  # 几个, 几名 — not 几乎
            r"何[年时地人处种]",
            r"甚么|什么|怎么样|怎么|怎样|为什么|为何|如何",
            r"多[大高远长久重深宽]",
        ]
    )
)
# Greetings: jieba cuts 大家好 into 大家 and 好, so they are cut out of the question as phrases.
_GREETINGS = re.compile(
    r"(?:你们|大家|你|您)?(?:早上|上午|中午|下午|晚上)?好(?=[啊呀吗!！,，。]|$)"
)
# A dateline (本报拉萨讯, 本报青溪3月15日电, 新华社北京3月15日电) names where and when the newspaper
# wrote from, not what the paragraph is about.
_DATELINE = re.compile(
    r"本报[\u4e00-\u9fff]{1,6}?讯|(?:本报|新华社)[\u4e00-\u9fff]{1,6}?\d{1,2}月\d{1,2}日电"
)
# A link or an address in a question is not what it asks about: nothing of it is searched for.
_LINKS = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", re.IGNORECASE)


def question_terms(question: str) -> QuestionTerms:
    """The terms of a question, without its question phrases, greetings and links."""
    text = _GREETINGS.sub(" ", _LINKS.sub(" ", _DATELINE.sub(" ", normalize(question))))
    groups = tuple(tuple(group) for group in _groups(_QUESTION_PHRASES.sub(_cut, text)))
    return QuestionTerms([term for group in groups for term in group], groups)


_KEPT = _MEASURE.replace("个", "")


def _cut(phrase: re.Match[str]) -> str:
    """What is left of a question phrase: nothing, or the measure word it ends in when that
    starts a word with what follows (多少分贝 keeps 分贝, 多少名党员 loses 名; 个 always goes:
    多少个人 asks how many people)."""
    cut, after = phrase.group(), phrase.string[phrase.end() : phrase.end() + 1]
    measure = cut[-1]
    counting = cut[:-1] in ("多少", "几", "第几")  # not 哪里人, whose 里 is no measure
    if counting and measure in _KEPT and after and _segmenter().FREQ.get(measure + after):
        return " " + cut[-1]
    return " "


def _groups(normalized: str) -> Iterator[Sequence[str]]:
    """The terms of each run of content words (a run ends at a dropped word or punctuation)."""
    group: list[str] = []
    run: list[str] = []
    for token in _segmenter().cut(normalized, HMM=True):
        if token in STOPWORDS:  # before trimming: 哪一个 must not become 一个
            token = ""
        token = _trim(token)
        if token.isspace():  # a space ends a run of bigrams, not a group (many gulls)
            group.extend(_bigrams(run))
            continue
        if not token or token in STOPWORDS or not any(ch.isalnum() for ch in token):
            group.extend(_bigrams(run))
            if group:
                yield group
                group = []
            continue
        if all(is_cjk(ch) for ch in token):
            group.append(token if len(token) > 1 else UNIGRAM + token)
            run.append(token)
        else:
            group.extend(_bigrams(run))
            group.append(token)
    group.extend(_bigrams(run))
    if group:
        yield group


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
