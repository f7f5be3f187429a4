"""The dense leg: FAISS inner-product search over unit vectors of paragraph windows.

Vectors are unit length, so inner product is cosine similarity. A paragraph may have several
windows (see :mod:`retrieval.index.windows`); search over-fetches windows and keeps each
paragraph's best.

Up to ``EXACT_UP_TO`` windows the search is exact (a flat index: every vector is compared), about
2 ms a question at the bound on a 2-core machine. Beyond, flat search grows past 7 ms while an HNSW
graph stays under 2 ms up to a million paragraphs, finding 0.98 or more of the exact top 10:
``bench/scale.py`` measures both, and docs/benchmarks.md ("Dense index by size") gives the figures
behind these constants. The graph is saved with the index, and holds the only stored copy of its
vectors; a build that only appends windows (new seed files whose names sort last) adds them to a
copy of the previous graph; any other change builds it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from .arrays import ranges

__all__ = ["EXACT_UP_TO", "DenseIndex", "DenseMatches"]

EXACT_UP_TO = 32_768
"""Most windows searched exactly; an HNSW graph beyond (see the module's docstring)."""
GRAPH_DEGREE = 32
"""HNSW's M: neighbours a vector keeps per layer (twice that on the bottom layer)."""
GRAPH_BUILD_DEPTH = 128
"""HNSW's efConstruction: candidates weighed when a vector is linked into the graph."""
GRAPH_SEARCH_DEPTH = 512
"""HNSW's efSearch: candidates a query keeps while walking the graph (more when fetching more)."""
GRAPH_FILE = "dense.graph.faiss"
VECTORS_FILE = "dense.vectors.npy"
"""The vectors of an exact index (an approximate one keeps them in its graph file only)."""

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class DenseMatches:
    """The best paragraphs for a query vector, each with its best window's similarity."""

    ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]


