"""Finding and reading seed files: text, Markdown, Word, PDF and HTML under the seeds folder.

A file that cannot be read, decoded or parsed is reported with the reason and skipped; the others
are indexed. Hidden files and folders (``.git``, ``.DS_Store``) are not seeds.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .decoding import decode
from ..errors import SeedsNotFoundError
from .formats import FORMATS, layout, relocate
from .markdown import parse_markdown, reads_as_markdown
from .paragraphs import Document, parse

__all__ = [
    "SEED_SUFFIXES",
    "TEXT_SUFFIXES",
    "SeedFile",
    "Skipped",
    "file_hash",
    "file_hashes",
    "find_seeds",
    "read_seed",
]

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
SEED_SUFFIXES = TEXT_SUFFIXES | frozenset(FORMATS)


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed file on disk: its path relative to the seeds folder and its content hash."""

    path: str
    absolute: Path
    sha256: str
    size: int
    encoding: str = ""
    """How it was read: a text encoding (``utf-8``, ``gb18030``…), or ``docx`` or ``pdf``."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A seed file that was not indexed, and why."""

    path: str
    reason: str
    sha256: str = ""
    """Content hash, when the file could be read: a fixed file is noticed by its new hash."""


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


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file; raises OSError or ValueError with the reason."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise ValueError(f"broken link: {os.readlink(path)} does not exist") from None
        raise
    if not stat.S_ISREG(mode):
        raise ValueError("not a regular file")
    return path.read_bytes()


def read_seed(folder: Path, path: Path) -> tuple[SeedFile, Document]:
    """Read, decode and parse one seed file; raises ValueError or OSError with the reason."""
    data = _read_bytes(path)
    relative = path.relative_to(folder).as_posix()
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        decoded = decode(data)
        del data  # a 50 MB file: keep its text, not its bytes too, while it is parsed
        encoding = decoded.encoding
        if reads_as_markdown(decoded.text, path.suffix):
            document = parse_markdown(decoded.text, relative)
        else:
            document = parse(decoded.text, relative)
    else:
        read = layout(data, kind)
        encoding = read.encoding
        document = relocate(parse(read.text, relative, joins=read.joins), read.lines)
    return SeedFile(relative, path, digest, size, encoding), document
