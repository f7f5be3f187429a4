"""Building an index version from the seeds folder, reusing what earlier builds computed.

Work is reused by content. A paragraph whose matching text (headings and text) is unchanged keeps
its postings and its window vectors from the version before, and when windows were only appended
the dense leg's HNSW graph is extended rather than rebuilt. The windows of a new or edited
paragraph are looked up by their text's hash in the version before and in the vector cache
(:mod:`retrieval.lifecycle.cache`) before anything is embedded — so adding one file to a large folder embeds
only that file's paragraphs, and a file put back embeds nothing. The postings are merged with
array operations; BM25 weights are computed at query time, so nothing corpus-wide is rescored;
the fusion calibration is measured again on the whole corpus each time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .postings import postings_of
from ..index.arrays import lookup
from .cache import drop_cache
from ..search.calibration import calibrate
from .changes import seed_changes
from ..encoder import Encoder
from ..errors import SeedQAError, SeedsNotFoundError
from ..index.lexical import LexicalIndex, Postings, hash64
from ..ingest.paragraphs import Document, Paragraph, headings, merge
from ..progress import SILENT, Meter
from ..ingest.seeds import SEED_SUFFIXES, SeedFile, Skipped, file_hash, find_seeds, read_seed
from ..index.store import (
    FileEntry,
    Manifest,
    StoredIndex,
    build_lock,
    new_version_name,
    read_index,
    read_manifest,
    write_index,
)
from ..text.terms import ANALYZER_VERSION, terms
from .vectors import CHUNKING_VERSION, Vectors, drop_vectors

__all__ = [
    "CHUNKING_VERSION",
    "PARSER_VERSION",
    "BuildReport",
    "build_index",
    "matching_text",
    "up_to_date",
]

logger = logging.getLogger(__name__)

PARSER_VERSION = "newspaper-md/3"

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did."""

    version: str | None
    """The version written (None when nothing had changed and nothing was written)."""
    mode: str
    files: int
    paragraphs: int
    windows: int
    page_breaks: int
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
    skipped: tuple[Skipped, ...] = ()
    full: bool = False
    notes: tuple[str, ...] = field(default=())


def matching_text(paragraph: Paragraph) -> str:
    """What the lexical leg indexes for a paragraph: its headings, then its text."""
    return "\n".join([*headings(paragraph), paragraph.text])


def up_to_date(seeds: Path, root: Path, model: str | None) -> bool:
    """True when the index in ``root`` is whole and was built from exactly these seeds and model."""
    try:
        manifest = read_manifest(root, check=True)
    except SeedQAError:
        return False
    versions = (manifest.analyzer, manifest.parser, manifest.chunking)
    if manifest.model != model or versions != (ANALYZER_VERSION, PARSER_VERSION, CHUNKING_VERSION):
        return False
    return not seed_changes(seeds, manifest).any


def build_index(
    seeds: Path,
    root: Path,
    encoder: Encoder | None,
    model: str | None,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    meter: Meter = SILENT,
) -> BuildReport:
    """Build the index of ``seeds`` into ``root`` (``model`` is the model asked for, None for none).

    ``encoder`` is the loaded model, or None when it is unavailable or not wanted: the index is then
    lexical only. ``full`` reuses nothing from earlier builds. ``progress`` hears one line per step,
    ``meter`` counts the units of the long ones. Raises
    :class:`~retrieval.errors.SeedsNotFoundError` when there is nothing to index and
    :class:`~retrieval.errors.IndexLockedError` while another build runs.
    """
    with build_lock(root):
        return _build(seeds, root, encoder, model, full, progress or (lambda _: None), meter)


