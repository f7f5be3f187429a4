"""Big seed files: a progress bar in a terminal only, and a 50 MB file in bounded memory."""

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from tests import seedqa
from tests.corpus import big_file


def index(seeds: Path, *flags: str, terminal: bool) -> tuple[int, str]:
    """Run ``seedqa index`` with its standard error on a terminal (a pty) or a pipe."""
    argv = ["index", "--model", "none", "--seeds", str(seeds)]
    argv += ["--index", str(seeds.parent / "index")]
    if not terminal:
        done = seedqa.run(*argv, *flags)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    chunks: list[bytes] = []

    def drain() -> None:  # the terminal's buffer is small: keep reading until it closes
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    process = seedqa.start(*argv, *flags, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    process.wait(timeout=300)
    reader.join()
    os.close(leader)
    return process.returncode, b"".join(chunks).decode(errors="replace")


def test_a_progress_bar_shows_in_a_terminal_and_nowhere_else(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    paragraphs = big_file(seeds / "page.txt", 0.2)
    code, shown = index(seeds, "--full", terminal=True)
    assert code == 0 and "analysing:" in shown and f"/{paragraphs} [" in shown
    code, quiet = index(seeds, "--full", "--quiet", terminal=True)
    assert code == 0 and quiet == ""
    code, piped = index(seeds, "--full", terminal=False)
    assert code == 0 and "|" not in piped and "\r" not in piped
    assert f"analysing {paragraphs} of {paragraphs} paragraphs" in piped


@pytest.mark.slow
def test_a_50_mb_seed_file_indexes_in_bounded_memory(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    paragraphs = big_file(seeds / "big.txt", 50)
    measure = (
        "import resource, subprocess, sys; "
        "code = subprocess.run(sys.argv[1:]).returncode; "
        "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = seedqa.command("index", "--model", "none", "-q", "--json", "--seeds", str(seeds))
    command += ["--index", str(tmp_path / "index")]
    done = subprocess.run(
        [sys.executable, "-c", measure, *command],
        capture_output=True,
        text=True,
        env=seedqa.environment(),
        timeout=1200,
    )
    report, result = done.stdout.splitlines()
    code, peak_kib = map(int, result.split())
    assert code == 0, done.stderr
    assert json.loads(report)["paragraphs"] == paragraphs
    assert peak_kib < 2 * 1024 * 1024, f"peak RSS {peak_kib // 1024} MiB"  # measured: ~1.3 GiB
    ask = ["ask", "--json", "--index", str(tmp_path / "index"), "--seeds", str(seeds)]
    asked = seedqa.run(*ask, "第70000号说了什么？", env=seedqa.environment(SEEDQA_MODEL="none"))
    assert asked.returncode == 0 and json.loads(asked.stdout)["hits"]
