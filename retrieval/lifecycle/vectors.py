"""The window vectors of a build: kept from the version before, taken from the cache, or embedded.

An unchanged paragraph (same headings and text) keeps its windows, where they lie in its text,
and their vectors from the version before, as they are — nothing is cut or counted again. The
windows of a new or edited paragraph are cut anew and looked up by their text's hash, first in
the version before, then in the vector cache of the model (:mod:`retrieval.lifecycle.cache`);
only the rest are embedded, a chunk at a time. (A version written before window spans were
stored has every paragraph cut anew, and each vector found by its window's hash.) After the new
version is written, the vectors it dropped go into the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np
import numpy.typing as npt

from ..encoder import Encoder
from ..index.arrays import lookup, ranges
from ..index.dense import EXACT_UP_TO, DenseIndex
from ..index.lexical import hash64
from ..index.record import BuildRecord, reuse
from ..index.segments import SegmentedDense
from ..index.store import StoredIndex
from ..index.windows import window_spans
from ..ingest.paragraphs import Paragraph, headings
from ..progress import Meter
from .cache import Cached, read_cache, retire

__all__ = ["BLOCK", "CHUNK", "HEADER_SHARE", "Vectors", "WindowTexts"]

HEADER_SHARE = 4
"""A window's heading line may fill 1/HEADER_SHARE of the model's window, else it is dropped."""
CHUNK = 256
"""Windows embedded (or paragraphs analysed) between two progress updates: small enough to keep
memory flat on a 50 MB file, large enough for the model's batches."""
BLOCK = 1 << 16
"""Windows made at a time (looked up or embedded, shortest first within the block), then added
to the index: a build never holds all its new vectors outside FAISS's copy."""

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F32 = npt.NDArray[np.float32]


