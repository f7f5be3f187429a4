"""Getting from settings to a ready engine: choosing the model, loading it, building if needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from embeddings import DEFAULT_MODEL, ModelUnavailableError, load_encoder
from retrieval import (
    SILENT,
    BuildReport,
    Encoder,
    Engine,
    IndexMismatchError,
    IndexNotFoundError,
    Manifest,
    Meter,
    SeedQAError,
    build_index,
    check_seeds_folder,
    read_manifest,
    up_to_date,
)

from .settings import NO_MODEL, Settings

__all__ = ["build", "model_for_build", "model_for_query", "open_engine"]

Say = Callable[[str], None]


def model_for_build(settings: Settings, manifest: Manifest | None) -> str | None:
    """The model an index build uses: the one asked for, else the index's, else the default."""
    chosen = settings.model or (manifest.model or NO_MODEL if manifest else DEFAULT_MODEL)
    return None if chosen.lower() == NO_MODEL else chosen


def model_for_query(settings: Settings, manifest: Manifest) -> str | None:
    """The model to embed questions with: the index's own; None for lexical search.

    Asking for another model than the index was built with is an error that names the fix.
    """
    asked = settings.model
    if asked is not None and asked.lower() == NO_MODEL:
        return None
    if asked is not None and asked != manifest.model:
        built = f"The index in {settings.index} was built with model {manifest.model or NO_MODEL}"
        if _missing_folder(asked):
            raise IndexMismatchError(
                f"There is no model folder at {asked}. {built}: ask without --model to use it."
            )
        raise IndexMismatchError(f"{built}, not {asked}. Rebuild it: seedqa index --model {asked}")
    return manifest.model if manifest.dense else None


def load_model(name: str | None, warn: Say) -> Encoder | None:
    """The encoder for ``name``, or None (with one warning) when it cannot be loaded."""
    if name is None:
        return None
    try:
        return load_encoder(name)
    except ModelUnavailableError as error:
        folder = name.rstrip("/").rsplit("/", 1)[-1]
        how = "" if _missing_folder(name) else OFFLINE_MODEL.format(name=name, folder=folder)
        warn(f"{error}; answering from the lexical index only.{how}")
        return None


OFFLINE_MODEL = (
    " To use it on a machine without network: on one with network run "
    "`huggingface-cli download {name} --local-dir {folder}`, copy the folder {folder} here, "
    "and pass --model /path/to/{folder} (or set SEEDQA_MODEL)."
)


def _missing_folder(name: str) -> bool:
    """Whether a model name is a local path (not a hub name) where there is no folder."""
    path = Path(name).expanduser()
    local = path.is_absolute() or name.startswith((".", "~")) or name.count("/") > 1
    return local and not path.is_dir()


def build(
    settings: Settings,
    warn: Say,
    say: Say,
    full: bool = False,
    loaded: Encoder | None = None,
    meter: Meter = SILENT,
) -> tuple[BuildReport | None, Encoder | None]:
    """Build or update the index, and the encoder it loaded for that (if any).

    The report is None when the index was already up to date; the model is then not even loaded.
    ``loaded`` is an encoder already in memory (a running bot's), used when it is the model wanted.
    ``meter`` shows the progress of the long steps.
    """
    try:
        manifest: Manifest | None = read_manifest(settings.index)
    except IndexNotFoundError:
        manifest = None
    except SeedQAError:  # a damaged index is rebuilt from scratch
        manifest, full = None, True
    if manifest is None:
        check_seeds_folder(settings.seeds)  # a wrong --seeds is said before any model warning
    model = model_for_build(settings, manifest)
    fresh = manifest is not None and not full and up_to_date(settings.seeds, settings.index, model)
    if fresh and (model is None or (manifest is not None and manifest.dense)):
        return None, None
    encoder = loaded if loaded is not None and loaded.name == model else load_model(model, warn)
    if fresh and encoder is None:
        return None, None  # still no model: the lexical index there is as good as a new one
    report = build_index(
        settings.seeds, settings.index, encoder, model, full=full, progress=say, meter=meter
    )
    return report, encoder


def open_engine(settings: Settings, warn: Say, say: Say) -> Engine:
    """An engine over the index, building the index first if there is none."""
    try:
        manifest = read_manifest(settings.index)
    except IndexNotFoundError:
        say(f"No index in {settings.index} yet: building it from {settings.seeds}")
        _, encoder = build(settings, warn, say)
        return Engine(settings.index, encoder)
    model = model_for_query(settings, manifest)
    by_choice = settings.model is not None and settings.model.lower() == NO_MODEL
    if model is None and manifest.model and not manifest.dense and not by_choice:
        warn(
            f"the index has no vectors (model {manifest.model} could not be loaded when it was "
            "built); answering from the lexical index. Run `seedqa index` once the model is there."
        )
    return Engine(settings.index, load_model(model, warn))
