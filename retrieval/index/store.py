"""The index on disk: versioned folders, a manifest, and an atomic switch between versions.

Layout of an index folder::

    index/
      CURRENT              name of the version in use (replaced atomically)
      v20261126T101500.123456-3fa2c1/
        manifest.json      how it was built: model, versions, per-file hashes, checksums
        paragraphs.jsonl   one paragraph per line, with its sources
        paragraphs.offsets.npy, paragraphs.ids.npy
        lexical.*.npy      the lexical leg: postings (document, count) by term
        dense.*.npy        the dense leg (window vectors), if a model was used
      cache/               vectors earlier versions dropped, by model (see retrieval.lifecycle.cache)

A build writes a new version beside the one in use and then replaces ``CURRENT``; a crash at any
moment leaves the previous version in use, and a half-written one is never named by ``CURRENT``.
Every file's size and CRC-32 are in the manifest and checked on load.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .dense import DenseIndex
from ..errors import (
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
)
from .lexical import LexicalIndex, Postings
from ..ingest.paragraphs import Paragraph, Source

__all__ = [
    "FORMAT",
    "FileEntry",
    "Manifest",
    "ParagraphTable",
    "StoredIndex",
    "build_lock",
    "build_running",
    "current_version",
    "read_index",
    "read_manifest",
    "write_index",
]

FORMAT = 2
"""Version of the on-disk layout; an index of another format must be rebuilt."""
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
KEEP_VERSIONS = 2
"""Versions kept on disk: the one in use and the one before (a running bot may still read it)."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A seed file as indexed: its content hash, size, paragraph count and how it was read."""

    sha256: str
    size: int
    paragraphs: int
    encoding: str = ""


@dataclass(frozen=True, slots=True)
class Manifest:
    """How an index version was built."""

    version: str
    built_at: float
    seeds: str
    model: str | None
    """The embedding model asked for (None: lexical only by choice)."""
    dense: bool
    """Whether window vectors were built (False when the model was unavailable)."""
    dimension: int | None
    max_tokens: int | None
    analyzer: str
    chunking: str
    parser: str
    paragraphs: int
    windows: int
    files: dict[str, FileEntry]
    skipped: list[dict[str, str]] = field(default_factory=list)
    calibration: dict[str, Any] | None = None
    checksums: dict[str, list[int]] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> str:
        """The manifest as pretty JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """The manifest parsed from JSON; raises KeyError or TypeError when it is damaged."""
        files = {path: FileEntry(**entry) for path, entry in data["files"].items()}
        return cls(**{**data, "files": files})


class ParagraphTable:
    """The paragraphs of an index version, read from disk one at a time on demand."""

    def __init__(self, folder: Path) -> None:
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
        raw = bytes(self._data[self._offsets[row] : self._offsets[row + 1]])
        return _paragraph_from_json(json.loads(raw))

    def row_of(self, paragraph_id: str) -> int | None:
        """The row of the paragraph with this id, if the index holds it."""
        rows = np.flatnonzero(self.ids == paragraph_id.encode("ascii", "replace"))
        return int(rows[0]) if len(rows) else None


@dataclass(frozen=True, slots=True)
class StoredIndex:
    """Everything an index version holds, as loaded from disk."""

    folder: Path
    manifest: Manifest
    paragraphs: ParagraphTable
    postings: Postings
    lexical: LexicalIndex
    dense: DenseIndex | None
    dense_keys: npt.NDArray[np.uint64] | None
    """Hash of each embedded window text, to reuse vectors in the next build."""
    paragraph_keys: npt.NDArray[np.uint64]
    """Hash of each paragraph's matching text, to reuse its terms in the next build."""


def _paragraph_to_json(paragraph: Paragraph) -> dict[str, Any]:
    return {
        "id": paragraph.id,
        "text": paragraph.text,
        "kind": paragraph.kind,
        "dateline": paragraph.dateline,
        "sources": [
            {
                "path": s.path,
                "line": s.line,
                "ordinal": s.ordinal,
                "title": s.title,
                "kicker": s.kicker,
                "subtitle": s.subtitle,
                "sections": list(s.sections),
                "lines": [list(pair) for pair in s.lines],
                "page": s.page,
                "bylines": list(s.bylines),
            }
            for s in paragraph.sources
        ],
    }


def _paragraph_from_json(data: dict[str, Any]) -> Paragraph:
    sources = tuple(
        Source(
            path=s["path"],
            line=s["line"],
            ordinal=s["ordinal"],
            title=s["title"],
            kicker=s["kicker"],
            subtitle=s["subtitle"],
            sections=tuple(s["sections"]),
            lines=tuple((a, b) for a, b in s["lines"]),
            page=s["page"],
            bylines=tuple(s.get("bylines", ())),
        )
        for s in data["sources"]
    )
    return Paragraph(data["id"], data["text"], sources, data["kind"], data["dateline"])


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold the index folder's build lock; raises IndexLockedError if another build holds it."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise IndexWriteError(
            f"Cannot write the index in {root}: {error.strerror or error}."
        ) from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"Another seedqa is building the index in {root} right now. "
                "Wait for it to finish, then run the command again."
            ) from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


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


