"""What front-ends may say about an index version: its provenance and counts, as one value.

Front-ends show where an answer came from (``/about``, a start-up line, ``seedqa eval``'s header)
without reaching into the manifest, whose internals serve the build. Every answer carries the
:class:`IndexInfo` of the version that answered it, so what a reply cites is never read from a
version that replaced it in the meantime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from ..ingest.seeds import SeedFile
from .manifest import Manifest

__all__ = ["IndexInfo", "Mode", "index_info", "model_name"]

Mode = Literal["hybrid", "lexical"]
"""``hybrid`` when the dense leg answers too, ``lexical`` when BM25 answers alone."""


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """One index version as front-ends describe it."""

    version: str
    built_at: float
    """Seconds since the epoch (UTC) when the version was built."""
    seeds: str
    """The seeds folder it was built from (an absolute path on this machine)."""
    model: str | None
    """The embedding model it was built for, as given (a hub name or a folder); None: lexical."""
    mode: Mode
    """How questions are answered from it: ``hybrid`` only with vectors and a model loaded."""
    files: tuple[str, ...]
    """The seed files indexed, relative to the seeds folder, sorted."""
    paragraphs: int
    windows: int
    skipped: tuple[SeedFile, ...] = ()
    """The seed files not indexed, each with its ``reason``."""
    dense_floor: float | None = None
    """The similarity above which a passage is relevant by its meaning alone (hybrid mode): the
    bar calibrated on this corpus when the version was built."""

    @property
    def seeds_name(self) -> str:
        """The seeds folder's own name, never the server's absolute path (for other people)."""
        return PurePath(self.seeds).name

    @property
    def model_name(self) -> str | None:
        """The model as shown to other people: see :func:`model_name`."""
        return model_name(self.model)


def model_name(model: str | None) -> str | None:
    """A hub name as it is (``intfloat/multilingual-e5-small``); a local folder by its last part.

    A folder's full path tells strangers how the server's disk is laid out, and its last part is
    what the model is called.
    """
    if model is None:
        return None
    path = PurePath(model)
    local = path.is_absolute() or model.startswith((".", "~")) or len(path.parts) > 2
    return path.name if local else model


def index_info(manifest: Manifest, mode: Mode | None = None) -> IndexInfo:
    """The :class:`IndexInfo` of a manifest; ``mode`` defaults to what the index holds."""
    return IndexInfo(
        version=manifest.version,
        built_at=manifest.built_at,
        seeds=manifest.seeds,
        model=manifest.model if manifest.model else None,
        mode=mode or ("hybrid" if manifest.dense_used else "lexical"),
        files=tuple(sorted(manifest.files)),
        paragraphs=manifest.paragraphs,
        windows=manifest.windows,
        skipped=tuple(manifest.skipped),
        dense_floor=manifest.calibration.dense_floor if manifest.calibration else None,
    )
