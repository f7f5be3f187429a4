"""Never losing the working index: kill -9 in mid-build, two builds at once, damaged files."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bot.cli import main
from embeddings import load_encoder
from retrieval import Searcher, build_index, read_index
from retrieval.index.store import build_lock, build_running
from tests.corpus import segment, write_corpus
from tests.seedqa import environment, start

LEXICAL = {"SEEDQA_MODEL": "none"}
QUESTIONS = [
    "南伊乡有多少户农牧民群众自发举行升国旗活动？",
    "拉孜县人才工作领导小组的组长是谁？",
    "新增的第七份报告说了什么？",
]


def seedqa(*argv: str, model: str = "none") -> subprocess.Popen[str]:
    """``seedqa`` in a subprocess of its own."""
    return start(*argv, env=environment(SEEDQA_MODEL=model))


def answers(seeds: Path, root: Path, capsys, model: str = "none") -> list[dict]:
    """What ``seedqa ask --json`` answers to each question, as JSON."""
    result = []
    for question in QUESTIONS:
        argv = ["ask", question, "--json", "--seeds", str(seeds), "--index", str(root)]
        assert main(argv, environ={"SEEDQA_MODEL": model}) == 0
        result.append(json.loads(capsys.readouterr().out))
    return result


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def test_kill_9_while_a_version_is_written_leaves_the_old_one_answering(
    seeds: Path, tmp_path: Path, capsys
) -> None:
    root = tmp_path / "index"
    write_corpus(seeds, 1000)
    build_index(seeds, root, None, None)
    current = (root / "CURRENT").read_text()
    before = answers(seeds, root, capsys)
    caught = False
    for attempt in range(8):  # until the kill lands while the new version is being written
        (seeds / f"extra-{attempt}.md").write_text(
            f"新增的第七份报告说了第{attempt}件事。\n", "utf-8"
        )
        build = seedqa("index", "--seeds", str(seeds), "--index", str(root))
        while build.poll() is None and not any(root.glob(".*.partial")):
            time.sleep(0.0005)
        if build.poll() is None:
            kill(build)
        else:
            build.communicate()
        if list(root.glob(".*.partial")):  # killed with the new version half-written
            caught = True
            break
        # It got past writing first: whichever version CURRENT names is whole; start from it.
        read_index(root)
        current = (root / "CURRENT").read_text()
        before = answers(seeds, root, capsys)
    assert caught, "the build always got past writing before it could be killed"
    assert (root / "CURRENT").read_text() == current  # the half-written version is not in use
    assert answers(seeds, root, capsys) == before
    assert main(["status", "--seeds", str(seeds), "--index", str(root)], environ=LEXICAL) == 0
    assert "changed since" in capsys.readouterr().out
    report = build_index(seeds, root, None, None)
    assert not list(root.glob(".*.partial")) and report.version is not None
    assert "第七份报告" in answers(seeds, root, capsys)[2]["hits"][0]["text"]


@pytest.mark.slow
def test_kill_9_at_any_moment_of_a_hybrid_rebuild_keeps_an_index_that_answers(
    seeds: Path, tmp_path: Path, tiny_model: Path, capsys
) -> None:
    root = tmp_path / "index"
    model = str(tiny_model)
    write_corpus(seeds, 200)
    encoder = load_encoder(model)
    build_index(seeds, root, encoder, model)
    (seeds / "extra.md").write_text("新增的第七份报告说了一件事。\n", encoding="utf-8")
    started = time.monotonic()
    whole = seedqa("index", "--full", "--seeds", str(seeds), "--index", str(root), model=model)
    whole.communicate(timeout=300)
    assert whole.returncode == 0
    duration = time.monotonic() - started
    for moment in range(1, 9):
        current = (root / "CURRENT").read_text()
        before = answers(seeds, root, capsys, model)
        (seeds / "extra.md").write_text(f"新增的第七份报告说了第{moment}件事。\n", "utf-8")
        build = seedqa("index", "--full", "--seeds", str(seeds), "--index", str(root), model=model)
        time.sleep(duration * moment / 9)
        if build.poll() is None:
            kill(build)
        else:
            build.communicate()
        index = read_index(root)  # loadable, whatever moment the kill came at
        if (root / "CURRENT").read_text() == current:
            assert answers(seeds, root, capsys, model) == before, moment
        else:  # the build had switched to its new version: that one is whole
            assert f"第{moment}件事" in answers(seeds, root, capsys, model)[2]["hits"][0]["text"]
        assert Searcher(index, encoder).ask(QUESTIONS[0]).mode == "hybrid"
    final = seedqa("index", "--seeds", str(seeds), "--index", str(root), model=model)
    final.communicate(timeout=300)
    assert final.returncode == 0
    asked = seedqa("ask", QUESTIONS[2], "--seeds", str(seeds), "--index", str(root), model=model)
    out, _ = asked.communicate(timeout=120)
    assert asked.returncode == 0 and "第七份报告" in out


def test_a_second_build_while_one_runs_exits_with_a_clear_message(
    seeds: Path, tmp_path: Path, capsys
) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    argv = ["index", "--seeds", str(seeds), "--index", str(root), "--full"]
    with build_lock(root):
        assert build_running(root)
        assert main(argv, environ=LEXICAL) == 1
        err = capsys.readouterr().err
        assert main(["status", "--seeds", str(seeds), "--index", str(root)], environ=LEXICAL) == 0
        assert "A build is running now." in capsys.readouterr().out
    assert err.startswith("error: Another seedqa is building the index") and "Wait for it" in err
    assert not build_running(root)
    assert main(argv, environ=LEXICAL) == 0


def test_two_index_processes_at_once_one_builds_and_one_says_so(
    seeds: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    write_corpus(seeds, 3000)  # a build of some seconds
    first = seedqa("index", "--seeds", str(seeds), "--index", str(root))
    deadline = time.monotonic() + 60
    while not build_running(root):
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    second = seedqa("index", "--seeds", str(seeds), "--index", str(root))
    _, err = second.communicate(timeout=60)
    assert first.poll() is None, "the first build ended before the second one was refused"
    assert second.returncode == 1
    assert "error: Another seedqa is building the index" in err and "Traceback" not in err
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0 and "Indexed 101 files" in out
    assert read_index(root).manifest.paragraphs == 3000 + 27


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("truncate lexical.doc_ids.npy", "has"),
        ("flip a byte of paragraphs.jsonl", "does not match its checksum"),
        ("delete lexical.counts.npy", "is missing"),
        ("garble manifest.json", "manifest cannot be read"),
        ("delete the version folder", "is missing"),
    ],
)
def test_a_damaged_index_is_named_with_the_command_that_fixes_it(
    seeds: Path, tmp_path: Path, capsys, damage: str, says: str
) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    before = answers(seeds, root, capsys)
    folder = root / (root / "CURRENT").read_text().strip()
    verb, _, what = damage.partition(" ")
    if damage == "delete the version folder":
        shutil.rmtree(folder)
    elif verb == "truncate":
        (segment(folder) / what).write_bytes((segment(folder) / what).read_bytes()[:-16])
    elif verb == "flip":
        path = segment(folder) / what.removeprefix("a byte of ")
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x20
        path.write_bytes(bytes(data))
    elif verb == "delete":
        (segment(folder) / what).unlink()
    else:
        (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    for command in (["ask", QUESTIONS[0]], ["status"]):
        code = main([*command, "--seeds", str(seeds), "--index", str(root)], environ=LEXICAL)
        err = capsys.readouterr().err
        assert code == 1 and "damaged" in err and says in err, err
        assert "Run: seedqa index --full" in err and "Traceback" not in err
    assert main(["index", "--seeds", str(seeds), "--index", str(root)], environ=LEXICAL) == 0
    capsys.readouterr()
    assert answers(seeds, root, capsys) == before
