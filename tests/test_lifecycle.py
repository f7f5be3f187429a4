"""The life of an index: how it was built, what a rebuild reuses, and what status and ask say of it."""

import io
import json
import os
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from retrieval import (
    FORMAT,
    BuildRecord,
    build_index,
    model_key,
    read_index,
    read_manifest,
    reuse,
)

LEXICAL = {"SEEDQA_MODEL": "none"}
NEW = "# 新馆\n\n拉孜县新建的图书馆共有藏书三万册。\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), environ=LEXICAL)
    out, err = capsys.readouterr()
    return code, out, err


def where(seeds: Path) -> list[str]:
    return ["--seeds", str(seeds), "--index", str(seeds.parent / "index")]


# --- the build record and the one reuse rule ---------------------------------------------------


def record(**changes) -> BuildRecord:
    base = BuildRecord.now(None, None, FORMAT)
    return replace(base, **{"model": "m", "dimension": 8, "max_tokens": 64, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, dict(model=True, questions=True, terms=True, vectors=True, graph=True, current=True)),
        ({"parser": "other/1"}, dict(terms=True, vectors=True, current=False)),
        ({"analyzer": "other/1"}, dict(terms=False, vectors=True, current=False)),
        ({"chunking": "other/1"}, dict(questions=True, terms=True, vectors=False, graph=False)),
        ({"max_tokens": 128}, dict(questions=True, vectors=False, current=False)),
        ({"model": "n"}, dict(model=False, questions=False, terms=True, vectors=False)),
        ({"dimension": 16}, dict(model=True, questions=False, vectors=False)),
        ({"dimension": None}, dict(model=True, questions=False, vectors=False, current=False)),
        ({"format": FORMAT + 1}, dict(terms=False, vectors=False, graph=False, current=False)),
    ],
)
def test_what_a_build_may_reuse_follows_from_the_two_records(changes, expected) -> None:
    got = reuse(record(), record(**changes))
    assert {name: getattr(got, name) for name in expected} == expected


def test_a_local_model_folder_is_recorded_by_its_real_absolute_path(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "models" / "tiny").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    real = str((tmp_path / "models" / "tiny").resolve())
    assert model_key("link/tiny") == model_key("./models/tiny") == real
    assert model_key("models/tiny/") == model_key(f"{tmp_path}/link/tiny/") == real
    monkeypatch.chdir(tmp_path / "models")  # the same folder named from elsewhere
    assert model_key("tiny") == model_key("../link/tiny/") == real
    assert model_key("BAAI/bge-m3") == "BAAI/bge-m3" and model_key(None) is None


def test_an_unloaded_model_of_the_indexs_name_is_taken_to_have_its_shape() -> None:
    built = record()
    assert reuse(built, BuildRecord.now("m", None, FORMAT, assumed=built)).current
    assert not reuse(built, BuildRecord.now("n", None, FORMAT, assumed=built)).model


# --- status and index agree --------------------------------------------------------------------