class Vectors:
    """Makes the window vectors of one build with one model, and keeps what it dropped."""

    def __init__(
        self,
        root: Path,
        record: BuildRecord,
        encoder: Encoder,
        say: Callable[[str], None],
        meter: Meter,
        exact_up_to: int = EXACT_UP_TO,
    ) -> None:
        self.root, self.record, self.encoder, self.say, self.meter = (
            root, record, encoder, say, meter
        )  # fmt: skip
        self.model = record.model or encoder.name
        self.exact_up_to = exact_up_to
        self.windows_embedded = 0
        self.windows_cached = 0
        self._cached: Cached | None = None

    def reusable(self, previous: StoredIndex | None) -> bool:
        """Whether the previous version's windows were cut and embedded as this build would."""
        if previous is None or previous.dense is None:
            return False
        return reuse(previous.manifest.built_with, self.record).vectors

    def cached(self) -> Cached:
        """The vector cache of this build's model (read once, when first needed)."""
        if self._cached is None:
            self._cached = read_cache(self.root, self.model, self.encoder.dimension)
        return self._cached

    def build(
        self, paragraphs: Sequence[Paragraph], old_rows: I64, previous: StoredIndex | None
    ) -> tuple[DenseIndex, U64, I32, int]:
        """The dense index, its window keys and spans, and how many paragraphs had a window
        embedded.

        ``old_rows`` gives each paragraph's row in the version before (-1 for a new one);
        ``previous`` is that version, if its windows can be reused (see :meth:`reusable`).
        """
        n = len(paragraphs)
        old = previous.dense if previous is not None else None
        old_keys = previous.dense_keys if previous is not None else None
        old_spans = previous.dense_spans if previous is not None else None
        if old is None or old_keys is None or old_spans is None:
            old_rows = np.full(n, -1, np.int64)
        kept = np.flatnonzero(old_rows >= 0)
        fresh = np.flatnonzero(old_rows < 0)
        counts = np.zeros(n, np.int64)
        starts = np.zeros(0, np.int64)
        if old is not None and len(kept):
            starts = np.searchsorted(old.owners, old_rows[kept], "left").astype(np.int64)
            counts[kept] = np.searchsorted(old.owners, old_rows[kept], "right") - starts

        texts, owners_of_fresh, fresh_spans = self.windows([paragraphs[i] for i in fresh.tolist()])
        counts[fresh] = np.bincount(owners_of_fresh, minlength=len(fresh))
        fresh_keys = hash64(texts)
        in_old = lookup(old_keys, fresh_keys) if old is not None and old_keys is not None else None
        in_cache = np.full(len(texts), -1, np.int64)
        unfound = np.flatnonzero(in_old < 0) if in_old is not None else np.arange(len(texts))
        if len(unfound):
            in_cache[unfound] = lookup(self.cached().keys, fresh_keys[unfound])
        self.windows_cached = int(np.count_nonzero(in_cache >= 0))
        missing = unfound[in_cache[unfound] < 0]
        embedded = len(np.unique(owners_of_fresh[missing]))
        self.windows_embedded = len(missing)
        if len(missing):
            self.say(f"embedding {len(missing)} of {len(texts)} new windows")
        self.meter.start("embedding", len(missing))
        made = self._made(texts, old, in_old, in_cache)
        dimension = self.encoder.dimension

        if old is None or old_keys is None or old_spans is None or not len(kept):
            # Every paragraph is new: its windows are in order, each block added to the index as
            # it is made (no second copy of the vectors).
            owners = owners_of_fresh.astype(np.int32)
            dense = DenseIndex.grown(made, owners, dimension, self.exact_up_to)
            self.meter.stop()
            return dense, fresh_keys, fresh_spans, embedded
        fresh_vectors = np.empty((len(texts), dimension), np.float32)
        for first, block in zip(range(0, len(texts), BLOCK), made, strict=True):
            fresh_vectors[first : first + len(block)] = block
        self.meter.stop()
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        vectors = np.empty((int(offsets[-1]), dimension), np.float32)
        window_keys = np.empty(int(offsets[-1]), np.uint64)
        spans = np.empty((int(offsets[-1]), 2), np.int32)
        at, source = ranges(offsets[kept], counts[kept]), ranges(starts, counts[kept])
        vectors[at] = old.vectors[source]
        window_keys[at] = old_keys[source]
        spans[at] = old_spans[source]
        if len(fresh):
            at = ranges(offsets[fresh], counts[fresh])
            vectors[at] = fresh_vectors
            window_keys[at] = fresh_keys
            spans[at] = fresh_spans
        del fresh_vectors
        owners = np.repeat(np.arange(n, dtype=np.int32), counts)
        if isinstance(old, DenseIndex) and _begins_with(window_keys, old_keys):
            return old.extended(vectors, owners, self.exact_up_to), window_keys, spans, embedded
        return DenseIndex.build(vectors, owners, self.exact_up_to), window_keys, spans, embedded

    def _made(
        self,
        texts: Sequence[str],
        old: DenseIndex | SegmentedDense | None,
        in_old: I64 | None,
        in_cache: I64,
    ) -> Iterator[F32]:
        """The vectors of ``texts``, ``BLOCK`` at a time in order: each the version before's
        (its row ``in_old``), the cache's (``in_cache``), or embedded."""
        cached = self.cached() if bool((in_cache >= 0).any()) else None
        for first in range(0, len(texts), BLOCK):
            stop = min(first + BLOCK, len(texts))
            block = np.zeros((stop - first, self.encoder.dimension), np.float32)
            unfound = np.ones(stop - first, bool)
            if old is not None and in_old is not None:
                rows = in_old[first:stop]
                block[rows >= 0] = old.vectors[rows[rows >= 0]]
                unfound = rows < 0
            if cached is not None:
                rows = in_cache[first:stop]
                block[rows >= 0] = cached.vectors[rows[rows >= 0]]
                unfound &= rows < 0
            self.embed(texts[first:stop], np.flatnonzero(unfound), block)
            yield block

    def windows(self, paragraphs: Sequence[Paragraph]) -> tuple[Sequence[str], I64, I32]:
        """The texts of the windows of ``paragraphs``, the paragraph (position) of each, and
        where in that paragraph's text each lies (start, end).

        Each window is headed by the paragraph's headings when they take at most 1/HEADER_SHARE
        of the model's window. Paragraphs are cut a chunk at a time, to keep token lists small;
        the texts are made when asked for (:class:`WindowTexts`).
        """
        prefixes: list[str] = []
        owners: list[int] = []
        where: list[tuple[int, int]] = []
        budget = self.encoder.max_tokens
        count = self.encoder.count_tokens
        shared: dict[str, str] = {}  # one string for the paragraphs of an article
        for first in range(0, len(paragraphs), CHUNK * 4):
            chunk = paragraphs[first : first + CHUNK * 4]
            headers = [" · ".join(headings(p)) for p in chunk]
            costs = count([h + "\n" for h in headers]) if budget else [0] * len(chunk)
            budgets: list[int | None] = []
            for header, cost in zip(headers, costs, strict=True):
                keep = bool(header) and (budget is None or cost * HEADER_SHARE <= budget)
                prefix = header + "\n" if keep else ""
                prefixes.append(shared.setdefault(prefix, prefix))
                budgets.append(None if budget is None else budget - (cost if keep else 0))
            spans = window_spans([p.text for p in chunk], budgets, count)
            for row, parts in enumerate(spans, start=first):
                for start, end in parts:
                    owners.append(row)
                    where.append((start, end))
        located = np.asarray(where, dtype=np.int32).reshape(len(where), 2)
        owned = np.asarray(owners, dtype=np.int64)
        return WindowTexts(paragraphs, prefixes, owned, located), owned, located

    def embed(self, texts: Sequence[str], rows: I64, vectors: F32) -> None:
        """Embed ``texts[rows]`` into ``vectors[rows]``, a chunk at a time, shortest first; the
        meter hears each chunk."""
        if not len(rows):
            return
        order = rows[np.argsort([len(texts[i]) for i in rows.tolist()], kind="stable")]
        for first in range(0, len(order), CHUNK):
            chunk = order[first : first + CHUNK]
            vectors[chunk] = self.encoder.encode_passages([texts[i] for i in chunk.tolist()])
            self.meter.advance(len(chunk))

    def keep_dropped(self, previous: StoredIndex | None, held: U64) -> None:
        """Put the vectors the new version dropped into the cache; take out those it holds again."""
        old = previous.dense if previous is not None else None
        old_keys = previous.dense_keys if previous is not None else None
        # Vectors are cached by window text, so any of this model's serve, however they were cut.
        same = previous is not None and reuse(previous.manifest.built_with, self.record).questions
        if same and old is not None and old_keys is not None:
            retire(
                self.root,
                self.model,
                self.cached(),
                Cached(old_keys, np.asarray(old.vectors)),
                held,
            )
            return
        if not same:
            drop_vectors(self.root, previous)  # another model's: the new version holds none
        if self._cached is not None:
            empty = Cached(
                np.zeros(0, np.uint64), np.zeros((0, self.encoder.dimension), np.float32)
            )
            retire(self.root, self.model, self._cached, empty, held)

    def keep_deleted(self, previous: StoredIndex, doomed: I64, added: U64 | None) -> None:
        """After an update: put the vectors of the ``doomed`` rows' windows into the cache, and
        take out those the new version holds (its kept windows', and ``added``: its new
        segment's)."""
        old, keys = previous.dense, previous.dense_keys
        if old is None or keys is None:
            return
        owners = np.asarray(old.owners)
        gone = np.isin(owners, doomed)
        live = previous.paragraphs.live
        still = ~gone if live is None else ~gone & live[owners]
        held = np.concatenate([keys[still], added if added is not None else keys[:0]])
        dropped = Cached(keys[gone], np.asarray(old.vectors[np.flatnonzero(gone)]))
        retire(self.root, self.model, self.cached(), dropped, held)


