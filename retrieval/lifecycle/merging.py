"""Merging segments, so that a folder updated a thousand times is still a few segments.

The policy is logarithmic, as Lucene's was for years: a segment's *level* is the number of digits
of its live paragraphs in base ``MERGE_FACTOR``. When the newest ``MERGE_FACTOR`` segments are of
one level, they are merged into one (of the next level, usually), and so on up. Each paragraph is
thus copied about once a level — log base 8 of the corpus — and a version holds at most
``MERGE_FACTOR - 1`` segments a level. A segment whose deleted rows reach ``EXPUNGE_SHARE`` is
rewritten alone without them: its vectors get a new graph and its postings lose the dead
documents, which every search of it reads and drops until then.

A merge is a version of its own, written after the update's and switched to the same way: a
crash in it leaves the update's version in use, and the next build merges again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..index.arrays import ranges
from ..index.dense import EXACT_UP_TO, DenseIndex
from ..index.manifest import Segment
from ..index.segments import Part, gather_postings
from ..index.store import (
    KEEP_VERSIONS,
    KeptSegment,
    NewSegment,
    StoredIndex,
    new_version_name,
    segments_of,
    write_version,
)

__all__ = ["EXPUNGE_SHARE", "MERGE_FACTOR", "merge_segments", "planned"]

MERGE_FACTOR = 8
"""Segments of one level merged together."""
EXPUNGE_SHARE = 0.25
"""Share of deleted rows at which a segment is rewritten without them: measured by
``bench.expunge`` (at 100,000 paragraphs, a quarter deleted searches in 1.2 times the time of the
segment without them; past half, the dense leg's searches fetch again and take twice as long)."""


def _level(live: int) -> int:
    level = 0
    while live >= MERGE_FACTOR:
        live //= MERGE_FACTOR
        level += 1
    return level


def planned(segments: Sequence[Segment]) -> range | None:
    """The segments (positions) the next merge joins, or None when none is due."""
    for at, segment in enumerate(segments):
        if segment.paragraphs and segment.deleted >= EXPUNGE_SHARE * segment.paragraphs:
            return range(at, at + 1)
    if len(segments) < MERGE_FACTOR:
        return None
    levels = [_level(s.live) for s in segments]
    first = len(levels) - 1
    while first > 0 and levels[first - 1] == levels[-1]:
        first -= 1
    if len(levels) - first >= MERGE_FACTOR:
        return range(first, len(levels))
    return None


def merge_segments(index: StoredIndex, joined: range, exact_up_to: int = EXACT_UP_TO) -> None:
    """Write a version of ``index`` with the segments ``joined`` merged into one, and use it."""
    manifest = index.manifest
    segments = segments_of(manifest)
    sums = (manifest.checksums, manifest.blocks)
    parts = [index.parts[at] for at in joined]
    merged = _merged(index, parts, exact_up_to)
    written: list[NewSegment | KeptSegment] = []
    for at, (part, segment) in enumerate(zip(index.parts, segments, strict=True)):
        if at == joined.start:
            written.append(merged)
        if at not in joined:
            written.append(KeptSegment(part, segment, sums))
    # One more version kept: a bot may still answer from the one before the update, a moment ago.
    root = index.folder.parent
    write_version(root, replace(manifest, version=new_version_name()), written, KEEP_VERSIONS + 1)


def _merged(index: StoredIndex, parts: Sequence[Part], exact_up_to: int) -> NewSegment:
    """One segment of the live rows of ``parts`` (consecutive), in their order."""
    live = index.paragraphs.live
    first, stop = parts[0].base, parts[-1].base + len(parts[-1])
    rows = np.arange(first, stop, dtype=np.int64)
    if live is not None:
        rows = rows[live[first:stop]]
    paragraphs = [index.paragraphs[row] for row in rows.tolist()]
    postings = gather_postings(index.parts, rows)
    keys = index.paragraph_keys[rows]
    dense = dense_keys = spans = None
    if index.dense is not None and index.dense_keys is not None:
        owners = np.asarray(index.dense.owners)
        starts = np.searchsorted(owners, rows, "left")
        counts = np.searchsorted(owners, rows, "right") - starts
        windows = ranges(starts.astype(np.int64), counts.astype(np.int64))
        vectors = np.asarray(index.dense.vectors[windows], np.float32)
        new_owners = np.repeat(np.arange(len(rows), dtype=np.int32), counts)
        dense = DenseIndex.build(vectors, new_owners, exact_up_to)
        dense_keys = index.dense_keys[windows]
        spans = index.dense_spans[windows] if index.dense_spans is not None else None
    return NewSegment(paragraphs, postings, dense, dense_keys, spans, keys)
