"""An index built on one machine serves on another: the model is known by its files, not its path,
and the device a build runs on is the user's choice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from retrieval import BuildRecord, reuse
from retrieval.index.store import FORMAT

QUESTION = "拉孜县举办了多少期党政干部培训班？"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``seedqa ARGV`` in this process (the model loads faster than in a new one)."""
    code = main(list(argv), environ={})
    out, err = capsys.readouterr()
    return code, out, err


def test_a_copied_index_keeps_its_vectors_with_the_model_in_another_folder(
    seeds: Path, tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    here = tmp_path / "gpu-machine"
    shutil.copytree(tiny_model, here / "model")
    shutil.copytree(seeds, here / "seeds")
    built = run(capsys, "index", "--seeds", f"{here}/seeds", "--index", f"{here}/index",
                "--model", f"{here}/model", "--json")  # fmt: skip
    assert built[0] == 0, built[2]

    there = tmp_path / "laptop"
    shutil.copytree(here, there)  # another machine: every path differs
    shutil.rmtree(here)
    where = ["--seeds", f"{there}/seeds", "--index", f"{there}/index"]

    # without --model the index names a folder that is not here: said, with the way out
    code, out, err = run(capsys, "ask", QUESTION, *where, "--json")
    assert code == 0 and json.loads(out)["mode"] == "lexical"
    assert "Pass --model with the model's folder on this machine" in err

    code, out, err = run(capsys, "ask", QUESTION, *where, "--model", f"{there}/model", "--json")
    assert code == 0 and json.loads(out)["mode"] == "hybrid", err
    code, out, err = run(capsys, "index", *where, "--model", f"{there}/model", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["windows_embedded"] == 0 and report["paragraphs_embedded"] == 0
    code, out, err = run(capsys, "ask", QUESTION, *where, "--json")  # the index names it now
    assert code == 0 and json.loads(out)["mode"] == "hybrid", err


def test_a_model_folder_changed_in_place_is_another_model(tiny_model: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(tiny_model, tmp_path / ".cache" / "models" / "tiny")  # like a hub's
    before = BuildRecord.now(str(folder), None, FORMAT)
    (folder / ".git").mkdir()
    (folder / ".git" / "index").write_bytes(b"git's own")
    (folder / "README.md").write_text("# notes\n", encoding="utf-8")
    assert BuildRecord.now(str(folder), None, FORMAT) == before  # not the model's files

    [weights] = [p for p in folder.rglob("*") if p.suffix in {".safetensors", ".bin"}]
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # retrained in place: same size, other numbers
    weights.write_bytes(bytes(data))
    after = BuildRecord.now(str(folder), None, FORMAT)
    assert before.model == after.model and not reuse(before, after).model

    other = shutil.copytree(tiny_model, tmp_path / ".cache" / "models" / "other")
    (other / "config.json").write_text(
        (other / "config.json").read_text(encoding="utf-8").replace("{", '{"x": 1, ', 1)
    )
    assert not reuse(before, BuildRecord.now(str(other), None, FORMAT)).model
    moved = BuildRecord.now(str(shutil.copytree(folder, tmp_path / "moved")), None, FORMAT)
    assert moved.model != after.model and reuse(after, moved).model


def test_a_retrained_model_is_not_served_its_old_vectors_from_the_cache(
    seeds: Path, tmp_path: Path
) -> None:
    from retrieval import build_index
    from tests.encoders import CharEncoder

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text('{"v": 1}', encoding="utf-8")
    first, second = CharEncoder("first"), CharEncoder("second")
    extra = seeds / "zz.md"
    extra.write_text("# 新增\n\n拉孜县新建的图书馆共有藏书三万册。\n", encoding="utf-8")
    build_index(seeds, tmp_path / "index", first, str(folder))
    extra.unlink()  # its vector goes into the model's cache
    build_index(seeds, tmp_path / "index", first, str(folder))
    (folder / "config.json").write_text('{"v": 2}', encoding="utf-8")  # retrained in place
    extra.write_text("# 新增\n\n拉孜县新建的图书馆共有藏书三万册。\n", encoding="utf-8")
    report = build_index(seeds, tmp_path / "index", second, str(folder))
    assert report.windows_cached == 0 and report.windows_embedded > 0
    assert any("files of model" in note for note in report.notes)


def test_a_device_that_is_not_here_is_refused_before_anything_is_built(
    seeds: Path, tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "index", "--seeds", str(seeds), "--index", str(tmp_path / "index"),
                       "--model", str(tiny_model), "--device", "cuda:7")  # fmt: skip
    assert code != 0
    assert "--device cuda:7: there is no device cuda:7 here" in err
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_a_hub_model_in_the_cache_and_a_folder_of_its_files_are_one_model(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    hub = tmp_path / "hub"
    repo = hub / "models--acme--tiny-e5"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123", encoding="utf-8")
    snapshot = repo / "snapshots" / "abc123"
    (repo / "blobs").mkdir()
    files = sorted(p for p in tiny_model.rglob("*") if p.is_file())
    for number, path in enumerate(files):
        blob = shutil.copy(path, repo / "blobs" / str(number))
        link = snapshot / path.relative_to(tiny_model)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(blob)  # as the hub's cache keeps them
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub))
    from_hub = BuildRecord.now("acme/tiny-e5", None, FORMAT)
    assert from_hub.fingerprint is not None

    downloaded = shutil.copytree(tiny_model, tmp_path / "tiny-e5")  # huggingface-cli --local-dir
    (downloaded / ".cache" / "huggingface").mkdir(parents=True)
    (downloaded / ".cache" / "huggingface" / "download.lock").write_text("x", encoding="utf-8")
    in_folder = BuildRecord.now(str(downloaded), None, FORMAT)
    assert in_folder.model != from_hub.model and reuse(from_hub, in_folder).model


def test_a_model_whose_files_are_not_here_is_no_change_to_an_index(tiny_model: Path) -> None:
    from dataclasses import replace

    built = BuildRecord.now(str(tiny_model), None, FORMAT)
    assert built.fingerprint is not None
    elsewhere = replace(built, fingerprint=None)  # e.g. a hub model not in this machine's cache
    assert reuse(built, elsewhere).current and reuse(built, elsewhere).model
    other = replace(built, fingerprint="0" * 24)
    assert not reuse(built, other).current and not reuse(built, other).model


def test_a_device_that_is_not_here_is_refused_even_when_no_model_would_load(
    seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = str(tmp_path / "index")
    assert run(capsys, "index", "--seeds", str(seeds), "--index", index, "--model", "none")[0] == 0
    code, _, err = run(capsys, "ask", "--seeds", str(seeds), "--index", index,
                       "--device", "cuda:7", "拉孜县举办了多少期培训班？")  # fmt: skip
    assert code != 0 and "--device cuda:7: there is no device cuda:7 here" in err
    code, _, err = run(capsys, "ask", "--seeds", str(seeds), "--index", index, "--model", "none",
                         "--device", "cuda:7", "拉孜县举办了多少期培训班？")  # fmt: skip
    assert code == 0 and "--device cuda:7 does nothing with --model none" in err
