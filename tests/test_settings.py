"""Settings are declared once: the parser, the help and the resolution come from the declaration."""

import argparse
from pathlib import Path

import pytest

import retrieval
from bot.cli import COMMANDS, build_parser
from bot.commands import Command, Group, Invocation
from bot.errors import ConfigError
from bot.settings import (
    INDEX,
    MODEL,
    SEEDS,
    WHERE,
    Setting,
    Settings,
    environment_help,
    resolve,
)

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def every_setting() -> list[Setting]:
    return [setting for command in COMMANDS for setting in command.settings]


def test_a_flag_beats_the_environment_which_beats_the_default() -> None:
    environ = {"SEEDQA_SEEDS": "from-env", "SEEDQA_INDEX": "idx-env", "SEEDQA_DEVICE": "cuda"}
    values = resolve(WHERE, {"seeds": Path("from-flag")}, environ)
    assert Settings.of(values) == Settings(Path("from-flag"), Path("idx-env"), None, "cuda")
    values = resolve(WHERE, {}, {})
    assert Settings.of(values) == Settings(Path("seeds"), Path("index"), None, "cpu")
    assert values.flags((SEEDS, INDEX)) == []


def test_the_parser_and_the_resolution_agree() -> None:
    args = build_parser().parse_args(["ask", "问题", "--index", "idx", "--model", "none"])
    values = resolve(args.command_object.settings, args, {"SEEDQA_INDEX": "ignored"})
    assert Settings.of(values) == Settings(Path("seeds"), Path("idx"), "none")
    assert values.flags((SEEDS, INDEX, MODEL)) == ["--index", "idx", "--model", "none"]


def test_a_malformed_variable_is_an_error_naming_it() -> None:
    count = Setting("n", "how many", "--n", "SEEDQA_N", 3, int)
    with pytest.raises(ConfigError, match="SEEDQA_N: invalid literal"):
        resolve((count,), {}, {"SEEDQA_N": "many"})
    assert resolve((count,), {}, {"SEEDQA_N": " 7 "})[count] == 7
    assert resolve((count,), {}, {"SEEDQA_N": " "})[count] == 3  # blank means unset


def test_every_environment_variable_is_in_the_readme_and_the_help() -> None:
    names = {setting.env for setting in every_setting() if setting.env}
    assert {"SEEDQA_SEEDS", "TELEGRAM_BOT_TOKEN", "SEEDQA_ALLOWED_CHATS", "NO_COLOR"} <= names
    top_help = build_parser().format_help()
    for name in sorted(names):
        assert f"`{name}`" in README, name
        assert name in top_help, name


def test_every_flag_with_a_variable_says_so_in_its_help() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in COMMANDS:
        text = " ".join(subparsers.choices[command.name].format_help().split())
        for setting in command.settings:
            if setting.flag and setting.env:
                assert f"${setting.env}" in text, (command.name, setting.flag)


def test_a_new_subcommand_needs_only_its_declaration() -> None:
    greeting = Setting("greeting", "what to say", "--greeting", "SEEDQA_GREETING", "hello")
    said = []

    def run(call: Invocation) -> int:
        said.append(call.values[greeting])
        return 0

    greet = Command("greet", "greet", "Greet.", run, groups=(Group("greet", (greeting,)),))
    parser = build_parser((*COMMANDS, greet))
    args = parser.parse_args(["greet"])
    values = resolve(greet.settings, args, {"SEEDQA_GREETING": "你好"})
    assert args.command_object.run(Invocation(args, values, {}, None)) == 0  # type: ignore[arg-type]
    assert said == ["你好"]
    assert "SEEDQA_GREETING" in environment_help(greet.settings)


def test_config_error_belongs_to_the_front_ends() -> None:
    assert not hasattr(retrieval, "ConfigError")
    assert "ConfigError" not in retrieval.__all__
