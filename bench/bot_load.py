"""Load on the Telegram bot: many chats asking at once, against the fake Bot API on 127.0.0.1.

Runs the real ``seedqa bot`` as a subprocess (the tiny test model, a hybrid index of the sample
page) against the fake server of the tests, pushes N questions from N different chats in one
go, and measures for each the time from the update being queued to the reply reaching the
server. Checks that every question is answered exactly once. Reports the median, the 95th
percentile and the wall time, and the bot's peak resident memory (VmHWM).

Each configuration runs side by side in one invocation: with Telegram's flood limit (30 messages
a second across all chats, what a real bot gets) and without it (what the bot itself costs).
All traffic stays on 127.0.0.1.

    .venv/bin/python -m bench.bot_load [--chats 200] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.runtime import build
from bot.settings import Settings
from tests.telegram.fakebotapi import FakeBotAPI
from tests.tinymodel import build_tiny_model

ROOT = Path(__file__).resolve().parent.parent

SEED = ROOT / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"


def prepare(scratch: Path) -> Settings:
    """A seeds folder, the tiny model, and a hybrid index built with it."""
    seeds = scratch / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    model = build_tiny_model(scratch, SEED.read_text(encoding="utf-8"), max_seq_length=64)
    settings = Settings(seeds, scratch / "index", str(model))
    build(settings, print, lambda message: None)
    return settings


def peak_memory_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(settings: Settings, chats: int, max_rate: str, timeout: float) -> dict[str, object]:
    questions = [json.loads(line)["question"] for line in QUESTIONS.open(encoding="utf-8")]
    fake = FakeBotAPI()
    await fake.start()
    environ = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "SEEDQA_SEEDS": str(settings.seeds),
        "SEEDQA_INDEX": str(settings.index),
        "SEEDQA_MODEL": str(settings.model),
        "SEEDQA_MAX_RATE": max_rate,
        "SEEDQA_DATA": str(settings.index.parent / f"data-{max_rate}"),
        "HF_HUB_OFFLINE": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "bot", "-q", env=environ, cwd=settings.index.parent
    )
    try:
        await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=120)
        load = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures
        asked: list[tuple[dict[str, object], float]] = []
        for n in range(chats):
            message = fake.message(questions[n % len(questions)], user_id=10_000 + n)
            asked.append((message, time.monotonic()))
        started = time.monotonic()
        await fake.wait_for(lambda: all(fake.replies_to(m) for m, _ in asked), timeout=timeout)
        wall = time.monotonic() - started
        await asyncio.sleep(1.0)  # anything sent twice would show up by now
        memory = peak_memory_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        await fake.stop()
    replies = [(fake.replies_to(m), t) for m, t in asked]
    latencies = sorted(sent[0].at - t for sent, t in replies if sent)
    return {
        "max_rate": max_rate,
        "chats": chats,
        "answered": sum(1 for sent, _ in replies if sent),
        "answered_twice": sum(1 for sent, _ in replies if len(sent) > 1),
        "median_s": round(statistics.median(latencies), 3),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "max_s": round(latencies[-1], 3),
        "wall_s": round(wall, 3),
        "peak_rss_mib": round(memory, 1),
        "load_1m_before": load,
        "exit_code": code,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        settings = prepare(Path(scratch))
        for max_rate in ("30", "0"):
            result = asyncio.run(run(settings, options.chats, max_rate, options.timeout))
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
