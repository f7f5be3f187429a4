"""No seed file is ignored without a word: every file is read or reported; CSV and JSON are read."""

import json
import shutil
from pathlib import Path

import pytest

from retrieval import (
    Paragraph,
    Searcher,
    SeedsNotFoundError,
    build_index,
    read_index,
    read_manifest,
    seed_changes,
)
from retrieval.ingest.seeds import find_seeds, read_seed
from tests.corpus import SEED


def build(seeds: Path, tmp_path: Path):
    return build_index(seeds, tmp_path / "index", None, None)


def reasons(report) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}


def test_every_file_not_read_is_reported_with_the_reason(seeds: Path, tmp_path: Path) -> None:
    (seeds / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    (seeds / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (seeds / "photo.png").write_bytes(b"\x89PNG\r\n")
    (seeds / "notes").write_text("plain text without an extension\n")
    (seeds / ".hidden.txt").write_text("hidden\n")
    (seeds / ".git").mkdir()
    (seeds / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (seeds / "odd.xyz").write_text("?\n")
    report = build(seeds, tmp_path)
    found = reasons(report)
    assert found["old.doc"] == "not a supported format: .doc — save it as .docx"
    assert "save it as .csv" in found["sheet.xlsx"]
    assert "an image" in found["photo.png"]
    assert "no file extension" in found["notes"]
    assert "hidden file" in found[".hidden.txt"]
    assert "hidden folder" in found[".git"] and ".git/HEAD" not in found
    assert "not a supported format: .xyz" in found["odd.xyz"] and ".json" in found["odd.xyz"]
    assert report.files == 1
    # Reported files are not "changed" on every run: status and the next build agree.
    assert not seed_changes(seeds, read_manifest(tmp_path / "index")).any


def test_a_linked_folder_is_followed_and_a_loop_is_reported(seeds: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "gulls.md").write_text("# Gulls\n\nHerring gulls nest on cliffs.\n")
    (seeds / "more").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back").symlink_to(seeds, target_is_directory=True)  # seeds/more/back: a loop
    report = build(seeds, tmp_path)
    assert "more/gulls.md" in report.files_added
    assert "would loop" in reasons(report)["more/back"]
    answer = Searcher(read_index(tmp_path / "index")).ask("Where do herring gulls nest?", k=1)
    assert answer.hits[0].source.path == "more/gulls.md"


def test_real_files_come_before_links_to_them(seeds: Path) -> None:
    (seeds / "0_link.txt").symlink_to(SEED.name)
    (seeds / "sub").mkdir()
    (seeds / "sub" / "a.md").write_text("# A\n\ntext\n")
    (seeds / "00_linked_folder").symlink_to("sub", target_is_directory=True)
    order = [p.relative_to(seeds).as_posix() for p in find_seeds(seeds)]
    assert order == [SEED.name, "sub/a.md", "00_linked_folder/a.md", "0_link.txt"]


def test_a_file_where_the_folder_should_be_is_called_a_file(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    shutil.copy(SEED, page)
    with pytest.raises(SeedsNotFoundError, match=r"page\.txt is a file, not a folder"):
        list(find_seeds(page))


def paragraphs_of(folder: Path, path: Path) -> tuple[Paragraph, ...]:
    """The paragraphs read from a seed file that must be readable."""
    seed, document = read_seed(folder, path)
    assert document is not None, seed.reason
    return document.paragraphs


def test_a_csv_row_is_a_paragraph_with_its_header(tmp_path: Path) -> None:
    (tmp_path / "staff.csv").write_text(
        '姓名,职务,电话\n张三,组长,123\n\n李四,"副组长\n兼秘书",456\n,,\n', encoding="gb18030"
    )
    seed, document = read_seed(tmp_path, tmp_path / "staff.csv")
    assert document is not None, seed.reason
    rows = [(p.text, p.source.line) for p in document.paragraphs]
    assert rows == [
        ("姓名: 张三; 职务: 组长; 电话: 123", 2),
        ("姓名: 李四; 职务: 副组长兼秘书; 电话: 456", 4),
    ]
    assert seed.encoding == "gb18030"


def test_a_tsv_or_semicolon_file_is_read_by_its_separator(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("name\trole\nAda\tengineer\n")
    (tmp_path / "b.csv").write_text("name;role\nGrace;admiral\n")
    assert paragraphs_of(tmp_path, tmp_path / "a.tsv")[0].text == "name: Ada; role: engineer"
    assert paragraphs_of(tmp_path, tmp_path / "b.csv")[0].text == "name: Grace; role: admiral"


def test_json_records_are_paragraphs_in_the_documented_shapes(tmp_path: Path) -> None:
    records = [
        {"title": "小牧屋建设", "text": "今年新建小牧屋三座。"},
        "第二段：每座可住四人。",
        {"question": "谁负责？", "answer": "王五负责。", "id": 7, "tags": ["x"], "ok": True},
        {"content": ["甲段。", "乙段。"]},
        42,
    ]
    (tmp_path / "a.json").write_text(json.dumps(records, ensure_ascii=False, indent=1))
    seed, document = read_seed(tmp_path, tmp_path / "a.json")
    assert document is not None, seed.reason
    got = [(p.text, p.source.line, p.source.title) for p in document.paragraphs]
    assert [text for text, _, _ in got] == [
        "今年新建小牧屋三座。",
        "第二段：每座可住四人。",
        "question: 谁负责？; answer: 王五负责。; id: 7",
        "甲段。",
        "乙段。",
    ]
    assert got[0][2] == "小牧屋建设" and got[1][1] > got[0][1]  # each cited at its own line
    wrapped = {"articles": [{"body": "包在对象里的一段。"}]}
    (tmp_path / "b.json").write_text(json.dumps(wrapped, ensure_ascii=False))
    assert paragraphs_of(tmp_path, tmp_path / "b.json")[0].text == "包在对象里的一段。"
    (tmp_path / "c.jsonl").write_text(
        '{"text": "第一条。"}\n\n"第三行的一段。"\n', encoding="utf-8"
    )
    lines = [(p.text, p.source.line) for p in paragraphs_of(tmp_path, tmp_path / "c.jsonl")]
    assert lines == [("第一条。", 1), ("第三行的一段。", 3)]


def test_bad_json_is_reported_with_where(seeds: Path, tmp_path: Path) -> None:
    (seeds / "bad.jsonl").write_text('{"text": "好的。"}\n{"text": \n')
    (seeds / "bad.json").write_text("[1, 2")
    (seeds / "numbers.json").write_text("[1, 2, 3]")
    found = reasons(build(seeds, tmp_path))
    assert found["bad.jsonl"].startswith("not valid JSON on line 2")
    assert found["bad.json"].startswith("not valid JSON (line 1")
    assert found["numbers.json"] == "no text in it"


def test_csv_and_json_answers_are_cited_at_their_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "staff.csv").write_text("name,role\nAda Lovelace,wrote the first program\n")
    (seeds / "faq.jsonl").write_text('{"question": "Opening hours?", "answer": "Nine to five."}\n')
    build(seeds, tmp_path)
    searcher = Searcher(read_index(tmp_path / "index"))
    hit = searcher.ask("Who wrote the first program?", k=1).hits[0]
    assert (hit.source.path, hit.source.line) == ("staff.csv", 2)
    hit = searcher.ask("What are the opening hours?", k=1).hits[0]
    assert (hit.source.path, hit.source.line) == ("faq.jsonl", 1)


def test_an_index_kept_inside_the_seeds_folder_is_not_read_as_seeds(seeds: Path) -> None:
    first = build_index(seeds, seeds / "index", None, None)
    assert first.files == 1 and reasons(first) == {
        "index": "a seedqa index folder: not read as seeds"
    }
    again = build_index(seeds, seeds / "index", None, None, full=True)
    assert again.files == 1 and again.paragraphs == first.paragraphs
    assert reasons(again)["index"] == "a seedqa index folder: not read as seeds"