def test_a_skipped_file_that_is_fixed_is_changed_for_status_and_for_index(
    seeds: Path, capsys
) -> None:
    (seeds / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    assert run(capsys, "index", *where(seeds))[0] == 0
    (seeds / "bad.txt").write_text(NEW, encoding="utf-8")
    status = json.loads(run(capsys, "status", "--json", *where(seeds))[1])
    report = json.loads(run(capsys, "index", "--json", *where(seeds))[1])
    assert (status["added"], status["changed"]) == ([], ["bad.txt"])
    assert (report["paths_added"], report["paths_changed"]) == ([], ["bad.txt"])
    assert report["skipped"] == []


def test_index_json_has_the_same_keys_whether_or_not_anything_changed(seeds: Path, capsys) -> None:
    (seeds / "bad.txt").write_bytes(b"\x00\x01")
    built = json.loads(run(capsys, "index", "--json", *where(seeds))[1])
    again = json.loads(run(capsys, "index", "--json", *where(seeds))[1])
    assert sorted(built) == sorted(again)
    assert (built["up_to_date"], again["up_to_date"]) == (False, True)
    assert again["version"] == built["version"] and again["mode"] == "lexical"
    assert again["skipped"] == built["skipped"] and again["skipped"][0]["path"] == "bad.txt"
    assert again["paths_unchanged"] == sorted(p.name for p in seeds.iterdir())
    assert again["windows"] == 0 and again["notes"] == []


def test_a_full_rebuild_says_it_was_one(seeds: Path, capsys) -> None:
    assert run(capsys, "index", *where(seeds))[0] == 0
    code, out, _ = run(capsys, "index", "--full", *where(seeds))
    assert code == 0 and "note: full rebuild (--full): nothing reused" in out
    report = json.loads(run(capsys, "index", "--full", "--json", *where(seeds))[1])
    assert report["full"] is True and report["up_to_date"] is False


# --- one read of everything --------------------------------------------------------------------

_opened: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _opened is not None and isinstance(args[0], (str, os.PathLike)):
        _opened.append(os.path.realpath(args[0]))


sys.addaudithook(_audit)  # process-wide and permanent; it records only while a test asks


@pytest.mark.parametrize("model", ["none", "tiny"])
def test_one_index_run_reads_the_manifest_once_each_index_file_once_and_each_seed_once(
    seeds: Path, tmp_path: Path, tiny_model: Path, model: str
) -> None:
    global _opened
    argv = ["index", *where(seeds), "--model", str(tiny_model) if model == "tiny" else "none"]
    (seeds / "old.md").write_text("# 旧\n\n一段旧的文字。\n", encoding="utf-8")
    assert main(argv, environ={}) == 0
    root = seeds.parent / "index"
    before = read_manifest(root)
    folder = os.path.realpath(root / before.version)
    (seeds / "new.md").write_text(NEW, encoding="utf-8")
    _opened = []
    try:
        read_index(root)  # what one checked load opens (numpy opens a mapped file three times)
        once = Counter(_opened)
        _opened.clear()
        assert main(argv, environ={}) == 0
        opened = Counter(_opened)
    finally:
        _opened = None
    assert opened[os.path.join(folder, "manifest.json")] == 1
    for name in before.checksums:  # checked once and loaded once, as by one read_index
        path = os.path.join(folder, name)
        assert opened[path] == once[path] > 0, name
    for seed in ("old.md", "new.md", "000_ebe6c6a426d89a77.txt"):
        assert opened[os.path.realpath(seeds / seed)] == 1, seed


# --- ask says when the seeds changed -----------------------------------------------------------


def ask_batch(capsys, monkeypatch, seeds: Path) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO("图书馆有多少藏书？\n边境小学在哪里？\n"))
    code, _, err = run(capsys, "ask", "--json", *where(seeds))
    assert code == 0
    return err


