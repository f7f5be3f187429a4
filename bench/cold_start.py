"""The command line's cold start: ``seedqa ask`` on an existing lexical index, start to finish.

    .venv/bin/python -m bench.cold_start [--runs 9] [--seeds DIR] [--index DIR] [--before REF]

Builds a lexical index of ``--seeds`` (default: the project's seeds) in a scratch folder, or in
``--index`` if given and kept there (built only if it is not there yet), then runs ``seedqa ask
QUESTION --model none`` as a new process ``--runs`` times and reports the median and slowest wall
time: interpreter start, imports, reading the index, jieba's dictionary, the answer and its
printing; the load alone (``read_index`` in a new process, imports excluded); and ``seedqa ask
--check``, which checks every index file whole first. For comparison it
times ``python -c pass`` and ``python -c "import retrieval"`` the same way. ``--before REF`` also
times ``seedqa ask`` with the code of that git commit (exported to a scratch folder and put first
on ``PYTHONPATH``) on the same index, its runs taking turns with this code's; if that code does
not read this code's format, the index's manifest is marked format 2, which it reads (a lexical
index's files are the same in formats 2 and 3), without the manifest's own checksum, which
format 2 did not have.

The index files are in the page cache after the first run (every run reads them): the figures
are the work of a start, not the disk's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "边境党员干部受到了哪些教育？"


LOAD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from retrieval import read_index\n"
    "started = time.perf_counter()\n"
    "read_index(Path(sys.argv[1]))\n"
    "print(time.perf_counter() - started)\n"
)
"""The load alone, in a new process: ``read_index`` as ``seedqa ask`` calls it, imports excluded."""


def loaded(command: list[str], code: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(code)}
    # In ``code``: ``python -c`` puts the working folder before PYTHONPATH.
    out = subprocess.run(
        command, check=True, capture_output=True, text=True, env=env, cwd=code
    ).stdout
    return float(out.split()[-1])


def once(command: list[str], code: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    return time.perf_counter() - started


def as_format_2(index: Path) -> None:
    """Mark a lexical index's manifest format 2, for the seedqa before format 3 to read it."""
    path = index / (index / "CURRENT").read_text().strip() / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["built_with"]["dimension"] is None, "only a lexical index is the same in both"
    data.pop("manifest_crc32", None)
    data["format"] = data["built_with"]["format"] = 2
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def reads_this_format(code: Path) -> bool:
    """Whether the seedqa in ``code`` reads the format this code writes (by its source)."""
    from retrieval.index.store import FORMAT

    source = code / "retrieval" / "index" / "store.py"
    found = re.search(r"^READS = \(([^)]*)\)", source.read_text(encoding="utf-8"), re.MULTILINE)
    return found is not None and str(FORMAT) in re.findall(r"\d+", found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--index", type=Path, help="build the index here and keep it")
    parser.add_argument("--before", metavar="REF", help="also time the code of this commit")
    args = parser.parse_args()
    seedqa = str(Path(sys.executable).parent / "seedqa")
    with tempfile.TemporaryDirectory(prefix="seedqa-cold-") as scratch:
        index = args.index or Path(scratch) / "index"
        where = ["--seeds", str(args.seeds), "--index", str(index), "--model", "none"]
        if not (index / "CURRENT").exists():
            subprocess.run(
                [seedqa, "index", *where, "-q"],
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        ask = [seedqa, "ask", QUESTION, *where, "-q"]
        commands: dict[str, tuple[list[str], Path]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], ROOT),
            "python -c 'import retrieval'": ([sys.executable, "-c", "import retrieval"], ROOT),
        }
        if args.before:
            old = Path(scratch) / "before"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before], check=True, capture_output=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            commands[f"seedqa ask (lexical), before ({args.before})"] = (ask, old)
            if not reads_this_format(old):
                as_format_2(index)
        commands["seedqa ask (lexical)"] = (ask, ROOT)
        commands["seedqa ask --check (lexical)"] = ([*ask, "--check"], ROOT)
        load = [sys.executable, "-c", LOAD, str(index)]
        loads = {"read_index alone": (load, ROOT)}
        if args.before:
            loads[f"read_index alone, before ({args.before})"] = (load, old)
        rows: dict[str, list[float]] = {name: [] for name in [*commands, *loads]}
        for _ in range(args.runs):  # in turns, so that a busier moment weighs on every row
            for name, (command, code) in commands.items():
                rows[name].append(once(command, code))
            for name, (command, code) in loads.items():
                rows[name].append(loaded(command, code))
    print(f"{args.runs} runs each, seeds {args.seeds}")
    print("| command | median (s) | slowest (s) |")
    print("|---|---|---|")
    for name, times in rows.items():
        print(f"| {name} | {statistics.median(times):.3f} | {max(times):.3f} |")


if __name__ == "__main__":
    main()
