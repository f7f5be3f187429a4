"""A searcher that follows its index folder: a newly built version is picked up without a restart.

A watcher thread reads the folder's ``CURRENT`` pointer once a second and loads a new version in the
background while the one in use keeps answering; the switch is one assignment. Each question is
answered by one :class:`~retrieval.search.searcher.Searcher` — one version — from start to end, so a
switch in the middle never mixes two; the files of a version in use stay readable even after a later
build deletes them (they are memory-mapped or loaded). A version that fails to load, or that was
built with another model than the engine holds — or with none, which would quietly turn hybrid
answers into lexical ones — is logged once and the one in use keeps answering.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from ..encoder import Encoder
from ..errors import IndexMismatchError, SeedQAError
from ..index.info import IndexInfo
from ..index.record import BuildRecord, reuse
from ..index.store import FORMAT, StoredIndex, current_version, read_index
from ..ingest.paragraphs import Paragraph
from .searcher import Answer, Searcher

__all__ = ["CHECK_INTERVAL", "Context", "Engine"]

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0
"""Seconds between two looks at the index folder's CURRENT pointer."""


@dataclass(frozen=True, slots=True)
class Context:
    """A paragraph with the ones just before and after it in its seed file, from one version."""

    paragraph: Paragraph
    before: Paragraph | None
    after: Paragraph | None
    info: IndexInfo
    """The version all three were read from."""


class Engine:
    """Answers questions from the current version of an index folder."""

    def __init__(
        self, root: Path, encoder: Encoder | None = None, watch: bool = True, check: bool = False
    ) -> None:
        """Load the current version; with ``watch``, follow the folder from a background thread.

        The version's big files are checked as they are used, and with ``watch`` in the
        background too; with ``check``, every file whole before the first answer.
        """
        self.root = root
        self.encoder = encoder
        self._lock = threading.Lock()
        self._searcher = Searcher(read_index(root, check=check, background=watch), encoder)
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
        return self._searcher.info.version

    @property
    def info(self) -> IndexInfo:
        """The index version answering now, as front-ends describe it."""
        return self._searcher.info

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
                # Off the answering path: a damaged new version is refused before it answers.
                index = read_index(self.root, check=True)
                version = index.manifest.version
                self._check_model(index)  # before the searcher's own, blunter check
                searcher = Searcher(index, self.encoder)
            except SeedQAError as error:
                if version != self._refused:
                    logger.warning("Keeping index %s, not %s: %s", self.version, version, error)
                self._refused = version
                return False
            self._searcher = searcher
            logger.info("Switched to index %s", version)
            if index.manifest.dense_used and self.encoder is None:
                logger.warning(
                    "Index %s can search by meaning with model %s, but this process loaded no "
                    "model; answering by words until it is restarted",
                    version,
                    index.manifest.model,
                )
            return True

    def _check_model(self, index: StoredIndex) -> None:
        """Refuse a version that the engine's model cannot answer from as the one in use does."""
        if self.encoder is None:
            return  # lexical by choice: any version answers lexically
        manifest = index.manifest
        built, held = manifest.built_with, BuildRecord.now(self.encoder.name, self.encoder, FORMAT)
        if built.dense and not reuse(built, held).questions:
            raise IndexMismatchError(
                f"it was built with model {built.model}, not {held.model}; restart to use it"
            )
        if index.dense is None and self._searcher.mode == "hybrid":
            raise IndexMismatchError(
                f"it has no vectors (built with model {manifest.model or 'none'}), and answering "
                f"from it would drop {self.encoder.name}'s half of every answer; rebuild it with "
                f"--model {self.encoder.name}, or restart to answer from it lexically"
            )

    def close(self) -> None:
        """Stop following the folder (the engine still answers from the version it holds)."""
        self._stop.set()
        verifier = self._searcher.index.verifier
        if verifier is not None:
            verifier.stop()  # blocks not reached yet are still checked as they are used

    def ask(self, question: str, k: int = 3, offset: int = 0, abstain: bool = True) -> Answer:
        """Answer from the current version (see :meth:`Searcher.ask`)."""
        return self.searcher.ask(question, k, offset, abstain)

    def context(self, paragraph_id: str) -> Context | None:
        """The paragraph with this id and its neighbours, all from one version; None if gone."""
        searcher = self._searcher  # one version for the three reads, whatever switches meanwhile
        paragraph = searcher.paragraph(paragraph_id)
        if paragraph is None:
            return None
        before, after = searcher.neighbours(paragraph_id)
        return Context(paragraph, before, after, searcher.info)

    def warm_up(self) -> str | None:
        """Answer one question now: the tokenizer's dictionary and the model load lazily, and the
        first user's question would otherwise wait a second or more for them.

        Returns the text it asked — the start of the first paragraph of running text (a byline or
        a caption says little of the corpus's language), a sample of the corpus — or None for an
        empty index.
        """
        searcher = self._searcher
        paragraphs = searcher.index.paragraphs
        first = None
        for row in range(min(len(paragraphs), 50)):
            first = paragraphs[row]
            if first.kind == "text":
                break
        if first is None:
            return None
        sample = first.text[:100]
        searcher.ask(sample)
        return sample


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
