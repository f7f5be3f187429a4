"""Synthetic corpora of any size, recombined from the sentences of CMRC 2018's paragraphs.

Each synthetic paragraph is four to fourteen sentences drawn at random (seeded) from the 848 CMRC
paragraphs, so the jieba vocabulary, the sentence lengths and the share of names and numbers stay
those of real Chinese encyclopaedia text, while every paragraph is new. Paragraphs are written as
seed files of ``PER_FILE`` paragraphs under a ``#`` title drawn from the CMRC titles.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import cmrc

PER_FILE = 1000
_SENTENCE = re.compile(r"[^。！？]+[。！？]")


def sentences(benchmark: cmrc.Benchmark) -> list[str]:
    """Every sentence of every CMRC paragraph (eight characters or more)."""
    pool = []
    for paragraph in benchmark.paragraphs:
        pool += [s.strip() for s in _SENTENCE.findall(paragraph["text"]) if len(s.strip()) >= 8]
    return pool


def paragraphs(pool: list[str], count: int, seed: int) -> Iterator[str]:
    """``count`` paragraphs of 4 to 14 random sentences each (about 400 characters, as CMRC's)."""
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(pool) for _ in range(rng.randint(4, 14)))


def write_corpus(folder: Path, count: int, seed: int = 0, tag: str = "s") -> Path:
    """Write ``count`` paragraphs as seed files under ``folder`` (skipped if already there)."""
    done = folder / f".complete-{count}-{seed}"
    if done.exists():
        return folder
    benchmark = cmrc.load()
    pool = sentences(benchmark)
    titles = [p["title"] for p in benchmark.paragraphs]
    rng = random.Random(seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
    batch: list[str] = []
    number = 0
    for text in paragraphs(pool, count, seed):
        batch.append(text)
        if len(batch) == PER_FILE:
            _write(folder / f"{tag}{number:05d}.md", rng.choice(titles), batch)
            batch, number = [], number + 1
    if batch:
        _write(folder / f"{tag}{number:05d}.md", rng.choice(titles), batch)
    done.touch()
    return folder


def _write(path: Path, title: str, batch: list[str]) -> None:
    path.write_text(f"# {title}\n\n" + "\n\n".join(batch) + "\n", encoding="utf-8")
