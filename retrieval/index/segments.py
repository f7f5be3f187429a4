"""An index version as segments: each a sub-folder written once, searched as one index.

A version is a list of segments, oldest first. A segment holds some paragraphs with their
postings and window vectors, and is never changed once written: a later version that keeps it
hard-links its files, and marks the rows of paragraphs no longer there as deleted (a list of rows
in the version's copy of the segment folder). Rows are numbered across the version, segment after
segment, so the search code sees one table of paragraphs, one lexical and one dense index:

- the lexical leg scores each segment's postings with the whole version's statistics (documents,
  average length and each term's document frequency, deleted documents left out), so that a
  document scores exactly what it would in an index of the live paragraphs built whole;
- the dense leg searches each segment's vectors and keeps the best.

A version of format 4 or earlier is one segment: its folder itself, with nothing deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..ingest.paragraphs import Paragraph
from .dense import DenseIndex, DenseMatches
from .integrity import Checks
from .lexical import (
    FOUND_UP_TO,
    LexicalIndex,
    LexicalMatches,
    Postings,
    PostingsCheck,
    hash64,
    idf,
    term_rows,
)

__all__ = [
    "DELETED_FILE",
    "SOURCES_FILES",
    "Corpus",
    "LiveTexts",
    "ParagraphList",
    "Paragraphs",
    "Part",
    "SegmentedDense",
    "SegmentedLexical",
    "deleted_df",
    "gather_postings",
    "path_hashes",
    "postings_check",
    "rebased",
]

DELETED_FILE = "deleted.rows.npy"
"""The rows of a segment deleted in a version (sorted); with the terms they held, below."""
DELETED_TERMS_FILE = "deleted.terms.npy"
DELETED_DF_FILE = "deleted.df.npy"
SOURCES_FILES = ("sources.indptr.npy", "sources.paths.npy")
"""Which seed files each row's paragraph stands in (hashes of their paths), to find the rows an
edited or removed file had without reading the paragraphs."""
DELETION_FILES = (DELETED_FILE, DELETED_TERMS_FILE, DELETED_DF_FILE)

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U64 = npt.NDArray[np.uint64]
F32 = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


def path_hashes(paths: Sequence[str]) -> U64:
    """The ids that the sources files give seed file paths."""
    return hash64(paths)


@dataclass(frozen=True, slots=True)
class Part:
    """One segment as loaded: its rows begin at ``base`` and its windows at ``window_base``."""

    name: str
    folder: Path
    base: int
    window_base: int
    table: ParagraphRows
    postings: Postings
    dense: DenseIndex | None
    dense_keys: U64 | None
    dense_spans: I32 | None
    paragraph_keys: U64
    deleted: I32
    """Rows of this segment deleted (sorted)."""
    deleted_terms: I64
    """Terms (rows of the segment's vocabulary) the deleted rows hold, and how many of them."""
    deleted_df: I64
    live: Mask | None = field(init=False, compare=False)
    """Which rows are not deleted (None: all); made once, from ``deleted``."""

    def __post_init__(self) -> None:
        live = None
        if len(self.deleted):
            live = np.ones(len(self), bool)
            live[self.deleted] = False
        object.__setattr__(self, "live", live)  # frozen: set once, here

    def __len__(self) -> int:
        return len(self.paragraph_keys)

    @classmethod
    def in_memory(
        cls,
        paragraphs: Sequence[Paragraph],
        postings: Postings,
        dense: DenseIndex | None,
        dense_keys: U64 | None,
        dense_spans: I32 | None,
        paragraph_keys: U64,
    ) -> Part:
        """A segment being built, in memory (numbered first: see :func:`rebased`)."""
        none = np.zeros(0, np.int64)
        return cls(
            "", Path(), 0, 0, ParagraphList(paragraphs), postings, dense, dense_keys, dense_spans,
            paragraph_keys, none.astype(np.int32), none, none,
        )  # fmt: skip

    def deleting(self, rows: npt.ArrayLike) -> Part:
        """This segment with ``rows`` (its own numbers) deleted too."""
        deleted = np.union1d(self.deleted, np.asarray(rows, np.int64)).astype(np.int32)
        if len(deleted) == len(self.deleted):
            return self
        terms, df = deleted_df(self.postings, deleted)
        return replace(self, deleted=deleted, deleted_terms=terms, deleted_df=df)

    def sources(self) -> tuple[I64, U64]:
        """Each row's seed files, as path hashes (``paths[indptr[r]:indptr[r + 1]]``)."""
        indptr, paths = (np.load(self.folder / name) for name in SOURCES_FILES)
        return indptr, paths


class ParagraphRows(Protocol):
    """What a segment's table of paragraphs offers (see retrieval.index.store.ParagraphTable)."""

    ids: npt.NDArray[np.bytes_]

    def __len__(self) -> int: ...

    def __getitem__(self, row: int) -> Paragraph: ...


class ParagraphList:
    """A segment's paragraphs held in memory (one being built)."""

    def __init__(self, paragraphs: Sequence[Paragraph]) -> None:
        self._paragraphs = paragraphs
        self.ids = np.asarray([p.id.encode("ascii") for p in paragraphs], dtype="S16")

    def __len__(self) -> int:
        return len(self._paragraphs)

    def __getitem__(self, row: int) -> Paragraph:
        return self._paragraphs[row]


def rebased(parts: Sequence[Part]) -> list[Part]:
    """The parts numbered one after another (after a segment was dropped or added)."""
    placed, base, window_base = [], 0, 0
    for part in parts:
        placed.append(replace(part, base=base, window_base=window_base))
        base += len(part)
        window_base += len(part.dense) if part.dense is not None else 0
    return placed


class LiveTexts(Sequence[str]):
    """Each row's paragraph text, read when asked; a deleted row's is empty."""

    def __init__(self, paragraphs: Paragraphs) -> None:
        self._paragraphs = paragraphs

    def __len__(self) -> int:
        return len(self._paragraphs)

    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        if not 0 <= row < len(self):
            raise IndexError(row)
        return self._paragraphs[row].text if self._paragraphs.alive(row) else ""


class Paragraphs:
    """The paragraphs of every segment, numbered across them; a deleted row is still readable
    (a stale answer's citation), but no search finds it and :meth:`row_of` does not give it."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self._parts = list(parts)
        self._bases = np.array([p.base for p in parts], np.int64)
        self.ids: npt.NDArray[np.bytes_] = (
            np.concatenate([p.table.ids for p in parts]) if parts else np.zeros(0, "S16")
        )
        masks = [p.live for p in parts]
        self.live: Mask | None = None
        """Which rows are not deleted (None: all)."""
        if any(mask is not None for mask in masks):
            self.live = np.concatenate(
                [
                    m if m is not None else np.ones(len(p), bool)
                    for m, p in zip(masks, parts, strict=True)
                ]
            )

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, row: int) -> Paragraph:
        if not 0 <= row < len(self):
            raise IndexError(row)
        part = self._parts[int(np.searchsorted(self._bases, row, "right")) - 1]
        return part.table[row - part.base]

    @property
    def live_ids(self) -> npt.NDArray[np.bytes_]:
        """The ids of the paragraphs in the version, in row order."""
        return self.ids if self.live is None else self.ids[self.live]

    def alive(self, row: int) -> bool:
        """Whether the paragraph at ``row`` is in the version (not deleted)."""
        return 0 <= row < len(self) and (self.live is None or bool(self.live[row]))

    def row_of(self, paragraph_id: str) -> int | None:
        """The row of the paragraph with this id, if the index holds it."""
        rows = np.flatnonzero(self.ids == paragraph_id.encode("ascii", "replace"))
        if self.live is not None:
            rows = rows[self.live[rows]]
        return int(rows[0]) if len(rows) else None


class Corpus:
    """The whole version's BM25 statistics, over the live documents of every segment."""

    def __init__(self, parts: Sequence[Part]) -> None:
        self._parts = list(parts)
        lengths = 0.0
        self.n_docs = 0
        for part in parts:
            live = part.live
            held = np.asarray(part.postings.lengths)
            lengths += float(np.sum(held if live is None else held[live], dtype=np.float64))
            self.n_docs += len(part) - len(part.deleted)
        self.avg_len = lengths / self.n_docs if self.n_docs and lengths else 1.0
        self.missing_idf = float(np.log1p((self.n_docs + 0.5) / 0.5))
        # Plain views of the maps: slicing an np.memmap costs ten times a plain array's.
        self._vocabularies = [np.asarray(p.postings.vocabulary) for p in parts]
        self._indptrs = [np.asarray(p.postings.indptr) for p in parts]
        self._df: dict[int, int] = {}
        """Each term's document frequency by hash, once counted: every segment asks for the
        terms of each query, and a version's statistics never change."""

    def df(self, hashes: U64) -> I64:
        """How many live documents hold each term."""
        keys = hashes.tolist()
        values = [self._df.get(key) for key in keys]
        if None in values:
            missing = list(dict.fromkeys(k for k, v in zip(keys, values, strict=True) if v is None))
            found = self._count(np.array(missing, np.uint64)).tolist()
            counted = dict(zip(missing, found, strict=True))
            if len(self._df) + len(counted) > FOUND_UP_TO:
                self._df.clear()
            self._df.update(counted)
            values = [counted[k] if v is None else v for k, v in zip(keys, values, strict=True)]
        return np.array(values, np.int64)

    def _count(self, hashes: U64) -> I64:
        """:meth:`df` looked up in every segment."""
        total = np.zeros(len(hashes), np.int64)
        for part, vocabulary, indptr in zip(
            self._parts, self._vocabularies, self._indptrs, strict=True
        ):
            rows = term_rows(vocabulary, hashes)
            known = rows >= 0
            total[known] += indptr[rows[known] + 1] - indptr[rows[known]]
            if len(part.deleted_terms):
                at = np.minimum(
                    np.searchsorted(part.deleted_terms, rows), len(part.deleted_terms) - 1
                )
                gone = known & (part.deleted_terms[at] == rows)
                total[gone] -= part.deleted_df[at[gone]]
        return total

    def idf(self, hashes: U64) -> F32:
        df = self.df(hashes)
        return np.where(df > 0, idf(self.n_docs, df), np.float32(self.missing_idf)).astype(
            np.float32
        )


class SegmentedLexical:
    """BM25 over several segments' postings, as one index of their live documents."""

    def __init__(self, parts: Sequence[Part], checks: Sequence[Checks | None]) -> None:
        self.corpus = Corpus(parts)
        self._bases = np.array([p.base for p in parts], np.int64)
        self.segments = [
            LexicalIndex(
                part.postings,
                check=postings_check(check, part.postings),
                corpus=self.corpus,
                live=part.live,
            )
            for part, check in zip(parts, checks, strict=True)
        ]
        self.n_docs = self.corpus.n_docs
        self.avg_len = self.corpus.avg_len

    @property
    def missing_idf(self) -> float:
        return self.corpus.missing_idf

    def search(
        self, terms: Sequence[str], k: int, counted: Sequence[str] | None = None
    ) -> LexicalMatches:
        """As :meth:`LexicalIndex.search`: each segment's best, then the best of them."""
        found = [s.search(terms, k, counted) for s in self.segments]
        ids = np.concatenate([m.ids + base for m, base in zip(found, self._bases, strict=True)])
        scores = np.concatenate([m.scores for m in found])
        coverage = np.concatenate([m.coverage for m in found])
        best = np.lexsort((ids, -scores))[:k]
        return LexicalMatches(ids[best], scores[best], coverage[best])

    def held(self, terms: Sequence[str], row: int) -> set[str]:
        at = int(np.searchsorted(self._bases, row, "right")) - 1
        return self.segments[at].held(terms, row - int(self._bases[at]))

    def idf_of(self, terms: Sequence[str]) -> dict[str, float]:
        return self.segments[0].idf_of(terms)

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        unique = list(dict.fromkeys(terms))
        return dict(zip(unique, self.corpus.df(hash64(unique)).tolist(), strict=True))


class WindowVectors:
    """The window vectors of every segment, read by global window number."""

    def __init__(self, parts: Sequence[DenseIndex], bases: I64, dimension: int) -> None:
        self._parts, self._bases = parts, bases
        self.shape = (int(bases[-1]) if len(bases) else 0, dimension)
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, windows: Any) -> F32:
        at = np.arange(len(self))[windows]  # a slice, a mask or window numbers
        at = np.atleast_1d(at).astype(np.int64, copy=False)
        found = np.empty((len(at), self.shape[1]), np.float32)
        which = np.searchsorted(self._bases, at, "right") - 1
        for segment in np.unique(which).tolist():
            mine = which == segment
            found[mine] = self._parts[segment].vectors[at[mine] - self._bases[segment]]
        return found

    def __array__(self, dtype: object = None, copy: object = None) -> F32:
        return self[np.arange(len(self))]


