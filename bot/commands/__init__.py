"""The subcommands of ``seedqa``, one module each; :data:`COMMANDS` lists them in help order.

A subcommand is a :class:`Command`: its name, help, settings and extra arguments, and the
function that runs it. Adding one (``seedqa chat``, ``seedqa serve``) is a module declaring its
``COMMAND`` and its settings, and a line in :data:`COMMANDS`; the parser, the help's environment
section and the resolution of the settings come from the declarations.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..console import Console
from ..settings import WHERE, Setting, Settings, Values

__all__ = ["WHERE_GROUP", "Command", "Group", "Invocation"]


@dataclass(frozen=True, slots=True)
class Group:
    """Settings shown together in a subcommand's help."""

    title: str
    settings: tuple[Setting[Any], ...]
    description: str | None = None


WHERE_GROUP = Group("where", WHERE)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One run of a subcommand: its arguments, its resolved settings, and where it writes."""

    args: argparse.Namespace
    values: Values
    environ: Mapping[str, str]
    console: Console

    @property
    def settings(self) -> Settings:
        """Where the seeds and the index are, and the model asked for."""
        return Settings.of(self.values)


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """A subcommand with no arguments besides its settings."""


@dataclass(frozen=True, slots=True)
class Command:
    """A ``seedqa`` subcommand."""

    name: str
    help: str
    """One line, for ``seedqa --help``."""
    description: str
    """What ``seedqa NAME --help`` opens with."""
    run: Callable[[Invocation], int]
    """Runs it; returns the exit status."""
    groups: tuple[Group, ...] = (WHERE_GROUP,)
    """Its settings (flag, environment variable, default), the common ones included."""
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    """Adds its other arguments: positionals and switches that no environment variable sets."""
    epilog: str = ""
    """Shown after the flags, before the environment variables."""
    json: bool = True
    """Whether it takes ``--json``."""

    @property
    def settings(self) -> tuple[Setting[Any], ...]:
        """All its settings, in help order."""
        return tuple(setting for group in self.groups for setting in group.settings)
