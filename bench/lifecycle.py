"""What a rebuild costs: full against incremental on 10,000 paragraphs; a re-run with no change.

One command prints the table:

    .venv/bin/python -m bench.lifecycle

Rounds alternate, side by side: a full rebuild of a 10,000-paragraph corpus into a fresh index
folder, then an incremental rebuild of that folder after adding one new 30-paragraph file (new
text each round, so nothing comes from the vector cache). The medians and their ratio are printed,
then the time of ``up_to_date`` and of a whole ``seedqa index`` process on the unchanged sample
seeds. ``--big`` adds a 50 MB seed file indexed in a separate process (lexical), with its peak RSS.

The encoder is a stand-in with a fixed cost per token (``--ms-per-1k-tokens``, measured from a real
model with ``--calibrate MODEL``): it returns deterministic vectors and sleeps as long as the model
would compute, so "full" is the model's real cost rather than noise, and everything else a build
does (reading, parsing, jieba, BM25, windows, calibration, writing) runs for real. ``--model``
uses a real sentence-transformers model instead.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from retrieval import Encoder, build_index, up_to_date
from tests.corpus import big_file as write_big_file  # (the slow test's 50 MB file)

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = ROOT / "seeds"
T = TypeVar("T")
DEFAULT_MS_PER_1K_TOKENS = 170.0
"""all-MiniLM-L6-v2 measured on this machine (`--calibrate`); multilingual-e5-small costs about
twice as much (12 layers of the same width, not 6), so this understates a full rebuild."""


class PacedEncoder:
    """A stand-in model: deterministic unit vectors, and a real model's time per token (slept)."""

    def __init__(self, ms_per_1k_tokens: float, dimension: int = 384, max_tokens: int = 510):
        self.name = "paced-stand-in"
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.seconds_per_token = ms_per_1k_tokens / 1e6
        self.tokens = 0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [sum(1 for ch in text if not ch.isspace()) for text in texts]  # Chinese: ~1 a char

    def _encode(self, texts: Sequence[str], prefix: str) -> npt.NDArray[np.float32]:
        tokens = sum(self.count_tokens(texts)) + 4 * len(texts)  # prompt and special tokens
        self.tokens += tokens
        time.sleep(tokens * self.seconds_per_token)
        vectors = np.stack(
            [
                np.random.default_rng(zlib.crc32((prefix + t).encode())).standard_normal(
                    self.dimension
                )
                for t in texts
            ]
        ).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts, "query: ")

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts, "passage: ")


def corpus(folder: Path, paragraphs: int, per_file: int = 30, tag: str = "c") -> None:
    """``paragraphs`` distinct paragraphs (sentences of the sample page, shuffled) in files."""
    text = (SAMPLE / "000_ebe6c6a426d89a77.txt").read_text(encoding="utf-8")
    pool = [s for s in re.findall(r"[^。！？\n]+[。！？]", text) if len(s) > 8]
    rng = random.Random(zlib.crc32(tag.encode()))
    folder.mkdir(parents=True, exist_ok=True)
    for file in range(0, paragraphs, per_file):
        body = "\n\n".join(
            f"{tag}{n}号。" + "".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
            for n in range(file, min(file + per_file, paragraphs))
        )
        (folder / f"{tag}-{file // per_file:05d}.md").write_text(
            f"# 报道 {tag}-{file // per_file}\n\n{body}\n", encoding="utf-8"
        )


