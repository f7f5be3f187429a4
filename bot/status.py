"""What ``seedqa status`` shows: what the index holds, and which seed files changed since."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from retrieval import Manifest, Status

from .console import count

__all__ = ["stale_warning", "status_json", "status_text"]


def _when(built_at: float, now: float) -> str:
    minutes = max(0, int(now - built_at) // 60)
    if minutes < 1:
        ago = "just now"
    elif minutes < 120:
        ago = f"{minutes} min ago"
    elif minutes < 48 * 60:
        ago = f"{minutes // 60} h ago"
    else:
        ago = f"{minutes // 1440} days ago"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(built_at)) + f" ({ago})"


def _mode(manifest: Manifest) -> str:
    if manifest.dense_used:
        return f"hybrid, model {manifest.model}"
    if manifest.dense:
        assert manifest.calibration is not None  # only a calibration finds a model weak
        return f"lexical: {manifest.calibration.weakness(manifest.model)}"
    if manifest.model:
        return f"lexical: model {manifest.model} could not be loaded when it was built"
    return "lexical, no model"


def _segments(manifest: Manifest) -> str:
    segments = manifest.segments
    deleted = sum(s.deleted for s in segments)
    held = count(len(segments) or 1, "segment")
    return held + (f" ({count(deleted, 'deleted row')} until merged)" if deleted else "")


def status_text(index: str, seeds: str, status: Status) -> str:
    """The status as lines for a person."""
    manifest, changes = status.manifest, status.changes
    kinds = Counter(PurePosixPath(path).suffix.lower() or "(none)" for path in manifest.files)
    by_kind = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    lines = [
        f"Index in {index}: {count(len(manifest.files), 'file')} ({by_kind}), "
        f"{count(manifest.paragraphs, 'paragraph')}, {count(manifest.windows, 'window')} "
        f"({_mode(manifest)})",
        f"  built {_when(manifest.built_at, time.time())}, version {manifest.version}, "
        + _segments(manifest),
    ]
    lines += [f"  skipped {s.path}: {s.reason}" for s in manifest.skipped]
    if status.merging:
        lines.append(
            "Segments are being merged in the background now "
            "(a build started now stops the merge and goes on)."
        )
    elif status.building:
        lines.append("A build is running now.")
    if not changes.any:
        lines.append(f"Seeds in {seeds}: nothing changed since; the index is up to date.")
        return "\n".join(lines)
    lines.append(
        f"Seeds in {seeds} changed since: {len(changes.added)} added, "
        f"{len(changes.changed)} changed, {len(changes.removed)} removed. Run: seedqa index"
    )
    for word, paths in (
        ("added", changes.added),
        ("changed", changes.changed),
        ("removed", changes.removed),
    ):
        lines += [f"  {word:8} {path}" for path in paths]
    return "\n".join(lines)


def status_json(index: str, seeds: str, status: Status) -> dict[str, Any]:
    """The status as one JSON object."""
    manifest, changes = status.manifest, status.changes
    return {
        "index": index,
        "seeds": seeds,
        "version": manifest.version,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(manifest.built_at)),
        "model": manifest.model,
        "mode": "hybrid" if manifest.dense_used else "lexical",
        "files": len(manifest.files),
        "paragraphs": manifest.paragraphs,
        "windows": manifest.windows,
        "segments": [
            {"name": s.name, "paragraphs": s.live, "deleted": s.deleted} for s in manifest.segments
        ],
        "indexed": {
            path: {"paragraphs": entry.paragraphs, "bytes": entry.size, "read_as": entry.encoding}
            for path, entry in manifest.files.items()
        },
        "skipped": [{"path": s.path, "reason": s.reason} for s in manifest.skipped],
        "building": status.building,
        "merging": status.merging,
        "up_to_date": not changes.any,
        "added": list(changes.added),
        "changed": list(changes.changed),
        "removed": list(changes.removed),
    }


def stale_warning() -> str:
    """The warning that the seeds changed since the index was built, with the command to run.

    The command is completed by the flags the user gave (``Console.hint``).
    """
    return (
        "the seed files changed since the index was built; answering from the index as it is. "
        "Update it: seedqa index"
    )
