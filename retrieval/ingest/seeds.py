"""Finding and reading seed files: text, Markdown, Word, PDF, HTML, CSV and JSON under the seeds
folder.

Every file under the folder is found, links to folders followed (a link back to a folder above
it, which would loop, is not). A file that is not read — a format seedqa does not read, a hidden
file, one that cannot be decoded or parsed — is reported with the reason and skipped; the others
are indexed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import SeedsNotFoundError
from .decoding import decode
from .formats import FORMATS, layout, relocate
from .markdown import parse_markdown, reads_as_markdown
from .paragraphs import Document, parse
from .records import RECORDS, records_layout

__all__ = [
    "SEED_SUFFIXES",
    "TEXT_SUFFIXES",
    "SeedFile",
    "check_seeds_folder",
    "file_hash",
    "file_hashes",
    "find_seeds",
    "not_read",
    "read_seed",
]

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
SEED_SUFFIXES = TEXT_SUFFIXES | frozenset(FORMATS) | frozenset(RECORDS)

_SAVE_AS = {
    ".doc": "save it as .docx",
    ".rtf": "save it as .docx",
    ".odt": "save it as .docx",
    ".wps": "save it as .docx",
    ".pages": "export it as .docx",
    ".xls": "save it as .csv",
    ".xlsx": "save it as .csv",
    ".ods": "save it as .csv",
    ".numbers": "export it as .csv",
    ".ppt": "save it as .pdf",
    ".pptx": "save it as .pdf",
    ".odp": "save it as .pdf",
    ".key": "export it as .pdf",
    ".epub": "convert it to .html or .txt",
    ".xml": "convert it to .html or .txt",
}
_IMAGES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic"})


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


def check_seeds_folder(folder: Path) -> None:
    """Raise :class:`SeedsNotFoundError` saying what is wrong unless ``folder`` is a folder."""
    if folder.is_dir():
        return
    if folder.exists():
        parent = str(folder.parent)
        raise SeedsNotFoundError(
            f"{folder} is a file, not a folder: pass the folder of seed documents (--seeds "
            f"{parent if parent != '.' else 'DIR'})."
        )
    raise SeedsNotFoundError(
        f"Seeds folder {folder} does not exist: pass the folder of your documents with "
        "--seeds DIR (or set SEEDQA_SEEDS)."
    )


def find_seeds(folder: Path) -> Iterator[Path]:
    """Every file under ``folder``, recursively, in a stable order: real files first (sorted),
    then those reached through a link, so that a paragraph found in both is cited at the real file.

    Links to folders are followed; a link back to a folder above it (a loop) and a folder that
    cannot be listed are yielded themselves, and so is a hidden folder (``.git``), without what is
    in it: :func:`not_read` says why each is not read. Whatever is not a folder is yielded — a
    broken link or a pipe too — so that it is reported instead of silently left out.
    """
    check_seeds_folder(folder)
    real: list[Path] = []
    linked: list[Path] = []
    for path, through_link in _walk(folder, folder, frozenset({_key(folder)}), False):
        (linked if through_link else real).append(path)
    yield from sorted(real)
    yield from sorted(linked)


def _key(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


def _walk(
    root: Path, folder: Path, above: frozenset[tuple[int, int]], through_link: bool
) -> Iterator[tuple[Path, bool]]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        if folder != root:
            yield folder, through_link  # reported: the folder cannot be listed
            return
        raise
    for entry in entries:
        linked = through_link or entry.is_symlink()
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if not is_folder or entry.name.startswith("."):
            yield entry, linked
            continue
        try:
            key = _key(entry)
        except OSError:
            yield entry, linked
            continue
        if key in above or _is_index(entry):
            yield entry, linked  # a loop, or an index kept among the seeds: reported, not read
            continue
        yield from _walk(root, entry, above | {key}, linked)


def _is_index(folder: Path) -> bool:
    """Whether a folder is a seedqa index (``--index`` inside the seeds folder): not seeds."""
    if not (folder / ".lock").is_file():
        return False
    # CURRENT names the version in use; before the first build ends there is only the lock.
    return (folder / "CURRENT").is_file() or all(p.name.startswith(".") for p in folder.iterdir())


def not_read(path: Path) -> str | None:
    """Why a file found under the seeds folder is not read, from its name and kind (None: it is)."""
    if path.is_dir():
        if path.name.startswith("."):
            return "a hidden folder (its name starts with a dot): not read"
        if _is_index(path):
            return "a seedqa index folder: not read as seeds"
        if path.is_symlink():
            return (
                f"a link to a folder above it ({os.readlink(path)}), which would loop: not followed"
            )
        return "a folder that cannot be listed (permission denied?)"
    name = PurePosixPath(path.name)
    if path.name.startswith("."):
        return "a hidden file (its name starts with a dot): rename it to have it read"
    suffix = name.suffix.lower()
    if suffix in SEED_SUFFIXES:
        return None
    if not suffix:
        return "no file extension: rename it to say its format (.txt if it is plain text)"
    if suffix in _IMAGES:
        return f"an image ({suffix}): seedqa reads text; save the text of it (OCR) as .txt"
    readable = ", ".join(sorted(SEED_SUFFIXES))
    advice = _SAVE_AS.get(suffix, f"seedqa reads {readable}")
    return f"not a supported format: {suffix} — {advice}"


def file_hash(path: Path) -> str:
    """SHA-256 of a seed file's content, read in blocks; '' when it cannot be or is not read."""
    try:
        if not stat.S_ISREG(path.stat().st_mode) or not_read(path) is not None:
            return ""
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` by relative path ('' if it is not read)."""
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

    A file that is not read (:func:`not_read`), or cannot be read, decoded or parsed, comes back
    with its ``reason`` and no document (and its hash, when its bytes could be read); so does one
    with no text in it.
    """
    relative = path.relative_to(folder).as_posix()
    reason = None if path.is_symlink() and not path.exists() else not_read(path)
    if reason is not None:
        return SeedFile(relative, reason=reason), None
    try:
        data, mtime = _read_bytes(path)
    except (OSError, ValueError) as error:
        return SeedFile(relative, reason=_reason(error)), None
    seed = SeedFile(relative, hashlib.sha256(data).hexdigest(), len(data), mtime)
    suffix = path.suffix.lower()
    kind = FORMATS.get(suffix)
    try:
        if suffix in RECORDS:
            read = records_layout(data, RECORDS[suffix])
            encoding = read.encoding
            document = relocate(parse(read.text, relative, joins=read.joins), read.lines)
        elif kind is None:
            decoded = decode(data)
            del data  # a 50 MB file: keep its text, not its bytes too, while it is parsed
            encoding = decoded.encoding
            if reads_as_markdown(decoded.text, suffix):
                document = parse_markdown(decoded.text, relative)
            else:
                document = parse(decoded.text, relative)
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
