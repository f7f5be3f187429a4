"""Seed files in every supported format and encoding are indexed; bad ones are reported and skipped.

Every file here is written by the test itself: Word files with python-docx, PDF files with
reportlab (a Chinese CID font, so the PDF has a real text layer), HTML and text by hand.
"""

import json
import os
from pathlib import Path

import pytest

from bot.citations import citation_label
from bot.cli import main
from retrieval import Searcher, SeedsNotFoundError, build_index, read_index

TEXT = """# 拉孜县新建图书馆

### 免费开放

拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。

图书馆每周举办两次读书会，参加人数累计达到五千人次。
"""
QUESTION = "拉孜县图书馆有多少册藏书？"


def ask(root: Path, question: str = QUESTION):
    return Searcher(read_index(root)).ask(question, k=3)


def index_of(folder: Path, tmp_path: Path):
    build_index(folder, tmp_path / "index", None, None)
    return read_index(tmp_path / "index")


@pytest.mark.parametrize(
    ("codec", "bom", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8 (byte-order mark)"),
        ("utf-16-le", b"\xff\xfe", "utf-16 (byte-order mark)"),
        ("utf-16-be", b"\xfe\xff", "utf-16 (byte-order mark)"),
        ("gb18030", b"", "gb18030"),
        ("gbk", b"", "gb18030"),
        ("gb2312", b"", "gb18030"),
    ],
)
def test_text_in_each_encoding_is_read_exactly(
    tmp_path: Path, codec: str, bom: bytes, expected: str
) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "library.txt").write_bytes(bom + TEXT.replace("\n", "\r\n").encode(codec))
    index = index_of(folder, tmp_path)
    assert index.manifest.files["library.txt"].encoding == expected
    hit = ask(tmp_path / "index").hits[0]
    assert hit.paragraph.text == "拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。"
    assert (hit.source.title, hit.source.section, hit.source.line) == (
        "拉孜县新建图书馆",
        "免费开放",
        5,
    )


