"""Parsing seed text into articles and paragraphs — first of all the real newspaper page."""

import pytest

from retrieval.ingest.paragraphs import Document, is_sentence_end, merge, parse


@pytest.fixture(scope="module")
def page(seed_text: str) -> Document:
    return parse(seed_text, "000_ebe6c6a426d89a77.txt")


def test_every_article_has_its_title_kicker_subtitle_and_bylines(page: Document) -> None:
    got = [(a.line, a.kicker, a.title, a.subtitle, a.bylines) for a in page.articles]
    reporters = ("本报记者 索朗琼珠 次仁片多",)
    assert got == [
        (3, None, "守边固边 共建家园", "——阿里地区党建引领打造边境坚强堡垒", reporters),
        (49, "西藏藏医药大学藏医系", "实施“攀登者计划” 打造党建高地", None, ()),
        (61, "拉孜县", "三项机制为人才工作添动力", None, ()),
        (75, "措勤县", "1600余名党员“一人一份承诺” 助力脱贫攻坚", None, ()),
        (85, "讲政治 强担当 守底线", "建行那曲分行加强作风建设", None, ()),
        (95, None, "红色健康服务", None, ()),
        (105, None, "边境一线党旗飘扬", "——驻米林县南伊乡各村工作队抓党建促发展纪实", reporters),
    ]


def test_sections_nest_by_heading_level(page: Document) -> None:
    assert page.articles[0].sections == (
        "突出政治功能",
        "筑牢守边固边坚强堡垒",
        "夯实基层基础",
        "筑牢守边固边组织防线",
        "强化队伍建设",
        "培育守边固边骨干力量",
    )
    by_line = {p.source.line: p.source for p in page.paragraphs}
    assert by_line[11].sections == ()
    assert by_line[17].sections == ("突出政治功能", "筑牢守边固边坚强堡垒")
    assert by_line[33].sections == ("夯实基层基础", "筑牢守边固边组织防线")
    assert by_line[33].section == "夯实基层基础"


# The nine places where the printed page cut a paragraph in mid-sentence.
PAGE_BREAKS = [
    (19, 21, "“对党绝对忠诚”主题教育", "活动100余场次"),
    (27, 29, "放牧党员聚集区、流动人口", "聚居区建立临时党支部16个"),
    (39, 41, "结合边境地区党员干部队伍整体", "素质和守边固边战斗力亟待提高"),
    (53, 55, "培训及管理模式,以学分", "制方式提升教育管理效果。"),
    (67, 69, "多渠道、全方位对党政人才", "队伍进行教育培训"),
    (89, 91, "不折不扣地执行每周学习", "研讨,补齐相关专业短板。"),
    (99, 101, "“助老、敬老、爱老”主题党日活", "动。本报记者 次仁片多 索朗琼珠 摄"),
    (111, 113, "但作为一名党员,只要能走", "路,我就要履行好党员的职责"),
    (115, 117, "对党的拥护深深地镌刻在骨", "髓里、融进血液里"),
]


def test_exactly_the_nine_page_breaks_are_found(page: Document) -> None:
    assert [(b.before_line, b.after_line) for b in page.page_breaks] == [
        (before, after) for before, after, _, _ in PAGE_BREAKS
    ]


@pytest.mark.parametrize(("before_line", "after_line", "tail", "head"), PAGE_BREAKS)
def test_page_break_inside_sentence_is_joined(
    page: Document, seed_text: str, before_line: int, after_line: int, tail: str, head: str
) -> None:
    lines = seed_text.split("\n")
    paragraph = next(p for p in page.paragraphs if p.source.line == before_line)
    # Joined with nothing in between, and otherwise exactly as written in the file.
    assert tail + head in paragraph.text
    assert paragraph.text == lines[before_line - 1] + lines[after_line - 1]
    assert paragraph.source.line_at(paragraph.text.index(head)) == after_line


def test_real_paragraphs_are_not_joined(page: Document, seed_text: str) -> None:
    lines = seed_text.split("\n")
    starts = [p.source.line for p in page.paragraphs]
    assert starts == [
        11,
        17,
        19,
        27,
        31,
        33,
        39,
        43,
        51,
        53,
        57,
        63,
        65,
        67,
        71,
        77,
        79,
        81,
        87,
        89,
        93,
        97,
        99,
        111,
        115,
        119,
        121,
    ]
    joined = {before for before, _, _, _ in PAGE_BREAKS}
    for paragraph in page.paragraphs:
        if paragraph.source.line not in joined:
            assert paragraph.text == lines[paragraph.source.line - 1]


