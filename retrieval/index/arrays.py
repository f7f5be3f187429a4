"""Array helpers the index's legs share: ranges of rows, and finding keys among keys."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["lookup", "ranges"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


def ranges(starts: I64, lengths: I64) -> I64:
    """The concatenation of ``range(start, start + length)`` for each pair, as one array."""
    total = int(lengths.sum())
    before = np.cumsum(lengths) - lengths
    return (np.repeat(starts - before, lengths) + np.arange(total)).astype(np.int64)


def lookup(haystack: U64, needles: U64) -> I64:
    """For each needle, a row of ``haystack`` holding it, or -1."""
    if not len(haystack) or not len(needles):
        return np.full(len(needles), -1, np.int64)
    order = np.argsort(haystack, kind="stable")
    positions = np.searchsorted(haystack, needles, sorter=order).clip(max=len(haystack) - 1)
    rows = order[positions]
    return np.where(haystack[rows] == needles, rows, -1).astype(np.int64)
