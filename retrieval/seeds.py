"""Finding and reading seed files: every ``*.txt`` and ``*.md`` under the seeds folder.

A file that cannot be read or decoded is reported with the reason and skipped; the others are
indexed. Hidden files and folders (``.git``, ``.DS_Store``) are not seeds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import SeedsNotFoundError
from .paragraphs import Document, parse

__all__ = [
    "SEED_SUFFIXES",
    "SeedFile",
    "Skipped",
    "decode",
    "file_hashes",
    "find_seeds",
    "read_seed",
]

SEED_SUFFIXES = frozenset({".txt", ".md", ".markdown"})


@dataclass(frozen=True, slots=True)
class SeedFile:
    """A seed file on disk: its path relative to the seeds folder and its content hash."""

    path: str
    absolute: Path
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Skipped:
    """A seed file that was not indexed, and why."""

    path: str
    reason: str
    sha256: str = ""
    """Content hash, when the file could be read: a fixed file is noticed by its new hash."""


def find_seeds(folder: Path) -> Iterator[Path]:
    """Seed files under ``folder``, recursively, in a stable (sorted) order."""
    if not folder.is_dir():
        raise SeedsNotFoundError(f"Seeds folder {folder} does not exist. Pass --seeds DIR.")
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in SEED_SUFFIXES and path.is_file():
            yield path


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every seed file under ``folder`` by relative path ('' if it cannot be read)."""
    hashes = {}
    for path in find_seeds(folder):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = ""
        hashes[path.relative_to(folder).as_posix()] = digest
    return hashes


def decode(data: bytes) -> str:
    """Text of a UTF-8 file, with or without a byte-order mark; raises ValueError otherwise."""
    if b"\x00" in data[:4096]:
        raise ValueError("binary file (it holds NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 text (byte {error.start})") from None


def read_seed(folder: Path, path: Path) -> tuple[SeedFile, Document]:
    """Read, decode and parse one seed file; raises ValueError or OSError with the reason."""
    data = path.read_bytes()
    relative = path.relative_to(folder).as_posix()
    seed = SeedFile(relative, path, hashlib.sha256(data).hexdigest(), len(data))
    return seed, parse(decode(data), relative)
