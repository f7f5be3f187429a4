"""Checking an index version's files against their checksums: whole on write and on demand, in
blocks as they are used at load.

A build records each file's size and CRC-32, and for a file of more than one block the CRC-32 of
every ``BLOCK`` bytes. Loading checks what is cheap: every size, and the whole of each small file
(the arrays read into memory anyway). The big memory-mapped files — paragraph text, postings,
vectors, the graph — are checked a block at a time as they are used: a reader asks for the bytes it
is about to use (:meth:`Verifier.require`) and gets an :class:`~retrieval.errors.IndexCorruptError`
instead of them when a block does not match, so a damaged byte never reaches an answer; what was
checked is remembered. A background thread may check the remaining blocks meanwhile, so that a
long-running process learns of damage it has not used yet. An index written before block
checksums were kept has its big files checked whole at load, as before.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import IndexCorruptError
from .arrays import ranges

logger = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]

__all__ = ["BLOCK", "EAGER_UP_TO", "LAZY", "Checks", "Verifier", "checksums", "damaged"]

BLOCK = 1 << 18
"""Bytes per block checksum: 256 KiB, about 0.2 ms of CRC-32, 27,000 checksums for 6.9 GB."""
EAGER_UP_TO = 1 << 22
"""Files up to this size are checked whole at load: 4 MiB, a few milliseconds."""
LAZY = frozenset(
    {
        "paragraphs.jsonl",
        "lexical.doc_ids.npy",
        "lexical.counts.npy",
        "dense.vectors.npy",
        "dense.graph.faiss",
    }
)
"""The files read in pieces while answering, so checked in blocks as they are used."""

crc32: Callable[[bytes, int], int] = zlib.crc32
"""The checksum function (a seam: tests count the bytes it is given)."""


def damaged(folder: Path, what: str) -> str:
    """The message for a damaged index version, with the command that fixes it."""
    return f"The index in {folder.parent} is damaged ({what}). Run: seedqa index --full"


def checksums(path: Path) -> tuple[int, int, list[int]]:
    """A file's size, CRC-32 and (beyond one block) the CRC-32 of each block, in one read."""
    whole, blocks, size = 0, [], 0
    with path.open("rb") as handle:
        while chunk := handle.read(BLOCK):
            size += len(chunk)
            whole = crc32(chunk, whole)
            blocks.append(crc32(chunk, 0))
    return size, whole, blocks if len(blocks) > 1 else []


