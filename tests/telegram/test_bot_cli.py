"""``seedqa bot`` as users run it: a subprocess against the fake server, and its start-up errors."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests import seedqa
from tests.corpus import SEED
from tests.telegram.fakebotapi import FakeBotAPI

QUESTION = "在流动人口聚居区建立了多少个临时党支部？"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    return tmp_path


def environment(fake: FakeBotAPI, token: str) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "SEEDQA_MODEL": "none",
    }


async def seedqa_bot(workdir: Path, environ: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *seedqa.command("bot", "-v"),
        cwd=workdir,
        env=seedqa.environment(environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_seedqa_bot_answers_and_stops_cleanly_on_a_signal(
    fake: FakeBotAPI, workdir: Path, stop: signal.Signals
) -> None:
    process = await seedqa_bot(workdir, environment(fake, fake.token))
    try:
        await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=60)
        reply = await fake.reply(fake.message(QUESTION))
        assert "临时党支部16个" in reply.text
        assert "seeds/000_ebe6c6a426d89a77.txt:27" in reply.text
        process.send_signal(stop)
        code = await asyncio.wait_for(process.wait(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.stderr is not None
    err = (await process.stderr.read()).decode()
    assert code == 0, err
    assert "No index in index yet: building it from seeds" in err
    assert "@seedqa_test_bot is answering from index" in err
    assert "Answered question 1 in chat 1001" in err
    assert fake.token not in err and fake.token.split(":")[1] not in err
    assert QUESTION not in err
    assert "Traceback" not in err
    assert (workdir / "index" / "bot.sqlite3").is_file()


async def test_a_token_the_server_refuses_is_a_clear_error(fake: FakeBotAPI, workdir: Path) -> None:
    wrong = "1234567:AAwrong_token_wrong_token_wrong_token"
    process = await seedqa_bot(workdir, environment(fake, wrong))
    try:
        code = await asyncio.wait_for(process.wait(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.stderr is not None
    err = (await process.stderr.read()).decode()
    assert code == 2
    assert f"error: The Bot API at {fake.base_url} refused the token" in err
    assert "Traceback" not in err
    assert wrong not in err
    assert not (workdir / "index").exists()  # refused before building anything


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "error: No bot token. Set TELEGRAM_BOT_TOKEN"),
        ("not a token", "error: The bot token is malformed"),
        ("12345:short", "error: The bot token is malformed"),
    ],
)
def test_a_missing_or_malformed_token_is_a_clear_error(
    workdir: Path, capsys: pytest.CaptureFixture[str], token: str, message: str
) -> None:
    code = main(["bot", "--seeds", str(workdir / "seeds")], environ={"TELEGRAM_BOT_TOKEN": token})
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(message)


def test_a_webhook_without_a_secret_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35}
    code = main(["bot", "--webhook-url", "https://example.org/hook"], environ=environ)
    assert code == 2 and "needs a secret token" in capsys.readouterr().err


def test_an_unreachable_bot_api_is_a_clear_error(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.chdir(workdir)
    environ = {
        "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}",
        "SEEDQA_MODEL": "none",
    }
    code = main(["bot", "-q"], environ=environ)
    err = capsys.readouterr().err
    assert code == 1
    assert f"error: Cannot start the bot with the Bot API at http://127.0.0.1:{port}: " in err
    assert "Traceback" not in err


def test_the_command_line_loads_the_telegram_library_only_for_seedqa_bot() -> None:
    import subprocess

    probe = "import sys, bot.cli; bot.cli.build_parser(); print('telegram' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
