"""Normalisation and index terms: what the lexical leg matches on."""

import pytest

from retrieval.text.normalize import normalize
from retrieval.text.sentences import sentences
from retrieval.text.terms import BIGRAM, terms


def words(text: str) -> list[str]:
    return [t for t in terms(text) if not t.startswith(BIGRAM)]


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


def test_sentences_keep_closing_quotes_and_split_at_semicolons() -> None:
    text = "他说：“好。”然后走了；大家笑了！Dr. Smith left. The end"
    assert [text[a:b] for a, b in sentences(text)] == [
        "他说：“好。”",
        "然后走了；",
        "大家笑了！",
        "Dr. Smith left.",
        "The end",
    ]