def test_gbk_text_with_traditional_characters_is_still_gbk(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    text = "臺灣的歷史與文化非常豐富，這裡有許多博物館。國立故宮博物院收藏了大量珍貴文物。"
    (folder / "trad.txt").write_bytes(text.encode("gbk"))
    index = index_of(folder, tmp_path)
    assert index.paragraphs[0].text == text


def write_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> None:
    """A PDF whose pages hold these lines, in a Chinese font (with a text layer); ``title`` in
    its metadata (reportlab writes 'untitled' otherwise)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        pdf.setFont("STSong-Light", 11)
        for number, line in enumerate(lines):
            pdf.drawString(60, 780 - 18 * number, line)
        pdf.showPage()
    pdf.save()


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("拉孜县新建图书馆", level=1)
    document.add_heading("免费开放", level=2)
    document.add_paragraph("拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。")
    document.add_paragraph("开放时间")  # no full stop: still a paragraph of its own
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {
        (0, 0): "阅览室",
        (0, 1): "座位",
        (1, 0): "少儿阅览室",
        (1, 1): "120个",
    }.items():
        table.cell(row, col).text = text
    document.add_paragraph("图书馆每周举办两次读书会，参加人数累计达到五千人次。")
    document.save(str(path))


def test_a_word_file_is_read_with_its_headings_and_tables(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    write_docx(folder / "library.docx")
    index = index_of(folder, tmp_path)
    texts = [index.paragraphs[i].text for i in range(len(index.paragraphs))]
    assert texts == [
        "拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。",
        "开放时间",
        "| 阅览室 | 座位 |\n| 少儿阅览室 | 120个 |",
        "图书馆每周举办两次读书会，参加人数累计达到五千人次。",
    ]
    hit = ask(tmp_path / "index").hits[0]
    assert (hit.source.title, hit.source.section) == ("拉孜县新建图书馆", "免费开放")
    assert hit.source.line == 3  # the third paragraph of the document
    seat = ask(tmp_path / "index", "少儿阅览室有多少个座位？").hits[0]
    assert "120个" in seat.paragraph.text and seat.source.line == 5
    assert index.manifest.files["library.docx"].encoding == "docx"


def test_a_pdf_is_read_from_its_text_layer_and_cited_by_page(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    write_pdf(
        folder / "report.pdf",
        [
            ["图书馆建设情况报告。", "拉孜县新建的图书馆共有藏书三万册，向农牧民"],
            ["群众免费开放。", "图书馆每周举办两次读书会，参加人数累计达到五千人次。"],
        ],
    )
    build_index(folder, tmp_path / "index", None, None)
    hit = ask(tmp_path / "index").hits[0]
    # The paragraph cut by the page break is joined back, and cited where it starts.
    assert hit.paragraph.text == "拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。"
    assert (hit.source.page, hit.source.line) == (1, 2)
    club = ask(tmp_path / "index", "读书会每周举办几次？").hits[0]
    assert (club.source.page, club.source.line) == (2, 2)
    assert "第2页" in citation_label(club.source, "zh") and "p. 2" in citation_label(
        club.source, "en"
    )


HTML = """<!DOCTYPE html>
<html>
<head>
<meta charset="gbk">
<title>拉孜县新建图书馆</title>
<style>p { color: red; }</style>
<script>var secret = "脚本里的秘密口令";</script>
</head>
<body>
<nav>首页 | 新闻 | 联系我们</nav>
<h2>免费开放</h2>
<p>拉孜县新建的图书馆共有藏书三万册，
向农牧民群众<b>免费</b>开放。</p>
<!-- 注释里的文字 -->
<ul><li>图书馆每周举办两次读书会。</li><li>参加人数累计达到五千人次。</li></ul>
<table><tr><th>阅览室</th><th>座位</th></tr><tr><td>少儿阅览室</td><td>120个</td></tr></table>
</body>
</html>
"""


def test_an_html_page_is_read_as_text_with_source_lines(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "library.html").write_bytes(HTML.encode("gbk"))
    index = index_of(folder, tmp_path)
    texts = [index.paragraphs[i].text for i in range(len(index.paragraphs))]
    assert texts[0] == "拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。"
    assert "| 少儿阅览室 | 120个 |" in texts[-1]
    assert not any("秘密" in t or "注释" in t or "color" in t or "首页" in t for t in texts)
    hit = ask(tmp_path / "index").hits[0]
    assert (hit.source.title, hit.source.section, hit.source.line) == (
        "拉孜县新建图书馆",
        "免费开放",
        12,
    )
    assert ask(tmp_path / "index", "读书会每周举办几次？").hits[0].source.line == 15
    assert index.manifest.files["library.html"].encoding == "gb18030"


def test_every_format_in_one_folder_is_indexed_and_cited(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "a.md").write_text(TEXT, encoding="utf-8")
    (folder / "b.txt").write_bytes("海拔最高的学校在普兰县。\n".encode("gb18030"))
    write_docx(folder / "c.docx")
    write_pdf(folder / "d.pdf", [["最早的邮局建于一九五九年。"]])
    (folder / "e.htm").write_text("<p>县城的第一座电影院有三百个座位。</p>", encoding="utf-8")
    environ = {"SEEDQA_MODEL": "none"}
    index = ["index", "--seeds", str(folder), "--index", str(tmp_path / "index"), "--json"]
    assert main(index, environ=environ) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files_added"] == 5 and report["skipped"] == []
    for question, path, page in [
        ("海拔最高的学校在哪里？", "b.txt", None),
        ("最早的邮局建于哪一年？", "d.pdf", 1),
        ("电影院有多少个座位？", "e.htm", None),
    ]:
        where = ["--seeds", str(folder), "--index", str(tmp_path / "index")]
        assert main(["ask", question, "--json", *where], environ=environ) == 0
        source = json.loads(capsys.readouterr().out)["hits"][0]["source"]
        assert (source["path"], source["page"]) == (path, page), question


def bad_files(folder: Path) -> dict[str, str]:
    """Write one bad seed file of each kind; returns the words its reason must hold, by name."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("  \n\n\t\n", encoding="utf-8")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "nul.txt").write_bytes(b"text\x00with\x00nul bytes")
    (folder / "pdf-named.txt").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (folder / "latin1.txt").write_bytes("Café au lait, naïve façade.".encode("latin-1"))
    (folder / "big5.txt").write_bytes(
        "臺灣的歷史與文化非常豐富，這裡有許多博物館。國立故宮博物院收藏了大量珍貴文物。".encode(
            "big5"
        )
    )
    (folder / "controls.txt").write_bytes(bytes(range(1, 32)) * 40)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 this is not really a zip file")
    (folder / "notzip.docx").write_text("plain text named .docx", encoding="utf-8")
    write_pdf(folder / "scanned.pdf", [[]])
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\ngarbage that is not a PDF")
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    os.mkfifo(folder / "pipe.txt")
    reasons = {
        "empty.txt": "empty file",
        "blank.md": "no text",
        "image.txt": "PNG image",
        "nul.txt": "NUL bytes",
        "pdf-named.txt": "PDF document",
        "latin1.txt": "cannot be decoded",
        "big5.txt": "nonsense",
        "controls.txt": "control characters",
        "broken.docx": "DOCX",
        "notzip.docx": "DOCX",
        "scanned.pdf": "no text layer",
        "broken.pdf": "PDF",
        "gone.txt": "broken link",
        "pipe.txt": "not a regular file",
    }
    if os.geteuid() != 0:  # root reads any file whatever its mode
        locked = folder / "locked.txt"
        locked.write_text("无权读取的文件。", encoding="utf-8")
        locked.chmod(0)
        reasons["locked.txt"] = "Permission denied"
    return reasons


def test_each_bad_file_is_reported_with_its_reason_and_the_rest_indexed(
    tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "good.md").write_text(TEXT, encoding="utf-8")
    reasons = bad_files(folder)
    argv = ["index", "--seeds", str(folder), "--index", str(tmp_path / "index")]
    assert main(argv, environ={"SEEDQA_MODEL": "none"}) == 0
    out = capsys.readouterr().out
    for name, words in reasons.items():
        [line] = [line for line in out.splitlines() if f"skipped {name}:" in line]
        assert words in line, (name, line)
    manifest = read_index(tmp_path / "index").manifest
    assert list(manifest.files) == ["good.md"]
    assert {s.path for s in manifest.skipped} == set(reasons)
    assert ask(tmp_path / "index").hits[0].source.path == "good.md"


def test_a_folder_of_only_bad_files_says_so_and_keeps_the_index(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "good.md").write_text(TEXT, encoding="utf-8")
    build_index(folder, tmp_path / "index", None, None)
    (folder / "good.md").write_bytes(b"\x00\x01\x02")
    with pytest.raises(SeedsNotFoundError, match=r"good\.md \(binary file.*left as it was"):
        build_index(folder, tmp_path / "index", None, None)
    assert ask(tmp_path / "index").hits[0].source.path == "good.md"


def test_a_fixed_bad_file_is_noticed_and_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "good.md").write_text("另一份文件里的一段话。\n", encoding="utf-8")
    (folder / "library.txt").write_bytes(TEXT.encode("big5", errors="replace"))
    first = build_index(folder, tmp_path / "index", None, None)
    assert [s.path for s in first.skipped] == ["library.txt"]
    (folder / "library.txt").write_bytes(TEXT.encode("gbk"))
    second = build_index(folder, tmp_path / "index", None, None)
    # Known before (skipped, by its hash), so changed, as `seedqa status` says too.
    assert second.skipped == () and second.files_changed == ("library.txt",)
    assert ask(tmp_path / "index").hits[0].source.path == "library.txt"


