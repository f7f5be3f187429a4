"""Finding and reading seed files: text, Markdown, Word, PDF and HTML under the seeds folder.

A file that cannot be read, decoded or parsed is reported with the reason and skipped; the others
are indexed. Hidden files and folders (``.git``, ``.DS_Store``) are not seeds.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import SeedsNotFoundError
from .decoding import decode
from .formats import FORMATS, layout, relocate
from .paragraphs import Document, parse

__all__ = [
    "SEED_SUFFIXES",
    "TEXT_SUFFIXES",
    "SeedFile",
    "file_hash",
    "file_hashes",
    "find_seeds",
    "read_seed",
]

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
SEED_SUFFIXES = TEXT_SUFFIXES | frozenset(FORMATS)


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed file as a build found it: where, its content hash, size and time, what came of it.

    The one record of a seed file, indexed or skipped: the build makes it, the manifest stores it,
    and the seed changes since a build are found by comparing it with the file on disk.
    """

    path: str
    """Path relative to the seeds folder, with ``/`` separators."""
    sha256: str = ""
    """Content hash ('' if the file could not be read): a fixed file is noticed by its new hash."""
    size: int = 0
    mtime_ns: int = 0
    """Modification time when it was read: a cheap first look for a change (``stat_matches``)."""
    encoding: str = ""
    """How it was read: a text encoding (``utf-8``, ``gb18030``…), or ``docx`` or ``pdf``."""
    paragraphs: int = 0
    """Paragraphs it holds in the index (0 for a skipped file)."""
    reason: str = ""
    """Why it was not indexed ('' when it was)."""

    def to_json(self) -> dict[str, Any]:
        """The entry as stored in the manifest."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeedFile:
        """An entry read back from the manifest; raises TypeError or ValueError if it is damaged."""
        if not isinstance(data, dict):
            raise TypeError("a seed file entry is not an object")
        entry = cls(**data)
        if not isinstance(entry.path, str) or not isinstance(entry.sha256, str):
            raise ValueError("a seed file entry has no path or hash")
        return entry

    def stat_matches(self, path: Path) -> bool:
        """Whether the file at ``path`` still has this entry's size and modification time."""
        try:
            info = path.stat()
        except OSError:
            return not self.sha256  # it could not be read then, nor now
        return info.st_size == self.size and info.st_mtime_ns == self.mtime_ns


def find_seeds(folder: Path) -> Iterator[Path]:
    """Seed files under ``folder``, recursively, in a stable (sorted) order.

    Whatever has a seed file's name and is not a folder is listed — a broken link or a pipe too —
    so that it is reported instead of silently left out.
    """
    if not folder.is_dir():
        raise SeedsNotFoundError(f"Seeds folder {folder} does not exist. Pass --seeds DIR.")
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in SEED_SUFFIXES and not path.is_dir():
            yield path


def file_hash(path: Path) -> str:
    """SHA-256 of a regular file's content, read in blocks; '' when it cannot be read."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return ""
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every seed file under ``folder`` by relative path ('' if it cannot be read)."""
    return {path.relative_to(folder).as_posix(): file_hash(path) for path in find_seeds(folder)}


def _read_bytes(path: Path) -> tuple[bytes, int]:
    """The bytes of a regular file and its modification time; raises OSError or ValueError."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ValueError(f"broken link: {os.readlink(path)} does not exist") from None
        raise
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file")
    return path.read_bytes(), info.st_mtime_ns


def read_seed(folder: Path, path: Path) -> tuple[SeedFile, Document | None]:
    """Read, decode and parse one seed file, reading it once.

    A file that cannot be read, decoded or parsed comes back with its ``reason`` and no document
    (and its hash, when its bytes could be read); so does one with no text in it.
    """
    relative = path.relative_to(folder).as_posix()
    try:
        data, mtime = _read_bytes(path)
    except (OSError, ValueError) as error:
        return SeedFile(relative, reason=_reason(error)), None
    seed = SeedFile(relative, hashlib.sha256(data).hexdigest(), len(data), mtime)
    kind = FORMATS.get(path.suffix.lower())
    try:
        if kind is None:
            decoded = decode(data)
            del data  # a 50 MB file: keep its text, not its bytes too, while it is parsed
            encoding, document = decoded.encoding, parse(decoded.text, relative)
        else:
            read = layout(data, kind)
            encoding = read.encoding
            document = relocate(parse(read.text, relative, joins=read.joins), read.lines)
    except (OSError, ValueError) as error:
        return replace(seed, reason=_reason(error)), None
    if not document.paragraphs:
        return replace(seed, encoding=encoding, reason="no text in it"), None
    return replace(seed, encoding=encoding), document


def _reason(error: OSError | ValueError) -> str:
    return getattr(error, "strerror", None) or str(error)
