"""The manifest of an index version: how it was built, from which files, and its fusion calibration.

It is read into typed records at once — the build record, every seed file (indexed or skipped),
the calibration — so that a damaged or outdated manifest fails in one place, when it is read,
with a message that says to rebuild (see :func:`retrieval.index.store.read_manifest`).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..ingest.seeds import SeedFile
from .record import BuildRecord, model_key

__all__ = ["METHOD", "Calibration", "Manifest", "Segment", "unsealed"]

METHOD = "bayes-fuse/1"
"""Version of the fusion method a calibration was measured for (see retrieval.search.fusion)."""


WEAK_SHARE = 0.5
"""A dense leg is too weak below this share of the lexical leg's rank-1 hits on pseudo-questions.

On the sample page: English all-MiniLM-L6-v2 0.38 against 0.96 (weak: it cannot read Chinese),
the tests' tiny model 0.74; on the English data the same MiniLM 0.98 against 1.00."""


RECALIBRATE_SHARE = 0.1
"""Share of a corpus that updates may change before its fusion calibration is measured again
(300 pseudo-questions: their rank-1 shares move by about 3 points from sample to sample alone)."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the pseudo-questions showed: where each leg ranked the right paragraph."""

    lexical: tuple[int, ...]
    """How many pseudo-questions found their paragraph at each rank; the last: not in the top."""
    dense: tuple[int, ...]
    questions: int
    paragraphs: int
    """Paragraphs in the corpus when it was calibrated."""
    dense_floor: float
    """Similarity the best *wrong* paragraph reaches for a typical in-corpus question."""
    method: str = METHOD
    since: int = 0
    """Paragraphs added or removed by updates since it was measured."""

    def stale(self, changing: int) -> bool:
        """Whether an update changing ``changing`` more paragraphs must measure it again: when
        all the changes since reach :data:`RECALIBRATE_SHARE` of the paragraphs it was measured on.
        Below, the pseudo-questions of the corpus as it was still stand for the corpus as it is."""
        return self.since + changing >= RECALIBRATE_SHARE * self.paragraphs

    def changed(self, paragraphs: int) -> Calibration:
        """The same calibration, ``paragraphs`` more having changed since it was measured."""
        return replace(self, since=self.since + paragraphs)

    @property
    def dense_first(self) -> float:
        """Share of the pseudo-questions whose paragraph the dense leg ranked first."""
        return self.dense[0] / self.questions if self.questions else 0.0

    @property
    def lexical_first(self) -> float:
        """Share of the pseudo-questions whose paragraph the lexical leg ranked first."""
        return self.lexical[0] / self.questions if self.questions else 0.0

    def weakness(self, model: str | None) -> str:
        """What :attr:`dense_weak` means, for a person."""
        return (
            f"model {model} ranks the right paragraph first for {self.dense_first:.0%} of the "
            f"test questions made from the documents, the words alone for "
            f"{self.lexical_first:.0%}: it cannot read them, so questions are searched by their "
            "words only. A model that reads the documents' language is needed (--model)."
        )

    @property
    def dense_weak(self) -> bool:
        """Whether the model reads this corpus too poorly to be used: it ranks the right
        paragraph first for less than :data:`WEAK_SHARE` of the pseudo-questions the lexical leg
        does (see docs/abstention.md). Its passages would then come by similarity to nothing."""
        return self.dense_first < WEAK_SHARE * self.lexical_first

    def to_json(self) -> dict[str, Any]:
        """The calibration as stored in the manifest."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        """Read a stored calibration; raises ValueError for one made by another method."""
        if data.get("method") != METHOD:
            raise ValueError(f"calibration method {data.get('method')!r}, not {METHOD!r}")
        return cls(
            tuple(data["lexical"]),
            tuple(data["dense"]),
            int(data["questions"]),
            int(data["paragraphs"]),
            float(data["dense_floor"]),
            since=int(data.get("since", 0)),
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of an index version: a sub-folder of paragraphs with their postings and
    window vectors, written once and hard-linked into every later version that keeps it."""

    name: str
    paragraphs: int
    """Rows the segment holds, deleted ones included."""
    windows: int
    deleted: int = 0
    """Rows of paragraphs no longer in the seeds (or moved to a newer segment)."""

    @property
    def live(self) -> int:
        """Rows still in use."""
        return self.paragraphs - self.deleted

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segment:
        return cls(
            str(data["name"]), int(data["paragraphs"]), int(data["windows"]), int(data["deleted"])
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    """How an index version was built, and what it holds."""

    version: str
    built_at: float
    seeds: str
    built_with: BuildRecord
    paragraphs: int
    windows: int
    files: dict[str, SeedFile]
    """The seed files indexed, by path."""
    skipped: tuple[SeedFile, ...] = ()
    """The seed files found but not indexed, each with its reason."""
    calibration: Calibration | None = None
    checksums: dict[str, list[int]] = field(default_factory=dict)
    """Size and CRC-32 of every file of the version, by name."""
    blocks: dict[str, list[int]] = field(default_factory=dict)
    """CRC-32 of each block of every file of more than one (see retrieval.index.integrity)."""
    segments: tuple[Segment, ...] = ()
    """The version's segments, oldest first; none in a version of format 4 or earlier, whose
    files lie in its folder itself (one segment, read as such)."""

    @property
    def model(self) -> str | None:
        """The embedding model asked for (None: lexical only by choice)."""
        return self.built_with.model

    @property
    def dense(self) -> bool:
        """Whether window vectors were built (False when the model was unavailable)."""
        return self.built_with.dense

    @property
    def dense_used(self) -> bool:
        """Whether questions are searched by meaning too: vectors were built, and the model
        proved able to read the corpus (see :attr:`Calibration.dense_weak`)."""
        return self.dense and not (self.calibration is not None and self.calibration.dense_weak)

    @property
    def dimension(self) -> int | None:
        """Length of the window vectors, if any."""
        return self.built_with.dimension

    def known(self) -> dict[str, SeedFile]:
        """Every seed file the build found, indexed or skipped, by path."""
        return {**{s.path: s for s in self.skipped}, **self.files}

    def to_json(self) -> str:
        """The manifest as pretty JSON."""
        data = {
            "version": self.version,
            "built_at": self.built_at,
            "seeds": self.seeds,
            "built_with": self.built_with.to_json(),
            "paragraphs": self.paragraphs,
            "windows": self.windows,
            "files": {path: _without_path(entry) for path, entry in self.files.items()},
            "skipped": [entry.to_json() for entry in self.skipped],
            "calibration": self.calibration.to_json() if self.calibration else None,
            "checksums": self.checksums,
            "blocks": self.blocks,
            "segments": [segment.to_json() for segment in self.segments],
            "format": self.built_with.format,
        }
        data[SEAL] = zlib.crc32(_canonical(data).encode())
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """The manifest parsed from JSON; raises KeyError, TypeError or ValueError when damaged."""
        calibration = data["calibration"]
        return cls(
            version=str(data["version"]),
            built_at=float(data["built_at"]),
            seeds=str(data["seeds"]),
            built_with=_record(data),
            paragraphs=int(data["paragraphs"]),
            windows=int(data["windows"]),
            files={
                path: SeedFile.from_json({"path": path, **entry})
                for path, entry in data["files"].items()
            },
            skipped=tuple(SeedFile.from_json(entry) for entry in data["skipped"]),
            calibration=Calibration.from_json(calibration) if calibration is not None else None,
            checksums={str(k): [int(n) for n in v] for k, v in data["checksums"].items()},
            blocks={str(k): [int(n) for n in v] for k, v in data.get("blocks", {}).items()},
            segments=tuple(Segment.from_json(s) for s in data.get("segments", [])),
        )


SEAL = "manifest_crc32"
"""The manifest's own checksum: CRC-32 of the rest of it, written canonically."""


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)


def unsealed(data: dict[str, Any]) -> bool:
    """Whether a parsed manifest fails its own checksum (one written before it had one passes).

    Removes the checksum from ``data``.
    """
    seal = data.pop(SEAL, None)
    return seal is not None and seal != zlib.crc32(_canonical(data).encode())


def _record(data: dict[str, Any]) -> BuildRecord:
    """The build record of a manifest; one written before records were kept has flat fields."""
    if "built_with" in data:
        return BuildRecord.from_json(data["built_with"])
    return BuildRecord(
        model=model_key(data["model"]),  # stored as given: relative to where seedqa runs
        dimension=data["dimension"] if data["dense"] else None,
        max_tokens=data["max_tokens"],
        analyzer=data["analyzer"],
        parser=data["parser"],
        chunking=data["chunking"],
        format=data["format"],
    )


def _without_path(entry: SeedFile) -> dict[str, Any]:
    data = entry.to_json()
    del data["path"]  # the key it is stored under
    return data
