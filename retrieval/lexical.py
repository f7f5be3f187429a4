"""The lexical leg: BM25 over index terms, built once at index time, memory-mapped at query time.

Terms are identified by a 64-bit hash, so the vocabulary is one sorted ``uint64`` array (found with
a binary search, loaded in no time) instead of a dict of millions of strings. Each document's terms
are kept too (the *forward* index), so that an incremental rebuild re-weights the existing documents
with array operations instead of re-segmenting their text.

BM25 weights are computed at build time for every (term, document) pair — the "eager" scoring of
bm25s — so a query only adds up the posting lists of its terms.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["ForwardIndex", "LexicalIndex", "LexicalMatches", "hash64"]

K1 = 1.2
"""BM25 term-frequency saturation: the usual Lucene default."""
B = 0.75
"""BM25 length normalisation: the usual Lucene default."""

U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def hash64(texts: Iterable[str]) -> U64:
    """Stable 64-bit ids of strings (blake2b); collisions are negligible below billions of them."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            for t in texts
        ),
        dtype=np.uint64,
    )


@dataclass(frozen=True, slots=True)
class ForwardIndex:
    """Each document's distinct terms and their counts, as one CSR structure."""

    indptr: I64
    hashes: U64
    counts: npt.NDArray[np.uint32]

    @classmethod
    def from_terms(cls, documents: Iterable[Sequence[str]]) -> ForwardIndex:
        """Count the terms of each document."""
        indptr = [0]
        hash_chunks: list[U64] = []
        count_chunks: list[npt.NDArray[np.uint32]] = []
        for terms in documents:
            counts = Counter(terms)
            hash_chunks.append(hash64(counts))
            count_chunks.append(np.fromiter(counts.values(), dtype=np.uint32, count=len(counts)))
            indptr.append(indptr[-1] + len(counts))
        return cls(
            np.asarray(indptr, dtype=np.int64),
            np.concatenate(hash_chunks) if hash_chunks else np.zeros(0, np.uint64),
            np.concatenate(count_chunks) if count_chunks else np.zeros(0, np.uint32),
        )

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def select(self, rows: Sequence[int] | npt.NDArray[np.int64]) -> ForwardIndex:
        """The documents at ``rows``, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        take = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1], dtype=np.int64)
        return ForwardIndex(indptr, self.hashes[take], self.counts[take])

    def slice(self, start: int, stop: int) -> ForwardIndex:
        """The documents ``start`` to ``stop`` (excluded), sharing this index's arrays."""
        first, last = int(self.indptr[start]), int(self.indptr[stop])
        return ForwardIndex(
            self.indptr[start : stop + 1] - first, self.hashes[first:last], self.counts[first:last]
        )

    @staticmethod
    def concat(parts: Sequence[ForwardIndex]) -> ForwardIndex:
        """One forward index holding the documents of each part in turn."""
        offsets = np.cumsum([0] + [len(p.hashes) for p in parts])
        indptr = np.concatenate(
            [[0]] + [p.indptr[1:] + off for p, off in zip(parts, offsets, strict=False)]
        )
        return ForwardIndex(
            indptr.astype(np.int64),
            np.concatenate([p.hashes for p in parts]) if parts else np.zeros(0, np.uint64),
            np.concatenate([p.counts for p in parts]) if parts else np.zeros(0, np.uint32),
        )

    def save(self, folder: Path) -> None:
        """Write the arrays into ``folder``."""
        np.save(folder / "forward.indptr.npy", self.indptr)
        np.save(folder / "forward.hashes.npy", self.hashes)
        np.save(folder / "forward.counts.npy", self.counts)

    @classmethod
    def load(cls, folder: Path) -> ForwardIndex:
        """Map the arrays written by :meth:`save`."""
        return cls(
            np.load(folder / "forward.indptr.npy", mmap_mode="r"),
            np.load(folder / "forward.hashes.npy", mmap_mode="r"),
            np.load(folder / "forward.counts.npy", mmap_mode="r"),
        )


@dataclass(frozen=True, slots=True)
class LexicalMatches:
    """The best documents for a query, with their BM25 scores and query coverage."""

    ids: I64
    scores: F32
    coverage: F32
    """Share of the query's IDF mass that each document contains, in [0, 1]."""


