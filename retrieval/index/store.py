"""The index on disk: versioned folders, a manifest, and an atomic switch between versions.

Layout of an index folder::

    index/
      CURRENT              name of the version in use (replaced atomically)
      v20261126T101500.123456-3fa2c1/
        manifest.json      how it was built (the build record: model, versions), every seed file
                           (hash, size, time; skipped ones with the reason), calibration, checksums
        paragraphs.jsonl   one paragraph per line, with its sources
        paragraphs.offsets.npy, paragraphs.ids.npy
        paragraphs.keys.npy  hash of each paragraph's matching text, to reuse its terms
        lexical.*.npy      the lexical leg: postings (document, count) by term
        dense.*.npy        the dense leg (window vectors, owners, text hashes, spans), if a
                           model was used; beyond the exact bound dense.graph.faiss instead
                           of dense.vectors.npy (the graph holds the vectors)
      cache/               vectors earlier versions dropped, by model (retrieval.lifecycle.cache)

A build writes a new version beside the one in use and then replaces ``CURRENT``; a crash at any
moment leaves the previous version in use, and a half-written one is never named by ``CURRENT``.
Every file's size and CRC-32 (and of each block of a big one) are in the manifest, itself under a
checksum of its own. A load checks the sizes and the small files, and the big files block by block
as they are used (see :mod:`retrieval.index.integrity`); ``check`` checks every file whole.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
)
from ..ingest.paragraphs import Paragraph
from .dense import GRAPH_FILE, DenseIndex
from .integrity import EAGER_UP_TO, Checks, Verifier, checksums
from .integrity import damaged as _damaged
from .lexical import LexicalIndex, Postings
from .manifest import Manifest, Segment, unsealed
from .segments import (
    DELETED_DF_FILE,
    DELETED_FILE,
    DELETED_TERMS_FILE,
    DELETION_FILES,
    SOURCES_FILES,
    Paragraphs,
    Part,
    SegmentedDense,
    SegmentedLexical,
    gather_postings,
    path_hashes,
    postings_check,
)

__all__ = [
    "FORMAT",
    "MERGER",
    "KeptSegment",
    "NewSegment",
    "ParagraphTable",
    "StoredIndex",
    "build_lock",
    "build_running",
    "current_version",
    "merger",
    "open_index",
    "read_index",
    "read_manifest",
    "scratch",
    "segments_of",
    "verify",
    "write_index",
    "write_version",
]

logger = logging.getLogger(__name__)

FORMAT = 5
"""Version of the on-disk layout; an index of a format not in ``READS`` must be rebuilt."""
READS = (2, 3, 4, 5)
"""Formats this seedqa loads: 2 also stored a graph's vectors as an array (3 keeps one copy); 4
adds where each window lies in its paragraph (``dense.spans.npy``); 5 is made of segments
(:mod:`retrieval.index.segments`)."""
SPANS_FILE = "dense.spans.npy"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KEEP_VERSIONS = 2
"""Versions kept on disk: the one in use and the one before (a running bot may still read it)."""


class ParagraphTable:
    """The paragraphs of an index version, read from disk one at a time on demand."""

    def __init__(self, folder: Path, verifier: Checks | None = None) -> None:
        self._verifier = verifier
        self._data = (
            np.memmap(folder / "paragraphs.jsonl", dtype=np.uint8, mode="r")
            if ((folder / "paragraphs.jsonl").stat().st_size)
            else np.zeros(0, np.uint8)
        )
        self._offsets: npt.NDArray[np.int64] = np.load(folder / "paragraphs.offsets.npy")
        self.ids: npt.NDArray[np.bytes_] = np.load(folder / "paragraphs.ids.npy")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, row: int) -> Paragraph:
        if not 0 <= row < len(self):
            raise IndexError(row)
        start, stop = int(self._offsets[row]), int(self._offsets[row + 1])
        if self._verifier is not None:
            self._verifier.require("paragraphs.jsonl", start, stop)
        raw = bytes(self._data[start:stop])
        return Paragraph.from_json(json.loads(raw))

    def row_of(self, paragraph_id: str) -> int | None:
        """The row of the paragraph with this id, if the index holds it."""
        rows = np.flatnonzero(self.ids == paragraph_id.encode("ascii", "replace"))
        return int(rows[0]) if len(rows) else None


@dataclass(frozen=True, slots=True)
class StoredIndex:
    """Everything an index version holds, as loaded from disk: its segments, and the search
    structures over all of them (rows numbered across the segments)."""

    folder: Path
    manifest: Manifest
    parts: tuple[Part, ...]
    paragraphs: Paragraphs
    lexical: LexicalIndex | SegmentedLexical
    dense: DenseIndex | SegmentedDense | None
    dense_keys: npt.NDArray[np.uint64] | None
    """Hash of each embedded window text, to reuse vectors in the next build."""
    dense_spans: npt.NDArray[np.int32] | None
    """Where each window lies in its paragraph's text (start, end): the sentences a question's
    vector points to. None in a version written before they were stored."""
    paragraph_keys: npt.NDArray[np.uint64]
    """Hash of each paragraph's matching text, to reuse its terms in the next build."""
    verifier: Verifier | None = None
    """What checks the version's files as they are used (None: all were checked at load)."""

    @property
    def postings(self) -> Postings:
        """The live paragraphs' postings as one index, documents numbered in row order (a copy
        when there are several segments or deletions: for tests and benchmarks)."""
        if len(self.parts) == 1 and not len(self.parts[0].deleted):
            return self.parts[0].postings
        live = self.paragraphs.live
        rows = np.arange(len(self.paragraphs)) if live is None else np.flatnonzero(live)
        return gather_postings(self.parts, rows.astype(np.int64))


