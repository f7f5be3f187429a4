"""Documents read as they are written: bylines, paragraph endings, headings, Markdown, PDF."""

from pathlib import Path

import pytest

from retrieval import Searcher, build_index, read_index
from retrieval.ingest.paragraphs import is_sentence_end, parse
from tests.test_formats import write_pdf


def test_every_paragraph_carries_its_articles_bylines(seed_text: str) -> None:
    document = parse(seed_text, "page.txt")
    by_title = {p.source.title: p.source.bylines for p in document.paragraphs}
    assert by_title["守边固边 共建家园"] == ("本报记者 索朗琼珠 次仁片多",)
    # Written below the title, after the subtitle, and still the whole article's.
    assert by_title["边境一线党旗飘扬"] == ("本报记者 索朗琼珠 次仁片多",)
    assert by_title["红色健康服务"] == ()


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


PAGES = [
    ["拉孜县图书馆年度报告", "拉孜县新建的图书馆共有藏书三万册。", "少儿阅览室有一百二十个座位。"],
    ["图书馆每周举办两次读书会。", "参加人数累计达到五千人次。"],
]


@pytest.mark.parametrize("title", [None, "拉孜县图书馆年度报告"])
def test_a_pdf_is_titled_by_its_first_heading_or_metadata_and_numbered_by_page(
    tmp_path: Path, title: str | None
) -> None:
    from bot.citations import citation_label

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_pdf(seeds / "report.pdf", PAGES, title)
    build_index(seeds, tmp_path / "index", None, None)
    searcher = Searcher(read_index(tmp_path / "index"))
    books = searcher.ask("图书馆共有藏书多少册？").hits[0]
    # The title is a title, not the start of the first paragraph.
    assert books.paragraph.text == "拉孜县新建的图书馆共有藏书三万册。"
    assert books.source.title == "拉孜县图书馆年度报告"
    club = searcher.ask("读书会每周举办几次？").hits[0]
    assert club.paragraph.text == "图书馆每周举办两次读书会。"
    # The first paragraph on page 2 is cited as that.
    assert citation_label(club.source, "zh") == "《拉孜县图书馆年度报告》· 第2页 · 第1段"


def test_a_metadata_title_not_in_the_text_titles_the_article(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_pdf(seeds / "r.pdf", [["拉孜县新建的图书馆共有藏书三万册。"]], "年度报告")
    build_index(seeds, tmp_path / "index", None, None)
    hit = Searcher(read_index(tmp_path / "index")).ask("图书馆共有藏书多少册？").hits[0]
    assert (hit.source.title, hit.source.ordinal, hit.source.page) == ("年度报告", 1, 1)


def test_pypdf_warnings_about_a_damaged_file_stay_out_of_the_terminal(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_pdf(seeds / "r.pdf", [["拉孜县新建的图书馆共有藏书三万册。"]], None)
    data = (seeds / "r.pdf").read_bytes()
    (seeds / "broken.pdf").write_bytes(data.replace(b"%%EOF", b""))  # pypdf: EOF marker not found
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "index",
            "--model",
            "none",
            "--seeds",
            str(seeds),
            "--index",
            str(tmp_path / "index"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "EOF marker" not in done.stderr + done.stdout
    assert "Indexed 1 file" in done.stdout  # r.pdf; broken.pdf reported and skipped
    assert "broken.pdf" in done.stdout + done.stderr
