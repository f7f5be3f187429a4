"""An update: what changed in the seeds becomes a new segment; the rest of the index is kept.

When the index in use was built as this build would build it, an update reads only the seed files
added or changed (every file is hashed to know which), and writes a version of:

- the version before's segments, hard-linked, with the rows of paragraphs that stood in an edited
  or removed file marked deleted;
- one new segment of the paragraphs of the files read, and of the paragraphs that must move to
  have their sources changed: one that also stood in a removed or edited file and still stands in
  another, or one that a new file repeats (a paragraph is stored once, with all its sources).

The new segment's paragraphs are in the order a build of the whole would give them, each with its
sources in seed-file order, so that an updated index answers as one built whole does. Their terms
and vectors are reused where the version before holds the same text (deleted rows included).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..index.manifest import Manifest
from ..index.segments import Part, path_hashes
from ..index.store import KeptSegment, StoredIndex, segments_of
from ..ingest.paragraphs import Document, Paragraph, Source
from ..ingest.seeds import SeedFile, file_hash, read_seed
from ..progress import Meter
from .changes import SeedChanges, compare

__all__ = [
    "Read",
    "counts_by_file",
    "doomed_rows",
    "kept_segments",
    "live_windows",
    "read_changed",
    "regrouped",
    "survivors",
]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Read:
    """The seed files of an update: every one's entry, and the documents of those read."""

    entries: list[SeedFile]
    documents: list[Document]
    changes: SeedChanges

    @property
    def gone(self) -> set[str]:
        """The files whose paragraphs in the version before are no longer theirs."""
        return {*self.changes.changed, *self.changes.removed}


def read_changed(
    seeds: Path, paths: Sequence[Path], known: Mapping[str, SeedFile], meter: Meter
) -> Read:
    """Hash every known seed file, and read (decode, parse) the added and changed ones: a new
    file is read once, an edited one twice (hashed, then read)."""
    entries: list[SeedFile] = []
    documents: list[Document] = []
    meter.start("reading", len(paths))
    for path in paths:
        name = path.relative_to(seeds).as_posix()
        before = known.get(name)
        if before is not None and file_hash(path) == before.sha256:
            entries.append(_touched(before, path))
        else:
            entry, document = read_seed(seeds, path)
            entries.append(entry)
            if document is not None:
                documents.append(document)
        meter.advance(1)
    meter.stop()
    changes = compare({e.path: e.sha256 for e in entries}, known)
    return Read(entries, documents, changes)


def _touched(entry: SeedFile, path: Path) -> SeedFile:
    """An unchanged file's entry with its size and time now (a touch is no change)."""
    try:
        stat = os.stat(path)
    except OSError:
        return entry
    return replace(entry, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def doomed_rows(previous: StoredIndex, gone: set[str], fresh: Sequence[Paragraph]) -> I64:
    """The live rows (across segments) to delete: those standing in a file ``gone``, and those
    whose text a fresh paragraph repeats (it moves, to be stored once with both sources)."""
    doomed = [np.zeros(0, np.int64)]
    if gone:
        wanted = path_hashes(sorted(gone))
        for part in previous.parts:
            indptr, paths = part.sources()
            rows = np.repeat(np.arange(len(part), dtype=np.int64), np.diff(indptr))
            doomed.append(np.unique(rows[np.isin(paths, wanted)]) + part.base)
    if fresh:
        ids = np.asarray([p.id.encode("ascii") for p in fresh], dtype="S16")
        doomed.append(np.flatnonzero(np.isin(previous.paragraphs.ids, ids)))
    rows = np.unique(np.concatenate(doomed))
    live = previous.paragraphs.live
    return rows if live is None else rows[live[rows]]


def regrouped(
    survivors: Sequence[Paragraph], fresh: Sequence[Paragraph], order: Mapping[str, int]
) -> list[Paragraph]:
    """Paragraphs to store anew, each text once with every source, as a whole build orders them:
    by their first place in the seed files (``order``: each file's position), sources likewise."""
    placed: list[tuple[tuple[int, int, int], Paragraph, Source]] = []
    for paragraph in [*survivors, *fresh]:
        for source in paragraph.sources:
            placed.append(((order[source.path], source.line, source.ordinal), paragraph, source))
    placed.sort(key=lambda item: item[0])
    merged: dict[str, Paragraph] = {}
    for _, paragraph, source in placed:
        seen = merged.get(paragraph.text)
        if seen is None:
            merged[paragraph.text] = replace(paragraph, sources=(source,))
        else:
            merged[paragraph.text] = replace(seen, sources=(*seen.sources, source))
    return list(merged.values())


def survivors(previous: StoredIndex, doomed: I64, gone: set[str]) -> list[Paragraph]:
    """The paragraphs of the ``doomed`` rows that still stand somewhere: without ``gone``'s
    sources."""
    kept = []
    for row in doomed.tolist():
        paragraph = previous.paragraphs[row]
        sources = tuple(s for s in paragraph.sources if s.path not in gone)
        if sources:
            kept.append(replace(paragraph, sources=sources))
    return kept


def kept_segments(previous: StoredIndex, doomed: I64) -> list[KeptSegment]:
    """The version before's segments with ``doomed`` deleted; a segment left empty is dropped."""
    manifest = previous.manifest
    sums = (manifest.checksums, manifest.blocks)
    kept = []
    for part, segment in zip(previous.parts, segments_of(manifest), strict=True):
        mine = doomed[(doomed >= part.base) & (doomed < part.base + len(part))] - part.base
        if len(np.union1d(part.deleted, mine)) < len(part):
            kept.append(KeptSegment(part.deleting(mine), segment, sums))
    return kept


def live_windows(part: Part) -> int:
    """The windows of a segment's paragraphs not deleted."""
    if part.dense is None:
        return 0
    return len(part.dense) - int(np.count_nonzero(np.isin(part.dense.owners, part.deleted)))


def counts_by_file(
    manifest: Manifest, paragraphs: Sequence[Paragraph], read: set[str]
) -> dict[str, int]:
    """Paragraphs each seed file holds: a file read counts them in the new segment, where they
    all are; every other keeps its count."""
    counts = {path: entry.paragraphs for path, entry in manifest.files.items() if path not in read}
    for paragraph in paragraphs:
        for source in paragraph.sources:
            if source.path in read:
                counts[source.path] = counts.get(source.path, 0) + 1
    return counts
