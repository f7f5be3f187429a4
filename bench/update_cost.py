"""What an update costs against a full build, on a synthetic corpus, this code beside another's.

    .venv/bin/python -m bench.update_cost --size 100000 [--before REF] [--cmrc DIR] [--work DIR]

Writes ``--size`` synthetic paragraphs (:mod:`bench.synthetic`, 1,000 a seed file, CMRC 2018
sentences) and, for this code and for the code of git commit ``--before`` (exported to a scratch
folder and put first on ``PYTHONPATH``), each in its own copy of the seeds and its own index
folder, times as whole ``seedqa index --model none`` processes, one code after the other at each
step:

1. ``full``: ``seedqa index --full``;
2. ``add``: a new seed file of 1,000 new paragraphs added;
3. ``edit``: one sentence added to one paragraph of one existing seed file;
4. ``remove``: that file removed.

Each step's wall time and peak resident memory (``ru_maxrss`` of the child) are printed as a
Markdown table with each update's share of its code's full build. Lexical, so that the figures
are seedqa's own work: a model's embedding adds the same to either code's full build and only the
new windows' to an update (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import cmrc, synthetic

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("full", "add", "edit", "remove")


def _export(ref: str, into: Path) -> Path:
    """The tree of commit ``ref``, written under ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _index(code: Path, seeds: Path, index: Path, *extra: str) -> tuple[float, float]:
    """Wall seconds and peak MiB of one ``seedqa index`` process run with ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    argv = [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())"]
    argv += ["index", "--model", "none", "--seeds", str(seeds), "--index", str(index), *extra]
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(  # run from the code's folder: ``-c`` puts it first on the path
            argv, env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=errors
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            raise RuntimeError(errors.read().decode(errors="replace"))
    return seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--before", help="git commit to compare with")
    parser.add_argument("--cmrc", type=Path, default=None, help="the CMRC 2018 dev folder")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (kept)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="seedqa-update-"))
    benchmark = cmrc.load(args.cmrc) if args.cmrc else cmrc.load()
    pool = synthetic.sentences(benchmark)
    rng = np.random.default_rng(0)
    near = rng.integers(0, len(pool), size=(len(pool), synthetic.NEAR)).astype(np.int64)
    corpus = synthetic.write_corpus(work / f"seeds-{args.size}", args.size, pool, near)
    codes = {"this": ROOT}
    if args.before:
        codes[args.before] = _export(args.before, work / f"code-{args.before}")
    added = "\n\n".join(synthetic.paragraphs(pool, near, 1000, seed=99))
    results: dict[str, dict[str, tuple[float, float]]] = {name: {} for name in codes}
    places = {}
    for name in codes:
        seeds, index = work / f"run-{name}" / "seeds", work / f"run-{name}" / "index"
        shutil.rmtree(seeds.parent, ignore_errors=True)
        shutil.copytree(corpus, seeds)
        places[name] = (seeds, index)
    edited = sorted(p.name for p in corpus.glob("*.md"))[len(list(corpus.glob("*.md"))) // 2]
    for step in STEPS:
        for name, code in codes.items():
            seeds, index = places[name]
            if step == "add":
                (seeds / "zz-added.md").write_text(f"# 新增\n\n{added}\n", encoding="utf-8")
            elif step == "edit":
                text = (seeds / edited).read_text(encoding="utf-8")
                first = text.index("\n\n") + 2
                (seeds / edited).write_text(
                    text[:first] + "这一句是后来加上的。" + text[first:], encoding="utf-8"
                )
            elif step == "remove":
                (seeds / edited).unlink()
            extra = ("--full",) if step == "full" else ()
            results[name][step] = _index(code, seeds, index, *extra)
            seconds, peak = results[name][step]
            print(f"{name} {step}: {seconds:.1f} s, {peak:.0f} MiB", flush=True)
    print(f"\n| {args.size:,} paragraphs | " + " | ".join(codes) + " |")
    print("|---|" + "---:|" * len(codes))
    for step in STEPS:
        cells = []
        for name in codes:
            seconds, peak = results[name][step]
            share = seconds / results[name]["full"][0]
            cells.append(
                f"{seconds:.1f} s, {peak:,.0f} MiB" + ("" if step == "full" else f" ({share:.1%})")
            )
        print(f"| {step} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
