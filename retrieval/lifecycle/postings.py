"""Turning paragraphs into postings: jieba segmentation, in worker processes for large batches.

Segmenting Chinese is the slow part of a build (about 0.2 M characters a second for jieba on one
core), and it parallelises perfectly: each worker inverts a chunk of paragraphs on its own, and
the chunks' postings are concatenated. Small batches are done in this process, where a worker's
start-up (importing jieba and loading its dictionary) would cost more than it saves.

Memory stays flat however many paragraphs there are: chunks are handed to the workers a few at a
time, their texts made only then, and with a scratch folder (``spill``) each batch of chunks'
postings goes to disk as it is done; the batches are then merged into files there, mapped.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from ..index.lexical import Postings
from ..text.terms import terms

__all__ = ["PARALLEL_FROM", "postings_of"]

CHUNK = 2000
"""Paragraphs a worker inverts at a time."""
PARALLEL_FROM = 20_000
"""Paragraphs from which worker processes pay for their start-up."""
MERGE_EVERY = 32
"""Chunks concatenated together into a batch: kept small, vocabularies are merged cheaply."""
AHEAD = 2
"""Chunks a worker is given ahead of the one it inverts."""


def _invert(texts: Sequence[str]) -> Postings:
    return Postings.from_terms(terms(text) for text in texts)


def postings_of(
    texts: Sequence[str],
    advance: Callable[[int], None],
    workers: int | None = None,
    chunk: int = CHUNK,
    parallel_from: int = PARALLEL_FROM,
    spill: Path | None = None,
    batch: int = MERGE_EVERY,
) -> Postings:
    """The postings of ``texts`` (document i is ``texts[i]``); ``advance`` hears each chunk.

    ``workers`` processes (default: one a CPU) invert ``chunk`` texts at a time when there are
    at least ``parallel_from`` texts; ``texts`` is sliced a chunk at a time, so it may make its
    texts only when asked. With ``spill`` (an existing folder to scratch in) and more than
    ``batch`` chunks, every ``batch`` chunks' postings are written there, and the result is
    merged from them into files there and mapped: the caller keeps the folder while it uses them.
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    starts = range(0, max(len(texts), 1), chunk)
    if spill is not None and len(starts) <= batch:
        spill = None  # one batch: nothing to merge
    if workers < 2 or len(texts) < parallel_from:
        return _gather((_invert(texts[s : s + chunk]) for s in starts), advance, spill, batch)
    # "spawn": a forked child of a process running torch's thread pools may hang.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        chunks = (texts[s : s + chunk] for s in starts)
        return _gather(_in_order(pool, chunks, workers * AHEAD), advance, spill, batch)


def _in_order(
    pool: ProcessPoolExecutor, chunks: Iterable[Sequence[str]], ahead: int
) -> Iterator[Postings]:
    """Each chunk inverted by ``pool``, in order, with at most ``ahead`` chunks handed out."""
    pending: deque[Future[Postings]] = deque()
    for texts in chunks:
        pending.append(pool.submit(_invert, texts))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _gather(
    parts: Iterable[Postings], advance: Callable[[int], None], spill: Path | None, batch: int
) -> Postings:
    batches: list[Postings | Path] = []
    group: list[Postings] = []

    def close() -> None:
        joined = Postings.concat(group)
        group.clear()
        if spill is None:
            batches.append(joined)
            return
        folder = spill / f"batch-{len(batches)}"
        folder.mkdir()
        joined.save(folder)
        batches.append(folder)

    for part in parts:
        group.append(part)
        advance(len(part))
        if len(group) == batch:
            close()
    if group:
        close()
    if len(batches) == 1 and isinstance(batches[0], Postings):
        return batches[0]
    return Postings.concat(batches, into=spill / "all" if spill is not None else None)
