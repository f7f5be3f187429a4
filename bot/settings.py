"""Where seedqa reads its configuration: flags first, then environment variables, then defaults.

Each setting is declared once, as a :class:`Setting` — its flag, its environment variable, its
default and its help — and the argument parser (:func:`add_settings`), the help's environment
section (:func:`environment_help`) and the resolution (:func:`resolve`) are all made from that
declaration, so that they cannot disagree. Entry points resolve once and pass plain values down;
library code never reads the environment.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from embeddings import DEFAULT_MODEL

from .errors import ConfigError

__all__ = [
    "DEVICE",
    "INDEX",
    "MODEL",
    "NO_COLOR",
    "NO_MODEL",
    "SEEDS",
    "WHERE",
    "Setting",
    "Settings",
    "Values",
    "add_settings",
    "environment_help",
    "resolve",
]

T = TypeVar("T")

NO_MODEL = "none"
"""The ``--model`` value that means: lexical search only, by choice."""


def text(value: str) -> str:
    """A setting's text as given, without the spaces around it."""
    return value.strip()


def path(value: str) -> Path:
    """A setting naming a file or folder; ``~`` is the home folder."""
    return Path(value.strip()).expanduser()


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One setting: where it is read from (flag, environment variable), its default and help.

    ``parse`` turns the text of a flag or a variable into the value, raising ValueError with a
    message a user understands; ``default`` is used when neither gives one (None: unset).
    ``shown_default`` is the default as the help states it, when the value itself says too
    little (``the index folder``).
    """

    name: str
    help: str
    flag: str | None = None
    env: str | None = None
    default: T | None = None
    parse: Callable[[str], T] = text  # type: ignore[assignment]  # str is one T
    metavar: str | None = None
    shown_default: str | None = None
    short: str | None = None

    @property
    def default_text(self) -> str:
        """How the help states the default ('' when there is none)."""
        if self.shown_default is not None:
            return self.shown_default
        return "" if self.default is None else str(self.default)


def _argument_type(setting: Setting[Any]) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            return setting.parse(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = setting.name  # argparse names the type in some of its messages
    return parse


def add_settings(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, settings: Iterable[Setting[Any]]
) -> None:
    """Add the flag of each setting that has one; the help says where else the value comes from."""
    for setting in settings:
        if setting.flag is None:
            continue
        where = [f"${setting.env}"] if setting.env else []
        if setting.default_text:
            where.append(setting.default_text)
        default = f" (default {', else '.join(where)})" if where else ""
        flags = [setting.short, setting.flag] if setting.short else [setting.flag]
        parser.add_argument(
            *flags,
            dest=setting.name,
            type=_argument_type(setting),
            default=None,  # None: not given, so that the environment and the default apply
            metavar=setting.metavar,
            help=setting.help + default,
        )


def environment_help(settings: Iterable[Setting[Any]], title: str = "environment") -> str:
    """The help's section on environment variables: one entry per setting that has one."""
    lines = [f"{title}:"]
    for setting in settings:
        if setting.env is None:
            continue
        about = setting.help
        if setting.flag:
            about += f" ({setting.flag})"
        if setting.default_text:
            about += f"; default {setting.default_text}"
        name = f"  {setting.env}"
        wrapped = textwrap.wrap(about, width=_WIDTH - _COLUMN)
        if len(name) >= _COLUMN:
            lines.append(name)
        else:
            lines.append(f"{name:<{_COLUMN}}{wrapped.pop(0)}")
        lines += [" " * _COLUMN + line for line in wrapped]
    return "\n".join(lines) + "\n"


_WIDTH, _COLUMN = 96, 25


@dataclass(frozen=True, slots=True)
class Values:
    """The resolved value of each setting, read as ``values[SETTING]``."""

    values: Mapping[str, Any]
    flagged: frozenset[str] = frozenset()
    """The names of the settings whose value came from their flag."""

    def __getitem__(self, setting: Setting[T]) -> T | None:
        return cast("T | None", self.values[setting.name])

    def flags(self, settings: Iterable[Setting[Any]]) -> list[str]:
        """The flags among ``settings`` the user gave, with their values, to repeat in a hint."""
        given = []
        for setting in settings:
            if setting.name in self.flagged and setting.flag:
                given += [setting.flag, str(self.values[setting.name])]
        return given


def resolve(
    settings: Iterable[Setting[Any]],
    flags: argparse.Namespace | Mapping[str, Any],
    environ: Mapping[str, str],
) -> Values:
    """Each setting's value: its flag if given, else its environment variable, else its default.

    A malformed environment variable is a :class:`ConfigError` naming it (argparse has already
    refused a malformed flag).
    """
    given = vars(flags) if isinstance(flags, argparse.Namespace) else dict(flags)
    values: dict[str, Any] = {}
    flagged = set()
    for setting in settings:
        value = given.get(setting.name)
        if value is not None:
            flagged.add(setting.name)
        elif setting.env is not None and environ.get(setting.env, "").strip():
            try:
                value = setting.parse(environ[setting.env])
            except ValueError as error:
                raise ConfigError(f"{setting.env}: {error}") from None
        values[setting.name] = setting.default if value is None else value
    return Values(values, frozenset(flagged))


SEEDS: Setting[Path] = Setting(
    "seeds",
    "folder of seed documents",
    "--seeds",
    "SEEDQA_SEEDS",
    Path("seeds"),
    path,
    "DIR",
    shown_default="./seeds",
)
INDEX: Setting[Path] = Setting(
    "index",
    "index folder",
    "--index",
    "SEEDQA_INDEX",
    Path("index"),
    path,
    "DIR",
    shown_default="./index",
)
MODEL: Setting[str] = Setting(
    "model",
    "sentence-transformers model for the dense leg (a Hugging Face name or a local folder), or "
    f"'{NO_MODEL}' for lexical search only",
    "--model",
    "SEEDQA_MODEL",
    metavar=f"NAME|PATH|{NO_MODEL}",
    shown_default=f"the index's model; for a new index {DEFAULT_MODEL}",
)
DEVICE: Setting[str] = Setting(
    "device",
    "where the model runs: cpu, cuda (an NVIDIA GPU), cuda:1, mps (Apple)",
    "--device",
    "SEEDQA_DEVICE",
    "cpu",
    metavar="DEVICE",
)
NO_COLOR: Setting[str] = Setting(
    "no_color", "if set, the answering sentence is marked with ** instead of bold", env="NO_COLOR"
)
WHERE: tuple[Setting[Any], ...] = (SEEDS, INDEX, MODEL, DEVICE)
"""The settings every subcommand that reads the seeds or the index takes."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the seeds and the index are, and which model was asked for."""

    seeds: Path
    index: Path
    model: str | None
    """The model asked for by flag or environment; None when neither says (the index decides)."""
    device: str = "cpu"
    """Where the model runs (torch's name for it)."""

    @classmethod
    def of(cls, values: Values) -> Settings:
        """The settings among resolved values."""
        seeds, index = values[SEEDS], values[INDEX]
        assert seeds is not None and index is not None  # both have defaults
        return cls(
            seeds=seeds, index=index, model=values[MODEL] or None, device=values[DEVICE] or "cpu"
        )