@dataclass(frozen=True, slots=True)
class NewSegment:
    """A segment to write: paragraphs with their postings and (hybrid) window vectors."""

    paragraphs: Sequence[Paragraph]
    postings: Postings
    dense: DenseIndex | None
    dense_keys: npt.NDArray[np.uint64] | None
    dense_spans: npt.NDArray[np.int32] | None
    paragraph_keys: npt.NDArray[np.uint64]
    name: str = ""
    """Empty: a fresh name."""


@dataclass(frozen=True, slots=True)
class KeptSegment:
    """A segment of the version before, kept (hard-linked), with the rows ``part`` marks deleted
    (see :meth:`Part.deleting`)."""

    part: Part
    segment: Segment
    sums: tuple[dict[str, list[int]], dict[str, list[int]]]
    """The version before's checksums and block checksums (its files' are taken as they are)."""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


MERGER = ".merging"
"""The process id of a background merge (``retrieval.lifecycle.merging``), written while it holds
the build lock: a build that finds the lock taken stops that process and goes on. A merge is a
version of its own, so stopping one loses only the merge, which a later build starts again."""
MERGER_MODULE = "retrieval.lifecycle.merging"
"""What a background merge's command line runs (checked before the process is stopped)."""
STOPPED_WITHIN = 30.0
"""Seconds a build waits for the lock once it has stopped a background merge."""


@contextmanager
def build_lock(
    root: Path, wait: float = 0.0, give_way: bool = False
) -> Iterator[Callable[[], bool]]:
    """Hold the index folder's build lock; raises IndexLockedError if another build holds it
    after ``wait`` seconds. A background merge holding it is stopped (see :data:`MERGER`), unless
    ``give_way``: the caller is one. Yields what tells whether the lock is still the folder's (not
    if the folder was deleted and made again meanwhile)."""
    fd = _lock_file(root)
    try:
        while not _acquired(fd, root, wait, give_way):
            # The lock was the file of a folder since deleted: another may be built there now.
            os.close(fd)
            fd = _lock_file(root)
        if not give_way:  # no merge runs now: a marker left is a stopped one's
            (root / MERGER).unlink(missing_ok=True)
        yield partial(_still_held, fd, root)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _lock_file(root: Path) -> int:
    try:
        root.mkdir(parents=True, exist_ok=True)
        return os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise IndexWriteError(
            f"Cannot write the index in {root}: {error.strerror or error}."
        ) from error