class Verifier:
    """The checks of one index version's files; thread-safe, each block checked once."""

    def __init__(
        self,
        folder: Path,
        sizes: dict[str, list[int]],
        blocks: dict[str, list[int]],
    ) -> None:
        self.folder = folder
        self._sizes = sizes  # name -> [size, crc]
        self._blocks = {name: np.asarray(crcs, np.uint32) for name, crcs in blocks.items()}
        self._done = {name: np.zeros(len(crcs), bool) for name, crcs in self._blocks.items()}
        self._whole: set[str] = set()
        self._bad: dict[str, IndexCorruptError] = {}  # found damaged: every later use fails
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Opened once: the blocks stay readable after a later build deletes this version.
        self._fds: dict[str, int] = {}
        weakref.finalize(self, _close, self._fds)

    def cheap(self, eager_up_to: int = EAGER_UP_TO) -> None:
        """Check every file's size, and the whole of every file not checked in blocks."""
        for name, (size, _) in self._sizes.items():
            path = self.folder / name
            try:
                actual = path.stat().st_size
            except FileNotFoundError:
                raise IndexCorruptError(damaged(self.folder, f"{name} is missing")) from None
            if actual != size:
                raise IndexCorruptError(
                    damaged(self.folder, f"{name} has {actual} bytes, not {size}")
                )
        for name in self._sizes:
            if not self.lazy(name, eager_up_to):
                self.require(name)

    def lazy(self, name: str, eager_up_to: int = EAGER_UP_TO) -> bool:
        """Whether ``name`` is checked in blocks as it is used rather than whole at load."""
        lazy = name.rsplit("/", 1)[-1] in LAZY  # a segment's files lie in its sub-folder
        return lazy and name in self._blocks and self._sizes[name][0] > eager_up_to

    def everything(self) -> None:
        """Check every file whole (``seedqa status``, ``--check``, before a build reuses them)."""
        self.cheap(eager_up_to=-1)
        for name in self._sizes:
            self.require(name)

    def require(self, name: str, start: int = 0, stop: int | None = None) -> None:
        """Check bytes ``start:stop`` of ``name`` (the whole file by default) before their use."""
        if name in self._whole:
            return
        self._refuse(name)
        crcs = self._blocks.get(name)
        if crcs is None:  # one block, or an index written before block checksums
            self._check_whole(name)
            return
        size = self._sizes[name][0]
        stop = size if stop is None else min(stop, size)
        if stop <= start:
            return
        first, last = start // BLOCK, (stop - 1) // BLOCK
        todo = first + np.flatnonzero(~self._done[name][first : last + 1])
        self._check_blocks(name, todo)

    def require_items(self, name: str, array: np.ndarray, starts: I64, stops: I64) -> None:
        """Check items ``starts[i]:stops[i]`` of ``array``, a memory-mapped ``.npy`` of ``name``."""
        if name in self._whole:
            return
        self._refuse(name)
        if not len(starts):
            return
        crcs = self._blocks.get(name)
        if crcs is None:
            self._check_whole(name)
            return
        offset = int(getattr(array, "offset", 0))  # np.load's map begins after the header
        keep = stops > starts
        first = (offset + starts[keep] * array.itemsize) // BLOCK
        last = (offset + stops[keep] * array.itemsize - 1) // BLOCK
        wanted = np.unique(ranges(first, last - first + 1))
        self._check_blocks(name, wanted[~self._done[name][wanted]])

    def within(self, segment: str) -> Checks:
        """The checks of the files of one segment (a sub-folder; "" for the folder itself)."""
        return Checks(self, f"{segment}/" if segment else "")

    def in_background(self, eager_up_to: int = EAGER_UP_TO) -> threading.Thread:
        """Start checking the blocks not checked yet in a daemon thread (CRC-32 frees the GIL)."""
        names = [n for n in self._sizes if self.lazy(n, eager_up_to)]
        thread = threading.Thread(
            target=self._background, args=(names,), name="seedqa-verify", daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop the background check (what it had not reached is still checked on use)."""
        self._stop.set()

    def _background(self, names: list[str]) -> None:
        for name in names:
            for block in range(len(self._blocks[name])):
                if self._stop.is_set():
                    return
                try:
                    self._check_blocks(name, np.asarray([block]))
                except IndexCorruptError as error:
                    logger.error("%s", error)
                    break  # and every later use of the file fails with this error
                except OSError:
                    return  # the version was deleted meanwhile; its users hold it mapped

    def _refuse(self, name: str) -> None:
        error = self._bad.get(name)
        if error is not None:
            raise IndexCorruptError(str(error))

    def _fail(self, name: str) -> IndexCorruptError:
        error = IndexCorruptError(damaged(self.folder, f"{name} does not match its checksum"))
        self._bad[name] = error
        return error

    def _check_blocks(self, name: str, blocks: npt.NDArray[np.int64]) -> None:
        if not len(blocks):
            return
        crcs, done = self._blocks[name], self._done[name]
        fd = self._fd(name)
        for block in blocks.tolist():
            if done[block]:
                continue
            if crc32(os.pread(fd, BLOCK, block * BLOCK), 0) != crcs[block]:
                raise self._fail(name)
            done[block] = True  # a lost race checks a block twice, never zero times
        if done.all():
            with self._lock:
                self._whole.add(name)

    def _fd(self, name: str) -> int:
        with self._lock:
            fd = self._fds.get(name)
            if fd is None:
                try:
                    fd = self._fds[name] = os.open(self.folder / name, os.O_RDONLY)
                except FileNotFoundError:
                    raise IndexCorruptError(damaged(self.folder, f"{name} is missing")) from None
            return fd

    def _check_whole(self, name: str) -> None:
        crc = self._sizes[name][1]
        whole, fd, at = 0, self._fd(name), 0
        while chunk := os.pread(fd, 1 << 22, at):
            whole = crc32(chunk, whole)
            at += len(chunk)
        if whole != crc:
            raise self._fail(name)
        with self._lock:
            self._whole.add(name)


@dataclass(frozen=True, slots=True)
class Checks:
    """A :class:`Verifier`'s checks of the files under one prefix (a segment's sub-folder)."""

    verifier: Verifier
    prefix: str

    def require(self, name: str, start: int = 0, stop: int | None = None) -> None:
        self.verifier.require(self.prefix + name, start, stop)

    def require_items(self, name: str, array: np.ndarray, starts: I64, stops: I64) -> None:
        self.verifier.require_items(self.prefix + name, array, starts, stops)


def _close(fds: dict[str, int]) -> None:
    for fd in fds.values():
        os.close(fd)
