"""Synthetic corpora of any size, recombined from the sentences of CMRC 2018's paragraphs.

Each synthetic paragraph is four to fourteen sentences of the 848 CMRC paragraphs, so the jieba
vocabulary, the sentence lengths and the share of names and numbers stay those of real Chinese
encyclopaedia text, while every paragraph is new. Like a real paragraph it keeps to one subject:
a sentence drawn at random, then others drawn from the sentences nearest to it (twice as many as
needed: at most 28) by the vectors of the model the benchmark embeds with (see
``sentencemean``; all-MiniLM-L6-v2 is English-only, so for Chinese "near" mostly means "sharing
characters and names"). Sentences drawn from anywhere would make paragraphs about everything at
once: their vectors all crowd around the mean of the corpus, unlike any real text's, and no
approximate index can tell them apart (docs/benchmarks.md shows it). Paragraphs are written as
seed files of ``PER_FILE`` paragraphs under a ``#`` title drawn from the CMRC titles.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench import cmrc

PER_FILE = 1000
NEAR = 40
"""Neighbours kept for each sentence: more than a paragraph ever draws from."""
_SENTENCE = re.compile(r"[^。！？]+[。！？]")


def sentences(benchmark: cmrc.Benchmark) -> list[str]:
    """Every sentence of every CMRC paragraph (eight characters or more)."""
    pool = []
    for paragraph in benchmark.paragraphs:
        pool += [s.strip() for s in _SENTENCE.findall(paragraph["text"]) if len(s.strip()) >= 8]
    return pool


def paragraphs(
    pool: list[str], neighbours: npt.NDArray[np.int64], count: int, seed: int
) -> Iterator[str]:
    """``count`` paragraphs of 4 to 14 sentences: one at random and some of its neighbours.

    ``neighbours[i]`` lists the sentences of ``pool`` nearest to ``pool[i]``, nearest first.
    """
    rng = random.Random(seed)
    for _ in range(count):
        first = rng.randrange(len(pool))
        size = rng.randint(4, 14)
        others = rng.sample(neighbours[first][: 2 * size].tolist(), size - 1)
        yield "".join(pool[i] for i in (first, *others))


def nearest(vectors: npt.NDArray[np.float32], near: int = NEAR) -> npt.NDArray[np.int64]:
    """For each unit vector, the rows of the ``near`` others most similar to it, nearest first."""
    out = np.empty((len(vectors), near), np.int64)
    for start in range(0, len(vectors), 1024):
        similar = vectors[start : start + 1024] @ vectors.T
        similar[np.arange(len(similar)), np.arange(start, start + len(similar))] = -np.inf
        top = np.argpartition(-similar, near, axis=1)[:, :near]
        order = np.argsort(-np.take_along_axis(similar, top, axis=1), axis=1)
        out[start : start + len(similar)] = np.take_along_axis(top, order, axis=1)
    return out


def write_corpus(
    folder: Path,
    count: int,
    pool: list[str],
    neighbours: npt.NDArray[np.int64],
    seed: int = 0,
    tag: str = "s",
) -> Path:
    """Write ``count`` paragraphs as seed files under ``folder`` (skipped if already there).

    ``pool`` is :func:`sentences`, ``neighbours`` is :func:`nearest` of their vectors.
    """
    done = folder / f".complete-near{NEAR}-{count}-{seed}"
    if done.exists():
        return folder
    benchmark = cmrc.load()
    titles = [p["title"] for p in benchmark.paragraphs]
    rng = random.Random(seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
    batch: list[str] = []
    number = 0
    for text in paragraphs(pool, neighbours, count, seed):
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
