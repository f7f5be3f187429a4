"""How an index was built, and the one rule for what of it another build or a question may reuse.

An index version records a :class:`BuildRecord`: the model (a local model folder by its real
absolute path, so the same folder is the same model from any working directory) and the
fingerprint of its files (so the same files elsewhere are the same model), the vectors'
dimension and token budget, and the version of each stage that shaped what is stored (parser,
analyzer, chunking, store format). :func:`reuse` compares two records — the index's and what a
build or a search would make now — and says what carries over. Every compatibility check (is the
index up to date, can its postings or vectors be reused, can a question be embedded for it, may a
running engine switch to it) asks this one function.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from embeddings import model_files

from ..encoder import Encoder
from ..ingest.paragraphs import PARSER_VERSION
from ..text.terms import ANALYZER_VERSION
from .windows import CHUNKING_VERSION

__all__ = ["BuildRecord", "Reuse", "model_fingerprint", "model_key", "reuse"]

SAMPLE = 1 << 16
"""Bytes a fingerprint reads at each of three places (start, middle, end) of a big file."""
WHOLE_UP_TO = 1 << 20
"""Files up to this size are read whole into a fingerprint."""


def model_key(model: str | None) -> str | None:
    """A model as recorded: a local model folder by its real absolute path, a hub name as it is."""
    if model is None:
        return None
    folder = Path(model).expanduser()
    return str(folder.resolve()) if folder.is_dir() else model


def model_fingerprint(model: str | None) -> str | None:
    """What identifies a model's files wherever they lie: a digest of each file's name, size and
    content (whole for small files, three samples of big ones such as the weights). Dot entries
    (``.git``, ``.cache``), ``__pycache__`` and Markdown are left out. None when the files are not
    on this machine (a hub model not yet downloaded).

    An index built on one machine (say, on a GPU) and copied to another, where the same model
    lies in another folder or only in the hub's cache, is then still the same model's: its
    vectors serve, nothing is embedded again. Weights retrained in place are another model.
    """
    folder = model_files(model) if model is not None else None
    if folder is None:
        return None
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(folder.rglob("*")):
        inside = path.relative_to(folder)
        if _ignored(inside) or not path.is_file():
            continue
        size = path.stat().st_size
        digest.update(json.dumps([inside.as_posix(), size]).encode())
        with path.open("rb") as handle:
            if size <= WHOLE_UP_TO:
                digest.update(handle.read())
                continue
            for at in (0, (size - SAMPLE) // 2, size - SAMPLE):
                handle.seek(at)
                digest.update(handle.read(SAMPLE))
    return digest.hexdigest()


def _ignored(inside: Path) -> bool:
    parts = inside.parts
    return any(p.startswith(".") or p == "__pycache__" for p in parts) or inside.suffix == ".md"


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """How an index version was built: what decides whether its work can be reused."""

    model: str | None
    """The embedding model asked for (see :func:`model_key`); None: lexical only by choice."""
    dimension: int | None
    """Length of the window vectors; None when none were built (no model, or it failed to load)."""
    max_tokens: int | None
    """The model's window, in tokens, that paragraphs were cut to fit."""
    analyzer: str
    parser: str
    chunking: str
    format: int
    fingerprint: str | None = None
    """The model's :func:`model_fingerprint`: the same model in another folder, on another
    machine, is recognised by it (None: its files were not here)."""

    @property
    def dense(self) -> bool:
        """Whether the index holds window vectors."""
        return self.dimension is not None

    @classmethod
    def now(
        cls,
        model: str | None,
        encoder: Encoder | None,
        store_format: int,
        assumed: BuildRecord | None = None,
    ) -> BuildRecord:
        """The record a build with ``model`` (loaded as ``encoder``) would write now.

        Until a model is loaded its shape is unknown; with ``assumed`` (the index's record) a model
        of the same name is taken to have the shape it had then, so that an unchanged index is
        seen to be up to date without loading the model.
        """
        key, fingerprint = model_key(model), model_fingerprint(model)
        dimension = max_tokens = None
        if encoder is not None:
            dimension, max_tokens = encoder.dimension, encoder.max_tokens
        elif assumed is not None and key is not None and assumed.model == key:
            dimension, max_tokens = assumed.dimension, assumed.max_tokens
        return cls(
            key, dimension, max_tokens, ANALYZER_VERSION, PARSER_VERSION, CHUNKING_VERSION,
            store_format, fingerprint,
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The record as stored in the manifest."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> BuildRecord:
        """The record read back from the manifest; raises TypeError or ValueError when damaged."""
        if not isinstance(data, dict):
            raise TypeError("the build record is not an object")
        record = cls(**data)
        if not isinstance(record.format, int) or not isinstance(record.analyzer, str):
            raise ValueError("the build record has no versions")
        return record


@dataclass(frozen=True, slots=True)
class Reuse:
    """What of an index built as one record serves a build or a search done as another."""

    model: bool
    """Both name the same model (or both none): by name, or as a folder of the same files."""
    questions: bool
    """A question embedded by the new model can be searched among the old vectors."""
    terms: bool
    """The postings of an unchanged paragraph can be kept."""
    vectors: bool
    """The windows of an unchanged paragraph, and their vectors, can be kept."""
    graph: bool
    """The vector graph can be extended (when windows were only appended) rather than rebuilt."""
    current: bool
    """The old index is exactly what the new build would make from the same seeds."""


def reuse(old: BuildRecord, new: BuildRecord) -> Reuse:
    """What an index built as ``old`` offers to a build or a search done as ``new``."""
    # Formats 2 to 5 hold the same terms and vectors (3 stores a graph's vectors once, 4 adds
    # the windows' spans, which a build cuts again where the version before has none, 5 holds
    # them in segments).
    same_format = old.format == new.format or {old.format, new.format} <= {2, 3, 4, 5}
    # A model folder is its files: moved, it is the same model; changed in place, another one.
    same_files = None in (old.fingerprint, new.fingerprint) or old.fingerprint == new.fingerprint
    moved = old.fingerprint is not None and old.fingerprint == new.fingerprint
    model = (old.model == new.model and same_files) or moved
    questions = model and old.dense and new.dense and old.dimension == new.dimension
    vectors = (
        same_format and questions and old.max_tokens == new.max_tokens
        and old.chunking == new.chunking
    )  # fmt: skip
    return Reuse(
        model=model,
        questions=questions,
        terms=same_format and old.analyzer == new.analyzer,
        vectors=vectors,
        graph=vectors,
        # files that are not here (a hub model not in this machine's cache) are not a change
        current=old == (new if new.fingerprint else replace(new, fingerprint=old.fingerprint)),
    )