def test_a_run_on_line_is_cut_into_paragraphs_of_bounded_size(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    line = "".join(f"第{i}号图书馆共有藏书{i * 7}册。" for i in range(4000))  # 70,000 characters
    (folder / "one-line.txt").write_text(line, encoding="utf-8")
    index = index_of(folder, tmp_path)
    texts = [index.paragraphs[i].text for i in range(len(index.paragraphs))]
    assert "".join(texts) == line and len(texts) > 10
    assert all(len(text) <= 4000 and text.endswith("。") for text in texts)
    assert {index.paragraphs[i].source.line for i in range(len(texts))} == {1}


def test_a_paragraph_of_no_titled_article_is_named_by_its_file_without_title_marks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "notes.txt").write_text("烤箱最高可达260度。\n", encoding="utf-8")
    index = tmp_path / "index"
    build_index(folder, index, None, None)
    hit = ask(index, "烤箱最高可达多少度？").hits[0]
    assert hit.source.title is None
    assert citation_label(hit.source, "zh") == "notes.txt · 第1段"
    assert citation_label(hit.source, "en") == "notes.txt · ¶1"
    common = ["--seeds", str(folder), "--index", str(index), "--model", "none"]
    assert main(["ask", *common, "烤箱最高可达多少度？"]) == 0
    assert "[1] notes.txt · 第1段" in capsys.readouterr().out
    assert main(["ask", "--json", *common, "烤箱最高可达多少度？"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["source"]["title"] is None
