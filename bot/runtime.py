"""Getting from settings to a ready engine: choosing the model, loading it, building if needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from embeddings import (
    DEFAULT_MODEL,
    DeviceUnavailableError,
    ModelUnavailableError,
    check_device,
    load_encoder,
)
from retrieval import (
    FORMAT,
    SILENT,
    BuildRecord,
    BuildReport,
    Encoder,
    Engine,
    IndexMismatchError,
    IndexNotFoundError,
    Manifest,
    Meter,
    build_index,
    check_seeds_folder,
    model_key,
    read_manifest,
    reuse,
)

from .errors import ConfigError
from .settings import NO_MODEL, Settings

__all__ = ["build", "model_for_build", "model_for_query", "open_engine"]

Say = Callable[[str], None]


def model_for_build(settings: Settings, before: BuildRecord | None) -> str | None:
    """The model an index build uses: the one asked for, else the index's, else the default."""
    chosen = settings.model or (before.model or NO_MODEL if before else DEFAULT_MODEL)
    return None if chosen.lower() == NO_MODEL else chosen


def model_for_query(settings: Settings, manifest: Manifest) -> str | None:
    """The model to embed questions with: the index's own; None for lexical search (also when
    the build found the model unable to read the documents).

    Asking for another model than the index was built with is an error that names the fix.
    """
    asked = settings.model
    if asked is not None and asked.lower() == NO_MODEL:
        return None
    built = manifest.built_with
    if asked is not None and not reuse(built, BuildRecord.now(asked, None, FORMAT, built)).model:
        where = f"The index in {settings.index} was built with model {manifest.model or NO_MODEL}"
        if _missing_folder(asked):
            raise IndexMismatchError(
                f"There is no model folder at {asked}. {where}: ask without --model to use it."
            )
        raise IndexMismatchError(f"{where}, not {asked}. Rebuild it: seedqa index --model {asked}")
    if not manifest.dense_used:
        return None  # no vectors, or a model too weak for the documents: not even loaded
    return asked if asked is not None else manifest.model  # the same model, maybe moved here


def load_model(name: str | None, warn: Say, device: str = "cpu") -> Encoder | None:
    """The encoder for ``name`` on ``device``, or None (with one warning) when it cannot be
    loaded; a device that is not here is a :class:`ConfigError` (no silent fallback to the CPU,
    nor to no model: a build asked to run on a GPU would otherwise drop the vectors)."""
    if name is None:
        return None
    try:
        return load_encoder(name, device)
    except DeviceUnavailableError as error:
        raise _no_device(device, error) from None
    except ModelUnavailableError as error:
        folder = name.rstrip("/").rsplit("/", 1)[-1]
        how = (
            MOVED_MODEL if _missing_folder(name) else OFFLINE_MODEL.format(name=name, folder=folder)
        )
        warn(f"{error}; answering from the lexical index only.{how}")
        return None


def check_device_setting(settings: Settings, warn: Say) -> None:
    """Refuse a ``--device`` that is not here before anything runs, even when no model will be
    loaded this time (an index already up to date); say that it does nothing without a model."""
    if settings.device == "cpu":
        return
    if settings.model is not None and settings.model.lower() == NO_MODEL:
        warn(f"--device {settings.device} does nothing with --model {NO_MODEL}: no model runs.")
        return
    try:
        check_device(settings.device)
    except DeviceUnavailableError as error:
        raise _no_device(settings.device, error) from None


def _no_device(device: str, error: DeviceUnavailableError) -> ConfigError:
    return ConfigError(f"--device {device}: {error}. Use --device cpu, or leave it out.")


class _Models:
    """The settings' choice of model for a build, loaded only if the build needs it."""

    def __init__(self, settings: Settings, warn: Say, loaded: Encoder | None) -> None:
        self.settings, self.warn, self.loaded = settings, warn, loaded
        self.used: Encoder | None = None

    def choose(self, before: BuildRecord | None) -> str | None:
        return model_for_build(self.settings, before)

    def load(self, model: str) -> Encoder | None:
        held = self.loaded
        if held is not None and model_key(held.name) == model_key(model):
            self.used = held
        else:
            self.used = load_model(model, self.warn, self.settings.device)
        return self.used


OFFLINE_MODEL = (
    " To use it on a machine without network: on one with network run "
    "`huggingface-cli download {name} --local-dir {folder}`, copy the folder {folder} here, "
    "and pass --model /path/to/{folder} (or set SEEDQA_MODEL)."
)


MOVED_MODEL = (
    " Pass --model with the model's folder on this machine (or set SEEDQA_MODEL): an index built"
    " on another machine keeps its vectors when the folder holds the same model."
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
) -> tuple[BuildReport, Encoder | None]:
    """Build or update the index, and the encoder it loaded for that (if any).

    When the index was already up to date the report says so and the model is not even loaded.
    ``loaded`` is an encoder already in memory (a running bot's), used when it is the model wanted.
    ``meter`` shows the progress of the long steps.
    """
    check_seeds_folder(settings.seeds)  # a wrong --seeds is said before any model warning
    check_device_setting(settings, warn)
    models = _Models(settings, warn, loaded)
    report = build_index(
        settings.seeds,
        settings.index,
        full=full,
        progress=say,
        meter=meter,
        models=models,
        merge_in_background=True,  # a long merge must not hold up the command or the bot
    )
    return report, models.used


def open_engine(settings: Settings, warn: Say, say: Say, check: bool = False) -> Engine:
    """An engine over the index, building the index first if there is none; ``check`` checks
    every index file whole before it answers (else big files are checked as they are used)."""
    try:
        manifest = read_manifest(settings.index)
    except IndexNotFoundError:
        say(f"No index in {settings.index} yet: building it from {settings.seeds}")
        _, encoder = build(settings, warn, say)
        return Engine(settings.index, encoder, check=check)
    check_device_setting(settings, warn)
    model = model_for_query(settings, manifest)
    by_choice = settings.model is not None and settings.model.lower() == NO_MODEL
    if model is None and manifest.model and not manifest.dense and not by_choice:
        warn(
            f"the index has no vectors (model {manifest.model} could not be loaded when it was "
            "built); answering from the lexical index. Run `seedqa index` once the model is there."
        )
    weak = manifest.calibration if manifest.dense and not manifest.dense_used else None
    if weak is not None and settings.model is not None and not by_choice:
        warn(weak.weakness(manifest.model))  # asked for by name, so say why it is not used
    return Engine(settings.index, load_model(model, warn, settings.device), check=check)
