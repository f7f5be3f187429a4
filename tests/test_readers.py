"""Documents read as they are written: bylines, paragraph endings, headings, Markdown, PDF."""

from pathlib import Path

import pytest

from retrieval import Searcher, build_index, read_index
from retrieval.ingest.paragraphs import is_sentence_end, parse


@pytest.fixture(scope="module")
def lexical(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    root = tmp_path_factory.mktemp("readers") / "index"
    build_index(seeds, root, None, None)
    return Searcher(read_index(root))


def test_bylines_are_passages_of_their_article(seed_text: str) -> None:
    document = parse(seed_text, "page.txt")
    bylines = [p for p in document.paragraphs if p.kind == "byline"]
    assert [(p.text, p.source.line, p.source.title) for p in bylines] == [
        ("本报记者 索朗琼珠 次仁片多", 7, "守边固边 共建家园"),
        ("本报记者 索朗琼珠 次仁片多", 109, "边境一线党旗飘扬"),
    ]
    # The article's paragraphs keep their numbers and carry the byline as a field.
    first = next(p for p in document.paragraphs if p.kind == "text")
    assert first.source.ordinal == 1
    assert first.source.bylines == ("本报记者 索朗琼珠 次仁片多",)


def test_who_wrote_an_article_is_found(lexical: Searcher) -> None:
    answer = lexical.ask("《守边固边 共建家园》的记者是谁？")
    assert answer.hits and answer.hits[0].paragraph.kind == "byline"
    assert answer.hits[0].source.line == 7


def test_what_a_reporter_wrote_is_found(lexical: Searcher) -> None:
    answer = lexical.ask("索朗琼珠写了哪些报道？", k=5)
    bylines = [hit for hit in answer.hits if hit.paragraph.kind == "byline"]
    assert bylines, [hit.paragraph.text[:20] for hit in answer.hits]
    # One passage, both articles: the same byline text is stored once and cites every place.
    assert {s.title for s in bylines[0].paragraph.sources} == {
        "守边固边 共建家园",
        "边境一线党旗飘扬",
    }


@pytest.mark.parametrize(
    "text",
    [
        "北京是中国的首都[1]",
        "该说法尚有争议[需要引证]",
        "他曾任主编。[2][3]",
        "见《史记》：212\u2013219",
    ],
)
def test_a_citation_mark_or_page_range_ends_a_paragraph(text: str) -> None:
    assert is_sentence_end(text)
    document = parse(f"{text}\n\n下一段的开头并不接在上一段后面", "wiki.txt")
    assert [p.text for p in document.paragraphs] == [text, "下一段的开头并不接在上一段后面"]


def test_a_fragment_without_an_end_is_still_joined_across_a_page_break() -> None:
    document = parse("近年来,阿里地区深入\n\n贯彻落实重要论述。", "page.txt")
    assert [p.text for p in document.paragraphs] == ["近年来,阿里地区深入贯彻落实重要论述。"]


def test_an_empty_heading_is_a_heading_not_text() -> None:
    document = parse("前半句\n\n#\n\n后半句。", "page.txt")
    assert [p.text for p in document.paragraphs] == ["前半句", "后半句。"]


HANDBOOK = """# 员工手册

## 第一章 考勤

### 请假

**注意**：请假须提前一天
向主管申请。

- 病假需附**医院证明**
- 事假每年不超过5天

| 类型 | 天数 |
|---|---|
| 年假 | 10 |

```
leave --days 3
```
"""


def test_a_markdown_file_is_read_as_markdown(tmp_path: Path) -> None:
    from bot.citations import citation_label

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    build_index(seeds, tmp_path / "index", None, None)
    searcher = Searcher(read_index(tmp_path / "index"))
    texts = [searcher.index.paragraphs[row].text for row in range(len(searcher.index.paragraphs))]
    assert texts == [
        "注意：请假须提前一天\n向主管申请。",
        "- 病假需附医院证明\n- 事假每年不超过5天",
        "类型 | 天数\n年假 | 10",
        "leave --days 3",
    ]
    hit = searcher.ask("请假要提前几天？").hits[0]
    assert citation_label(hit.source, "zh") == "《员工手册》· 第一章 考勤 · 第1段"
    assert hit.source.sections == ("第一章 考勤", "请假")
    assert (hit.source.line, hit.source.line_at(hit.paragraph.text.index("向主管"))) == (7, 8)
    table = searcher.ask("年假有多少天？").hits[0]
    assert table.paragraph.text.startswith("类型 | 天数") and table.source.line == 13


def test_a_newspaper_page_is_read_by_the_newspaper_rules_whatever_its_suffix(
    seed_text: str,
) -> None:
    from retrieval.ingest.markdown import reads_as_markdown

    assert not reads_as_markdown(seed_text, ".md")
    assert reads_as_markdown(HANDBOOK, ".md") and reads_as_markdown(HANDBOOK, ".txt")
    assert not reads_as_markdown("第一行。\n\n第二行。", ".txt")  # plain text: the text rules
