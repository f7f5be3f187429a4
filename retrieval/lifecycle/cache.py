"""Vectors that left the index, kept a while by model and text hash, so that they come back free.

A build reuses the vectors of the version before it. Vectors that version held and the new one
does not — a file removed, a paragraph edited, every vector of a model switched away from — would
be lost, and a file put back or a model switched back to would be embedded again. They go into
this cache instead: one file per model under ``index/cache/``, oldest first, bounded in size, at
most a few models. It is only a cache: a missing or damaged one costs time, never answers, and is
written beside the old one and swapped in, so a crash leaves either the old or the new.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = [
    "CACHE_BYTES",
    "CACHE_MODELS",
    "Cached",
    "drop_cache",
    "read_cache",
    "retire",
    "write_cache",
]

logger = logging.getLogger(__name__)

CACHE_BYTES = 128 << 20
"""Most bytes of vectors kept for one model (about 87,000 windows of a 384-dimension model)."""
CACHE_MODELS = 3
"""Models whose cache is kept; the least recently written beyond that are deleted."""
FOLDER = "cache"

U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class Cached:
    """Window text hashes and their vectors, oldest first."""

    keys: U64
    vectors: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.keys)


def _path(root: Path, model: str) -> Path:
    slug = hashlib.blake2b(model.encode(), digest_size=8).hexdigest()
    return root / FOLDER / f"{slug}.npz"


def _empty(dimension: int) -> Cached:
    return Cached(np.zeros(0, np.uint64), np.zeros((0, dimension), np.float32))


def read_cache(root: Path, model: str, dimension: int) -> Cached:
    """The cached vectors of ``model`` (none when there is no cache or it cannot be used)."""
    path = _path(root, model)
    try:
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            name, keys, vectors = str(data["model"]), data["keys"], data["vectors"]
    except FileNotFoundError:
        return _empty(dimension)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        logger.warning("Ignoring the damaged vector cache %s: %s", path, error)
        return _empty(dimension)
    if name != model or vectors.ndim != 2 or vectors.shape != (len(keys), dimension):
        return _empty(dimension)
    return Cached(keys.astype(np.uint64), vectors.astype(np.float32))


def write_cache(root: Path, model: str, cached: Cached, limit: int = CACHE_BYTES) -> None:
    """Keep ``cached`` as the cache of ``model``: its newest entries, up to ``limit`` bytes."""
    per_vector = cached.vectors.itemsize * max(1, cached.vectors.shape[1]) + 8
    keep = limit // per_vector
    keys, vectors = cached.keys[-keep:], cached.vectors[-keep:]
    path = _path(root, model)
    temporary = path.with_name(f".{path.stem}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            np.savez(handle, model=np.array(model), keys=keys, vectors=vectors)
        os.replace(temporary, path)
    except OSError as error:
        logger.warning("Cannot write the vector cache %s: %s", path, error)
        temporary.unlink(missing_ok=True)
        return
    for stale in path.parent.glob(".*.tmp.npz"):  # left by a build that was killed
        stale.unlink(missing_ok=True)
    models = sorted(path.parent.glob("[!.]*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[CACHE_MODELS:]:
        old.unlink(missing_ok=True)


def drop_cache(root: Path, model: str) -> None:
    """Forget the cached vectors of ``model`` (after a rebuild from scratch)."""
    _path(root, model).unlink(missing_ok=True)


def retire(root: Path, model: str, base: Cached, dropped: Cached, held: U64) -> None:
    """Make ``model``'s cache ``base`` then ``dropped`` (newest last), less what the index holds."""
    kept, dropped = _without(base, held), _without(dropped, held)
    if len(dropped) or len(kept) != len(base):
        write_cache(root, model, _concat(kept, dropped))


def _without(cached: Cached, keys: U64) -> Cached:
    """The cached entries whose key is not among ``keys``, the last of duplicate keys only."""
    keep = ~np.isin(cached.keys, keys)
    _, last = np.unique(cached.keys[::-1], return_index=True)
    newest = np.zeros(len(cached.keys), bool)
    newest[len(cached.keys) - 1 - last] = True
    keep &= newest
    return Cached(cached.keys[keep], cached.vectors[keep])


def _concat(first: Cached, second: Cached) -> Cached:
    """Both caches' entries, the second's last; a key in both keeps only its newest entry."""
    joined = Cached(
        np.concatenate([first.keys, second.keys]),
        np.concatenate([first.vectors, second.vectors]),
    )
    return _without(joined, np.zeros(0, np.uint64))