class DenseIndex:
    """Window vectors, the paragraph each window belongs to, and a FAISS index over them.

    Windows are stored in paragraph order: ``owners`` never decreases. The FAISS index holds
    exactly these vectors: flat (exact) or an HNSW graph — :meth:`build` decides which.
    ``search_depth`` is the graph's efSearch (see ``GRAPH_SEARCH_DEPTH``).
    """

    def __init__(
        self,
        vectors: F32,
        owners: I32,
        searched: faiss.Index,
        search_depth: int = GRAPH_SEARCH_DEPTH,
        check: Callable[[], None] | None = None,
        live: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        if vectors.ndim != 2 or len(vectors) != len(owners):
            raise ValueError("one owner per vector is needed")
        if searched.ntotal != len(vectors):
            raise ValueError("the FAISS index does not hold these vectors")
        self.vectors = vectors
        self.owners = owners
        self.dimension = int(vectors.shape[1])
        self.search_depth = search_depth
        self._faiss = searched
        self._check = check  # raises if the graph file is damaged; called before each use
        self._live = live  # which paragraphs (by row) may be found; None: all

    @classmethod
    def build(
        cls,
        vectors: F32,
        owners: I32,
        exact_up_to: int = EXACT_UP_TO,
        search_depth: int = GRAPH_SEARCH_DEPTH,
    ) -> DenseIndex:
        """An index over ``vectors``: exact up to ``exact_up_to`` of them, an HNSW graph beyond."""
        return cls.grown([vectors], owners, int(vectors.shape[1]), exact_up_to, search_depth)

    @classmethod
    def grown(
        cls,
        blocks: Iterable[F32],
        owners: I32,
        dimension: int,
        exact_up_to: int = EXACT_UP_TO,
        search_depth: int = GRAPH_SEARCH_DEPTH,
    ) -> DenseIndex:
        """An index over the vectors of ``blocks`` in turn, one per owner (see :meth:`build`).

        Each block is added to the FAISS index, whose copy is then the only one kept: a build can
        drop a block once it is added, and never holds its vectors twice.
        """
        searched: faiss.Index = (
            _graph(dimension) if len(owners) > exact_up_to else faiss.IndexFlatIP(dimension)
        )
        for block in blocks:
            if len(block):
                searched.add(np.ascontiguousarray(block, dtype=np.float32))
        return cls(_stored(searched), owners, searched, search_depth)

    def searching_deeper(self, depth: int) -> DenseIndex:
        """The same index, its graph searched with ``depth`` candidates (to measure the trade)."""
        return DenseIndex(self.vectors, self.owners, self._faiss, depth, self._check, self._live)

    def checked(self, check: Callable[[], None]) -> DenseIndex:
        """The same index, calling ``check`` before each search (to check its file first)."""
        return DenseIndex(
            self.vectors, self.owners, self._faiss, self.search_depth, check, self._live
        )

    def alive(self, live: npt.NDArray[np.bool_]) -> DenseIndex:
        """The same index, finding only the paragraphs (rows) that ``live`` marks."""
        return DenseIndex(
            self.vectors, self.owners, self._faiss, self.search_depth, self._check, live
        )

    def __len__(self) -> int:
        return len(self.owners)

    @property
    def exact(self) -> bool:
        """Whether search compares every vector (else it walks an HNSW graph)."""
        return not isinstance(self._faiss, faiss.IndexHNSWFlat)

    def extended(self, vectors: F32, owners: I32, exact_up_to: int = EXACT_UP_TO) -> DenseIndex:
        """An index of ``vectors``, which begin with this index's own, reusing its graph.

        The caller vouches for the beginning (the window keys tell it); the graph is copied and
        only the new vectors are linked in. With no graph to reuse (a flat index, or one that
        would stay flat up to ``exact_up_to``), this is a new index (see :meth:`build`).
        """
        if len(vectors) < len(self) or vectors.shape[1] != self.dimension:
            raise ValueError("the vectors must begin with this index's vectors")
        if self.exact or len(vectors) <= exact_up_to:
            return DenseIndex.build(vectors, owners, exact_up_to, self.search_depth)
        graph = faiss.clone_index(self._faiss)
        graph.add(np.ascontiguousarray(vectors[len(self) :], dtype=np.float32))
        return DenseIndex(_stored(graph), owners, graph, self.search_depth)

    def search(self, query: F32, k: int) -> DenseMatches:
        """The ``k`` paragraphs with the most similar windows (fewer if the index holds fewer)."""
        if self._check is not None:
            self._check()
        total = len(self.owners)
        fetch = min(total, 2 * k)
        while fetch:
            scores, rows = self._search(query.reshape(1, -1).astype(np.float32), fetch)
            valid = rows[0] >= 0  # FAISS pads a short result with -1
            owners, best = self.owners[rows[0][valid]], scores[0][valid]
            if self._live is not None:
                live = self._live[owners]
                owners, best = owners[live], best[live]
            _, first = np.unique(owners, return_index=True)  # results come best first
            first.sort()
            if len(first) >= k or fetch == total:
                first = first[:k]
                return DenseMatches(owners[first].astype(np.int64), best[first].astype(np.float32))
            fetch = min(total, fetch * 4)
        return DenseMatches(np.zeros(0, np.int64), np.zeros(0, np.float32))

    def _search(self, queries: F32, fetch: int) -> tuple[F32, npt.NDArray[np.int64]]:
        with _one_thread():
            if self.exact:
                return self._faiss.search(queries, fetch)
            # Per call, not on the shared graph: searches may run in several threads at once.
            depth = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]  # not in the stubs
                efSearch=max(self.search_depth, fetch)
            )
            return self._faiss.search(queries, fetch, params=depth)

    def similarities(self, query: F32, rows: npt.NDArray[np.int64]) -> F32:
        """Each paragraph's best window similarity to the query (-1 for one with no window).

        The windows are read from FAISS's own copy, which is in memory: the memory-mapped
        ``vectors`` would page in from disk, a read-ahead's worth for every window asked for.
        """
        if self._check is not None:
            self._check()
        starts = np.searchsorted(self.owners, rows, side="left")
        counts = np.searchsorted(self.owners, rows, side="right") - starts
        result = np.full(len(rows), -1.0, dtype=np.float32)
        has = counts > 0
        if not has.any():
            return result
        windows = ranges(starts[has], counts[has])
        similar = self._faiss.reconstruct_batch(windows) @ query.astype(np.float32)
        result[has] = np.maximum.reduceat(similar, np.cumsum(counts[has]) - counts[has])
        return result

    def windows_of(self, row: int) -> range:
        """The windows of the paragraph at ``row`` (positions in ``owners``), in text order."""
        start = int(np.searchsorted(self.owners, row, side="left"))
        return range(start, int(np.searchsorted(self.owners, row, side="right")))

    def window_similarities(self, query: F32, windows: range) -> F32:
        """Each of ``windows``'s similarity to the query, read from FAISS's copy (see
        :meth:`similarities`)."""
        if self._check is not None:
            self._check()
        if not len(windows):
            return np.zeros(0, np.float32)
        found = self._faiss.reconstruct_n(windows.start, len(windows))
        return np.asarray(found @ query.astype(np.float32), dtype=np.float32)

    def save(self, folder: Path) -> None:
        """Write the owners and the vectors into ``folder``: an approximate index's inside its
        graph (stored once: :meth:`load` takes them from there), an exact one's as an array."""
        np.save(folder / "dense.owners.npy", self.owners)
        if self.exact:
            np.save(folder / VECTORS_FILE, self.vectors)
        else:
            faiss.write_index(self._faiss, str(folder / GRAPH_FILE))

    @classmethod
    def load(cls, folder: Path) -> DenseIndex:
        """Read what :meth:`save` wrote; a flat index is filled again from the vectors.

        A graph's vectors are its own storage's, in memory; an index written before they were
        stored once (format 2) also holds them as an array, which is then mapped, not read.
        """
        owners = np.load(folder / "dense.owners.npy")
        graph_file = folder / GRAPH_FILE
        if not graph_file.exists():
            vectors = np.load(folder / VECTORS_FILE, mmap_mode="r")
            return cls.build(vectors, owners, exact_up_to=len(vectors))
        try:
            graph = faiss.read_index(str(graph_file))
        except RuntimeError as error:  # FAISS's own errors carry a C++ stack in the message
            raise ValueError(f"{GRAPH_FILE} cannot be read") from error
        if (folder / VECTORS_FILE).exists():
            return cls(np.load(folder / VECTORS_FILE, mmap_mode="r"), owners, graph)
        return cls(_stored(graph), owners, graph)


