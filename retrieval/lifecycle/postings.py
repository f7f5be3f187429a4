"""Turning paragraphs into postings: jieba segmentation, in worker processes for large batches.

Segmenting Chinese is the slow part of a build (about 0.2 M characters a second for jieba on one
core), and it parallelises perfectly: each worker inverts a chunk of paragraphs on its own, and
the chunks' postings are concatenated. Small batches are done in this process, where a worker's
start-up (importing jieba and loading its dictionary) would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

from ..index.lexical import Postings
from ..text.terms import terms

__all__ = ["PARALLEL_FROM", "postings_of"]

CHUNK = 2000
"""Paragraphs a worker inverts at a time."""
PARALLEL_FROM = 20_000
"""Paragraphs from which worker processes pay for their start-up."""
MERGE_EVERY = 32
"""Chunks concatenated together before the final concatenation, to keep vocabularies small."""


def _invert(texts: Sequence[str]) -> Postings:
    return Postings.from_terms(terms(text) for text in texts)


def postings_of(
    texts: Sequence[str],
    advance: Callable[[int], None],
    workers: int | None = None,
    chunk: int = CHUNK,
    parallel_from: int = PARALLEL_FROM,
) -> Postings:
    """The postings of ``texts`` (document i is ``texts[i]``); ``advance`` hears each chunk.

    ``workers`` processes (default: one a CPU) invert ``chunk`` texts at a time when there are
    at least ``parallel_from`` texts.
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)] or [texts]
    if workers < 2 or len(texts) < parallel_from:
        return _gather(map(_invert, chunks), chunks, advance)
    # "spawn": a forked child of a process running torch's thread pools may hang.
    context = multiprocessing.get_context("spawn")
    pool: Executor
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return _gather(pool.map(_invert, chunks), chunks, advance)


def _gather(
    parts: Iterator[Postings], chunks: Sequence[Sequence[str]], advance: Callable[[int], None]
) -> Postings:
    batches: list[Postings] = []
    batch: list[Postings] = []
    for part, chunk in zip(parts, chunks, strict=True):
        batch.append(part)
        advance(len(chunk))
        if len(batch) == MERGE_EVERY:
            batches.append(Postings.concat(batch))
            batch = []
    if batch:
        batches.append(Postings.concat(batch))
    return batches[0] if len(batches) == 1 else Postings.concat(batches)