class WindowTexts(Sequence[str]):
    """The texts of windows, each made when asked for: a paragraph's heading line (``prefixes``)
    then the span of its text that the window covers."""

    def __init__(
        self, paragraphs: Sequence[Paragraph], prefixes: Sequence[str], owners: I64, spans: I32
    ) -> None:
        self.paragraphs, self.prefixes, self.owners, self.spans = (
            paragraphs, prefixes, owners, spans
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.owners)

    @overload
    def __getitem__(self, at: int) -> str: ...
    @overload
    def __getitem__(self, at: slice) -> list[str]: ...
    def __getitem__(self, at: int | slice) -> str | list[str]:
        if isinstance(at, slice):
            return [self[i] for i in range(*at.indices(len(self)))]
        owner = int(self.owners[at])
        start, end = self.spans[at].tolist()
        return self.prefixes[owner] + self.paragraphs[owner].text[start:end]


def drop_vectors(root: Path, previous: StoredIndex | None) -> None:
    """Keep the vectors of ``previous`` in its model's cache: the new version holds none."""
    if previous is None or previous.dense is None or previous.dense_keys is None:
        return
    if previous.manifest.model is not None:
        base = read_cache(root, previous.manifest.model, previous.dense.dimension)
        dropped = Cached(previous.dense_keys, np.asarray(previous.dense.vectors))
        retire(root, previous.manifest.model, base, dropped, np.zeros(0, np.uint64))


def _begins_with(keys: U64, prefix: U64) -> bool:
    """Whether the windows ``keys`` name begin with those ``prefix`` names (windows were added)."""
    return len(prefix) <= len(keys) and bool(np.array_equal(keys[: len(prefix)], prefix))
