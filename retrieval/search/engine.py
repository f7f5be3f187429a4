"""A searcher that follows its index folder: a newly built version is picked up without a restart.

A watcher thread reads the folder's ``CURRENT`` pointer once a second and loads a new version in the
background while the one in use keeps answering; the switch is one assignment. Each question is
answered by one :class:`~retrieval.search.searcher.Searcher` — one version — from start to end, so a switch
in the middle never mixes two; the files of a version in use stay readable even after a later
build deletes them (they are memory-mapped or loaded). A version that fails to load, or that was
built with another model than the engine holds, is logged once and the one in use keeps answering.
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path

from ..encoder import Encoder
from ..errors import IndexMismatchError, SeedQAError
from .searcher import Answer, Searcher
from ..index.record import BuildRecord, reuse
from ..index.store import FORMAT, current_version, read_index

__all__ = ["CHECK_INTERVAL", "Engine"]

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0
"""Seconds between two looks at the index folder's CURRENT pointer."""


class Engine:
    """Answers questions from the current version of an index folder."""

    def __init__(self, root: Path, encoder: Encoder | None = None, watch: bool = True) -> None:
        """Load the current version; with ``watch``, follow the folder from a background thread."""
        self.root = root
        self.encoder = encoder
        self._lock = threading.Lock()
        self._searcher = Searcher(read_index(root), encoder)
        self._refused: str | None = None  # a version that failed to load, not tried again
        self._stop = threading.Event()
        if watch:
            threading.Thread(
                target=_watch,
                args=(weakref.ref(self), self._stop),
                name=f"seedqa-watch-{root.name}",
                daemon=True,
            ).start()

    @property
    def version(self) -> str:
        """The index version answering now."""
        return self._searcher.index.manifest.version

    @property
    def searcher(self) -> Searcher:
        """The searcher of the newest loaded version."""
        return self._searcher

    def changed(self) -> bool:
        """Whether CURRENT names a version other than the one in use (and not a refused one)."""
        try:
            version = current_version(self.root)
        except SeedQAError:
            return False
        return version is not None and version not in (self.version, self._refused)

    def reload(self) -> bool:
        """Switch to the current version now if it changed; True when a switch happened."""
        with self._lock:
            version = None
            try:
                version = current_version(self.root)
                if version is None or version == self.version:
                    return False
                index = read_index(self.root)
                version = index.manifest.version
                built = index.manifest.built_with
                encoder = self.encoder
                held = None if encoder is None else BuildRecord.now(encoder.name, encoder, FORMAT)
                if held is not None and built.dense and not reuse(built, held).questions:
                    raise IndexMismatchError(
                        f"it was built with model {built.model}, not {held.model}; "
                        "restart to use it"
                    )
                searcher = Searcher(index, self.encoder)
            except SeedQAError as error:
                if version != self._refused:
                    logger.warning("Keeping index %s, not %s: %s", self.version, version, error)
                self._refused = version
                return False
            self._searcher = searcher
            logger.info("Switched to index %s", version)
            return True

    def close(self) -> None:
        """Stop following the folder (the engine still answers from the version it holds)."""
        self._stop.set()

    def ask(self, question: str, k: int = 3, offset: int = 0, abstain: bool = True) -> Answer:
        """Answer from the current version (see :meth:`Searcher.ask`)."""
        return self.searcher.ask(question, k, offset, abstain)


def _watch(engine_ref: weakref.ReferenceType[Engine], stop: threading.Event) -> None:
    """Reload the engine whenever its folder's CURRENT changes, until it is closed or forgotten."""
    while not stop.wait(CHECK_INTERVAL):
        engine = engine_ref()
        if engine is None:
            return
        try:
            if engine.changed():
                engine.reload()
        except Exception:  # a watcher that dies would silently stop all reloads
            logger.exception("Watching %s failed; trying again", engine.root)
        del engine