def timed(run: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Seconds ``run(*args, **kwargs)`` took, and what it returned."""
    started = time.perf_counter()
    result = run(*args, **kwargs)
    return time.perf_counter() - started, result


def rebuilds(encoder: Encoder, paragraphs: int, rounds: int, scratch: Path) -> None:
    seeds = scratch / "seeds"
    corpus(seeds, paragraphs)
    full_times, incremental_times, embedded = [], [], []
    for round_ in range(rounds):
        root = scratch / f"index-{round_}"
        seconds, report = timed(build_index, seeds, root, encoder, encoder.name, full=True)
        full_times.append(seconds)
        corpus(seeds, 30, tag=f"new{round_}-")
        seconds, added = timed(build_index, seeds, root, encoder, encoder.name)
        incremental_times.append(seconds)
        embedded.append((report.paragraphs, added.paragraphs_embedded, added.windows_embedded))
        for path in seeds.glob(f"new{round_}-*.md"):
            path.unlink()
        shutil.rmtree(root)
        print(
            f"  round {round_ + 1}: full {full_times[-1]:.2f} s ({report.paragraphs} paragraphs, "
            f"{report.windows} windows), incremental {incremental_times[-1]:.2f} s "
            f"({added.paragraphs_embedded} paragraphs, {added.windows_embedded} windows embedded)",
            file=sys.stderr,
        )
    full, incremental = statistics.median(full_times), statistics.median(incremental_times)
    windows = sorted(w for _, _, w in embedded)
    print(f"| rebuild of {embedded[0][0]:,} paragraphs | median s | runs | embedded |")
    print("|---|---:|---:|---|")
    print(f"| full (`--full`) | {full:.2f} | {rounds} | all |")
    print(
        f"| incremental, one 30-paragraph file added | {incremental:.2f} | {rounds} "
        f"| {embedded[0][1]} paragraphs, {windows[0]} to {windows[-1]} windows |"
    )
    print(f"| ratio incremental / full | {incremental / full:.1%} | | target ≤ 5 % |")


def unchanged(scratch: Path, rounds: int) -> None:
    root = scratch / "sample-index"
    build_index(SAMPLE, root, None, None)
    checks = [timed(lambda: up_to_date(SAMPLE, root, None))[0] for _ in range(rounds)]
    command = [sys.executable, "-m", "bot", "index", "--model", "none", "--index", str(root)]
    runs = []
    for _ in range(rounds):
        seconds, done = timed(
            lambda: subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        )
        assert "up to date" in done.stdout, done.stdout
        runs.append(seconds)
    print()
    print("| nothing changed, sample seeds | median s | runs |")
    print("|---|---:|---:|")
    print(
        f"| `up_to_date` (hash seeds, verify index files) | {statistics.median(checks):.3f} "
        f"| {rounds} |"
    )
    print(
        f"| whole `seedqa index` process (Python start-up included) "
        f"| {statistics.median(runs):.2f} | {rounds} |"
    )


def big_file(scratch: Path, megabytes: int) -> None:
    seeds = scratch / "big"
    n = write_big_file(seeds / "big.txt", megabytes)
    size = (seeds / "big.txt").stat().st_size
    command = [
        sys.executable,
        "-m",
        "bot",
        "index",
        "--model",
        "none",
        "-q",
        "--seeds",
        str(seeds),
        "--index",
        str(scratch / "big-index"),
    ]
    seconds, done = timed(lambda: subprocess.run(command, cwd=ROOT, capture_output=True, text=True))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print()
    print("| one big seed file, lexical | size | paragraphs | seconds | peak RSS |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| `seedqa index --model none` | {size / 1e6:.0f} MB | {n:,} | {seconds:.0f} "
        f"| {peak:.0f} MB |"
    )
    if done.returncode:
        print(done.stderr, file=sys.stderr)


def calibrate_model(name: str) -> None:
    """Measure a real model's milliseconds per 1,000 tokens on windows of the sample page."""
    from embeddings import load_encoder

    model = load_encoder(name)
    texts = [
        p for p in (SAMPLE / "000_ebe6c6a426d89a77.txt").read_text().split("\n\n") if p.strip()
    ]
    texts = [t[: (model.max_tokens or 510)] for t in texts] * 4
    model.encode_passages(texts[:8])
    seconds, _ = timed(lambda: model.encode_passages(texts))
    tokens = sum(model.count_tokens(texts))
    print(
        f"{name}: {1000 * seconds / tokens * 1000:.1f} ms per 1,000 tokens "
        f"({len(texts)} texts, {tokens} tokens, {seconds:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--paragraphs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ms-per-1k-tokens", type=float, default=DEFAULT_MS_PER_1K_TOKENS)
    parser.add_argument(
        "--model", help="a real sentence-transformers model instead of the stand-in"
    )
    parser.add_argument("--big", type=int, metavar="MB", help="also index one file of MB megabytes")
    parser.add_argument("--calibrate", metavar="MODEL", help="only measure MODEL's cost per token")
    args = parser.parse_args()
    if args.calibrate:
        calibrate_model(args.calibrate)
        return
    if args.model:
        from embeddings import load_encoder

        encoder: Encoder = load_encoder(args.model)
    else:
        encoder = PacedEncoder(args.ms_per_1k_tokens)
    scratch = Path(tempfile.mkdtemp(prefix="seedqa-lifecycle-"))
    try:
        cost = "" if args.model else f" ({args.ms_per_1k_tokens:g} ms per 1,000 tokens)"
        print(f"encoder: {encoder.name}{cost}; load average at start {os.getloadavg()[0]:.2f}")
        print()
        rebuilds(encoder, args.paragraphs, args.rounds, scratch)
        unchanged(scratch, args.rounds)
        if args.big:
            big_file(scratch, args.big)
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