def _build(
    seeds: Path,
    root: Path,
    encoder: Encoder | None,
    model: str | None,
    full: bool,
    say: Callable[[str], None],
    meter: Meter,
) -> BuildReport:
    started = time.perf_counter()
    seed_files, documents, skipped = _read(seeds, meter)
    old_manifest = _manifest_or_none(root)
    previous = None if full else _previous(root)
    notes: list[str] = []
    if previous is not None and previous.manifest.model != model:
        notes.append(
            f"model changed ({previous.manifest.model or 'none'} → {model or 'none'}): full rebuild"
        )
    if full and model is not None:
        drop_cache(root, model)
    old_files = old_manifest.files if old_manifest is not None else {}
    new_files = {seed.path: seed for seed in seed_files}
    changed = tuple(
        p for p in new_files if p in old_files and old_files[p].sha256 != new_files[p].sha256
    )

    paragraphs = merge(documents)
    say(f"Read {len(seed_files)} seed file(s): {len(paragraphs)} paragraphs")
    keys = hash64(matching_text(p) for p in paragraphs)
    # Each paragraph's row in the version before (-1: new), for both legs to reuse its work.
    old_rows = (
        lookup(previous.paragraph_keys, keys)
        if previous is not None
        else np.full(len(keys), -1, np.int64)
    )
    same_analyzer = previous is not None and previous.manifest.analyzer == ANALYZER_VERSION
    postings, terms_reused = _postings(
        paragraphs, old_rows, previous if same_analyzer else None, say, meter
    )
    lexical = LexicalIndex(postings)

    dense = dense_keys = None
    calibration = None
    embedded, reused = 0, terms_reused
    vectors = None
    if encoder is not None:
        vectors = Vectors(root, model or encoder.name, encoder, say, meter)
        reusable = previous if vectors.reusable(previous) else None
        dense, dense_keys, embedded = vectors.build(paragraphs, old_rows, reusable)
        reused = len(paragraphs) - embedded
        say("calibrating fusion on pseudo-questions")
        calibration = calibrate(
            [p.text for p in paragraphs], lexical, terms, dense, encoder
        ).to_json()
    counts: dict[str, int] = {}
    for paragraph in paragraphs:
        for source in paragraph.sources:
            counts[source.path] = counts.get(source.path, 0) + 1
    manifest = Manifest(
        version=new_version_name(),
        built_at=time.time(),
        seeds=str(seeds.resolve()),
        model=model,
        dense=encoder is not None,
        dimension=encoder.dimension if encoder is not None else None,
        max_tokens=encoder.max_tokens if encoder is not None else None,
        analyzer=ANALYZER_VERSION,
        chunking=CHUNKING_VERSION,
        parser=PARSER_VERSION,
        paragraphs=len(paragraphs),
        windows=len(dense) if dense is not None else 0,
        files={
            s.path: FileEntry(s.sha256, s.size, counts.get(s.path, 0), s.encoding)
            for s in seed_files
        },
        skipped=[{"path": s.path, "reason": s.reason, "sha256": s.sha256} for s in skipped],
        calibration=calibration,
    )
    say("writing the index")
    write_index(root, manifest, paragraphs, postings, dense, dense_keys, keys)
    if vectors is not None and dense_keys is not None:
        vectors.keep_dropped(previous, dense_keys)
    else:
        drop_vectors(root, previous)
    return BuildReport(
        version=manifest.version,
        mode="hybrid" if encoder is not None else "lexical",
        files=len(seed_files),
        paragraphs=len(paragraphs),
        windows=manifest.windows,
        page_breaks=sum(len(d.page_breaks) for d in documents),
        seconds=time.perf_counter() - started,
        files_added=tuple(p for p in new_files if p not in old_files),
        files_changed=changed,
        files_removed=tuple(p for p in old_files if p not in new_files),
        files_unchanged=tuple(p for p in new_files if p in old_files and p not in changed),
        paragraphs_embedded=embedded,
        paragraphs_reused=reused,
        windows_embedded=vectors.windows_embedded if vectors is not None else 0,
        windows_cached=vectors.windows_cached if vectors is not None else 0,
        skipped=tuple(skipped),
        full=previous is None,
        notes=tuple(notes),
    )


def _read(seeds: Path, meter: Meter) -> tuple[list[SeedFile], list[Document], list[Skipped]]:
    """Every seed file read and parsed; the ones that cannot be, reported and skipped."""
    paths = list(find_seeds(seeds))
    seed_files: list[SeedFile] = []
    documents: list[Document] = []
    skipped: list[Skipped] = []
    meter.start("reading", len(paths))
    for path in paths:
        relative = path.relative_to(seeds).as_posix()
        try:
            seed, document = read_seed(seeds, path)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            skipped.append(Skipped(relative, reason, file_hash(path)))
            logger.info("Skipping %s: %s", relative, reason)
        else:
            if document.paragraphs:
                seed_files.append(seed)
                documents.append(document)
            else:
                skipped.append(Skipped(relative, "no text in it", seed.sha256))
        meter.advance(1)
    meter.stop()
    if not seed_files:
        suffixes = ", ".join(sorted(SEED_SUFFIXES))
        raise SeedsNotFoundError(
            f"No readable seed file in {seeds} ({suffixes})"
            + (f"; skipped {len(skipped)}: " + _skipped_list(skipped) if skipped else "")
            + ". The index was left as it was."
        )
    return seed_files, documents, skipped


def _postings(
    paragraphs: Sequence[Paragraph],
    old_rows: I64,
    previous: StoredIndex | None,
    say: Callable[[str], None],
    meter: Meter,
) -> tuple[Postings, int]:
    """The postings of every paragraph (the previous version's, for unchanged ones), and how
    many were reused. ``old_rows``: each paragraph's row in ``previous`` (-1 for a new one)."""
    if previous is None:
        old_rows = np.full(len(paragraphs), -1, np.int64)
    kept = np.flatnonzero(old_rows >= 0)
    fresh = np.flatnonzero(old_rows < 0)
    if len(fresh):
        say(f"analysing {len(fresh)} of {len(paragraphs)} paragraphs")
    meter.start("analysing", len(fresh))
    new = postings_of([matching_text(paragraphs[row]) for row in fresh.tolist()], meter.advance)
    meter.stop()
    if previous is None or not len(kept):
        return new, 0
    # Kept documents first, then the new ones; then each takes its row in the new version.
    merged = Postings.concat([previous.postings.select(old_rows[kept]), new])
    return merged.relabel(np.concatenate([kept, fresh])), len(kept)


def _skipped_list(skipped: Sequence[Skipped]) -> str:
    shown = "; ".join(f"{s.path} ({s.reason})" for s in skipped[:5])
    return shown + ("; …" if len(skipped) > 5 else "")


def _manifest_or_none(root: Path) -> Manifest | None:
    try:
        return read_manifest(root)
    except SeedQAError:
        return None


def _previous(root: Path) -> StoredIndex | None:
    try:
        return read_index(root)
    except SeedQAError as error:
        logger.info("Not reusing the previous index: %s", error)
        return None