def test_ask_warns_once_that_the_seeds_changed_and_names_the_command(
    seeds: Path, capsys, monkeypatch
) -> None:
    (seeds / "old.md").write_text("# 旧\n\n一段旧的文字。\n", encoding="utf-8")
    assert run(capsys, "index", *where(seeds))[0] == 0
    assert ask_batch(capsys, monkeypatch, seeds) == ""
    stat = (seeds / "old.md").stat()
    os.utime(seeds / "old.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert ask_batch(capsys, monkeypatch, seeds) == ""  # touched, not changed
    (seeds / "old.md").write_text("# 旧\n\n改过的文字。\n", encoding="utf-8")
    err = ask_batch(capsys, monkeypatch, seeds)
    command = f"seedqa index --seeds {seeds} --index {seeds.parent / 'index'}"
    assert err.count("seed files changed since the index was built") == 1
    assert err.count(command) == 1
    assert run(capsys, "index", *where(seeds))[0] == 0
    assert ask_batch(capsys, monkeypatch, seeds) == ""


def test_ask_notices_an_added_and_a_removed_file(seeds: Path, capsys, monkeypatch) -> None:
    assert run(capsys, "index", *where(seeds))[0] == 0
    (seeds / "new.md").write_text(NEW, encoding="utf-8")
    assert "seed files changed" in ask_batch(capsys, monkeypatch, seeds)
    (seeds / "new.md").unlink()
    assert ask_batch(capsys, monkeypatch, seeds) == ""
    (seeds / "000_ebe6c6a426d89a77.txt").unlink()
    (seeds / "other.md").write_text(NEW, encoding="utf-8")
    assert "seed files changed" in ask_batch(capsys, monkeypatch, seeds)


def test_an_unchanged_index_run_writes_nothing_and_loads_no_model(
    seeds: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    first = build_index(seeds, root, None, "no/such-model")  # the model failed to load
    loads: list[str] = []

    class Models:
        def choose(self, before):
            return before.model

        def load(self, model):
            loads.append(model)
            return

    again = build_index(seeds, root, models=Models())
    assert again.up_to_date and again.version == first.version and loads == ["no/such-model"]
    (seeds / "new.md").write_text(NEW, encoding="utf-8")
    assert not build_index(seeds, root, models=Models()).up_to_date


def test_an_index_written_before_build_records_is_read_and_reused(seeds: Path, tmp_path: Path):
    from tests.encoders import CharEncoder

    encoder, root = CharEncoder(), tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name)
    path = root / read_manifest(root).version / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    built = data.pop("built_with")  # the flat manifest of the seedqa before build records
    del data["manifest_crc32"]  # nor had that seedqa's manifests a checksum of their own
    data.update({k: built[k] for k in ("model", "dimension", "max_tokens", "analyzer")})
    data.update({k: built[k] for k in ("parser", "chunking")}, dense=True)
    for entry in data["files"].values():
        del entry["mtime_ns"], entry["reason"]
    data["skipped"] = []
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_manifest(root).built_with == BuildRecord.now(encoder.name, encoder, FORMAT)
    assert build_index(seeds, root, encoder, encoder.name).up_to_date
    (seeds / "new.md").write_text(NEW, encoding="utf-8")
    report = build_index(seeds, root, encoder, encoder.name)
    assert report.paragraphs_embedded == 1 and report.paragraphs_reused == report.paragraphs - 1


def test_a_manifest_that_cannot_be_parsed_fails_when_read_and_says_to_rebuild(
    seeds: Path, tmp_path: Path
) -> None:
    from retrieval import IndexCorruptError

    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    path = root / read_manifest(root).version / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["calibration"] = {"method": "rrf/0"}
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"calibration method 'rrf/0'.*seedqa index --full"):
        read_manifest(root)
    data["calibration"], data["skipped"] = None, [{"reason": "no path"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"manifest cannot be read.*seedqa index --full"):
        read_manifest(root)


# --- a large build's scratch space -------------------------------------------------------------


def test_a_build_spilling_its_postings_writes_the_index_a_build_in_memory_writes(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from retrieval.lifecycle import build, postings

    build_index(seeds, tmp_path / "memory")
    spilled: list[Path] = []

    def small_batches(texts, advance, spill=None):
        spilled.append(spill)
        return postings.postings_of(texts, advance, workers=1, chunk=4, spill=spill, batch=2)

    monkeypatch.setattr(build, "postings_of", small_batches)
    root = tmp_path / "spilled"
    build_index(seeds, root)
    [scratch] = spilled
    assert scratch.parent == root and not scratch.exists()  # used, then removed
    memory, on_disk = read_index(tmp_path / "memory").postings, read_index(root).postings
    for name in ("vocabulary", "indptr", "doc_ids", "counts", "lengths"):
        assert np.array_equal(getattr(memory, name), getattr(on_disk, name)), name
    folder = read_index(root).parts[0].folder
    assert (Path(folder) / "lexical.doc_ids.npy").stat().st_nlink == 1  # linked, scratch gone


def test_scratch_space_a_crash_left_is_removed_by_the_next_build(seeds: Path) -> None:
    root = seeds.parent / "index"
    left = root / ".scratch-crashed.partial" / "all"
    left.mkdir(parents=True)
    (left / "lexical.doc_ids.npy").write_bytes(b"\0" * 64)
    build_index(seeds, root)
    assert not left.parent.exists()
    assert not list(root.glob(".*.partial"))
