"""Building an index version from the seeds folder, reusing what the previous version computed.

Work is reused by content: a paragraph whose matching text (headings and text) is unchanged keeps
its lexical terms, and a window whose text is unchanged keeps its vector — so adding one file to a
large folder embeds only that file's paragraphs. The BM25 weights and the fusion calibration are
recomputed from the whole corpus each time, with array operations.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .calibration import calibrate
from .dense import DenseIndex
from .encoder import Encoder
from .errors import SeedQAError, SeedsNotFoundError
from .lexical import ForwardIndex, LexicalIndex, hash64
from .paragraphs import Document, Paragraph, headings, merge
from .seeds import SeedFile, Skipped, file_hashes, find_seeds, read_seed
from .store import (
    FileEntry,
    Manifest,
    StoredIndex,
    build_lock,
    new_version_name,
    read_index,
    read_manifest,
    verify,
    write_index,
)
from .terms import ANALYZER_VERSION, terms
from .windows import window_spans

__all__ = [
    "CHUNKING_VERSION",
    "PARSER_VERSION",
    "BuildReport",
    "build_index",
    "matching_text",
    "up_to_date",
]

logger = logging.getLogger(__name__)

PARSER_VERSION = "newspaper-md/1"
CHUNKING_VERSION = "sentence-windows/1"
HEADER_SHARE = 4
"""A window's heading line may fill 1/HEADER_SHARE of the model's window, else it is dropped."""


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
    paragraphs_reused: int = 0
    skipped: tuple[Skipped, ...] = ()
    full: bool = False
    notes: tuple[str, ...] = field(default=())


def matching_text(paragraph: Paragraph) -> str:
    """What the lexical leg indexes for a paragraph: its headings, then its text."""
    return "\n".join([*headings(paragraph), paragraph.text])


def _hash_or_blank(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def up_to_date(seeds: Path, root: Path, model: str | None) -> bool:
    """True when the index in ``root`` is whole and was built from exactly these seeds and model."""
    try:
        manifest = read_manifest(root)
        verify(root / manifest.version, manifest)
    except SeedQAError:
        return False
    versions = (manifest.analyzer, manifest.parser, manifest.chunking)
    if manifest.model != model or versions != (ANALYZER_VERSION, PARSER_VERSION, CHUNKING_VERSION):
        return False
    indexed = {path: entry.sha256 for path, entry in manifest.files.items()}
    indexed.update({s["path"]: s.get("sha256", "") for s in manifest.skipped})
    return file_hashes(seeds) == indexed


def _previous(root: Path) -> StoredIndex | None:
    try:
        return read_index(root)
    except SeedQAError as error:
        logger.info("Not reusing the previous index: %s", error)
        return None


def build_index(
    seeds: Path,
    root: Path,
    encoder: Encoder | None,
    model: str | None,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build the index of ``seeds`` into ``root`` (``model`` is the model asked for, None for none).

    ``encoder`` is the loaded model, or None when it is unavailable or not wanted: the index is then
    lexical only. Raises :class:`~retrieval.errors.SeedsNotFoundError` when there is nothing to
    index and :class:`~retrieval.errors.IndexLockedError` while another build runs.
    """
    with build_lock(root):
        return _build(seeds, root, encoder, model, full, progress or (lambda message: None))


def _build(
    seeds: Path,
    root: Path,
    encoder: Encoder | None,
    model: str | None,
    full: bool,
    say: Callable[[str], None],
) -> BuildReport:
    started = time.perf_counter()
    paths = list(find_seeds(seeds))
    seed_files: list[SeedFile] = []
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path in paths:
        relative = path.relative_to(seeds).as_posix()
        try:
            seed, document = read_seed(seeds, path)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            skipped.append(Skipped(relative, reason, _hash_or_blank(path)))
            logger.warning("Skipping %s: %s", relative, reason)
            continue
        if not document.paragraphs:
            skipped.append(Skipped(relative, "no text", seed.sha256))
            continue
        seed_files.append(seed)
        documents.append(document)
    if not seed_files:
        raise SeedsNotFoundError(
            f"No readable seed file in {seeds} (*.txt, *.md)."
            + (f" Skipped {len(skipped)}." if skipped else "")
        )
    previous = None if full else _previous(root)
    notes: list[str] = []
    if previous is not None and previous.manifest.model != model:
        notes.append(
            f"model changed ({previous.manifest.model or 'none'} → {model or 'none'}): full rebuild"
        )
        previous = None
    old_files = previous.manifest.files if previous is not None else {}
    new_files = {seed.path: seed for seed in seed_files}
    added = tuple(p for p in new_files if p not in old_files)
    changed = tuple(
        p for p in new_files if p in old_files and old_files[p].sha256 != new_files[p].sha256
    )
    removed = tuple(p for p in old_files if p not in new_files)
    unchanged = tuple(p for p in new_files if p in old_files and p not in changed)

    paragraphs = merge(documents)
    say(f"Read {len(seed_files)} seed file(s): {len(paragraphs)} paragraphs")
    texts = [matching_text(p) for p in paragraphs]
    keys = hash64(texts)
    forward = _forward(texts, keys, previous)
    lexical = LexicalIndex.build(forward)

    dense = dense_keys = None
    calibration = None
    windows = 0
    embedded = reused = 0
    if encoder is not None:
        dense, dense_keys, embedded, reused = _dense(paragraphs, encoder, previous, say)
        windows = len(dense)
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
        windows=windows,
        files={s.path: FileEntry(s.sha256, s.size, counts.get(s.path, 0)) for s in seed_files},
        skipped=[{"path": s.path, "reason": s.reason, "sha256": s.sha256} for s in skipped],
        calibration=calibration,
    )
    write_index(root, manifest, paragraphs, forward, lexical, dense, dense_keys, keys)
    return BuildReport(
        version=manifest.version,
        mode="hybrid" if encoder is not None else "lexical",
        files=len(seed_files),
        paragraphs=len(paragraphs),
        windows=windows,
        page_breaks=sum(len(d.page_breaks) for d in documents),
        seconds=time.perf_counter() - started,
        files_added=added,
        files_changed=changed,
        files_removed=removed,
        files_unchanged=unchanged,
        paragraphs_embedded=embedded,
        paragraphs_reused=reused,
        skipped=tuple(skipped),
        full=previous is None,
        notes=tuple(notes),
    )


