"""Building an index version from the seeds folder, reusing what earlier builds computed.

When the index in use was built as this build would build it, a build is an *update*: only the
files added or changed are read, and they become a new segment beside the version before's,
which are kept as they are (:mod:`retrieval.lifecycle.update`); then segments are merged if the
policy asks (:mod:`retrieval.lifecycle.merging`). Otherwise — the first build, ``--full``,
another model or analyser — every file is read and the version is one segment.

Either way work is reused by content. A paragraph whose matching text (headings and text) is
unchanged keeps its postings and its window vectors from the version before. The windows of a new
or edited paragraph are looked up by their text's hash in the version before and in the vector
cache (:mod:`retrieval.lifecycle.cache`) before anything is embedded — so adding one file to a
large folder embeds only that file's paragraphs, and a file put back embeds nothing. BM25 weights
are computed at query time, so nothing corpus-wide is rescored. What can be reused is decided by
:func:`retrieval.index.record.reuse`, from the two versions' build records.

A build reads the version before once, under the build lock: its manifest is parsed once, its
files are checked once, each seed file is read once (an edited one is hashed, then read). When
neither the seeds nor the way the index would be built changed, nothing is written and the report
says so (``up_to_date``); the model is then not even loaded."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, overload

import numpy as np
import numpy.typing as npt

from ..encoder import Encoder
from ..errors import SeedQAError, SeedsNotFoundError
from ..index.arrays import lookup
from ..index.dense import EXACT_UP_TO
from ..index.lexical import LexicalIndex, Postings, hash64
from ..index.manifest import Calibration, Manifest
from ..index.record import BuildRecord, reuse
from ..index.segments import (
    LiveTexts,
    Paragraphs,
    Part,
    SegmentedDense,
    SegmentedLexical,
    gather_postings,
    rebased,
)
from ..index.store import (
    FORMAT,
    KeptSegment,
    NewSegment,
    StoredIndex,
    build_lock,
    merger,
    new_version_name,
    open_index,
    read_manifest,
    scratch,
    verify,
    write_index,
    write_version,
)
from ..ingest.paragraphs import Document, Paragraph, headings, merge
from ..ingest.seeds import SEED_SUFFIXES, SeedFile, file_hash, find_seeds, read_seed
from ..progress import SILENT, Meter
from ..search.calibration import calibrate
from ..text.terms import terms
from .cache import drop_cache
from .changes import SeedChanges, compare, seed_changes
from .merging import merge_in_background, merge_while_planned, planned
from .postings import postings_of
from .update import (
    counts_by_file,
    doomed_rows,
    kept_segments,
    live_windows,
    read_changed,
    regrouped,
    survivors,
)
from .vectors import Vectors, drop_vectors

__all__ = [
    "BuildReport",
    "Models",
    "build_index",
    "matching_text",
    "up_to_date",
]

logger = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]


class Models(Protocol):
    """The front-end's choice of model for a build, and loading it (only when it is needed)."""

    def choose(self, before: BuildRecord | None) -> str | None:
        """The model to build with, given how the index in use was built (None: lexical)."""
        ...

    def load(self, model: str) -> Encoder | None:
        """The loaded model, or None when it cannot be loaded (the build is then lexical)."""
        ...


