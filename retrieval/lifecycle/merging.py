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

``seedqa index`` merges in the background: once the update's version is in use it starts this
module as a process of its own (:func:`merge_in_background`) and returns. That process takes the
build lock, merges while the policy asks, and gives way to any build that comes meanwhile (the
build stops it: see :data:`~retrieval.index.store.MERGER`). What it did or why it failed is in
``.merge.log`` in the index folder.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import IndexLockedError
from ..index.arrays import ranges
from ..index.dense import EXACT_UP_TO, DenseIndex
from ..index.manifest import Segment
from ..index.segments import Part, gather_postings
from ..index.store import (
    KEEP_VERSIONS,
    MERGER,
    MERGER_MODULE,
    KeptSegment,
    NewSegment,
    StoredIndex,
    build_lock,
    new_version_name,
    open_index,
    read_manifest,
    segments_of,
    write_version,
)

__all__ = [
    "EXPUNGE_SHARE",
    "MERGE_FACTOR",
    "merge_in_background",
    "merge_segments",
    "merge_while_planned",
    "planned",
]

logger = logging.getLogger(__name__)

MERGE_FACTOR = 8
"""Segments of one level merged together."""
EXPUNGE_SHARE = 0.25
"""Share of deleted rows at which a segment is rewritten without them: measured by
``bench.expunge`` (at 100,000 paragraphs, a quarter deleted searches in 1.2 times the time of the
segment without them; past half, the dense leg's searches fetch again and take twice as long)."""


_RUN = f"import sys; from {MERGER_MODULE} import main; sys.exit(main(sys.argv[1:]))"
"""The background merge's program (``-m`` would import this module twice: the package does)."""
LOG = ".merge.log"
"""The last background merge's log, in the index folder."""
LOG_UP_TO = 1 << 20
"""Bytes of log kept: past them the next merge starts it again."""
LOCK_WAIT = 60.0
"""Seconds a background merge waits for the build that started it to let go of the lock."""


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
    levels = [_level(s.live) for s in segments]
    stop = len(levels)
    while stop >= MERGE_FACTOR:  # runs of one level, newest first
        first = stop - 1
        while first > 0 and levels[first - 1] == levels[stop - 1]:
            first -= 1
        if stop - first >= MERGE_FACTOR:
            # Usually the newest run; an older one when a merge was stopped before a build
            # added a segment of another level.
            return range(first, stop)
        stop = first
    return None


def merge_while_planned(
    root: Path,
    exact_up_to: int = EXACT_UP_TO,
    say: Callable[[str], None] = logger.info,
    held: Callable[[], bool] = lambda: True,
) -> list[str]:
    """Merge the segments of the index in ``root`` while the policy asks; what was done, one
    line a merge. Raises IndexLockedError once the caller's build lock is no longer the folder's
    (``held``, see :func:`~retrieval.index.store.build_lock`)."""
    done: list[str] = []
    while True:
        manifest = read_manifest(root)
        joined = planned(manifest.segments)
        if joined is None:
            return done
        if len(joined) > 1:
            what = f"{len(joined)} of {len(manifest.segments)} segments into one"
            doing, did = f"merging {what}", f"merged {what}"
        else:
            what = "1 segment without its deleted rows"
            doing, did = f"rewriting {what}", f"rewrote {what}"
        say(doing)  # before: a big merge takes minutes
        merge_segments(open_index(root, manifest), joined, exact_up_to, held)
        done.append(did)


def merge_in_background(root: Path, exact_up_to: int = EXACT_UP_TO) -> None:
    """Start a process that merges the index in ``root`` (see the module's doc), and return."""
    package = Path(__file__).resolve().parents[2]  # where ``retrieval`` is, for the new process
    path = os.pathsep.join(filter(None, [str(package), os.environ.get("PYTHONPATH")]))
    log_file = root / LOG
    kept = log_file.exists() and log_file.stat().st_size < LOG_UP_TO
    with open(log_file, "ab" if kept else "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _RUN, str(root.resolve()), str(exact_up_to)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": path},
            start_new_session=True,  # not stopped with the terminal's process group
        )
    # A long-running caller (a bot rebuilding) reaps it; a command exits before it anyway.
    threading.Thread(target=process.wait, daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    """The background merge's process: ``main([ROOT, EXACT_UP_TO])``."""
    root_arg, exact = argv if argv is not None else sys.argv[1:]
    root = Path(root_arg)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    marker, me = root / MERGER, f"{os.getpid()}\n"
    try:
        with build_lock(root, wait=LOCK_WAIT, give_way=True) as held:
            written = marker.with_name(f"{MERGER}.{os.getpid()}")
            written.write_text(me, encoding="utf-8")
            written.replace(marker)  # whole or not there, for a build reading it
            done = merge_while_planned(root, int(exact), held=held)
        logger.info("Done: %s", "; ".join(done) or "nothing to merge")
    except IndexLockedError as error:  # a build holds the index: it merges when it is done
        logger.info("Not merging: %s", error)
    finally:
        with suppress(OSError):  # a build may have cleared it
            if marker.read_text(encoding="utf-8") == me:
                marker.unlink()
    return 0


def merge_segments(
    index: StoredIndex,
    joined: range,
    exact_up_to: int = EXACT_UP_TO,
    held: Callable[[], bool] = lambda: True,
) -> None:
    """Write a version of ``index`` with the segments ``joined`` merged into one, and use it,
    while ``held`` (see :func:`merge_while_planned`): checked before the segments are read and
    again before the version is switched to (a folder deleted meanwhile fails the reads)."""
    if not held():
        raise IndexLockedError(f"The index folder {index.folder.parent} was made again meanwhile.")
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
    version = replace(manifest, version=new_version_name())
    write_version(root, version, written, KEEP_VERSIONS + 1, held)


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
