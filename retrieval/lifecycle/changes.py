"""Which seed files changed since an index was built: compared by content hash, path by path.

One comparison, :func:`compare`, serves ``seedqa status`` (which hashes the files),
``seedqa index`` (which hashes what it reads anyway) and the cheap look ``seedqa ask`` takes
(:func:`seeds_changed`, which hashes only the files whose size or time moved), so that they
never disagree. A file the build skipped is known by its hash too: fixed, it is "changed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import SeedQAError, SeedsNotFoundError
from ..index.manifest import Manifest
from ..index.store import read_manifest
from ..ingest.seeds import SeedFile, file_hash, file_hashes, find_seeds

__all__ = ["SeedChanges", "compare", "seed_changes", "seeds_changed"]


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


def compare(now: Mapping[str, str], then: Mapping[str, SeedFile]) -> SeedChanges:
    """The changes from ``then`` (the files an index knows) to ``now`` (content hash by path)."""
    return SeedChanges(
        added=tuple(path for path in now if path not in then),
        changed=tuple(path for path in now if path in then and now[path] != then[path].sha256),
        removed=tuple(path for path in then if path not in now),
        unchanged=tuple(path for path in now if path in then and now[path] == then[path].sha256),
    )


def seed_changes(seeds: Path, manifest: Manifest) -> SeedChanges:
    """Compare the seed files under ``seeds`` with those the index was built from (hashing all)."""
    return compare(file_hashes(seeds), manifest.known())


def seeds_changed(seeds: Path, root: Path, version: str | None = None) -> bool:
    """Whether the seeds differ from those the index in ``root`` was built from, looked at cheaply:
    names, sizes and times (``version``: of that version, if it is still the one in use).

    Only a file whose size or modification time moved is hashed, to tell an edit from a touch;
    the rest are taken as they were. A missing seeds folder, or an index that cannot be read, is
    no change to report (there is nothing to compare).
    """
    try:
        manifest = read_manifest(root)
    except SeedQAError:
        return False
    if version is not None and manifest.version != version:
        return False  # a newer version was built since: from the seeds as they are now
    return _changed_since(seeds, manifest)


def _changed_since(seeds: Path, manifest: Manifest) -> bool:
    then = manifest.known()
    try:
        paths = {path.relative_to(seeds).as_posix(): path for path in find_seeds(seeds)}
    except (OSError, SeedsNotFoundError):
        return False
    if paths.keys() != then.keys():
        return True
    return any(
        file_hash(path) != then[rel].sha256
        for rel, path in paths.items()
        if not then[rel].stat_matches(path)
    )
