"""``seedqa status``, and ``seedqa index`` when nothing changed."""

import json
from pathlib import Path

from bot.cli import main

LEXICAL = {"SEEDQA_MODEL": "none"}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), environ=LEXICAL)
    out, err = capsys.readouterr()
    return code, out, err


def test_status_lists_what_is_indexed_and_what_changed_since(seeds: Path, capsys) -> None:
    where = ["--seeds", str(seeds), "--index", str(seeds.parent / "index")]
    (seeds / "old.md").write_text("# 旧\n\n一段旧的文字。\n", encoding="utf-8")
    (seeds / "gone.md").write_text("# 走\n\n一段将被删除的文字。\n", encoding="utf-8")
    (seeds / "bad.txt").write_bytes(b"\x00\x01")
    assert run(capsys, "index", *where)[0] == 0
    code, out, _ = run(capsys, "status", *where)
    assert code == 0 and "3 files (.md 2, .txt 1), 29 paragraphs" in out
    assert "lexical, no model" in out and "skipped bad.txt: binary file" in out
    assert "nothing changed since; the index is up to date" in out
    (seeds / "new.md").write_text("# 新\n\n一段新的文字。\n", encoding="utf-8")
    (seeds / "old.md").write_text("# 旧\n\n改过的文字。\n", encoding="utf-8")
    (seeds / "gone.md").unlink()
    code, out, _ = run(capsys, "status", *where)
    assert code == 0 and "1 added, 1 changed, 1 removed. Run: seedqa index" in out
    assert "added    new.md" in out and "changed  old.md" in out and "removed  gone.md" in out
    code, out, _ = run(capsys, "status", "--json", *where)
    status = json.loads(out)
    assert (status["added"], status["changed"], status["removed"]) == (
        ["new.md"],
        ["old.md"],
        ["gone.md"],
    )
    assert status["up_to_date"] is False and status["building"] is False
    assert status["files"] == 3 and status["paragraphs"] == 29 and status["model"] is None
    size = len("# 旧\n\n一段旧的文字。\n".encode())
    assert status["indexed"]["old.md"] == {"paragraphs": 1, "bytes": size, "read_as": "utf-8"}
    [skipped] = status["skipped"]
    assert skipped["path"] == "bad.txt" and "binary" in skipped["reason"]


def test_status_without_an_index_names_the_command(tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "status", "--index", str(tmp_path / "index"))
    assert code == 1 and out == "" and "No index in" in err and "Run: seedqa index" in err


def test_index_with_nothing_changed_is_quick_and_writes_nothing(seeds: Path, capsys) -> None:
    root = seeds.parent / "index"
    where = ["--seeds", str(seeds), "--index", str(root)]
    assert run(capsys, "index", *where)[0] == 0
    current = (root / "CURRENT").read_text()
    code, out, err = run(capsys, "index", "--json", *where)
    report = json.loads(out)
    assert code == 0 and report["up_to_date"] is True and err == ""
    assert report["paragraphs_embedded"] == 0 and report["files_unchanged"] == 1
    assert report["seconds"] < 1.0
    assert (root / "CURRENT").read_text() == current
    assert len([p for p in root.iterdir() if p.name.startswith("v")]) == 1
