"""What counts as Chinese: one definition, shared by normalisation, decoding, formats and replies."""

import re

from bot.citations import language_of
from retrieval import is_cjk
from retrieval.text.normalize import HAN, normalize


def test_is_cjk_and_the_regex_ranges_agree_on_every_character_of_the_bmp() -> None:
    han = re.compile(f"[{HAN}]")
    disagree = [c for c in map(chr, range(0x10000)) if is_cjk(c) != bool(han.fullmatch(c))]
    assert disagree == []
    assert is_cjk("中") and is_cjk("㐀") and is_cjk("豈")  # unified, extension A, compatibility
    assert not is_cjk("a") and not is_cjk("。") and not is_cjk("あ")


def test_a_line_break_between_chinese_characters_is_layout_and_vanishes() -> None:
    assert normalize("整体\n素质") == "整体素质"
    assert normalize("整体\nquality") == "整体\nquality"


def test_a_reply_is_in_chinese_when_the_question_holds_any_chinese_character() -> None:
    assert language_of("What does 拉孜县 do?") == "zh"
    assert language_of("What does Lhatse do?") == "en"