def _forward(
    texts: Sequence[str], keys: npt.NDArray[np.uint64], previous: StoredIndex | None
) -> ForwardIndex:
    """Term counts of every paragraph, reusing the previous version's for unchanged texts."""
    old_rows: dict[int, int] = {}
    if previous is not None and previous.manifest.analyzer == ANALYZER_VERSION:
        old_rows = {int(key): row for row, key in enumerate(previous.paragraph_keys.tolist())}
    parts: list[ForwardIndex] = []
    pending: list[int] = []
    reuse: list[int] = []

    def flush() -> None:
        if reuse:
            assert previous is not None
            parts.append(previous.forward.select(reuse))
            reuse.clear()
        if pending:
            parts.append(ForwardIndex.from_terms(terms(texts[i]) for i in pending))
            pending.clear()

    for i, key in enumerate(keys.tolist()):
        old = old_rows.get(int(key))
        if old is None:
            if reuse:
                flush()
            pending.append(i)
        else:
            if pending:
                flush()
            reuse.append(old)
    flush()
    return ForwardIndex.concat(parts)


def _dense(
    paragraphs: Sequence[Paragraph],
    encoder: Encoder,
    previous: StoredIndex | None,
    say: Callable[[str], None],
) -> tuple[DenseIndex, npt.NDArray[np.uint64], int, int]:
    """Window vectors for every paragraph, embedding only windows the previous version lacks."""
    headers = [" · ".join(headings(p)) for p in paragraphs]
    budget = encoder.max_tokens
    header_tokens = (
        encoder.count_tokens([h + "\n" for h in headers]) if budget else [0] * len(headers)
    )
    budgets: list[int | None] = []
    prefixes: list[str] = []
    for header, cost in zip(headers, header_tokens, strict=True):
        keep = bool(header) and (budget is None or cost * HEADER_SHARE <= budget)
        prefixes.append(header + "\n" if keep else "")
        budgets.append(None if budget is None else budget - (cost if keep else 0))
    spans = window_spans([p.text for p in paragraphs], budgets, encoder.count_tokens)
    window_texts: list[str] = []
    owners: list[int] = []
    for row, (paragraph, prefix, parts) in enumerate(zip(paragraphs, prefixes, spans, strict=True)):
        for start, end in parts:
            window_texts.append(prefix + paragraph.text[start:end])
            owners.append(row)
    keys = hash64(window_texts)
    vectors = np.zeros((len(window_texts), encoder.dimension), dtype=np.float32)
    known: dict[int, int] = {}
    if (
        previous is not None
        and previous.dense is not None
        and previous.dense_keys is not None
        and previous.dense.dimension == encoder.dimension
    ):
        known = {int(key): row for row, key in enumerate(previous.dense_keys.tolist())}
    missing = [i for i, key in enumerate(keys.tolist()) if int(key) not in known]
    for i, key in enumerate(keys.tolist()):
        old = known.get(int(key))
        if old is not None:
            assert previous is not None and previous.dense is not None
            vectors[i] = previous.dense.vectors[old]
    if missing:
        say(f"embedding {len(missing)} of {len(window_texts)} windows")
        vectors[missing] = encoder.encode_passages([window_texts[i] for i in missing])
    owner_array = np.asarray(owners, dtype=np.int32)
    fresh_rows = set(owner_array[missing].tolist())
    embedded = len(fresh_rows)
    return DenseIndex(vectors, owner_array), keys, embedded, len(paragraphs) - embedded
