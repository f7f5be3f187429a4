"""Where seedqa reads its configuration: flags first, then environment variables, then defaults.

Entry points read the configuration once and pass plain values down; library code never reads
the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NO_MODEL", "Settings"]

NO_MODEL = "none"
"""The ``--model`` value that means: lexical search only, by choice."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the seeds and the index are, and which model was asked for."""

    seeds: Path
    index: Path
    model: str | None
    """The model asked for by flag or environment; None when neither says (the index decides)."""

    @classmethod
    def resolve(
        cls,
        seeds: str | None,
        index: str | None,
        model: str | None,
        environ: Mapping[str, str],
    ) -> Settings:
        """Settings from flags (None when not given) and ``SEEDQA_*`` environment variables."""
        return cls(
            seeds=Path(seeds or environ.get("SEEDQA_SEEDS") or "seeds").expanduser(),
            index=Path(index or environ.get("SEEDQA_INDEX") or "index").expanduser(),
            model=(model or environ.get("SEEDQA_MODEL") or None),
        )