class _Held:
    """An array's memory owned by a FAISS index: the index lives as long as the array."""

    def __init__(self, index: faiss.Index, interface: dict[str, object]) -> None:
        self.index = index
        self.__array_interface__ = interface


def _stored(index: faiss.Index) -> F32:
    """The vectors a flat index or an HNSW graph holds, as a read-only array over its memory (no
    copy)."""
    storage: faiss.IndexFlat = (
        faiss.downcast_index(index.storage)  # type: ignore[assignment]
        if isinstance(index, faiss.IndexHNSWFlat)
        else index
    )
    rows, dimension = int(storage.ntotal), int(storage.d)
    if not rows:
        return np.zeros((0, dimension), np.float32)
    view = faiss.rev_swig_ptr(storage.get_xb(), rows * dimension).reshape(rows, dimension)
    interface = dict(view.__array_interface__)
    interface["data"] = (interface["data"][0], True)  # read-only: the graph searches these
    return np.asarray(_Held(index, interface))


@contextmanager
def _one_thread() -> Iterator[None]:
    """Search one question in this thread alone.

    Splitting one query's scan across OpenMP threads gains little and, when the cores are busy
    (the bot's other questions, a build, torch), the threads' spin-waiting costs ten times the
    scan: 12 ms instead of 1 ms for 12,586 vectors on the 2-core build machine. The setting is the
    calling thread's own, and restored: builds still link vectors into a graph on every core.
    """
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)


def _graph(dimension: int) -> faiss.IndexHNSWFlat:
    graph = faiss.IndexHNSWFlat(dimension, GRAPH_DEGREE, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = GRAPH_BUILD_DEPTH
    return graph