@dataclass(frozen=True, slots=True)
class LexicalIndex:
    """BM25 posting lists: for each term (by hash), the documents holding it and their weights."""

    vocabulary: U64
    """Sorted term hashes; a term's row is its position here."""
    indptr: I64
    doc_ids: npt.NDArray[np.int32]
    weights: F32
    idf: F32
    n_docs: int

    @classmethod
    def build(cls, forward: ForwardIndex, k1: float = K1, b: float = B) -> LexicalIndex:
        """Weight every (term, document) pair with BM25 and invert to posting lists."""
        n_docs = len(forward)
        vocabulary, rows = np.unique(forward.hashes, return_inverse=True)
        lengths = np.diff(forward.indptr)
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)
        doc_len = np.bincount(doc_of, weights=forward.counts, minlength=n_docs).astype(np.float32)
        avg_len = float(doc_len.mean()) if n_docs and doc_len.mean() > 0 else 1.0
        df = np.bincount(rows, minlength=len(vocabulary))
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        tf = forward.counts.astype(np.float32)
        norm = k1 * (1 - b + b * doc_len[doc_of] / avg_len)
        weights = idf[rows] * tf * (k1 + 1) / (tf + norm)
        order = np.lexsort((doc_of, rows))
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        return cls(
            vocabulary,
            indptr,
            doc_of[order],
            weights[order].astype(np.float32),
            idf,
            n_docs,
        )

    @property
    def missing_idf(self) -> float:
        """The IDF a term no document holds would have: the most a term can weigh."""
        return float(np.log1p((self.n_docs + 0.5) / 0.5))

    def _lookup(self, hashes: U64) -> tuple[I64, F32]:
        """Each term's row (-1 when no document holds it) and its IDF."""
        if len(self.vocabulary) == 0:
            return np.full(len(hashes), -1, np.int64), np.full(
                len(hashes), self.missing_idf, np.float32
            )
        positions = np.searchsorted(self.vocabulary, hashes).clip(max=len(self.vocabulary) - 1)
        known = self.vocabulary[positions] == hashes
        rows = np.where(known, positions, -1).astype(np.int64)
        return rows, np.where(known, self.idf[positions], self.missing_idf).astype(np.float32)

    def rows(self, terms: Iterable[str]) -> tuple[I64, F32]:
        """Rows of the distinct terms (-1 for unknown ones) and each term's IDF."""
        return self._lookup(np.unique(hash64(terms)))

    def idf_of(self, terms: Sequence[str]) -> dict[str, float]:
        """The IDF of each term (the most a term can weigh, for terms no document holds)."""
        distinct = list(dict.fromkeys(terms))
        _, idf = self._lookup(hash64(distinct))
        return dict(zip(distinct, idf.tolist(), strict=True))

    def search(self, terms: Sequence[str], k: int) -> LexicalMatches:
        """The ``k`` best documents by BM25 (fewer if fewer documents hold a query term)."""
        rows, idf = self.rows(terms)
        total_idf = float(idf.sum())
        scores = np.zeros(self.n_docs, dtype=np.float32)
        matched = np.zeros(self.n_docs, dtype=np.float32)
        for row, weight in zip(rows, idf, strict=True):
            if row < 0:
                continue
            start, end = self.indptr[row], self.indptr[row + 1]
            docs = self.doc_ids[start:end]
            scores[docs] += self.weights[start:end]
            matched[docs] += weight
        hits = np.flatnonzero(scores)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.lexsort((hits, -scores[hits]))]
        coverage = matched[hits] / total_idf if total_idf > 0 else np.zeros(len(hits), np.float32)
        return LexicalMatches(hits.astype(np.int64), scores[hits], coverage.astype(np.float32))

    def save(self, folder: Path) -> None:
        """Write the arrays into ``folder``."""
        np.save(folder / "lexical.vocabulary.npy", self.vocabulary)
        np.save(folder / "lexical.indptr.npy", self.indptr)
        np.save(folder / "lexical.doc_ids.npy", self.doc_ids)
        np.save(folder / "lexical.weights.npy", self.weights)
        np.save(folder / "lexical.idf.npy", self.idf)

    @classmethod
    def load(cls, folder: Path, n_docs: int) -> LexicalIndex:
        """Map the arrays written by :meth:`save`."""
        return cls(
            np.load(folder / "lexical.vocabulary.npy", mmap_mode="r"),
            np.load(folder / "lexical.indptr.npy", mmap_mode="r"),
            np.load(folder / "lexical.doc_ids.npy", mmap_mode="r"),
            np.load(folder / "lexical.weights.npy", mmap_mode="r"),
            np.load(folder / "lexical.idf.npy", mmap_mode="r"),
            n_docs,
        )
