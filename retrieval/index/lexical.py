"""The lexical leg: BM25 over index terms, from posting lists memory-mapped at query time.

Terms are identified by a 64-bit hash, so the vocabulary is one sorted ``uint64`` array (found with
a binary search, loaded in no time) instead of a dict of millions of strings. For each term the
index keeps the documents that hold it and how often (6 bytes a posting); BM25 is computed at
query time from those counts, each document's length and the term's document frequency, so that
the same postings serve any corpus size: an incremental rebuild drops the postings of removed
documents, renumbers the rest and merges in the new ones — no text is segmented again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..text.terms import counts_as_evidence
from .arrays import ranges

__all__ = ["LexicalIndex", "LexicalMatches", "Postings", "PostingsCheck", "hash64"]

K1 = 0.9
"""BM25 term-frequency saturation: below Lucene's 1.2, since every Chinese word also counts as its
bigrams (a repeated word adds up fast). On CMRC 0.9 and 1.2 are within a question of each other;
0.9 was better on held-out traditional sets (issue 10)."""
B = 0.75
"""BM25 length normalisation: the usual Lucene default."""
MAX_COUNT = np.iinfo(np.uint16).max

U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]

PostingsCheck = Callable[[I64, I64], None]
"""Checks postings ``starts[i]:stops[i]`` on disk before they are read (raises if damaged)."""


def hash64(texts: Iterable[str]) -> U64:
    """Stable 64-bit ids of strings (blake2b); collisions are negligible below billions of them."""
    return np.fromiter((_hash(text) for text in texts), dtype=np.uint64)


@lru_cache(maxsize=1 << 16)
def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


@dataclass(frozen=True, slots=True)
class Postings:
    """Documents inverted: for each term (by hash), the documents holding it and how often."""

    vocabulary: U64
    """Sorted term hashes; a term's row is its position here."""
    indptr: I64
    """The postings of term row t are ``doc_ids[indptr[t]:indptr[t + 1]]``."""
    doc_ids: I32
    counts: npt.NDArray[np.uint16]
    lengths: npt.NDArray[np.uint32]
    """Terms in each document, by document id."""

    @classmethod
    def from_terms(cls, documents: Iterable[Sequence[str]]) -> Postings:
        """Invert the terms of each document (document ids are positions in ``documents``)."""
        hashes: dict[str, int] = {}  # a term is hashed once however often it occurs
        term_ids: list[int] = []
        counts: list[int] = []
        lengths: list[int] = []
        doc_ids: list[int] = []
        for doc, terms in enumerate(documents):
            counted = Counter(terms)
            for term, count in counted.items():
                value = hashes.get(term)
                if value is None:
                    value = hashes[term] = _hash(term)
                term_ids.append(value)
                counts.append(count)
            doc_ids.extend([doc] * len(counted))
            lengths.append(len(terms))
        term_hashes = np.asarray(term_ids, dtype=np.uint64)
        order = np.argsort(term_hashes, kind="stable")  # stable: documents stay in order
        vocabulary, df = np.unique(term_hashes[order], return_counts=True)
        return cls(
            vocabulary,
            np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
            np.asarray(doc_ids, dtype=np.int32)[order],
            np.minimum(np.asarray(counts, dtype=np.int64)[order], MAX_COUNT).astype(np.uint16),
            np.asarray(lengths, dtype=np.uint32),
        )

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def df(self) -> I64:
        """How many documents hold each term."""
        return np.diff(self.indptr)

    def select(self, rows: I64) -> Postings:
        """The documents at ``rows`` (document i of the result is document ``rows[i]``)."""
        new_id = np.full(len(self), -1, dtype=np.int32)
        new_id[rows] = np.arange(len(rows), dtype=np.int32)
        mapped = new_id[self.doc_ids]
        keep = mapped >= 0
        if not len(keep):
            return Postings(
                self.vocabulary[:0],
                np.zeros(1, np.int64),
                mapped,
                self.counts[:0],
                self.lengths[rows],
            )
        df = np.add.reduceat(keep, self.indptr[:-1], dtype=np.int64)  # every term has a posting
        used = df > 0
        return Postings(
            self.vocabulary[used],
            np.concatenate([[0], np.cumsum(df[used])]).astype(np.int64),
            mapped[keep].astype(np.int32),
            self.counts[keep],
            self.lengths[rows],
        )

    def relabel(self, ids: I64) -> Postings:
        """The same documents, document i renamed ``ids[i]`` (a permutation of the ids)."""
        lengths = np.empty_like(self.lengths)
        lengths[ids] = self.lengths
        return Postings(
            self.vocabulary, self.indptr, ids[self.doc_ids].astype(np.int32), self.counts, lengths
        )

    @staticmethod
    def concat(parts: Sequence[Postings]) -> Postings:
        """One index of the documents of each part in turn (ids offset by the parts before)."""
        vocabulary = np.unique(np.concatenate([p.vocabulary for p in parts]))
        places = [np.searchsorted(vocabulary, p.vocabulary) for p in parts]
        df = np.zeros(len(vocabulary), dtype=np.int64)
        for part, place in zip(parts, places, strict=True):
            df[place] += part.df
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        doc_ids = np.empty(int(indptr[-1]), dtype=np.int32)
        counts = np.empty(int(indptr[-1]), dtype=np.uint16)
        filled = indptr[:-1].copy()  # where each term's next postings go
        offset = 0
        for part, place in zip(parts, places, strict=True):
            at = ranges(filled[place], part.df)
            doc_ids[at] = part.doc_ids + offset
            counts[at] = part.counts
            filled[place] += part.df
            offset += len(part)
        return Postings(
            vocabulary, indptr, doc_ids, counts, np.concatenate([p.lengths for p in parts])
        )

    def save(self, folder: Path) -> None:
        """Write the arrays into ``folder``."""
        for name in ("vocabulary", "indptr", "doc_ids", "counts", "lengths"):
            np.save(folder / f"lexical.{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Map the arrays written by :meth:`save`."""
        arrays = [
            np.load(folder / f"lexical.{name}.npy", mmap_mode="r")
            for name in ("vocabulary", "indptr", "doc_ids", "counts", "lengths")
        ]
        return cls(*arrays)


@dataclass(frozen=True, slots=True)
class LexicalMatches:
    """The best documents for a query, with their BM25 scores and query coverage."""

    ids: I64
    scores: F32
    coverage: F32
    """Share of the query's IDF mass that each document contains, in [0, 1] (evidence terms)."""


class LexicalIndex:
    """BM25 search over one set of postings."""

    def __init__(
        self, postings: Postings, k1: float = K1, b: float = B, check: PostingsCheck | None = None
    ) -> None:
        self.postings = postings
        self._check = check
        self.n_docs = len(postings)
        self.k1, self.b = k1, b
        df = postings.df
        self.idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        total = float(np.sum(postings.lengths, dtype=np.float64))
        self.avg_len = total / self.n_docs if self.n_docs and total else 1.0

    @property
    def missing_idf(self) -> float:
        """The IDF a term no document holds would have: the most a term can weigh."""
        return float(np.log1p((self.n_docs + 0.5) / 0.5))

    def _lookup(self, hashes: U64) -> tuple[I64, F32]:
        """Each term's row (-1 when no document holds it) and its IDF."""
        vocabulary = self.postings.vocabulary
        if len(vocabulary) == 0:
            return np.full(len(hashes), -1, np.int64), np.full(
                len(hashes), self.missing_idf, np.float32
            )
        positions = np.searchsorted(vocabulary, hashes).clip(max=len(vocabulary) - 1)
        known = vocabulary[positions] == hashes
        rows = np.where(known, positions, -1).astype(np.int64)
        return rows, np.where(known, self.idf[positions], self.missing_idf).astype(np.float32)

    def idf_of(self, terms: Sequence[str]) -> dict[str, float]:
        """The IDF of each term (the most a term can weigh, for terms no document holds)."""
        distinct = list(dict.fromkeys(terms))
        _, idf = self._lookup(hash64(distinct))
        return dict(zip(distinct, idf.tolist(), strict=True))

    def search(
        self, terms: Sequence[str], k: int, counted: Sequence[str] | None = None
    ) -> LexicalMatches:
        """The ``k`` best documents by BM25 (fewer if fewer documents hold a query term).

        Coverage is the share of the IDF mass of ``counted`` (by default the terms that count as
        evidence: words and bigrams, not unigrams) that each document holds.
        """
        distinct = np.unique(hash64(terms))
        rows, idf = self._lookup(distinct)
        if counted is None:
            counted = [term for term in terms if counts_as_evidence(term)]
        counted_hashes = np.unique(hash64(counted))
        _, counted_idf = self._lookup(counted_hashes)
        total_idf = float(counted_idf.sum())
        evidence = np.isin(distinct, counted_hashes)
        known = rows >= 0
        rows, idf, evidence = rows[known], idf[known], evidence[known]
        postings = self.postings
        starts = postings.indptr[rows]
        lengths = postings.indptr[rows + 1] - starts
        if self._check is not None:  # the postings about to be read: checked first (integrity)
            self._check(starts, starts + lengths)
        take = ranges(starts, lengths)
        if not len(take):
            empty = np.zeros(0, np.float32)
            return LexicalMatches(np.zeros(0, np.int64), empty, empty)
        docs = postings.doc_ids[take]
        tf = postings.counts[take].astype(np.float32)
        weight = np.repeat(idf, lengths)
        norm = self.k1 * (1 - self.b + self.b * postings.lengths[docs] / self.avg_len)
        scores = np.bincount(docs, weight * tf * (self.k1 + 1) / (tf + norm), self.n_docs)
        hits = np.flatnonzero(scores)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.lexsort((hits, -scores[hits]))]
        matched = np.bincount(docs, weight * np.repeat(evidence, lengths), self.n_docs)[hits]
        coverage = matched / total_idf if total_idf > 0 else np.zeros(len(hits))
        return LexicalMatches(
            hits.astype(np.int64), scores[hits].astype(np.float32), coverage.astype(np.float32)
        )

    def holding(self, terms: Sequence[str], docs: I64) -> npt.NDArray[np.bool_]:
        """Which of ``docs`` hold each term: a (terms, docs) boolean matrix."""
        rows, _ = self._lookup(hash64(terms))
        held = np.zeros((len(rows), len(docs)), dtype=bool)
        postings = self.postings
        for i, row in enumerate(rows.tolist()):
            if row >= 0:
                posting = postings.doc_ids[postings.indptr[row] : postings.indptr[row + 1]]
                held[i] = np.isin(docs, posting)
        return held

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many documents hold each term."""
        distinct = list(dict.fromkeys(terms))
        rows, _ = self._lookup(hash64(distinct))
        df = self.postings.df
        return {
            t: int(df[r]) if r >= 0 else 0 for t, r in zip(distinct, rows.tolist(), strict=True)
        }
