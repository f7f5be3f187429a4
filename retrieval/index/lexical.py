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
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..text.terms import counts_as_evidence
from .arrays import ranges

__all__ = [
    "LexicalIndex",
    "LexicalMatches",
    "Postings",
    "PostingsCheck",
    "Statistics",
    "hash64",
    "idf",
    "term_rows",
]

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
F64 = npt.NDArray[np.float64]

SCORED_WHOLE_UP_TO = 1 << 15
"""Postings up to which a query's lists are scored whole: pruning's own steps cost more (at
100,000 paragraphs 2,048 to 131,072 were within noise of each other, docs/benchmarks.md)."""
THRESHOLD_POSTINGS = 1 << 14
"""Postings of the terms that can add most read whole to find a first threshold for pruning."""
DENSE_SUMS_UP_TO = 16
"""Scores are summed in an array of every document while there are at most this many
documents a posting; beyond, over the documents held only."""
BOUND_MARGIN = 1 + 1e-6
"""A term's bound raised above float rounding (a posting's weight is a float32)."""
FOUND_UP_TO = 1 << 16
"""Terms whose lookup is kept (then forgotten all at once): far more than a day's questions."""
BATCHED_PAIRS = 1 << 12
"""(term, document) pairs the exact scoring looks up together at most."""
BOUNDED_FROM = 1 << 12
"""Postings from which a term's largest contribution is stored with the index (see
:meth:`Postings.save`), so that pruning knows it from the first question."""
SORTED_WHOLE_UP_TO = 1 << 8
"""Documents found that are sorted whole rather than cut to the k best first: quicker up to
about 400 (measured against ``np.partition`` for k = 50)."""
SUM_MARGIN = 1e-9
"""The threshold lowered by this share: sums in another order round differently."""
IMPACTS_UP_TO = 1 << 19
"""Postings up to which what each adds before its term's IDF is worked out once for all of them
(4 MiB at most), so that a search gathers it instead: a small index's searches are mostly the
fixed cost of their steps, and this removes four of them. Postings this few are in files that a
load checks whole anyway (``integrity.EAGER_UP_TO``), so reading them all costs no check more."""