def _acquired(fd: int, root: Path, wait: float, give_way: bool) -> bool:
    """Take the lock on ``fd`` (stopping background merges unless ``give_way``); False if ``fd``
    is no longer the folder's lock file once taken. Raises IndexLockedError if a build holds it."""
    if _locked(fd, wait):
        return _still_held(fd, root)
    busy = IndexLockedError(
        f"Another seedqa is building the index in {root} right now. "
        "Wait for it to finish, then run the command again."
    )
    if give_way or not _stop_merger(root):
        raise busy
    deadline = time.monotonic() + STOPPED_WITHIN
    while not _locked(fd, 0.2):
        if time.monotonic() >= deadline:
            raise busy
        _stop_merger(root)  # another merge may take the lock as the stopped one lets go
    return _still_held(fd, root)


def _still_held(fd: int, root: Path) -> bool:
    """Whether ``fd`` is still the lock file of ``root``."""
    try:
        return os.fstat(fd).st_ino == (root / ".lock").stat().st_ino
    except OSError:
        return False


def _locked(fd: int, wait: float) -> bool:
    """Take the lock on ``fd``, trying for ``wait`` seconds; whether it was taken."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


def _stop_merger(root: Path) -> bool:
    """Stop the background merge of ``root``, if one is running; whether one was."""
    pid = merger(root)
    if pid is None:
        return False
    with suppress(ProcessLookupError):  # just finished: the lock is free
        os.kill(pid, signal.SIGTERM)
    logger.info("Stopped the background merge (process %d) to build", pid)
    return True


def merger(root: Path) -> int | None:
    """The process id of the background merge of ``root`` running now, if one is."""
    try:
        pid = int((root / MERGER).read_text(encoding="utf-8"))
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):  # none, or no /proc to tell what the process is
        return None
    folder = str(root.resolve()).encode()  # as the merge was given it, however asked for here
    if MERGER_MODULE.encode() not in command or folder not in command.split(b"\0"):
        return None  # the id is another process's now
    return pid


def build_running(root: Path) -> bool:
    """Whether a build holds the index folder's build lock right now."""
    try:
        fd = os.open(root / ".lock", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def new_version_name() -> str:
    """A fresh version name that sorts after every earlier one (to the microsecond)."""
    seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
    stamp = time.strftime("v%Y%m%dT%H%M%S", time.gmtime(seconds))
    return f"{stamp}.{micros:06d}-{secrets.token_hex(3)}"


def new_segment_name() -> str:
    """A fresh segment name (sorting after every earlier one, like a version's)."""
    return "s" + new_version_name()[1:]


def write_index(
    root: Path,
    manifest: Manifest,
    paragraphs: Sequence[Paragraph],
    postings: Postings,
    dense: DenseIndex | None,
    dense_keys: npt.NDArray[np.uint64] | None,
    dense_spans: npt.NDArray[np.int32] | None,
    paragraph_keys: npt.NDArray[np.uint64],
) -> Path:
    """Write a new version of one segment into ``root`` and make it current; returns its folder."""
    segment = NewSegment(paragraphs, postings, dense, dense_keys, dense_spans, paragraph_keys)
    return write_version(root, manifest, [segment])


def write_version(
    root: Path,
    manifest: Manifest,
    segments: Sequence[NewSegment | KeptSegment],
    keep: int = KEEP_VERSIONS,
    held: Callable[[], bool] = lambda: True,
) -> Path:
    """Write a new version of ``segments`` (in this order) into ``root`` and make it current;
    ``keep`` versions are kept (see :func:`prune`). ``held`` says whether the caller's build lock
    is still the folder's (see :func:`build_lock`): if not, the version is not switched to.

    A kept segment's files are hard links to the version before's (copied only where the file
    system cannot link); its deletions, and every new segment, are written and checksummed.
    """
    staging = root / f".{manifest.version}.partial"
    try:
        staging.mkdir(parents=True)
        sizes: dict[str, list[int]] = {}
        blocks: dict[str, list[int]] = {}
        written: list[Segment] = []
        for segment in segments:
            if isinstance(segment, KeptSegment):
                written.append(_keep(staging, segment, sizes, blocks))
            else:
                written.append(_write_segment(staging, segment, sizes, blocks))
        manifest = replace(manifest, checksums=sizes, blocks=blocks, segments=tuple(written))
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        _fsync(staging / MANIFEST)
        if not held():
            shutil.rmtree(staging, ignore_errors=True)
            raise IndexLockedError(f"The index folder {root} was deleted and made again meanwhile.")
        final = root / manifest.version
        staging.rename(final)
        _fsync(root)
        pointer = root / f".{CURRENT}.tmp"
        pointer.write_text(manifest.version + "\n", encoding="utf-8")
        _fsync(pointer)
        os.replace(pointer, root / CURRENT)
        _fsync(root)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise IndexWriteError(
            f"Cannot write the index in {root}: {error.strerror or error}."
        ) from error
    prune(root, keep)
    return final


def _write_segment(
    staging: Path,
    segment: NewSegment,
    sizes: dict[str, list[int]],
    blocks: dict[str, list[int]],
) -> Segment:
    name = segment.name or new_segment_name()
    folder = staging / name
    folder.mkdir()
    _write_paragraphs(folder, segment.paragraphs)
    np.save(folder / "paragraphs.keys.npy", segment.paragraph_keys)
    segment.postings.save(folder)
    if segment.dense is not None and segment.dense_keys is not None:
        segment.dense.save(folder)
        np.save(folder / "dense.keys.npy", segment.dense_keys)
        if segment.dense_spans is not None:
            np.save(folder / SPANS_FILE, segment.dense_spans)
    _sum(folder, name, sizes, blocks)
    windows = len(segment.dense) if segment.dense is not None else 0
    return Segment(name, len(segment.paragraphs), windows)


def _keep(
    staging: Path,
    kept: KeptSegment,
    sizes: dict[str, list[int]],
    blocks: dict[str, list[int]],
) -> Segment:
    segment, part = kept.segment, kept.part
    folder = staging / segment.name
    folder.mkdir()
    before = Path(part.folder)
    for file in sorted(before.iterdir()):
        if file.name in DELETION_FILES:
            continue  # the version's own, written below
        try:
            os.link(file, folder / file.name)
        except OSError:  # a file system without hard links
            shutil.copyfile(file, folder / file.name)
    for file in sorted(folder.iterdir()):
        _fsync(file)
    if len(part.deleted):
        np.save(folder / DELETED_FILE, part.deleted)
        np.save(folder / DELETED_TERMS_FILE, part.deleted_terms)
        np.save(folder / DELETED_DF_FILE, part.deleted_df)
    _sum(folder, segment.name, sizes, blocks, linked=kept.sums)
    return replace(segment, deleted=len(part.deleted))


def _sum(
    folder: Path,
    name: str,
    sizes: dict[str, list[int]],
    blocks: dict[str, list[int]],
    linked: tuple[dict[str, list[int]], dict[str, list[int]]] | None = None,
) -> None:
    """The checksums of a segment's files (a linked file's are the version before's)."""
    for path in sorted(folder.iterdir()):
        key = f"{name}/{path.name}"
        if linked is not None and key in linked[0] and path.name not in DELETION_FILES:
            sizes[key] = linked[0][key]
            if key in linked[1]:
                blocks[key] = linked[1][key]
            continue
        size, crc, crcs = checksums(path)
        sizes[key] = [size, crc]
        if crcs:
            blocks[key] = crcs
        _fsync(path)


def _write_paragraphs(folder: Path, paragraphs: Iterable[Paragraph]) -> None:
    offsets = [0]
    ids = []
    indptr = [0]
    paths: list[str] = []
    with (folder / "paragraphs.jsonl").open("wb") as handle:
        for paragraph in paragraphs:
            line = json.dumps(paragraph.to_json(), ensure_ascii=False).encode() + b"\n"
            handle.write(line)
            offsets.append(offsets[-1] + len(line))
            ids.append(paragraph.id.encode("ascii"))
            paths.extend(source.path for source in paragraph.sources)
            indptr.append(len(paths))
    np.save(folder / "paragraphs.offsets.npy", np.asarray(offsets, dtype=np.int64))
    np.save(folder / "paragraphs.ids.npy", np.asarray(ids, dtype="S16"))
    np.save(folder / SOURCES_FILES[0], np.asarray(indptr, dtype=np.int64))
    np.save(folder / SOURCES_FILES[1], path_hashes(paths))


@contextmanager
def scratch(root: Path) -> Iterator[Path]:
    """A new folder in ``root`` for a build's temporary files: removed after, or by
    :func:`prune` once the build's version is written (a crash may leave it)."""
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".scratch-", suffix=".partial", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def prune(root: Path, keep: int = KEEP_VERSIONS) -> None:
    """Delete unfinished builds and all but the newest versions (the current one is kept)."""
    current = current_version(root)
    for leftover in root.glob(".*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)
    versions = sorted(p for p in root.glob("v*") if p.is_dir())
    for old in versions[:-keep]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


def current_version(root: Path) -> str | None:
    """The name of the version in use, or None if the folder holds no index."""
    try:
        return (root / CURRENT).read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise IndexCorruptError(f"Cannot read {root / CURRENT}: {error.strerror}.") from error


def read_manifest(root: Path, check: bool = False) -> Manifest:
    """The manifest of the version in use (with ``check``, after checking every file it lists)."""
    version = current_version(root)
    if version is None:
        raise IndexNotFoundError(f"No index in {root}. Run: seedqa index")
    folder = root / version
    if not folder.is_dir():
        raise IndexCorruptError(_damaged(folder, f"version {version} is missing"))
    manifest = _read_manifest(folder)
    if check:
        verify(folder, manifest)
    return manifest


def _read_manifest(folder: Path) -> Manifest:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(_damaged(folder, "its manifest is missing")) from None
    except (OSError, ValueError) as error:
        raise IndexCorruptError(_damaged(folder, "its manifest cannot be read")) from error
    if not isinstance(data, dict):
        raise IndexCorruptError(_damaged(folder, "its manifest cannot be read"))
    if data.get("format") not in READS:
        raise IndexMismatchError(
            f"The index in {folder.parent} was written by another version of seedqa "
            f"(format {data.get('format')}, this one reads {FORMAT}). Run: seedqa index --full"
        )
    try:
        manifest = Manifest.from_json(data)
    except (KeyError, TypeError, ValueError) as error:
        # A value error names what is wrong (a calibration of another method, say).
        detail = f": {error}" if type(error) is ValueError else ""
        raise IndexCorruptError(_damaged(folder, "its manifest cannot be read" + detail)) from error
    if unsealed(data):
        raise IndexCorruptError(_damaged(folder, "its manifest does not match its own checksum"))
    return manifest


def verify(folder: Path, manifest: Manifest) -> None:
    """Check that every file the manifest lists is there, whole and unchanged."""
    _verifier(folder, manifest).everything()


def _verifier(folder: Path, manifest: Manifest) -> Verifier:
    return Verifier(folder, manifest.checksums, manifest.blocks)


def read_index(
    root: Path, check: bool = False, background: bool = False, eager_up_to: int = EAGER_UP_TO
) -> StoredIndex:
    """Load the version in use: its sizes and small files checked now, its big files as they
    are used (see :mod:`retrieval.index.integrity`); every file whole first with ``check``.

    ``background`` also checks the big files' remaining blocks in a thread, so that a
    long-running process hears of damage it has not used yet.
    """
    manifest = read_manifest(root)
    folder = root / manifest.version
    verifier = _verifier(folder, manifest)
    if check:
        verifier.everything()
        return open_index(root, manifest)
    verifier.cheap(eager_up_to)
    index = open_index(root, manifest, verifier)
    if background:
        verifier.in_background(eager_up_to)
    return index


def segments_of(manifest: Manifest) -> tuple[Segment, ...]:
    """The segments of a version; one of format 4 or earlier is one, its folder itself."""
    return manifest.segments or (Segment("", manifest.paragraphs, manifest.windows),)


def open_index(root: Path, manifest: Manifest, verifier: Verifier | None = None) -> StoredIndex:
    """Load the version ``manifest`` describes, once its files are checked (by
    :func:`read_manifest`) or with the ``verifier`` that checks them as they are used."""
    folder = root / manifest.version
    parts: list[Part] = []
    checks: list[Checks | None] = []
    base = window_base = 0
    for segment in segments_of(manifest):
        check = verifier.within(segment.name) if verifier is not None else None
        part = _open_part(folder, segment, manifest.dense, check, base, window_base)
        parts.append(part)
        checks.append(check)
        base += len(part)
        window_base += len(part.dense) if part.dense is not None else 0
    paragraphs = Paragraphs(parts)
    if sum(s.live for s in segments_of(manifest)) != manifest.paragraphs:
        raise IndexCorruptError(
            _damaged(folder, "its segments disagree on the number of paragraphs")
        )
    only = parts[0] if len(parts) == 1 and not len(parts[0].deleted) else None
    lexical: LexicalIndex | SegmentedLexical
    dense: DenseIndex | SegmentedDense | None
    if only is not None:
        lexical = LexicalIndex(only.postings, check=postings_check(checks[0], only.postings))
        dense = only.dense
        keys, spans = only.dense_keys, only.dense_spans
    else:
        lexical = SegmentedLexical(parts, checks)
        dense = SegmentedDense(parts) if manifest.dense else None
        keys = _joined([p.dense_keys for p in parts]) if manifest.dense else None
        spans = _joined([p.dense_spans for p in parts]) if manifest.dense else None
    return StoredIndex(
        folder,
        manifest,
        tuple(parts),
        paragraphs,
        lexical,
        dense,
        keys,
        spans,
        _joined([p.paragraph_keys for p in parts]) if only is None else only.paragraph_keys,
        verifier,
    )


def _joined(arrays: Sequence[npt.NDArray[Any] | None]) -> Any:
    """The arrays one after another (None if any is missing)."""
    if any(a is None for a in arrays):
        return None
    return np.concatenate([a for a in arrays if a is not None])


def _open_part(
    version: Path,
    segment: Segment,
    hybrid: bool,
    check: Checks | None,
    base: int,
    window_base: int,
) -> Part:
    folder = version / segment.name if segment.name else version
    try:
        table = ParagraphTable(folder, check)
        postings = Postings.load(folder)
        dense = DenseIndex.load(folder) if hybrid else None
        if dense is not None and check is not None:
            if dense.exact:  # every vector went into the flat index just now
                check.require("dense.vectors.npy")
            else:  # the graph holds the vectors searched
                dense = dense.checked(partial(check.require, GRAPH_FILE))
        keys = np.load(folder / "dense.keys.npy") if hybrid else None
        spans = np.load(folder / SPANS_FILE) if (folder / SPANS_FILE).exists() else None
        paragraph_keys = np.load(folder / "paragraphs.keys.npy")
        none = np.zeros(0, np.int64)
        deleted = np.load(folder / DELETED_FILE) if segment.deleted else none.astype(np.int32)
        terms = np.load(folder / DELETED_TERMS_FILE) if segment.deleted else none
        df = np.load(folder / DELETED_DF_FILE) if segment.deleted else none
    except (OSError, ValueError) as error:
        raise IndexCorruptError(_damaged(version, str(error))) from error
    if not len(table) == len(postings) == len(paragraph_keys) == segment.paragraphs:
        raise IndexCorruptError(_damaged(version, "its files disagree on the number of paragraphs"))
    if len(deleted) != segment.deleted or (len(deleted) and deleted[-1] >= segment.paragraphs):
        raise IndexCorruptError(_damaged(version, "its deletions do not match its paragraphs"))
    if spans is not None and (dense is None or spans.shape != (len(dense), 2)):
        raise IndexCorruptError(_damaged(version, "its files disagree on the number of windows"))
    return Part(
        segment.name, folder, base, window_base, table, postings, dense, keys, spans,
        paragraph_keys, deleted, terms, df,
    )  # fmt: skip
