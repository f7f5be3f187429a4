"""Which seed files changed since an index was built: compared by content hash, path by path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..ingest.seeds import file_hashes
from ..index.store import Manifest

__all__ = ["SeedChanges", "indexed_hashes", "seed_changes"]


@dataclass(frozen=True, slots=True)
class SeedChanges:
    """Seed files added, changed, removed and unchanged since the index was built."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def any(self) -> bool:
        """True when the seeds differ from what the index was built from."""
        return bool(self.added or self.changed or self.removed)


def indexed_hashes(manifest: Manifest) -> dict[str, str]:
    """The content hash of every seed file the index knows, indexed or skipped, by path."""
    hashes = {path: entry.sha256 for path, entry in manifest.files.items()}
    hashes.update({s["path"]: s.get("sha256", "") for s in manifest.skipped})
    return hashes


def seed_changes(seeds: Path, manifest: Manifest) -> SeedChanges:
    """Compare the seed files under ``seeds`` with those the index was built from."""
    now = file_hashes(seeds)
    then = indexed_hashes(manifest)
    return SeedChanges(
        added=tuple(path for path in now if path not in then),
        changed=tuple(path for path in now if path in then and now[path] != then[path]),
        removed=tuple(path for path in then if path not in now),
        unchanged=tuple(path for path in now if path in then and now[path] == then[path]),
    )