class SegmentedDense:
    """Nearest windows over several segments' vectors, as one index of their live paragraphs."""

    def __init__(self, parts: Sequence[Part]) -> None:
        dense = [p.dense for p in parts]
        if any(d is None for d in dense):
            raise ValueError("every segment of a hybrid index holds vectors")
        self._parts = [
            d.alive(p.live) if p.live is not None else d
            for d, p in zip(dense, parts, strict=True)
            if d is not None
        ]
        self._bases = np.array([p.base for p in parts], np.int64)
        self._window_bases = np.array([p.window_base for p in parts], np.int64)
        self.dimension = self._parts[0].dimension
        self.owners = np.concatenate(
            [d.owners + base for d, base in zip(self._parts, self._bases, strict=True)]
        ).astype(np.int32)
        ends = np.append(self._window_bases, self._window_bases[-1] + len(self._parts[-1]))
        self.vectors = WindowVectors(self._parts, ends, self.dimension)
        self.search_depth = self._parts[0].search_depth

    def __len__(self) -> int:
        return len(self.owners)

    @property
    def exact(self) -> bool:
        return all(d.exact for d in self._parts)

    def search(self, query: F32, k: int) -> DenseMatches:
        found = [d.search(query, k) for d in self._parts]
        ids = np.concatenate([m.ids + base for m, base in zip(found, self._bases, strict=True)])
        scores = np.concatenate([m.scores for m in found])
        best = np.lexsort((ids, -scores))[:k]
        return DenseMatches(ids[best], scores[best])

    def similarities(self, query: F32, rows: I64) -> F32:
        result = np.full(len(rows), -1.0, np.float32)
        which = np.searchsorted(self._bases, rows, "right") - 1
        for segment in np.unique(which).tolist():
            mine = which == segment
            local = rows[mine] - self._bases[segment]
            result[mine] = self._parts[segment].similarities(query, local)
        return result

    def windows_of(self, row: int) -> range:
        segment = int(np.searchsorted(self._bases, row, "right")) - 1
        local = self._parts[segment].windows_of(row - int(self._bases[segment]))
        base = int(self._window_bases[segment])
        return range(local.start + base, local.stop + base)

    def window_similarities(self, query: F32, windows: range) -> F32:
        if not len(windows):
            return np.zeros(0, np.float32)
        segment = int(np.searchsorted(self._window_bases, windows.start, "right")) - 1
        base = int(self._window_bases[segment])
        local = range(windows.start - base, windows.stop - base)
        return self._parts[segment].window_similarities(query, local)

    def searching_deeper(self, depth: int) -> SegmentedDense:
        deeper = object.__new__(SegmentedDense)
        deeper.__dict__.update(self.__dict__)
        deeper._parts = [d.searching_deeper(depth) for d in self._parts]
        deeper.search_depth = depth
        return deeper


