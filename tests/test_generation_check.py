"""The sentence check alone: markers, numbers, names, quotes, content words, streaming."""

from __future__ import annotations

import pytest

from retrieval.generation.check import (
    CheckedSentence,
    Passage,
    SentenceStream,
    check_reply,
    strip_thinking,
    supported,
)

PASSAGES = [
    Passage(
        1, "守边固边 共建家园", "2016年以来,阿里地区投入资金3亿元,新建385个边境自然村活动场所。"
    ),
    Passage(2, "守边固边 共建家园", "以创建“藏西先锋·红色阿里”党建品牌为抓手,突出政治功能。"),
    Passage(3, "WHO report", "The WHO said 12.5% of the 1,200 clinics in Ngari opened in 2019."),
]


@pytest.mark.parametrize(
    ("reply", "citations"),
    [
        ("阿里地区投入资金3亿元[1]。", (1,)),
        ("阿里地区投入资金3亿元。[1]", (1,)),
        ("阿里地区投入资金3亿元【1】。", (1,)),
        ("阿里地区投入资金3亿元［1］。", (1,)),
        ("阿里地区投入资金3亿元[^1]。", (1,)),
        ("阿里地区投入资金3亿元[1,2]。", (1, 2)),
        ("阿里地区投入资金3亿元[1, 2]。", (1, 2)),
        ("阿里地区投入资金3亿元[1][2]。", (1, 2)),
        ("阿里地区投入资金3亿元[1-2]。", (1, 2)),
        ("阿里地区投入资金3亿元[1、7]。", (1,)),  # 7 does not exist: dropped, 1 stays
    ],
)
def test_marker_variants_are_read(reply: str, citations: tuple[int, ...]) -> None:
    kept, dropped = check_reply(reply, PASSAGES)
    assert kept == [CheckedSentence("阿里地区投入资金3亿元。", citations)] and dropped == 0


@pytest.mark.parametrize(
    "sentence",
    [
        "阿里地区投入资金3亿元",
        "阿里地区投入资金三亿元",
        "阿里地区投入资金300000000元",
        "阿里地区新建385个边境自然村活动场所",
        "阿里地區投入資金3億元",  # traditional characters fold as in the index
        "阿里地区投入资金３亿元",  # full-width digit
    ],
)
def test_supported_sentences(sentence: str) -> None:
    assert supported(sentence, PASSAGES[0].text)


@pytest.mark.parametrize(
    "sentence",
    [
        "阿里地区投入资金9亿元",  # a number the passage does not hold
        "阿里地区投入资金九亿元",
        "阿里地区投入资金3万元",  # the same digit, another magnitude
        "阿里地区新建386个边境自然村活动场所",
        "阿里地区投入资金3亿元建设5G基站",  # a Latin-script word the passage lacks
        "阿里地区创建“藏西先锋”品牌",  # a quoted phrase from another passage
        "西藏自治区拉萨市修建了机场和铁路",  # content words from nowhere
        "是的",  # nothing to support
    ],
)
def test_unsupported_sentences(sentence: str) -> None:
    assert not supported(sentence, PASSAGES[0].text)


@pytest.mark.parametrize(
    "sentence",
    [  # sentences of the sample page, many of whose words are one character (日, 说, 老, 大 …)
        "全面推广日考勤、周纪实、月晒账、季考评、年考核的“五步考核法”,把党建工作融入日常工作中。",
        "71岁的老党员亚加说:“我虽然年纪大了,但作为一名党员,只要能走路,我就要履行好党员的职责,"
        "跟大家一起守护好祖国的土地。”",
    ],
)
def test_a_sentence_copied_from_its_passage_is_supported(sentence: str) -> None:
    assert supported(sentence, "强化党员管理。" + sentence + "切实增强基层党建能力。")


def test_a_quoted_phrase_must_be_found_verbatim() -> None:
    assert supported("阿里地区创建“藏西先锋·红色阿里”党建品牌", PASSAGES[1].text)
    assert not supported("阿里地区创建“藏西先锋·蓝色阿里”党建品牌", PASSAGES[1].text)


def test_english_names_and_numbers_must_be_found() -> None:
    text = PASSAGES[2].text
    assert supported("The WHO said 12.5% of the clinics in Ngari opened in 2019.", text)
    assert supported("In 2019, 1,200 clinics were in Ngari, the WHO said.", text)
    assert not supported("The WHO said 12.5% of the clinics in Lhasa opened in 2019.", text)
    assert not supported("The WHO said 15% of the clinics in Ngari opened in 2019.", text)


def test_one_citation_at_the_end_covers_the_clauses_before_it() -> None:
    reply = "2016年以来阿里地区投入资金3亿元；新建385个边境自然村活动场所[1]。"
    kept, dropped = check_reply(reply, PASSAGES)
    assert [s.cited for s in kept] == [
        "2016年以来阿里地区投入资金3亿元；新建385个边境自然村活动场所。[1]"
    ]
    assert dropped == 0


def test_a_marker_opening_a_line_cites_nothing() -> None:
    echo = (
        "[1] 《守边固边 共建家园》\n2016年以来,阿里地区投入资金3亿元。\n[2] 《守边固边 共建家园》"
    )
    kept, dropped = check_reply(echo, PASSAGES)
    assert kept == [] and dropped == 3


@pytest.mark.parametrize(
    ("reply", "left"),
    [
        ("<think>想想[1]。</think>答案[1]。", "答案[1]。"),
        ("<THINK>\n…\n</THINK>答案", "答案"),
        ("答案。<think>还在想", "答案。"),
        ("<|im_start|>答案<|im_end|>", "答案"),
        ("<|im_start|>assistant\n答案[1]。<|im_end|>\n<|im_start|>user\n问题[1]。", "\n答案[1]。"),
        ("<start_of_turn>model\n答案。<end_of_turn>\n<start_of_turn>user\n问题", "\n答案。"),
        ("<|im_end|>\n<|im_start|>user\n资料：[1] 阿里地区投入资金3亿元。", ""),
    ],
)
def test_thinking_and_template_tokens_are_stripped(reply: str, left: str) -> None:
    assert strip_thinking(reply) == left


def test_a_sentence_is_handed_out_only_once_its_markers_are_in() -> None:
    stream = SentenceStream(PASSAGES)
    assert stream.feed("阿里地区投入资金3亿元。") == []
    assert stream.feed("[1") == []  # the marker is not finished
    assert stream.feed("]") == []  # another marker may follow
    assert stream.feed("[2") == []
    (first,) = stream.feed("]以")
    assert first == CheckedSentence("阿里地区投入资金3亿元。", (1, 2))
    assert stream.feed("创建“藏西先锋·红色阿里”党建品牌[2]。") == []
    (second,) = stream.close()
    assert second.citations == (2,) and stream.dropped == 0


def test_every_split_of_a_reply_gives_the_same_sentences() -> None:
    reply = "阿里地区投入资金3亿元[1]。阿里地区投入资金9亿元[1]。以创建“藏西先锋·红色阿里”党建品牌【2】。"
    whole, dropped = check_reply(reply, PASSAGES)
    assert len(whole) == 2 and dropped == 1
    for size in range(1, 8):
        stream = SentenceStream(PASSAGES)
        pieces = [reply[i : i + size] for i in range(0, len(reply), size)]
        got = [s for piece in pieces for s in stream.feed(piece)] + stream.close()
        assert got == whole and stream.dropped == dropped, size