@dataclass(frozen=True, slots=True)
class _Given:
    """A model already chosen and loaded (or None) by the caller."""

    encoder: Encoder | None
    model: str | None

    def choose(self, before: BuildRecord | None) -> str | None:
        return self.model

    def load(self, model: str) -> Encoder | None:
        return self.encoder


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did; the same fields whether or not anything had changed."""

    version: str
    """The version written; when nothing had changed, the version in use (nothing was written)."""
    mode: str
    files: int
    paragraphs: int
    windows: int
    page_breaks: int
    """Page breaks joined by this build (0 when nothing was read again)."""
    seconds: float
    files_added: tuple[str, ...] = ()
    files_changed: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    files_unchanged: tuple[str, ...] = ()
    paragraphs_embedded: int = 0
    """Paragraphs with at least one window embedded by this build."""
    paragraphs_reused: int = 0
    """Paragraphs whose vectors (in a lexical index: whose terms) came from earlier builds."""
    windows_embedded: int = 0
    windows_cached: int = 0
    """Windows whose vectors came from the vector cache rather than the version before."""
    skipped: tuple[SeedFile, ...] = ()
    full: bool = False
    """Whether nothing was reused from earlier builds."""
    up_to_date: bool = False
    """Whether nothing had changed, so that nothing was built or written."""
    notes: tuple[str, ...] = field(default=())


def matching_text(paragraph: Paragraph) -> str:
    """What the lexical leg indexes for a paragraph: its headings and its article's bylines,
    then its text — so that who wrote an article finds it (``索朗琼珠写了什么？``)."""
    return "\n".join([*headings(paragraph), *paragraph.source.bylines, paragraph.text])


def up_to_date(seeds: Path, root: Path, model: str | None) -> bool:
    """True when the index in ``root`` is whole and was built from exactly these seeds and model.

    The model is not loaded: one of the name the index was built with is taken to be that model.
    """
    try:
        manifest = read_manifest(root, check=True)
    except SeedQAError:
        return False
    wanted = BuildRecord.now(model, None, FORMAT, assumed=manifest.built_with)
    if not reuse(manifest.built_with, wanted).current:
        return False
    return not seed_changes(seeds, manifest).any


def build_index(
    seeds: Path,
    root: Path,
    encoder: Encoder | None = None,
    model: str | None = None,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    meter: Meter = SILENT,
    *,
    models: Models | None = None,
    exact_up_to: int = EXACT_UP_TO,
    merge_in_background: bool = False,
) -> BuildReport:
    """Build the index of ``seeds`` into ``root``, or report that it is up to date.

    ``model`` is the model asked for (None for none) and ``encoder`` that model loaded, or None
    when it is unavailable or not wanted: the index is then lexical only. Or ``models`` chooses
    the model from how the index in use was built and loads it only if something is to be built.
    ``full`` reuses nothing from earlier builds. ``progress`` hears one line per step, ``meter``
    counts the units of the long ones; the dense leg searches exactly up to ``exact_up_to``
    windows. Segments due to be merged are merged before it returns, or with
    ``merge_in_background`` by a process of their own after it (see
    :mod:`retrieval.lifecycle.merging`). Raises :class:`~retrieval.errors.SeedsNotFoundError`
    when there is nothing to index and :class:`~retrieval.errors.IndexLockedError` while another
    build runs.
    """
    build = _Build(
        seeds, root, models or _Given(encoder, model), full, progress or (lambda _: None),
        meter, exact_up_to, merge_in_background,
    )  # fmt: skip
    if merge_in_background and not full and merger(root) is not None:
        # A merge holds the index: stopped only if there is something to build.
        report = build.with_nothing_to_do()
        if report is not None:
            return report
    with build_lock(root):
        return build.run()


@dataclass
class _Build:
    seeds: Path
    root: Path
    models: Models
    full: bool
    say: Callable[[str], None]
    meter: Meter
    exact_up_to: int
    background: bool
    """Whether merges are left to a process of their own."""
    started: float = field(default_factory=time.perf_counter)

    def run(self) -> BuildReport:
        old, whole = self._before()
        paths = list(find_seeds(self.seeds))
        known = old.known() if old is not None else {}
        model = self.models.choose(old.built_with if old is not None else None)
        if old is not None and whole and not self.full:
            wanted = BuildRecord.now(model, None, FORMAT, assumed=old.built_with)
            if reuse(old.built_with, wanted).current and self._unchanged(paths, known):
                if old.dense or model is None:
                    return self._nothing_changed(old, paths)
                # Built lexical because the model could not be loaded: try it again.
                encoder = self.models.load(model)
                if encoder is None:
                    return self._nothing_changed(old, paths)
                return self._build(paths, old, whole, model, encoder)
        encoder = self.models.load(model) if model is not None else None
        return self._build(paths, old, whole, model, encoder)

    def _before(self) -> tuple[Manifest | None, bool]:
        """The manifest of the version in use (parsed once), and whether its files are whole."""
        try:
            manifest = read_manifest(self.root)
        except SeedQAError as error:
            logger.info("Not reusing the previous index: %s", error)
            return None, False
        try:
            verify(self.root / manifest.version, manifest)  # once: the build loads unchecked
        except SeedQAError as error:
            logger.info("Not reusing the previous index: %s", error)
            return manifest, False
        return manifest, True

    def _unchanged(self, paths: Sequence[Path], known: dict[str, SeedFile]) -> bool:
        """Whether every seed file is the one the index knows, by content hash.

        Stops at the first change; the files hashed until then are read again by the build —
        the only seed files a build reads twice, and only when an existing file was edited.
        """
        relative = [p.relative_to(self.seeds).as_posix() for p in paths]
        if set(relative) != known.keys():
            return False
        return all(file_hash(p) == known[r].sha256 for r, p in zip(relative, paths, strict=True))

    def with_nothing_to_do(self) -> BuildReport | None:
        """The report of a build that finds nothing to do, found without the build lock (a
        background merge holds it); None if something is to be built."""
        try:
            old = read_manifest(self.root)
        except SeedQAError:
            return None
        paths = list(find_seeds(self.seeds))
        model = self.models.choose(old.built_with)
        wanted = BuildRecord.now(model, None, FORMAT, assumed=old.built_with)
        current = reuse(old.built_with, wanted).current and (old.dense or model is None)
        if not current or not self._unchanged(paths, old.known()):
            return None
        return self._nothing_changed(old, paths, merging=True)

    def _nothing_changed(
        self, old: Manifest, paths: Sequence[Path], merging: bool = False
    ) -> BuildReport:
        """The report of a build with nothing to build; a merge a crash cut short is done now
        (the content is as it was), unless one is ``merging`` in the background now."""
        if merging:
            merged = ["segments are being merged in the background"]
        else:
            merged = self._merge() if planned(old.segments) is not None else []
        switched = merged and not self.background  # merged here, into a version of its own
        return BuildReport(
            version=read_manifest(self.root).version if switched else old.version,
            mode="hybrid" if old.dense_used else "lexical",
            files=len(old.files),
            paragraphs=old.paragraphs,
            windows=old.windows,
            page_breaks=0,
            seconds=time.perf_counter() - self.started,
            files_unchanged=tuple(p.relative_to(self.seeds).as_posix() for p in paths),
            paragraphs_reused=old.paragraphs,
            skipped=old.skipped,
            up_to_date=not merged or self.background,
            notes=tuple(merged),
        )

    def _build(
        self,
        paths: Sequence[Path],
        old: Manifest | None,
        whole: bool,
        model: str | None,
        encoder: Encoder | None,
    ) -> BuildReport:
        root = self.root
        record = BuildRecord.now(model, encoder, FORMAT)
        previous = None
        if old is not None and whole and not self.full:
            previous = _previous(root, old)
        current = old is not None and reuse(old.built_with, record).current
        if previous is not None and old is not None and old.segments and current:
            report = self._update(paths, previous, record, encoder)
            if report is not None:
                return report
        with scratch(root) as spill:
            return self._whole(paths, old, previous, model, encoder, record, spill)

    def _whole(
        self,
        paths: Sequence[Path],
        old: Manifest | None,
        previous: StoredIndex | None,
        model: str | None,
        encoder: Encoder | None,
        record: BuildRecord,
        spill: Path,
    ) -> BuildReport:
        """Read every seed file and write a version of one segment; ``spill``: scratch space."""
        say, meter, root = self.say, self.meter, self.root
        entries, documents = _read(self.seeds, paths, meter)
        notes: list[str] = []
        if self.full:
            notes.append("full rebuild (--full): nothing reused from earlier builds")
        retrained = False
        before = old.built_with if old is not None else None
        if before is not None and not reuse(before, record).model:
            # The same folder with other files: its cached vectors are another model's too.
            retrained = before.model == record.model
            if retrained:
                notes.append(
                    f"the files of model {model} changed since the last build: full rebuild"
                )
            else:
                notes.append(
                    f"model changed ({before.model or 'none'} → {model or 'none'}): full rebuild"
                )
        if (self.full or retrained) and record.model is not None:
            drop_cache(root, record.model)
        changes = compare({e.path: e.sha256 for e in entries}, old.known() if old else {})

        paragraphs = merge(documents)
        indexed = [e for e in entries if not e.reason]
        files = "1 seed file" if len(indexed) == 1 else f"{len(indexed)} seed files"
        say(f"Read {files}: {len(paragraphs)} paragraph{'' if len(paragraphs) == 1 else 's'}")
        keys = hash64(matching_text(p) for p in paragraphs)
        # Each paragraph's row in the version before (-1: new), for both legs to reuse its work.
        old_rows = (
            lookup(previous.paragraph_keys, keys)
            if previous is not None
            else np.full(len(keys), -1, np.int64)
        )
        same_terms = previous is not None and reuse(previous.manifest.built_with, record).terms
        postings, terms_reused = _postings(
            paragraphs, old_rows, previous if same_terms else None, say, meter, spill
        )
        lexical = LexicalIndex(postings)

        dense = dense_keys = dense_spans = None
        calibration = None
        embedded, reused = 0, terms_reused
        vectors = None
        if encoder is not None:
            vectors = Vectors(root, record, encoder, say, meter, self.exact_up_to)
            reusable = previous if vectors.reusable(previous) else None
            dense, dense_keys, dense_spans, embedded = vectors.build(paragraphs, old_rows, reusable)
            reused = len(paragraphs) - embedded
            say("calibrating fusion on pseudo-questions")
            calibration = calibrate([p.text for p in paragraphs], lexical, terms, dense, encoder)
            if calibration.dense_weak:
                notes.append(calibration.weakness(record.model or encoder.name))
        counts: dict[str, int] = {}
        for paragraph in paragraphs:
            for source in paragraph.sources:
                counts[source.path] = counts.get(source.path, 0) + 1
        manifest = Manifest(
            version=new_version_name(),
            built_at=time.time(),
            seeds=str(self.seeds.resolve()),
            built_with=record,
            paragraphs=len(paragraphs),
            windows=len(dense) if dense is not None else 0,
            files={e.path: replace(e, paragraphs=counts.get(e.path, 0)) for e in indexed},
            skipped=tuple(e for e in entries if e.reason),
            calibration=calibration,
        )
        say("writing the index")
        write_index(root, manifest, paragraphs, postings, dense, dense_keys, dense_spans, keys)
        if vectors is not None and dense_keys is not None:
            vectors.keep_dropped(previous, dense_keys)
        else:
            drop_vectors(root, previous)
        return self._written(
            manifest, changes, documents, vectors, embedded, reused, previous is None, notes
        )

    def _update(
        self,
        paths: Sequence[Path],
        previous: StoredIndex,
        record: BuildRecord,
        encoder: Encoder | None,
    ) -> BuildReport | None:
        """Add what changed as a new segment (see :mod:`retrieval.lifecycle.update`); None when
        no readable seed file is left (the whole build then says so)."""
        say, meter, old = self.say, self.meter, previous.manifest
        read = read_changed(self.seeds, paths, old.known(), meter)
        indexed = [e for e in read.entries if not e.reason]
        if not indexed:
            return None
        gone = read.gone
        fresh = merge(read.documents)
        doomed = doomed_rows(previous, gone, fresh)
        order = {e.path: at for at, e in enumerate(read.entries)}
        paragraphs = regrouped(survivors(previous, doomed, gone), fresh, order)
        kept = kept_segments(previous, doomed)
        say(
            f"Read {len(read.documents)} added or changed of {len(indexed)} seed files: "
            f"{len(paragraphs)} paragraph{'' if len(paragraphs) == 1 else 's'} to store anew "
            f"(new, or with their sources changed), {len(doomed)} to delete"
        )
        keys = hash64(matching_text(p) for p in paragraphs)
        old_rows = lookup(previous.paragraph_keys, keys)
        postings, terms_reused = _postings(paragraphs, old_rows, previous, say, meter)
        segments: list[NewSegment | KeptSegment] = list(kept)
        dense = dense_keys = dense_spans = None
        embedded, vectors = 0, None
        if encoder is not None and paragraphs:
            vectors = Vectors(self.root, record, encoder, say, meter, self.exact_up_to)
            dense, dense_keys, dense_spans, embedded = vectors.build(
                paragraphs, old_rows, previous if vectors.reusable(previous) else None
            )
        if paragraphs:
            segments.append(NewSegment(paragraphs, postings, dense, dense_keys, dense_spans, keys))
        live = sum(len(k.part) - len(k.part.deleted) for k in kept) + len(paragraphs)
        windows = sum(live_windows(k.part) for k in kept)
        windows += len(dense) if dense is not None else 0
        calibration = old.calibration
        changed = len(paragraphs) + len(doomed)
        if encoder is not None and (calibration is None or calibration.stale(changed)):
            say("calibrating fusion on pseudo-questions")
            calibration = _calibrate(segments, encoder, live)
        elif calibration is not None:
            calibration = calibration.changed(changed)
        counts = counts_by_file(old, paragraphs, {d.path for d in read.documents} | gone)
        manifest = Manifest(
            version=new_version_name(),
            built_at=time.time(),
            seeds=str(self.seeds.resolve()),
            built_with=record,
            paragraphs=live,
            windows=windows,
            files={e.path: replace(e, paragraphs=counts.get(e.path, 0)) for e in indexed},
            skipped=tuple(e for e in read.entries if e.reason),
            calibration=calibration,
        )
        say("writing the index")
        write_version(self.root, manifest, segments)
        if encoder is not None:
            vectors = vectors or Vectors(self.root, record, encoder, say, meter)
            vectors.keep_deleted(previous, doomed, dense_keys)
        merged = self._merge()
        reused = live - (embedded if encoder else len(paragraphs) - terms_reused)
        return self._written(
            manifest, read.changes, read.documents, vectors, embedded, reused, False, merged
        )

    def _written(
        self,
        manifest: Manifest,
        changes: SeedChanges,
        documents: Sequence[Document],
        vectors: Vectors | None,
        embedded: int,
        reused: int,
        full: bool,
        notes: Sequence[str],
    ) -> BuildReport:
        """The report of a build that wrote ``manifest``'s version from the ``documents`` read."""
        return BuildReport(
            version=manifest.version,
            mode="hybrid" if manifest.dense_used else "lexical",
            files=len(manifest.files),
            paragraphs=manifest.paragraphs,
            windows=manifest.windows,
            page_breaks=sum(len(d.page_breaks) for d in documents),
            seconds=time.perf_counter() - self.started,
            files_added=changes.added,
            files_changed=changes.changed,
            files_removed=changes.removed,
            files_unchanged=changes.unchanged,
            paragraphs_embedded=embedded,
            paragraphs_reused=reused,
            windows_embedded=vectors.windows_embedded if vectors is not None else 0,
            windows_cached=vectors.windows_cached if vectors is not None else 0,
            skipped=manifest.skipped,
            full=full,
            notes=tuple(notes),
        )

    def _merge(self) -> list[str]:
        """Merge segments while the policy asks (see :mod:`retrieval.lifecycle.merging`), or
        start a process that does; what was done, for the report."""
        if not self.background:
            return merge_while_planned(self.root, self.exact_up_to, self.say)
        if planned(read_manifest(self.root).segments) is None:
            return []
        try:
            merge_in_background(self.root, self.exact_up_to)
        except OSError as error:  # the update is in use: a later build merges
            logger.warning("Could not start merging in the background: %s", error)
            return [f"segments not merged: could not start merging ({error})"]
        self.say("merging segments in the background")
        return ["merging segments in the background"]


