"""Fixtures for the bot's tests: a fake Bot API on 127.0.0.1 and the real application against it."""

from __future__ import annotations

import os

os.environ["PTB_TIMEDELTA"] = "true"  # as `seedqa bot` sets it: see bot/telegram/application.py

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import build
from bot.settings import Settings
from bot.telegram.application import DATABASE, build_application, serve
from bot.telegram.config import BotConfig
from bot.telegram.feedback import FeedbackStore
from bot.telegram.librarian import Librarian
from retrieval import Engine
from tests.corpus import SEED
from tests.telegram.fakebotapi import FakeBotAPI


def quiet(message: str) -> None:
    """A progress or warning sink that prints nothing."""


def lexical_index(folder: Path) -> Settings:
    """A seeds folder holding the sample page, and its lexical index, under ``folder``."""
    seeds = folder / "seeds"
    seeds.mkdir(parents=True)
    shutil.copy(SEED, seeds / SEED.name)
    settings = Settings(seeds, folder / "index", "none")
    build(settings, quiet, quiet)
    return settings


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A lexical index of the sample page that tests only read."""
    return lexical_index(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="session")
def shared_engine(shared_index: Settings) -> Engine:
    return Engine(shared_index.index)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI()
    await api.start()
    yield api
    await api.stop()


@dataclass
class Running:
    """A bot running against the fake: its parts, to look into and to stop."""

    config: BotConfig
    librarian: Librarian
    application: Any
    store: FeedbackStore
    task: asyncio.Task[None]
    stop: asyncio.Event
    pool: ThreadPoolExecutor


Start = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_bot(
    fake: FakeBotAPI, shared_index: Settings, shared_engine: Engine, tmp_path: Path
) -> AsyncIterator[Start]:
    """Start the real application against the fake; keyword arguments override its config."""
    running: list[Running] = []

    async def start(
        settings: Settings | None = None, engine: Engine | None = None, **overrides: Any
    ) -> Running:
        config = BotConfig(
            token=fake.token,
            data=tmp_path / f"data{len(running)}",
            base_url=fake.base_url,
            poll_timeout=1.0,
            request_timeout=5.0,
        )
        config = replace(config, **overrides)
        store = FeedbackStore(config.data / DATABASE)
        pool = ThreadPoolExecutor(2)
        librarian = Librarian(
            engine or shared_engine, settings or shared_index, config, store, pool
        )
        application = build_application(config, librarian)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(
            serve(application, librarian, config, stop, ready=lambda line: ready.set())
        )
        bot = Running(config, librarian, application, store, task, stop, pool)
        running.append(bot)
        await asyncio.wait(
            [task, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        if task.done():
            task.result()
        return bot

    yield start
    for bot in running:
        bot.stop.set()
        await bot.task
        bot.pool.shutdown()
        bot.librarian.close()
        bot.store.close()


@pytest.fixture
async def bot(start_bot: Start) -> Running:
    """The bot with its default configuration, over the shared lexical index."""
    return await start_bot()
