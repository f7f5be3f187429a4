"""The command line's cold start: ``seedqa ask`` on an existing lexical index, start to finish.

    .venv/bin/python -m bench.cold_start [--runs 9] [--seeds DIR]

Builds a lexical index of ``--seeds`` (default: the project's seeds) in a scratch folder, then
runs ``seedqa ask QUESTION --model none`` as a new process ``--runs`` times and reports the median
and slowest wall time: interpreter start, imports, reading the index, jieba's dictionary, the
answer and its printing. For comparison it times ``python -c pass`` and ``python -c "import
retrieval"`` the same way.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "边境党员干部受到了哪些教育？"


def wall(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    args = parser.parse_args()
    seedqa = str(Path(sys.executable).parent / "seedqa")
    with tempfile.TemporaryDirectory(prefix="seedqa-cold-") as scratch:
        index = Path(scratch) / "index"
        where = ["--seeds", str(args.seeds), "--index", str(index), "--model", "none"]
        subprocess.run([seedqa, "index", *where, "-q"], check=True, stdout=subprocess.DEVNULL)
        rows = {
            "python -c pass": wall([sys.executable, "-c", "pass"], args.runs),
            "python -c 'import retrieval'": wall(
                [sys.executable, "-c", "import retrieval"], args.runs
            ),
            "seedqa ask (lexical)": wall([seedqa, "ask", QUESTION, *where, "-q"], args.runs),
        }
    print(f"{args.runs} runs each, seeds {args.seeds}")
    print("| command | median (s) | slowest (s) |")
    print("|---|---|---|")
    for name, times in rows.items():
        print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
