"""How an index was built, and the one rule for what of it another build or a question may reuse.

An index version records a :class:`BuildRecord`: the model (a local model folder by its real
absolute path, so the same folder is the same model from any working directory), the vectors'
dimension and token budget, and the version of each stage that shaped what is stored (parser,
analyzer, chunking, store format). :func:`reuse` compares two records — the index's and what a
build or a search would make now — and says what carries over. Every compatibility check (is the
index up to date, can its postings or vectors be reused, can a question be embedded for it, may a
running engine switch to it) asks this one function.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..encoder import Encoder
from ..ingest.paragraphs import PARSER_VERSION
from ..text.terms import ANALYZER_VERSION
from .windows import CHUNKING_VERSION

__all__ = ["BuildRecord", "Reuse", "model_fingerprint", "model_key", "reuse"]

FINGERPRINTED = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer_config.json",
)
"""A model folder's small files whose text is part of its fingerprint (beside every file's size)."""


def model_key(model: str | None) -> str | None:
    """A model as recorded: a local model folder by its real absolute path, a hub name as it is."""
    if model is None:
        return None
    folder = Path(model).expanduser()
    return str(folder.resolve()) if folder.is_dir() else model


def model_fingerprint(model: str | None) -> str | None:
    """What identifies a local model folder wherever it lies: a digest of every file's name and
    size under it and of its configuration's text. None for a hub name (the name identifies it).

    An index built on one machine (say, on a GPU) and copied to another, where the same model
    lies in another folder, is then still the same model's: its vectors serve, nothing is
    embedded again.
    """
    if model is None:
        return None
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return None
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts):
        digest.update(json.dumps([str(path.relative_to(folder)), path.stat().st_size]).encode())
        if path.name in FINGERPRINTED and path.parent == folder:
            digest.update(path.read_bytes())
    return digest.hexdigest()


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
    """A local model folder's :func:`model_fingerprint` (None for a hub name): the same model
    in another folder, on another machine, is recognised by it."""

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
    # Formats 2 to 4 hold the same terms and vectors (3 stores a graph's vectors once, 4 adds
    # the windows' spans, which a build cuts again where the version before has none).
    same_format = old.format == new.format or {old.format, new.format} <= {2, 3, 4}
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
        current=old == new,
    )
