"""The README documents every command the CLI has."""

import argparse
from pathlib import Path

from bot.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def subcommands() -> list[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


def test_every_subcommand_is_in_the_readme() -> None:
    assert subcommands()
    for name in subcommands():
        assert f"seedqa {name}" in README, name


def test_the_readme_names_the_two_make_targets_first() -> None:
    head = README.split("## ", 1)[0]
    assert "make ask" in head and "make test" in head
    assert "TRANSCRIPT" not in README
