"""Normalisation and index terms: what the lexical leg matches on."""

import pytest

from retrieval.text.normalize import normalize
from retrieval.text.sentences import sentences
from retrieval.text.terms import BIGRAM, UNIGRAM, counts_as_evidence, question_terms, terms


def words(text: str) -> list[str]:
    return [t for t in terms(text) if not t.startswith((BIGRAM, UNIGRAM))]


def unigrams(text: str) -> list[str]:
    return [t[1:] for t in terms(text) if t.startswith(UNIGRAM)]


def asked(question: str) -> list[str]:
    """The question's terms as text: words, bigrams and unigrams without their prefixes."""
    return [t.lstrip(BIGRAM + UNIGRAM) for t in question_terms(question).terms]


def bigrams(text: str) -> list[str]:
    return [t[1:] for t in terms(text) if t.startswith(BIGRAM)]


def test_width_case_and_traditional_characters_are_folded() -> None:
    assert normalize("ＡＢＣ　１２３") == "abc 123"
    assert normalize("阿里地區投入資金") == "阿里地区投入资金"
    assert normalize("整体\n素质") == "整体素质"


def test_traditional_question_gets_the_same_terms_as_simplified() -> None:
    assert terms("阿里地區投入多少資金？") == terms("阿里地区投入多少资金？")


def test_question_words_and_particles_are_not_terms() -> None:
    assert words("阿里地区投入了多少资金？") == ["阿里地区", "投入", "资金"]
    assert words("Who won the 2018 World Cup?") == ["won", "2018", "world", "cup"]


def test_bigrams_cover_runs_of_chinese_between_dropped_words() -> None:
    assert bigrams("阿里地区投入了资金") == ["阿里", "里地", "地区", "区投", "投入", "资金"]


def test_jieba_search_mode_overlaps_are_not_produced() -> None:
    # Precise mode: one segmentation, no 公积/积金/公积金 triples from search mode.
    assert words("住房公积金") == ["住房", "公积金"]


def test_question_word_glued_to_a_name_is_trimmed() -> None:
    assert "王沈" in words("王沈是哪里人？")
    assert "三关" in words("必须打通的三关是哪三关？")


@pytest.mark.parametrize("text", ["", "-" * 33, "😀🎉", "？？？", "的了吗"])
def test_text_without_content_has_no_terms(text: str) -> None:
    assert terms(text) == []


def test_a_stop_inside_brackets_or_quotes_does_not_end_the_sentence() -> None:
    text = "推行“三三制”(“三部一体”即指挥部;“三定先行”即定任务;“三考并举”即目标考核)模式。下一句。"
    assert [text[a:b] for a, b in sentences(text)] == [
        "推行“三三制”(“三部一体”即指挥部;“三定先行”即定任务;“三考并举”即目标考核)模式。",
        "下一句。",
    ]
    quoted = "他说：“我老了。但我要去。”亚加去了。"
    assert [quoted[a:b] for a, b in sentences(quoted)] == [
        "他说：“我老了。但我要去。”",
        "亚加去了。",
    ]


def test_an_unclosed_bracket_protects_nothing() -> None:
    text = "括号(没有关上。第二句。"
    assert [text[a:b] for a, b in sentences(text)] == ["括号(没有关上。", "第二句。"]


def test_sentences_keep_closing_quotes_and_split_at_semicolons() -> None:
    text = "他说：“好。”然后走了；大家笑了！Dr. Smith left. The end"
    assert [text[a:b] for a, b in sentences(text)] == [
        "他说：“好。”",
        "然后走了；",
        "大家笑了！",
        "Dr. Smith left.",
        "The end",
    ]


def test_a_one_character_word_is_a_unigram_that_is_no_evidence() -> None:
    assert unigrams("普兰县的党员好") == ["好"]
    assert "好" not in words("普兰县的党员好")
    assert not counts_as_evidence(UNIGRAM + "好")
    assert all(counts_as_evidence(t) for t in words("普兰县的党员") + bigrams("普兰县"))


@pytest.mark.parametrize(
    ("question", "left"),
    [
        ("哪一个县发展了党员？", {"县", "发展", "党员"}),
        ("西藏藏医药大学是哪一年成立的？", {"西藏", "大学", "成立"}),
        ("何年成立？", {"成立"}),
        ("哪种模式？", {"模式"}),
        ("哪種模式？", {"模式"}),
        ("哪位老党员？", {"党员"}),
        ("哪國人？", {"人"}),
        ("第几党支部？", {"党支部"}),
        ("第幾黨支部？", {"党支部"}),
        ("甚麼是三三制？", {"三三制"}),
        ("有多少名党员？", {"党员"}),
        ("有幾個村？", {"村"}),
    ],
)
def test_question_words_are_dropped_before_trimming(question: str, left: set[str]) -> None:
    # 哪一个 must not leave 一个, nor 多少名 a 名, nor 甚么 a 甚: none of it is in the text.
    got = set(asked(question))
    assert left <= got
    assert not got & {
        "一个",
        "一",
        "个",
        "哪",
        "年",
        "何",
        "种",
        "位",
        "国",
        "几",
        "第",
        "甚",
        "么",
        "多少",
        "名",
    }


def test_a_dateline_is_not_a_term_but_the_reporter_is() -> None:
    text = "本报拉萨讯(记者 李梅英)日前,记者从西藏藏医药大学了解到"
    assert "拉萨" not in words(text) and "拉萨" not in bigrams(text)
    assert "李梅英" in words(text) or "梅英" in bigrams(text)


def test_a_link_in_a_question_is_not_searched_for() -> None:
    assert question_terms("阿里地区 http://e.com").terms == question_terms("阿里地区").terms


def test_greetings_have_no_terms() -> None:
    for greeting in ("你好", "您好！", "大家好", "早上好", "谢谢", "hello", "hi there"):
        assert question_terms(greeting).terms == [], greeting


def test_a_question_comes_in_groups_of_content_words() -> None:
    groups = question_terms("建行那曲分行的地址在哪里？").groups
    assert len(groups) == 2
    assert "地址" in groups[1] and "分行" in groups[0]
    # Spaces do not end a group: English words between dropped ones stay together.
    assert question_terms("How many gulls did the keeper count?").groups == (
        ("many", "gulls"),
        ("keeper", "count"),
    )


def test_a_numbered_items_dot_ends_no_sentence() -> None:
    text = "1. 拆开包装，取出主机。\n2. 接通电源。 It works. Fine."
    assert [text[a:b] for a, b in sentences(text)] == [
        "1. 拆开包装，取出主机。",
        "2. 接通电源。",
        "It works.",
        "Fine.",
    ]