def gather_postings(parts: Sequence[Part], rows: I64) -> Postings:
    """The postings of the documents at global ``rows`` (the result's document i is ``rows[i]``)."""
    bases = np.array([p.base for p in parts], np.int64)
    which = np.searchsorted(bases, rows, "right") - 1
    order = np.argsort(which, kind="stable")  # segment by segment, each in the order asked
    pieces = []
    for segment in np.unique(which).tolist():
        mine = rows[order[which[order] == segment]] - bases[segment]
        pieces.append(parts[segment].postings.select(mine))
    if not pieces:
        return parts[0].postings.select(np.zeros(0, np.int64))
    # Document i of the pieces joined is rows[order[i]]: it takes that place.
    return Postings.concat(pieces).relabel(order.astype(np.int64))


def deleted_df(postings: Postings, deleted: I32) -> tuple[I64, I64]:
    """The terms (vocabulary rows) that the ``deleted`` documents hold, and in how many of them."""
    if not len(deleted):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    gone = np.zeros(len(postings), bool)
    gone[deleted] = True
    held = [np.flatnonzero(gone[ids]) + first for first, ids in postings.slices("doc_ids")]
    where = np.concatenate([np.zeros(0, np.int64), *held])
    rows = np.searchsorted(np.asarray(postings.indptr), where, "right") - 1
    terms, counts = np.unique(rows, return_counts=True)
    return terms.astype(np.int64), counts.astype(np.int64)


def postings_check(checks: Checks | None, postings: Postings) -> PostingsCheck | None:
    """What checks the postings of some terms before a search reads them."""
    if checks is None:
        return None

    def check(starts: npt.NDArray[np.int64], stops: npt.NDArray[np.int64]) -> None:
        checks.require_items("lexical.doc_ids.npy", postings.doc_ids, starts, stops)
        checks.require_items("lexical.counts.npy", postings.counts, starts, stops)

    return check
