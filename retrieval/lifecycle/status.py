"""What ``seedqa status`` reports: what the index in use holds, and the seed changes since."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..index.manifest import Manifest
from ..index.store import build_running, merger, read_manifest
from .changes import SeedChanges, seed_changes

__all__ = ["Status", "status"]


@dataclass(frozen=True, slots=True)
class Status:
    """An index's state: how it was built, how its seeds changed since, whether it builds now."""

    manifest: Manifest
    changes: SeedChanges
    building: bool
    """Whether a build holds the index folder's lock right now."""
    merging: bool
    """Whether a background merge is running now (waiting for the lock, or holding it)."""


def status(seeds: Path, root: Path) -> Status:
    """The state of the index in ``root`` (its files checked) against the seeds in ``seeds``."""
    manifest = read_manifest(root, check=True)
    merging = merger(root) is not None
    return Status(manifest, seed_changes(seeds, manifest), build_running(root), merging)