def _read(
    seeds: Path, paths: Sequence[Path], meter: Meter
) -> tuple[list[SeedFile], list[Document]]:
    """Every seed file read once and parsed; the ones that cannot be, reported and skipped."""
    entries: list[SeedFile] = []
    documents: list[Document] = []
    meter.start("reading", len(paths))
    for path in paths:
        entry, document = read_seed(seeds, path)
        entries.append(entry)
        if document is None:
            logger.info("Skipping %s: %s", entry.path, entry.reason)
        else:
            documents.append(document)
        meter.advance(1)
    meter.stop()
    if not documents:
        skipped = [e for e in entries if e.reason]
        suffixes = ", ".join(sorted(SEED_SUFFIXES))
        raise SeedsNotFoundError(
            f"No readable seed file in {seeds} ({suffixes})"
            + (f"; skipped {len(skipped)}: " + _skipped_list(skipped) if skipped else "")
            + ". The index was left as it was."
        )
    return entries, documents


def _postings(
    paragraphs: Sequence[Paragraph],
    old_rows: I64,
    previous: StoredIndex | None,
    say: Callable[[str], None],
    meter: Meter,
    spill: Path | None = None,
) -> tuple[Postings, int]:
    """The postings of every paragraph (the previous version's, for unchanged ones), and how
    many were reused. ``old_rows``: each paragraph's row in ``previous`` (-1 for a new one);
    ``spill``: a scratch folder for the postings of a large build (see :func:`postings_of`)."""
    if previous is None:
        old_rows = np.full(len(paragraphs), -1, np.int64)
    kept = np.flatnonzero(old_rows >= 0)
    fresh = np.flatnonzero(old_rows < 0)
    if len(fresh):
        say(f"analysing {len(fresh)} of {len(paragraphs)} paragraphs")
    meter.start("analysing", len(fresh))
    new = postings_of(_MatchingTexts(paragraphs, fresh), meter.advance, spill=spill)
    meter.stop()
    if previous is None or not len(kept):
        return new, 0
    # Kept documents first, then the new ones; then each takes its row in the new version.
    merged = Postings.concat([gather_postings(previous.parts, old_rows[kept]), new])
    return merged.relabel(np.concatenate([kept, fresh])), len(kept)