def write_index(
    root: Path,
    manifest: Manifest,
    paragraphs: Sequence[Paragraph],
    postings: Postings,
    dense: DenseIndex | None,
    dense_keys: npt.NDArray[np.uint64] | None,
    paragraph_keys: npt.NDArray[np.uint64],
) -> Path:
    """Write a new version into ``root`` and make it current; returns its folder."""
    staging = root / f".{manifest.version}.partial"
    try:
        staging.mkdir(parents=True)
        _write_paragraphs(staging, paragraphs)
        np.save(staging / "paragraphs.keys.npy", paragraph_keys)
        postings.save(staging)
        if dense is not None and dense_keys is not None:
            dense.save(staging)
            np.save(staging / "dense.keys.npy", dense_keys)
        checksums = {}
        for path in sorted(staging.iterdir()):
            checksums[path.name] = [path.stat().st_size, _crc32(path)]
            _fsync(path)
        manifest = Manifest(**{**asdict(manifest), "files": manifest.files, "checksums": checksums})
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        _fsync(staging / MANIFEST)
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
    prune(root)
    return final


def _write_paragraphs(folder: Path, paragraphs: Iterable[Paragraph]) -> None:
    offsets = [0]
    ids = []
    with (folder / "paragraphs.jsonl").open("wb") as handle:
        for paragraph in paragraphs:
            line = json.dumps(_paragraph_to_json(paragraph), ensure_ascii=False).encode() + b"\n"
            handle.write(line)
            offsets.append(offsets[-1] + len(line))
            ids.append(paragraph.id.encode("ascii"))
    np.save(folder / "paragraphs.offsets.npy", np.asarray(offsets, dtype=np.int64))
    np.save(folder / "paragraphs.ids.npy", np.asarray(ids, dtype="S16"))


def prune(root: Path) -> None:
    """Delete unfinished builds and all but the newest versions (the current one is kept)."""
    current = current_version(root)
    for leftover in root.glob(".*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)
    versions = sorted(p for p in root.glob("v*") if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
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
    manifest = _read_manifest(root / version)
    if check:
        verify(root / version, manifest)
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
    if data.get("format") != FORMAT:
        raise IndexMismatchError(
            f"The index in {folder.parent} was written by another version of seedqa "
            f"(format {data.get('format')}, this one reads {FORMAT}). Run: seedqa index --full"
        )
    try:
        return Manifest.from_dict(data)
    except (KeyError, TypeError, ValueError) as error:
        raise IndexCorruptError(_damaged(folder, "its manifest cannot be read")) from error


def _damaged(folder: Path, what: str) -> str:
    return f"The index in {folder.parent} is damaged ({what}). Run: seedqa index --full"


def verify(folder: Path, manifest: Manifest) -> None:
    """Check that every file the manifest lists is there, whole and unchanged."""
    for name, (size, crc) in manifest.checksums.items():
        path = folder / name
        try:
            actual = path.stat().st_size
        except FileNotFoundError:
            raise IndexCorruptError(_damaged(folder, f"{name} is missing")) from None
        if actual != size:
            raise IndexCorruptError(_damaged(folder, f"{name} has {actual} bytes, not {size}"))
        if _crc32(path) != crc:
            raise IndexCorruptError(_damaged(folder, f"{name} does not match its checksum"))


def read_index(root: Path) -> StoredIndex:
    """Load the version in use, checking every file against the manifest."""
    version = current_version(root)
    if version is None:
        raise IndexNotFoundError(f"No index in {root}. Run: seedqa index")
    folder = root / version
    if not folder.is_dir():
        raise IndexCorruptError(_damaged(folder, f"version {version} is missing"))
    manifest = _read_manifest(folder)
    verify(folder, manifest)
    try:
        paragraphs = ParagraphTable(folder)
        postings = Postings.load(folder)
        lexical = LexicalIndex(postings)
        dense = DenseIndex.load(folder) if manifest.dense else None
        keys = np.load(folder / "dense.keys.npy") if manifest.dense else None
        paragraph_keys = np.load(folder / "paragraphs.keys.npy")
    except (OSError, ValueError) as error:
        raise IndexCorruptError(_damaged(folder, str(error))) from error
    if len(paragraphs) != manifest.paragraphs or len(postings) != manifest.paragraphs:
        raise IndexCorruptError(_damaged(folder, "its files disagree on the number of paragraphs"))
    return StoredIndex(folder, manifest, paragraphs, postings, lexical, dense, keys, paragraph_keys)