def test_paragraph_ordinals_count_within_the_article(page: Document) -> None:
    sixth = next(p for p in page.paragraphs if p.source.line == 33).source
    assert (sixth.title, sixth.ordinal) == ("守边固边 共建家园", 6)
    second_article = [
        p.source.ordinal
        for p in page.paragraphs
        if p.source.title == "实施“攀登者计划” 打造党建高地"
    ]
    assert second_article == [1, 2, 3]


def test_bylines_are_not_paragraphs(page: Document) -> None:
    assert not any(p.text.startswith("本报记者") for p in page.paragraphs)


def test_datelines_open_their_paragraphs(page: Document) -> None:
    datelines = {p.source.line: p.dateline for p in page.paragraphs if p.dateline}
    assert datelines == {
        51: "本报拉萨讯(记者 李梅英)",
        63: "本报拉萨讯(记者 次仁片多 索朗琼珠)",
        77: "本报拉萨讯(记者 次仁片多 索朗琼珠)",
        87: "本报拉萨讯(通讯员 小央)",
    }


def test_photo_caption_is_a_paragraph_of_its_own(page: Document) -> None:
    captions = [p for p in page.paragraphs if p.kind == "caption"]
    assert [c.source.line for c in captions] == [99]
    assert captions[0].text.endswith("摄")
    assert captions[0].source.ordinal == 2


def test_paragraph_ids_are_stable_and_distinct(page: Document, seed_text: str) -> None:
    again = parse(seed_text, "elsewhere.txt")
    assert [p.id for p in page.paragraphs] == [p.id for p in again.paragraphs]
    assert len({p.id for p in page.paragraphs}) == len(page.paragraphs)


def test_hard_wrapped_english_lines_are_one_paragraph() -> None:
    doc = parse(
        "# Notes\n\nThe quick brown fox\njumps over the lazy dog.\nA second sentence.\n", "n.md"
    )
    assert [p.text for p in doc.paragraphs] == [
        "The quick brown fox\njumps over the lazy dog.",
        "A second sentence.",
    ]


def test_one_paragraph_per_line_chinese_text_splits_at_sentence_ends() -> None:
    doc = parse("第一段说了一件事。\n第二段说了另一件事。\n", "t.txt")
    assert [p.text for p in doc.paragraphs] == ["第一段说了一件事。", "第二段说了另一件事。"]


def test_an_english_title_line_is_not_joined_to_the_next_paragraph() -> None:
    doc = parse("Annual report\n\nThe year went well.\n", "r.txt")
    assert [p.text for p in doc.paragraphs] == ["Annual report", "The year went well."]


def test_english_page_break_is_joined_with_a_space() -> None:
    doc = parse("The committee met on\n\nthursday and agreed.\n", "m.txt")
    assert [p.text for p in doc.paragraphs] == ["The committee met on thursday and agreed."]


def test_list_items_stay_together_and_separators_are_dropped() -> None:
    doc = parse("步骤如下：\n- 第一步。\n- 第二步。\n\n---\n\n结束了。\n", "l.md")
    assert [p.text for p in doc.paragraphs] == ["步骤如下：\n- 第一步。\n- 第二步。", "结束了。"]


def test_windows_line_endings_keep_line_numbers() -> None:
    doc = parse("# 标题\r\n\r\n正文第一段。\r\n\r\n正文第二段。\r\n", "w.txt")
    assert [(p.source.line, p.text) for p in doc.paragraphs] == [
        (3, "正文第一段。"),
        (5, "正文第二段。"),
    ]


def test_text_without_headings_counts_paragraphs_in_the_file() -> None:
    doc = parse("甲。\n\n乙。\n", "plain.txt")
    assert [(p.source.title, p.source.ordinal) for p in doc.paragraphs] == [(None, 1), (None, 2)]


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("结束了。", True),
        ("他说：“好。”", True),
        ("没有结束", False),
        ("开展“对党绝对忠诚”", False),
        ("Done.", True),
    ],
)
def test_sentence_end_looks_past_closing_quotes(text: str, ends: bool) -> None:
    assert is_sentence_end(text) is ends


def test_the_same_paragraph_in_two_files_is_kept_once_with_both_sources() -> None:
    first = parse("# 甲\n\n共同的一段话。\n\n只在甲里。\n", "a.md")
    second = parse("# 乙\n\n开头。\n\n共同的一段话。\n", "b.md")
    merged = merge([first, second])
    shared = next(p for p in merged if p.text == "共同的一段话。")
    assert [(s.path, s.line, s.title) for s in shared.sources] == [
        ("a.md", 3, "甲"),
        ("b.md", 5, "乙"),
    ]
    assert len(merged) == 3