class _MatchingTexts(Sequence[str]):
    """The matching texts of ``paragraphs[rows]``, each made when asked for: a build's texts are
    not all held at once."""

    def __init__(self, paragraphs: Sequence[Paragraph], rows: I64) -> None:
        self.paragraphs, self.rows = paragraphs, rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, at: int) -> str: ...
    @overload
    def __getitem__(self, at: slice) -> list[str]: ...
    def __getitem__(self, at: int | slice) -> str | list[str]:
        if isinstance(at, slice):
            return [matching_text(self.paragraphs[row]) for row in self.rows[at].tolist()]
        return matching_text(self.paragraphs[int(self.rows[at])])


def _skipped_list(skipped: Sequence[SeedFile]) -> str:
    shown = "; ".join(f"{s.path} ({s.reason})" for s in skipped[:5])
    return shown + ("; …" if len(skipped) > 5 else "")


def _previous(root: Path, manifest: Manifest) -> StoredIndex | None:
    try:
        return open_index(root, manifest)
    except SeedQAError as error:
        logger.info("Not reusing the previous index: %s", error)
        return None


def _calibrate(
    segments: Sequence[NewSegment | KeptSegment], encoder: Encoder, live: int
) -> Calibration:
    """The fusion calibration of the version ``segments`` make, measured before it is written."""
    parts = [
        s.part
        if isinstance(s, KeptSegment)
        else Part.in_memory(
            s.paragraphs, s.postings, s.dense, s.dense_keys, s.dense_spans, s.paragraph_keys
        )
        for s in segments
    ]
    parts = rebased(parts)
    lexical = SegmentedLexical(parts, [None] * len(parts))
    dense = SegmentedDense(parts)
    return calibrate(LiveTexts(Paragraphs(parts)), lexical, terms, dense, encoder, live)
