"""A searcher that follows its index folder: a newly built version is picked up without a restart.

Each question is answered by one :class:`~retrieval.search.Searcher` — one index version — from
start to end, so a switch in the middle never mixes two versions. A version that fails to load is
logged and the one in use keeps answering.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from .encoder import Encoder
from .errors import SeedQAError
from .search import Answer, Searcher
from .store import current_version, read_index

__all__ = ["Engine"]

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0
"""Seconds between two looks at the index folder's CURRENT pointer."""


class Engine:
    """Answers questions from the current version of an index folder."""

    def __init__(self, root: Path, encoder: Encoder | None = None) -> None:
        self.root = root
        self.encoder = encoder
        self._lock = threading.Lock()
        self._searcher = Searcher(read_index(root), encoder)
        self._checked = time.monotonic()

    @property
    def searcher(self) -> Searcher:
        """The searcher of the newest loadable version (checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked >= CHECK_INTERVAL:
            self._checked = now
            self.reload()
        return self._searcher

    def reload(self) -> bool:
        """Switch to the current version if it changed; True when a switch happened."""
        with self._lock:
            try:
                version = current_version(self.root)
            except SeedQAError as error:
                logger.warning("Keeping index %s: %s", self._searcher.index.manifest.version, error)
                return False
            if version is None or version == self._searcher.index.manifest.version:
                return False
            try:
                searcher = Searcher(read_index(self.root), self.encoder)
            except SeedQAError as error:
                logger.warning("Keeping index %s: %s", self._searcher.index.manifest.version, error)
                return False
            self._searcher = searcher
            logger.info("Switched to index %s", version)
            return True

    def ask(self, question: str, k: int = 3, offset: int = 0, abstain: bool = True) -> Answer:
        """Answer from the current version (see :meth:`Searcher.ask`)."""
        return self.searcher.ask(question, k, offset, abstain)