_Entry = tuple[int, int, float, int, int]
"""A term's hash, row (-1 if no document holds it), IDF, and where its postings start and stop."""

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
    stored: Path | None = field(default=None, compare=False)
    """The folder whose files these arrays map whole (:meth:`load`): :meth:`save` links them."""

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
        """The documents at ``rows`` (document i of the result is document ``rows[i]``).

        The postings are read a slice at a time (see :meth:`slices`): a few documents taken from
        a large mapped segment cost a pass over its files, not their pages held in memory.
        """
        new_id = np.full(len(self), -1, dtype=np.int32)
        new_id[rows] = np.arange(len(rows), dtype=np.int32)
        indptr = np.asarray(self.indptr)
        df = np.zeros(len(self.vocabulary), np.int64)
        doc_ids: list[I32] = [np.zeros(0, np.int32)]
        counts: list[npt.NDArray[np.uint16]] = [np.zeros(0, np.uint16)]
        for (first, ids), (_, held) in zip(
            self.slices("doc_ids"), self.slices("counts"), strict=True
        ):
            mapped = new_id[ids]
            keep = np.flatnonzero(mapped >= 0)
            if len(keep):
                term = np.searchsorted(indptr, keep + first, "right") - 1
                df += np.bincount(term, minlength=len(df))
                doc_ids.append(mapped[keep])
                counts.append(held[keep])
        used = df > 0
        return Postings(
            self.vocabulary[used],
            np.concatenate([[0], np.cumsum(df[used])]).astype(np.int64),
            np.concatenate(doc_ids).astype(np.int32),
            np.concatenate(counts).astype(np.uint16),
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
    def concat(parts: Sequence[Postings | Path], into: Path | None = None) -> Postings:
        """One index of the documents of each part in turn (ids offset by the parts before).

        A part may be a folder :meth:`save` wrote: its postings are read when their turn comes
        and dropped after. With ``into`` (a new folder) the result is written there and mapped
        (see :meth:`load`), so that a build holds one part's postings in memory, not all of them
        twice.
        """
        heads = [p if isinstance(p, Postings) else Postings.load(p) for p in parts]
        vocabulary = np.unique(np.concatenate([p.vocabulary for p in heads]))
        places = [np.searchsorted(vocabulary, p.vocabulary) for p in heads]
        df = np.zeros(len(vocabulary), dtype=np.int64)
        for head, place in zip(heads, places, strict=True):
            df[place] += head.df
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        total = int(indptr[-1])
        if into is not None:
            into.mkdir()
        doc_ids = _output(into, "doc_ids", np.int32, total)
        counts = _output(into, "counts", np.uint16, total)
        filled = indptr[:-1].copy()  # where each term's next postings go
        offset = 0
        for part, head, place in zip(parts, heads, places, strict=True):
            # A saved part is read whole (not through its map, whose pages would stay resident).
            if isinstance(part, Path):
                ids = np.load(part / "lexical.doc_ids.npy")
                part_counts = np.load(part / "lexical.counts.npy")
            else:
                ids, part_counts = part.doc_ids, part.counts
            at = ranges(filled[place], head.df)
            doc_ids[at] = ids + offset
            counts[at] = part_counts
            filled[place] += head.df
            offset += len(head)
            del ids, part_counts, at
        lengths = np.concatenate([p.lengths for p in heads])
        if into is None:
            return Postings(vocabulary, indptr, doc_ids, counts, lengths)
        _save_bounds(into, Postings(vocabulary, indptr, doc_ids, counts, lengths))
        for name, array in (("doc_ids", doc_ids), ("counts", counts)):
            if isinstance(array, np.memmap):
                array.flush()
            else:
                np.save(into / f"lexical.{name}.npy", array)
        del doc_ids, counts
        np.save(into / "lexical.vocabulary.npy", vocabulary)
        np.save(into / "lexical.indptr.npy", indptr)
        np.save(into / "lexical.lengths.npy", lengths)
        return Postings.load(into)

    def slices(self, name: str, size: int = 1 << 24) -> Iterator[tuple[int, npt.NDArray[Any]]]:
        """The array ``name`` (``doc_ids`` or ``counts``), ``size`` postings at a time, each with
        where it starts. Postings mapped from files are read from them, not through the map: a
        pass over all of them leaves no pages resident in the process."""
        array = getattr(self, name)
        if self.stored is None:
            for first in range(0, len(array), size):
                yield first, np.asarray(array[first : first + size])
            return
        with open(self.stored / f"lexical.{name}.npy", "rb") as file:
            header = (
                np.lib.format.read_array_header_1_0
                if np.lib.format.read_magic(file) == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = header(file)
            for first in range(0, shape[0], size):
                yield first, np.fromfile(file, dtype, min(size, shape[0] - first))

    def save(self, folder: Path) -> None:
        """Write the arrays into ``folder``; postings mapped whole from files are linked there."""
        for name in _ARRAYS:
            file = folder / f"lexical.{name}.npy"
            if self.stored is None:
                np.save(file, getattr(self, name))
                continue
            _link(self.stored / file.name, file)
        if self.stored is not None and (self.stored / _BOUNDS[0]).exists():
            for name in _BOUNDS:
                _link(self.stored / name, folder / name)
        else:
            _save_bounds(folder, self)

    def bounds(self) -> tuple[I64, F64, float] | None:
        """The long lists' largest contributions stored beside mapped postings (by
        :meth:`save`): the terms' rows, each one's most a posting adds before its IDF, and the
        average document length they were computed with; None if none are stored."""
        if self.stored is None or not (self.stored / _BOUNDS[0]).exists():
            return None
        rows, largest = (np.load(self.stored / name) for name in _BOUNDS)
        return rows, largest, _average_length(self.lengths)

    @classmethod
    def load(cls, folder: Path) -> Postings:
        """Map the arrays written by :meth:`save`."""
        vocabulary, indptr, doc_ids, counts, lengths = (
            np.load(folder / f"lexical.{name}.npy", mmap_mode="r") for name in _ARRAYS
        )
        return cls(vocabulary, indptr, doc_ids, counts, lengths, stored=folder)


_ARRAYS = ("vocabulary", "indptr", "doc_ids", "counts", "lengths")
"""What :meth:`Postings.save` writes, one file each."""
_BOUNDS = ("lexical.bounded.npy", "lexical.bounds.npy")
"""The rows of the terms of long lists, and each one's largest contribution before its IDF."""


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _average_length(lengths: npt.NDArray[np.uint32]) -> float:
    """The average document length BM25 normalises by (1 for no documents, or empty ones)."""
    total = float(np.sum(lengths, dtype=np.float64))
    return total / len(lengths) if len(lengths) and total else 1.0


def _save_bounds(folder: Path, postings: Postings) -> None:
    """Store, for each term of ``BOUNDED_FROM`` postings or more, the most one of its postings
    adds to a score before the term's IDF, at BM25's defaults and these postings' average
    length (a search elsewhere scales it, see :class:`LexicalIndex`)."""
    indptr = np.asarray(postings.indptr)
    rows = np.flatnonzero(np.diff(indptr) >= BOUNDED_FROM).astype(np.int64)
    norm = K1 * (1 - B + B * np.asarray(postings.lengths) / _average_length(postings.lengths))
    largest = np.empty(len(rows), np.float64)
    for at, row in enumerate(rows.tolist()):
        start, stop = int(indptr[row]), int(indptr[row + 1])
        tf = np.asarray(postings.counts[start:stop], np.float32)
        largest[at] = _impacts(tf, norm[postings.doc_ids[start:stop]], K1).max()
    np.save(folder / _BOUNDS[0], rows)
    np.save(folder / _BOUNDS[1], largest)


def _impacts(tf: F32, norm: npt.NDArray[np.floating[Any]], k1: float) -> F64:
    """What postings of these counts add to their documents' scores before the term's IDF (BM25's
    saturated term frequency; ``norm``: each one's document length term)."""
    impacts: F64 = tf * (k1 + 1) / (tf + norm)
    return impacts


def _output(into: Path | None, name: str, dtype: type, size: int) -> npt.NDArray[Any]:
    """An array of ``size`` to fill: in memory, or mapped on a new file of ``into``."""
    if into is None or not size:  # an empty file cannot be mapped
        return np.empty(size, dtype=dtype)
    return np.lib.format.open_memmap(into / f"lexical.{name}.npy", "w+", dtype, (size,))


def idf(n_docs: int, df: I64) -> F32:
    """BM25's IDF of terms held by ``df`` of ``n_docs`` documents (float32, as indexes keep it)."""
    return np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)


def term_rows(vocabulary: U64, hashes: U64) -> I64:
    """Each term's row in a sorted ``vocabulary`` of hashes, -1 where it is not there."""
    if len(vocabulary) == 0:
        return np.full(len(hashes), -1, np.int64)
    positions = np.minimum(np.searchsorted(vocabulary, hashes), len(vocabulary) - 1)
    known = np.asarray(vocabulary[positions] == hashes)
    return np.where(known, positions, -1).astype(np.int64, copy=False)


class Statistics(Protocol):
    """What BM25 needs of a whole index whose segments are searched one at a time."""

    n_docs: int
    avg_len: float

    def idf(self, hashes: U64) -> F32:
        """Each term's IDF over the whole index (the most a term can weigh where none holds it)."""
        ...


def _sum_by(groups: npt.NDArray[np.integer], weights: npt.NDArray[np.floating], n: int) -> F64:
    """The weights of each group added up, one after another in their order (``bincount``)."""
    sums: F64 = np.bincount(groups, weights, n).astype(np.float64, copy=False)
    return sums


@dataclass(frozen=True, slots=True)
class _Query:
    """A query's known distinct terms, in hash order (the order their postings are summed in)."""

    rows: I64
    idf: F32
    evidence: npt.NDArray[np.bool_]
    """Whether each term counts in coverage."""
    starts: I64
    stops: I64
    lengths: I64
    """How many postings each term holds (``stops - starts``)."""
    total_idf: float
    """IDF mass of the terms that count in coverage, unknown ones included."""
    postings: int
    """How many postings the terms hold together."""


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
        self,
        postings: Postings,
        k1: float = K1,
        b: float = B,
        check: PostingsCheck | None = None,
        *,
        corpus: Statistics | None = None,
        live: npt.NDArray[np.bool_] | None = None,
        scored_whole_up_to: int = SCORED_WHOLE_UP_TO,
        threshold_postings: int = THRESHOLD_POSTINGS,
        stored_bounds: bool = True,
    ) -> None:
        """``corpus``: the statistics of the whole index when these postings are one segment of
        it (its own by default); ``live``: which of its documents may be found (all by default);
        ``stored_bounds``: whether pruning starts from the bounds stored with the postings (else
        it learns them all, as it did before they were stored)."""
        self.postings = postings
        self._check = check
        self._corpus = corpus
        self._live = live
        self._scored_whole_up_to = scored_whole_up_to
        self._threshold_postings = threshold_postings
        self._found: dict[str, _Entry] = {}
        """Terms asked so far: hash, row (-1 if unknown), IDF, and where their postings lie."""
        self._largest: dict[int, float] = {}
        """Each term's largest contribution (by row), for the terms of long queries so far."""
        self._rows = len(postings)
        self.k1, self.b = k1, b
        if corpus is None:
            self.n_docs = self._rows
            df = postings.df
            self.idf = idf(self.n_docs, df)
            self.avg_len = _average_length(postings.lengths)
        else:
            self.n_docs, self.avg_len = corpus.n_docs, corpus.avg_len
        # Plain views of the maps: slicing an np.memmap costs ten times a plain array's.
        self._vocabulary = np.asarray(postings.vocabulary)
        self._indptr = np.asarray(postings.indptr)
        self._doc_ids = np.asarray(postings.doc_ids)
        self._counts = np.asarray(postings.counts)
        # Each document's BM25 length term, once: the same arithmetic as per posting, so the
        # same floats.
        self._norm = self.k1 * (1 - self.b + self.b * np.asarray(postings.lengths) / self.avg_len)
        self._impacts: F64 | None = None
        """Every posting's contribution before IDF, up to ``IMPACTS_UP_TO`` postings (see
        :meth:`_impact_table`)."""
        self._stored: dict[int, float] = {}
        """The largest contributions before IDF stored with the index, by row (long lists)."""
        stored = postings.bounds() if stored_bounds and (k1, b) == (K1, B) else None
        if stored is not None:
            rows, largest, own = stored
            # A length term shrinks by at most own / avg_len when the average grows from
            # ``own`` to ``avg_len`` (a segment of a larger index), so contributions grow by at
            # most its inverse; when the average shrinks, they only shrink.
            scale = max(1.0, self.avg_len / own)
            self._stored = dict(zip(rows.tolist(), (largest * scale).tolist(), strict=True))

    @property
    def missing_idf(self) -> float:
        """The IDF a term no document holds would have: the most a term can weigh."""
        return float(np.log1p((self.n_docs + 0.5) / 0.5))

    def _lookup(self, hashes: U64) -> tuple[I64, F32]:
        """Each term's row (-1 when no document holds it) and its IDF (the corpus's)."""
        rows = term_rows(self._vocabulary, hashes)
        if self._corpus is not None:
            return rows, self._corpus.idf(hashes)
        if not len(self.idf):
            return rows, np.full(len(hashes), self.missing_idf, np.float32)
        idf = np.where(rows >= 0, self.idf[np.maximum(rows, 0)], np.float32(self.missing_idf))
        return rows, idf.astype(np.float32, copy=False)

    def idf_of(self, terms: Sequence[str]) -> dict[str, float]:
        """The IDF of each term (the most a term can weigh, for terms no document holds)."""
        return {term: entry[2] for term, entry in self._entries(terms).items()}

    def search(
        self, terms: Sequence[str], k: int, counted: Sequence[str] | None = None
    ) -> LexicalMatches:
        """The ``k`` best documents by BM25 (fewer if fewer documents hold a query term), best
        first, equal scores in document order.

        Coverage is the share of the IDF mass of ``counted`` (by default the terms that count as
        evidence: words and bigrams, not unigrams) that each document holds.

        Short posting lists are scored whole. Long ones are pruned by MaxScore: no term adds
        more to a score than its largest contribution, so once the ``k``-th best score found so
        far exceeds what the terms that add least could add together, a document holding only
        those terms cannot enter the top ``k``: their lists are not read through, only looked
        into (binary search) for the documents the other terms found, which are dropped as soon
        as what is left to add cannot lift them to the threshold. The documents kept are then
        scored exactly as whole scoring would, term by term in the same order, to the same
        floats. A long list's largest contribution is stored with the index (from
        ``BOUNDED_FROM`` postings); another term's is learnt the first time a long query holds
        it (the query is then scored whole if most of its postings are of such terms).
        """
        query = self._query(terms, counted)
        if self._check is not None:  # the postings about to be read: checked first (integrity)
            self._check(query.starts, query.stops)
        if k <= 0 or not query.postings:
            empty = np.zeros(0, np.float32)
            return LexicalMatches(np.zeros(0, np.int64), empty, empty)
        if query.postings <= self._scored_whole_up_to:
            return self._whole(query, k)
        if 2 * self._unbounded(query) > query.postings:  # bounds cost most of a whole scoring
            return self._whole(query, k, learn=True)
        candidates = self._candidates(query, k)
        if candidates is None:
            return self._whole(query, k)
        return self._best(query, candidates, k)

    def _query(self, terms: Sequence[str], counted: Sequence[str] | None) -> _Query:
        """The known distinct terms of a query in hash order, with what scoring needs of them."""
        if counted is None:
            counted = [term for term in terms if counts_as_evidence(term)]
        found = self._entries([*terms, *counted])
        evidence = {found[term][0]: found[term][2] for term in counted}
        # The IDF mass, unknown terms included, added in hash order: the order a document's
        # matched IDF is added in (so a document holding every term covers exactly 1).
        total_idf = sum(evidence[h] for h in sorted(evidence))
        # In hash order (an entry starts with its hash), each distinct known term once.
        kept = sorted({entry for term in terms if (entry := found[term])[1] >= 0})
        hashes, rows, idf, starts, stops = zip(*kept, strict=True) if kept else ((),) * 5
        begin, end = np.array(starts, np.int64), np.array(stops, np.int64)
        lengths = end - begin
        return _Query(
            np.array(rows, np.int64),
            np.array(idf, np.float32),
            np.array([h in evidence for h in hashes], bool),
            begin,
            end,
            lengths,
            total_idf,
            int(lengths.sum()),
        )

    def _entries(self, terms: Iterable[str]) -> dict[str, _Entry]:
        """What queries need of each term, looked up once and then kept."""
        found: dict[str, _Entry] = {}
        missing = []
        for term in dict.fromkeys(terms):
            entry = self._found.get(term)
            if entry is None:
                missing.append(term)
            else:
                found[term] = entry
        if missing:
            found.update(self._find(missing))
        return found

    def _find(self, terms: list[str]) -> dict[str, _Entry]:
        """Look ``terms`` up in the vocabulary; what queries need of them is kept too."""
        hashes = hash64(terms)
        rows, idf = self._lookup(hashes)
        last = len(self._indptr) - 1
        at = np.clip(rows, 0, last)
        known = rows >= 0  # a term no document holds has no postings: an empty span
        starts = np.where(known, self._indptr[at], 0)
        stops = np.where(known, self._indptr[np.minimum(at + 1, last)], 0)
        entries = zip(
            hashes.tolist(),
            rows.tolist(),
            idf.tolist(),
            starts.tolist(),
            stops.tolist(),
            strict=True,
        )
        found = dict(zip(terms, entries, strict=True))
        if len(self._found) + len(found) > FOUND_UP_TO:
            self._found.clear()
        self._found.update(found)
        return found

    def _impact_table(self) -> F64 | None:
        """What every posting adds before its term's IDF, for postings few enough to keep it
        (else None): worked out at the first search, once the postings are checked."""
        if self._impacts is None and len(self._doc_ids) <= IMPACTS_UP_TO:
            if self._check is not None:
                self._check(np.zeros(1, np.int64), np.array([len(self._doc_ids)], np.int64))
            tf = self._counts.astype(np.float32)
            self._impacts = _impacts(tf, self._norm[self._doc_ids], self.k1)
        return self._impacts

    def _contributions(self, idf: F32 | np.float32, at: I64, docs: I32) -> F64:
        """What the postings at ``at`` (of documents ``docs``) add to their documents' scores
        (float32 weight, float64 result)."""
        impacts = self._impact_table()
        if impacts is None:
            impacts = _impacts(self._counts[at].astype(np.float32), self._norm[docs], self.k1)
        else:
            impacts = impacts[at]
        contributions: F64 = idf * impacts
        return contributions

    def _read(
        self, query: _Query, terms: I64 | None = None, deleted_too: bool = False
    ) -> tuple[I32, F64, npt.NDArray[np.bool_] | None]:
        """The documents of the postings of ``terms`` (positions in the query; None: all of
        them), each posting's contribution, term after term, and which postings were kept: the
        live documents' (None: all were), or every one ``deleted_too``."""
        if terms is None:
            starts, stops, idf, lengths = query.starts, query.stops, query.idf, query.lengths
        else:
            starts, stops, idf = query.starts[terms], query.stops[terms], query.idf[terms]
            lengths = stops - starts
        spans = list(zip(starts.tolist(), stops.tolist(), strict=True))
        doc_ids, table = self._doc_ids, self._impact_table()
        # Slices copied whole: several times faster than gathering the same items by position.
        docs = np.concatenate([doc_ids[start:stop] for start, stop in spans])
        values: npt.NDArray[Any]  # each posting's impact, or its count to work it out from
        if table is None:
            counts = self._counts
            values = np.concatenate([counts[a:b] for a, b in spans], dtype=np.float32)
        else:
            values = np.concatenate([table[a:b] for a, b in spans])
        weights = np.repeat(idf, lengths)
        kept = None
        if self._live is not None and not deleted_too:  # dropped before any arithmetic
            kept = self._live[docs]
            docs, values, weights = docs[kept], values[kept], weights[kept]
        impacts = values if table is not None else _impacts(values, self._norm[docs], self.k1)
        contributions: F64 = weights * impacts
        return docs, contributions, kept

    def _whole(self, query: _Query, k: int, learn: bool = False) -> LexicalMatches:
        """Every posting scored: the faster way when the lists are short; with ``learn``, each
        term's largest contribution is kept for pruning later queries."""
        docs, weights, kept = self._read(query, deleted_too=learn)
        lengths = query.lengths
        held = np.repeat(query.idf * query.evidence, lengths)
        if learn:  # bounds over every posting: a deleted document's only makes them looser
            largest = np.maximum.reduceat(weights, np.cumsum(lengths) - lengths)
            for row, bound in zip(query.rows.tolist(), largest.tolist(), strict=True):
                self._largest[row] = bound * BOUND_MARGIN
            if self._live is not None:
                kept = self._live[docs]
                docs, weights = docs[kept], weights[kept]
        if kept is not None:
            held = held[kept]
        if self._rows <= DENSE_SUMS_UP_TO * len(docs):
            scores = _sum_by(docs, weights, self._rows)
            hits = (scores > 0).nonzero()[0]  # every posting adds more than 0
            scores = scores[hits]
            matched = _sum_by(docs, held, self._rows)[hits]
        else:  # a few postings among many documents: sums over the documents they hold only
            hits, inverse = np.unique(docs, return_inverse=True)
            scores = _sum_by(inverse, weights, len(hits))
            matched = _sum_by(inverse, held, len(hits))
        return self._matches(query, hits, scores, matched, k)

    def _candidates(self, query: _Query, k: int) -> I32 | None:
        """Documents that include every one of the ``k`` best (MaxScore), in order; None when
        every list must be read anyway (too few documents for a threshold)."""
        bound = self._bounds(query)
        order = np.argsort(-bound, kind="stable")  # the terms that can add most first
        # rest[j]: the most the terms from order[j] on can add to a score.
        rest = np.concatenate([np.cumsum(bound[order][::-1])[::-1], [0.0]])
        read = np.cumsum(query.lengths[order])
        # A first threshold: the k best by the lists of the terms that can add most, in full.
        first = max(1, int(np.searchsorted(read, self._threshold_postings, side="right")))
        docs, partial = self._sums(query, order[:first])
        threshold = 0.0
        if len(docs) >= k:
            best = np.sort(docs[np.argpartition(-partial, k - 1)[:k]])
            threshold = float(self._scores(query, best)[0].min()) * (1 - SUM_MARGIN)
        # Documents holding none of the terms before ``essential`` cannot reach the threshold.
        essential = max(first, int(np.count_nonzero(rest[:-1] >= threshold)))
        if essential == len(order):
            return None
        if essential > first:
            docs, partial = self._sums(query, order[:essential])
            if len(docs) >= k:  # more documents read: perhaps better ones
                best = np.sort(docs[np.argpartition(-partial, k - 1)[:k]])
                found = float(self._scores(query, best)[0].min()) * (1 - SUM_MARGIN)
                threshold = max(threshold, found)
        keep = partial + rest[essential] >= threshold
        for j in range(essential, len(order)):
            docs, partial = docs[keep], partial[keep]
            partial += self._probe(query, int(order[j]), docs)
            keep = partial + rest[j + 1] >= threshold
        kept: I32 = docs[keep]
        return kept

    def _bounds(self, query: _Query) -> F64:
        """The most each term adds to a document's score: its largest contribution, stored with
        the index for long lists, else found by scoring its list the first time the term is met
        in a long query; then kept."""
        bounds = np.empty(len(query.rows))
        for term, row in enumerate(query.rows.tolist()):
            bound = self._largest.get(row)
            if bound is None:
                stored = self._stored.get(row)
                if stored is not None:
                    bound = float(query.idf[term]) * stored * BOUND_MARGIN
                else:
                    _, weights, _ = self._read(query, np.array([term]), deleted_too=True)
                    bound = float(weights.max()) * BOUND_MARGIN
                self._largest[row] = bound
            bounds[term] = bound
        return bounds

    def _unbounded(self, query: _Query) -> int:
        """Postings of the query's terms whose largest contribution is not known yet."""
        lengths = query.lengths.tolist()
        rows = query.rows.tolist()
        largest, stored = self._largest, self._stored
        return sum(
            n
            for row, n in zip(rows, lengths, strict=True)
            if row not in largest and row not in stored
        )

    def _sums(self, query: _Query, terms: I64) -> tuple[I32, F64]:
        """The documents holding any of ``terms``, in order, and the sum of what those add."""
        docs, weights, _ = self._read(query, terms)
        if len(terms) == 1:  # one list holds each document once, in order
            return docs, weights
        if self._rows <= DENSE_SUMS_UP_TO * len(docs):
            sums = _sum_by(docs, weights, self._rows)
            held = (sums > 0).nonzero()[0]
            return held.astype(np.int32), sums[held]
        unique, inverse = np.unique(docs, return_inverse=True)
        return unique, _sum_by(inverse, weights, len(unique))

    def _probe(self, query: _Query, term: int, docs: I32) -> F64:
        """What term ``term`` (a position in the query) adds to each of ``docs`` (in order): a
        binary search in its postings."""
        start, stop = int(query.starts[term]), int(query.stops[term])
        posting = self._doc_ids[start:stop]
        at = np.minimum(np.searchsorted(posting, docs), len(posting) - 1)
        held = posting[at] == docs
        added = np.zeros(len(docs))
        added[held] = self._contributions(query.idf[term], start + at[held], docs[held])
        return added

    def _scores(self, query: _Query, docs: I32) -> tuple[F64, F64]:
        """The exact scores of ``docs`` (in order) and the evidence IDF each holds: summed term
        by term in hash order, as :meth:`_whole` sums them, so to the same floats.

        Every (term, document) pair is looked up at once, by a binary search run on all the
        pairs together: a few dozen array operations however many terms the query has (many
        documents a slice at a time, to bound the memory it takes).
        """
        terms, n = len(query.rows), len(docs)
        if terms * n > BATCHED_PAIRS:
            step = max(1, BATCHED_PAIRS // terms)
            parts = [self._scores(query, docs[at : at + step]) for at in range(0, n, step)]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        stops = np.repeat(query.stops, n)
        low, high = np.repeat(query.starts, n), stops.copy()
        wanted = np.tile(docs, terms)
        last = len(self._doc_ids) - 1
        for _ in range(int(query.lengths.max()).bit_length()):
            middle = (low + high) >> 1
            searching = low < high
            below = self._doc_ids[np.minimum(middle, last)] < wanted
            low = np.where(searching & below, middle + 1, low)
            high = np.where(searching & ~below, middle, high)
        held = low < stops
        held[held] = self._doc_ids[low[held]] == wanted[held]
        added = np.zeros(terms * n)
        added[held] = self._contributions(np.repeat(query.idf, n)[held], low[held], wanted[held])
        evidence = np.repeat((query.idf * query.evidence).astype(np.float64), n)
        # cumsum adds one term's row after another: the order whole scoring adds them in.
        scores = np.cumsum(added.reshape(terms, n), axis=0)[-1]
        matched = np.cumsum(np.where(held, evidence, 0.0).reshape(terms, n), axis=0)[-1]
        return scores, matched

    def _best(self, query: _Query, docs: I32, k: int) -> LexicalMatches:
        scores, matched = self._scores(query, docs)
        return self._matches(query, docs, scores, matched, k)

    def _matches(
        self, query: _Query, docs: I32 | I64, scores: F64, matched: F64, k: int
    ) -> LexicalMatches:
        """The ``k`` best of ``docs`` (in order) by score, ties in document order."""
        if len(docs) > max(k, SORTED_WHOLE_UP_TO):  # else sorting them all is quicker
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            top = np.flatnonzero(scores >= kth)  # every tie of the k-th, so the order decides
            docs, scores, matched = docs[top], scores[top], matched[top]
        best = np.lexsort((docs, -scores))[:k]
        total = query.total_idf
        coverage = matched[best] / total if total > 0 else np.zeros(len(best))
        return LexicalMatches(
            docs[best].astype(np.int64),
            scores[best].astype(np.float32),
            coverage.astype(np.float32),
        )

    def held(self, terms: Sequence[str], row: int) -> set[str]:
        """Which of ``terms`` document ``row`` holds: a binary search in each term's postings."""
        entries = self._entries(terms)
        known = [(term, entry) for term, entry in entries.items() if entry[1] >= 0]
        if self._check is not None and known:
            self._check(
                np.array([entry[3] for _, entry in known], np.int64),
                np.array([entry[4] for _, entry in known], np.int64),
            )
        doc_ids, held = self._doc_ids, set()
        for term, (_, _, _, start, stop) in known:
            at = start + int(np.searchsorted(doc_ids[start:stop], row))
            if at < stop and doc_ids[at] == row:
                held.add(term)
        return held

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many documents hold each term."""
        return {term: entry[4] - entry[3] for term, entry in self._entries(terms).items()}
