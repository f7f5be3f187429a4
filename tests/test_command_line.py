"""What a new user meets at the command line (issue 11), each through the real ``seedqa`` process."""

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import seedqa as seedqa_process
from tests.corpus import SEED

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "招聘了多少名医护人员？"
OTHER = "第四党支部共有多少名党员？"


def environment(**extra: str) -> dict[str, str]:
    """A clean environment for ``seedqa``: this worktree's code, offline, lexical unless told.

    Clean rather than this process's: a user's own SEEDQA_* or locale must not change what a
    new user meets.
    """
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "SEEDQA_MODEL": "none",
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    env = seedqa_process.environment(base, **extra)
    return {k: v for k, v in env.items() if v != ""}


def seedqa(
    *argv: str, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        seedqa_process.command(*argv),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment(**env),
        timeout=300,
    )


@pytest.fixture
def workdir(seeds: Path) -> Path:
    """A folder holding ``seeds/`` with the sample page."""
    return seeds.parent


def test_version(workdir: Path) -> None:
    result = seedqa("--version", cwd=workdir)
    assert result.returncode == 0 and re.fullmatch(r"seedqa \d+\.\d+\.\d+\S*\n", result.stdout)


# Output going away ---------------------------------------------------------------------------


def _first_line_then_close(argv: list[str], cwd: Path) -> tuple[str, int]:
    """``seedqa ARGV 2>&1 | head -1``: read one line, close the pipe, return the exit status."""
    process = subprocess.Popen(
        seedqa_process.command(*argv),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment(),
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode("utf-8")
    process.stdout.close()
    return line, process.wait(timeout=300)


def test_a_reader_going_away_neither_aborts_the_build_nor_hides_its_outcome(
    workdir: Path,
) -> None:
    line, code = _first_line_then_close(["index", "--seeds", "seeds", "--index", "idx2"], workdir)
    assert line  # the build had started talking when the reader left
    assert code == 0
    status = seedqa("status", "--json", "--seeds", "seeds", "--index", "idx2", cwd=workdir)
    assert status.returncode == 0 and json.loads(status.stdout)["files"] == 1
    # A build that fails still fails when nobody reads what it says.
    (workdir / "empty").mkdir()
    _, code = _first_line_then_close(["index", "--seeds", "empty", "--index", "idx3"], workdir)
    assert code == 1 and not (workdir / "idx3" / "CURRENT").exists()


def test_answers_nobody_reads_end_the_batch_with_a_failure(workdir: Path) -> None:
    assert seedqa("index", "-q", cwd=workdir).returncode == 0
    process = subprocess.Popen(
        seedqa_process.command("ask", "--json"),
        cwd=workdir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(),
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"{QUESTION}\n".encode())
    process.stdin.flush()
    assert json.loads(process.stdout.readline())["question"] == QUESTION
    process.stdout.close()
    process.stdin.write(f"{OTHER}\n{QUESTION}\n".encode())
    process.stdin.close()
    assert process.wait(timeout=120) == 1
    assert process.stderr is not None and b"Traceback" not in process.stderr.read()
    process.stderr.close()


# make ask --------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="no make here")
@pytest.mark.parametrize(
    "question", ['小牧屋"有几个', "`touch hacked` $(touch hacked2)", "$HOME 's $$ \\ $(Q)"]
)
def test_make_ask_passes_the_question_as_written(tmp_path: Path, question: str) -> None:
    """The Makefile's own ``ask`` recipe, with a ``seedqa`` that prints the arguments it got."""
    (tmp_path / "pyproject.toml").write_text("")
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    spy = bin_ / "seedqa"
    spy.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    spy.chmod(0o755)
    installed = tmp_path / ".venv" / ".installed"
    installed.touch()
    later = time.time() + 5
    os.utime(installed, (later, later))  # newer than pyproject.toml: no set-up
    result = subprocess.run(
        ["make", "-s", "-f", str(ROOT / "Makefile"), "ask", f"Q={question}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["ask", question]
    assert not (tmp_path / "hacked").exists() and not (tmp_path / "hacked2").exists()


# Hints that work -----------------------------------------------------------------------------


def test_hints_repeat_the_flags_the_user_gave(workdir: Path) -> None:
    result = seedqa("status", "--seeds", "seeds", "--index", "idx", cwd=workdir)
    assert result.returncode == 1
    assert "Run: seedqa index --seeds seeds --index idx" in result.stderr
    seedqa("index", "--seeds", "seeds", "--index", "idx", "-q", cwd=workdir)
    (workdir / "seeds" / "new.md").write_text("# 新文章\n\n新的一段话。\n", encoding="utf-8")
    result = seedqa("status", "--seeds", "seeds", "--index", "idx", cwd=workdir)
    assert "Run: seedqa index --seeds seeds --index idx" in result.stdout


def test_a_model_mismatch_never_suggests_a_model_that_is_not_there(workdir: Path) -> None:
    assert seedqa("index", "-q", cwd=workdir).returncode == 0
    result = seedqa("ask", QUESTION, "--model", "/nonexistent/model", cwd=workdir)
    assert result.returncode == 1
    assert "no model folder at /nonexistent/model" in result.stderr
    assert "--model /nonexistent/model" not in result.stderr


def test_a_file_given_as_the_seeds_folder_is_called_a_file(workdir: Path) -> None:
    result = seedqa("ask", QUESTION, "--seeds", str(ROOT / "README.md"), cwd=workdir)
    assert result.returncode == 1
    assert "README.md is a file, not a folder" in result.stderr
    assert "does not exist" not in result.stderr


def test_no_model_warning_before_an_unrelated_error(workdir: Path) -> None:
    # The default model is not cached and the hub is off: loading it would warn.
    result = seedqa("ask", QUESTION, "--seeds", "nowhere", cwd=workdir, SEEDQA_MODEL="")
    assert result.returncode == 1 and "Seeds folder nowhere does not exist" in result.stderr
    assert "warning" not in result.stderr


def test_the_model_fallback_is_said_once_with_how_to_bring_the_model(workdir: Path) -> None:
    result = seedqa("ask", cwd=workdir, stdin=f"{QUESTION}\n{OTHER}\n", SEEDQA_MODEL="")
    assert result.returncode == 0
    assert result.stderr.count("warning:") == 1
    assert "huggingface-cli download intfloat/multilingual-e5-small" in result.stderr
    assert "--model /path/to/multilingual-e5-small" in result.stderr


# What ask shows --------------------------------------------------------------------------------


def test_a_batch_shows_each_question_above_its_answer(workdir: Path) -> None:
    result = seedqa("ask", cwd=workdir, stdin=f"{QUESTION}\n\n{OTHER}\n")
    assert result.returncode == 0
    blocks = result.stdout.split(f"\n\nQ: {OTHER}\n")
    assert len(blocks) == 2 and blocks[0].startswith(f"Q: {QUESTION}\n[1] ")
    assert blocks[1].startswith("[1] ")


def test_json_is_utf8_whatever_the_locale(workdir: Path) -> None:
    result = subprocess.run(
        seedqa_process.command("ask", QUESTION, "--json"),
        cwd=workdir,
        capture_output=True,
        env=environment(PYTHONIOENCODING="latin-1", LC_ALL="C"),
        timeout=300,
    )
    text = result.stdout.decode("utf-8")
    assert result.returncode == 0 and "\\u" not in text
    assert json.loads(text)["question"] == QUESTION


def test_plurals_agree_with_their_numbers(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "one.md").write_text("# 标题\n\n只有一段话。\n", encoding="utf-8")
    result = seedqa("index", cwd=tmp_path)
    assert "Indexed 1 file, 1 paragraph, 0 windows" in result.stdout
    result = seedqa("status", cwd=tmp_path)
    assert "1 file (.md 1), 1 paragraph, 0 windows" in result.stdout


def test_every_place_of_a_duplicate_paragraph_is_shown_real_file_first(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / "z_page.txt")
    (seeds / "a_link.txt").symlink_to("z_page.txt")  # sorts first, but is a link
    result = seedqa("ask", QUESTION, "-k", "1", cwd=tmp_path)
    first = result.stdout.splitlines()[:2]
    assert " — seeds/z_page.txt:" in first[0]
    assert first[1].startswith("    （又见：seeds/a_link.txt:")
    hit = json.loads(seedqa("ask", QUESTION, "-k", "1", "--json", cwd=tmp_path).stdout)["hits"][0]
    assert hit["source"]["path"] == "z_page.txt"
    assert [place["path"] for place in hit["also_in"]] == ["a_link.txt"]


def _terminal_session(argv: list[str], cwd: Path, typed: bytes, home: Path) -> str:
    """Run ``seedqa`` with a terminal on stdin and stdout, type ``typed``, return what it showed."""
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        seedqa_process.command(*argv),
        cwd=cwd,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=environment(HOME=str(home), TERM="dumb", NO_COLOR="1"),
    )
    os.close(secondary)
    shown = b""
    deadline = time.monotonic() + 120
    sent = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the process has gone and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        if not sent and b"? " in shown:
            os.write(main, typed)
            sent = True
        if process.poll() is not None and not ready:
            break
    process.wait(timeout=30)
    os.close(main)
    return shown.decode("utf-8", "replace").replace("\r\n", "\n")


def test_at_a_terminal_ask_prompts_trims_and_keeps_history(workdir: Path, tmp_path: Path) -> None:
    assert seedqa("index", "-q", cwd=workdir).returncode == 0
    typed = f"{QUESTION}\n{OTHER}\n\x04".encode()
    shown = _terminal_session(["ask", "-k", "1"], workdir, typed, tmp_path)
    assert shown.count("? ") >= 3  # a prompt before each question, and before the Ctrl-D
    answers = [block for block in shown.split("\n\n") if "[1] " in block]
    assert len(answers) == 2  # a blank line between the answers
    trimmed = _passages(shown)
    assert len(trimmed) == 2 and any("…" in line for line in trimmed)
    for line in trimmed:  # at most AROUND characters on either side of the answering sentence
        before, _, after = line.strip().split("**")
        assert len(before.lstrip("…")) <= 80 and len(after.rstrip("…")) <= 80
    history = (tmp_path / ".seedqa_history").read_text(encoding="utf-8")
    assert QUESTION in history and OTHER in history
    whole = _passages(_terminal_session(["ask", "-k", "1", "--full"], workdir, typed, tmp_path))
    assert len(whole) == 2 and not any("…" in line for line in whole)
    assert sum(map(len, whole)) > sum(map(len, trimmed))


def _passages(shown: str) -> list[str]:
    return [line for line in shown.splitlines() if line.startswith("    ") and "**" in line]


def test_eval_warms_up_before_it_times_anything(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-time cost of the first question (model, index pages) is not counted as latency."""
    from bot.cli import main
    from retrieval import Engine
    from retrieval import evaluate as real_evaluate

    events: list[str] = []
    real_ask = Engine.ask

    def evaluate(*args, **kwargs):
        events.append("timing starts")
        return real_evaluate(*args, **kwargs)

    def ask(self, question: str, *args, **kwargs):
        events.append(question)
        return real_ask(self, question, *args, **kwargs)

    monkeypatch.setattr("bot.commands.evaluation.evaluate", evaluate)
    monkeypatch.setattr(Engine, "ask", ask)
    monkeypatch.chdir(workdir)
    questions = workdir / "one.jsonl"
    line = json.dumps({"question": QUESTION, "answer": "70"}, ensure_ascii=False)
    questions.write_text(line + "\n", encoding="utf-8")
    assert main(["eval", str(questions), "--json", "-q"], environ={"SEEDQA_MODEL": "none"}) == 0
    assert events == [QUESTION, "timing starts", QUESTION]
