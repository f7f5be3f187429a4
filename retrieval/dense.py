"""The dense leg: FAISS inner-product search over unit vectors of paragraph windows.

Vectors are unit length, so inner product is cosine similarity. A paragraph may have several
windows (see :mod:`retrieval.windows`); search over-fetches windows and keeps each paragraph's best.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

__all__ = ["DenseIndex", "DenseMatches"]


@dataclass(frozen=True, slots=True)
class DenseMatches:
    """The best paragraphs for a query vector, each with its best window's similarity."""

    ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]


class DenseIndex:
    """Window vectors, the paragraph each window belongs to, and a FAISS index over them.

    Windows are stored in paragraph order: ``owners`` never decreases.
    """

    def __init__(self, vectors: npt.NDArray[np.float32], owners: npt.NDArray[np.int32]) -> None:
        if vectors.ndim != 2 or len(vectors) != len(owners):
            raise ValueError("one owner per vector is needed")
        self.vectors = vectors
        self.owners = owners
        self.dimension = int(vectors.shape[1])
        self._faiss = faiss.IndexFlatIP(self.dimension)
        if len(vectors):
            self._faiss.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.owners)

    def search(self, query: npt.NDArray[np.float32], k: int) -> DenseMatches:
        """The ``k`` paragraphs with the most similar windows (fewer if the index holds fewer)."""
        total = len(self.owners)
        fetch = min(total, 2 * k)
        while fetch:
            scores, rows = self._faiss.search(query.reshape(1, -1).astype(np.float32), fetch)
            valid = rows[0] >= 0  # FAISS pads a short result with -1
            owners, best = self.owners[rows[0][valid]], scores[0][valid]
            _, first = np.unique(owners, return_index=True)  # results come best first
            first.sort()
            if len(first) >= k or fetch == total:
                first = first[:k]
                return DenseMatches(owners[first].astype(np.int64), best[first].astype(np.float32))
            fetch = min(total, fetch * 4)
        return DenseMatches(np.zeros(0, np.int64), np.zeros(0, np.float32))

    def similarities(
        self, query: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        """Each paragraph's best window similarity to the query (windows lie in row order)."""
        starts = np.searchsorted(self.owners, rows, side="left")
        ends = np.searchsorted(self.owners, rows, side="right")
        result = np.full(len(rows), -1.0, dtype=np.float32)
        for i, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            if end > start:
                result[i] = float(np.max(self.vectors[start:end] @ query))
        return result

    def save(self, folder: Path) -> None:
        """Write the vectors and owners into ``folder``."""
        np.save(folder / "dense.vectors.npy", self.vectors)
        np.save(folder / "dense.owners.npy", self.owners)

    @classmethod
    def load(cls, folder: Path) -> DenseIndex:
        """Read what :meth:`save` wrote and rebuild the FAISS index."""
        return cls(np.load(folder / "dense.vectors.npy"), np.load(folder / "dense.owners.npy"))
