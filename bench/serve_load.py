"""Load on ``seedqa serve``: many ``POST /v1/search`` requests at once from one client process.

Runs the real ``seedqa serve`` as a subprocess on 127.0.0.1 over a hybrid index of the sample
page built with the tiny test model (``--model none``: a lexical index), sends N requests at once
(the labelled questions of ``tests/data/seed_questions.jsonl`` in turn, each on its own
connection), and times each from being sent to its whole answer being read. Checks that every
request is answered 200 with the answer to its own question. Reports the median, the 95th
percentile, the slowest and the wall time, and the server's peak resident memory (VmHWM).

    .venv/bin/python -m bench.serve_load [--requests 200] [--model tiny|none] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bot.runtime import build
from bot.settings import Settings
from tests.tinymodel import build_tiny_model

ROOT = Path(__file__).resolve().parent.parent

SEED = ROOT / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
READY = re.compile(r"on http://127\.0\.0\.1:(\d+) ")


def prepare(scratch: Path, model: str) -> Settings:
    """A seeds folder and its index: hybrid with the tiny model, or lexical."""
    seeds = scratch / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    name = "none"
    if model == "tiny":
        name = str(build_tiny_model(scratch, SEED.read_text(encoding="utf-8"), max_seq_length=64))
    settings = Settings(seeds, scratch / "index", name)
    build(settings, print, lambda message: None)
    return settings


def peak_memory_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(settings: Settings) -> tuple[subprocess.Popen[str], str]:
    """``seedqa serve`` on a free loopback port, once it says where it listens."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "SEEDQA_API_KEY": ""}
    command = [sys.executable, "-m", "bot", "serve", "--port", "0", "--seeds", str(settings.seeds)]
    command += ["--index", str(settings.index), "--model", str(settings.model)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    for line in process.stderr:
        found = READY.search(line)
        if found:  # read the rest as it comes, so that a full pipe never blocks the server
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, f"http://127.0.0.1:{found.group(1)}"
    raise SystemExit(f"seedqa serve did not start (status {process.wait()})")


async def load(url: str, questions: list[str], timeout: float) -> tuple[list[float], int, float]:
    """Send every question at once; each one's seconds, how many were answered right, wall time."""
    limits = httpx.Limits(max_connections=len(questions), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:

        async def ask(question: str) -> tuple[float, bool]:
            sent = time.perf_counter()
            response = await client.post("/v1/search", json={"question": question})
            took = time.perf_counter() - sent
            body = response.json() if response.status_code == 200 else {}
            return took, body.get("question") == question and "hits" in body

        started = time.perf_counter()
        results = await asyncio.gather(*(ask(question) for question in questions))
        wall = time.perf_counter() - started
    return [took for took, _ in results], sum(ok for _, ok in results), wall


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--model", choices=["tiny", "none"], default="tiny")
    parser.add_argument("--rounds", type=int, default=1, help="loads in a row on one server")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    labelled = [json.loads(line)["question"] for line in QUESTIONS.read_text("utf-8").splitlines()]
    questions = [labelled[i % len(labelled)] for i in range(args.requests)]
    with tempfile.TemporaryDirectory(prefix="seedqa-serve-load-") as scratch:
        settings = prepare(Path(scratch), args.model)
        process, url = start(settings)
        try:
            mode = httpx.get(f"{url}/healthz").json()["index"]["mode"]
            rows = []
            for number in range(1, args.rounds + 1):
                load_average = os.getloadavg()[0]
                times, answered, wall = asyncio.run(load(url, questions, args.timeout))
                rows.append(
                    {
                        "round": number,
                        "mode": mode,
                        "requests": len(questions),
                        "answered": answered,
                        "median_s": round(statistics.median(times), 3),
                        "p95_s": round(percentile(times, 0.95), 3),
                        "slowest_s": round(max(times), 3),
                        "wall_s": round(wall, 3),
                        "peak_rss_mib": round(peak_memory_mib(process.pid), 1),
                        "load": round(load_average, 2),
                    }
                )
        finally:
            process.send_signal(signal.SIGTERM)
            status = process.wait(timeout=60)
    print("| round | mode | answered | median | p95 | slowest | wall | server peak memory | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['round']} | {row['mode']} | {row['answered']}/{row['requests']} | "
            f"{row['median_s']:.3f} s | {row['p95_s']:.3f} s | {row['slowest_s']:.3f} s | "
            f"{row['wall_s']:.2f} s | {row['peak_rss_mib']:.0f} MiB | {row['load']:.2f} |"
        )
    print(json.dumps({"rows": rows, "server_exit_status": status}))


if __name__ == "__main__":
    main()
