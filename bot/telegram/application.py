"""The Telegram application: built from the configuration, served by long polling or a webhook.

``serve`` drives the application's start and stop itself (rather than ``run_polling``, which owns
and closes its event loop), so the same code runs under ``seedqa bot`` and inside the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder

from retrieval import SeedQAError

from .. import runtime
from ..errors import ConfigError
from ..settings import Settings
from .config import BotConfig
from .feedback import FeedbackStore
from .handlers import register
from .librarian import Librarian
from .limiter import FloodLimiter
from .redaction import Redactor, hide_secrets

__all__ = ["ALLOWED_UPDATES", "DATABASE", "build_application", "run", "serve"]

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
DATABASE = "bot.sqlite3"
CONCURRENT_UPDATES = 256
"""Updates handled at once; one slow question does not hold up the other chats."""

Say = Callable[[str], None]


def build_application(config: BotConfig, librarian: Librarian) -> Application:  # type: ignore[type-arg]
    """The application, talking to ``config.base_url``, with every handler registered."""
    application = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .rate_limiter(FloodLimiter(config.max_rate, config.retries))
        .concurrent_updates(CONCURRENT_UPDATES)
        .connect_timeout(config.request_timeout)
        .read_timeout(config.request_timeout)
        .write_timeout(config.request_timeout)
        .pool_timeout(config.request_timeout)
        .get_updates_read_timeout(config.request_timeout)
        .build()
    )
    register(application, librarian)
    return application


async def serve(
    application: Application,  # type: ignore[type-arg]
    librarian: Librarian,
    config: BotConfig,
    stop: asyncio.Event,
    ready: Say = logger.info,
) -> None:
    """Run the bot until ``stop`` is set: register the command menu, then poll or listen."""
    updater = application.updater
    assert updater is not None
    await application.initialize()
    try:
        await librarian.warm_up()
        await librarian.announce(application.bot)
        await application.start()
        webhook = config.webhook
        if webhook is None:
            await updater.start_polling(
                timeout=dt.timedelta(seconds=config.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                error_callback=_polling_failed,
            )
            how = "polling for updates"
        else:
            await updater.start_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.path,
                webhook_url=webhook.url,
                secret_token=webhook.secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )
            how = f"webhook on {webhook.listen}:{webhook.port}/{webhook.path}"
        info = librarian.engine.info
        ready(
            f"@{application.bot.username} is answering from index {info.version} "
            f"({info.paragraphs} paragraphs, {info.mode}), {how}."
        )
        await stop.wait()
        logger.info("Stopping")
    finally:
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        await librarian.aclose()


def _polling_failed(error: TelegramError) -> None:
    logger.warning("Polling for updates failed (%s); trying again", error.message)


def run(settings: Settings, config: BotConfig, warn: Say, say: Say) -> int:
    """``seedqa bot``: check the token, open the index (building it if needed), serve until a
    signal."""
    # python-telegram-bot warns on every 429 about the type of its own retry_after unless the
    # process opts in to the timedelta of its next major version (nothing here reads it).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    redactor = hide_secrets(config.token, config.webhook.secret_token if config.webhook else None)
    with _startup_errors(config, redactor):
        asyncio.run(_check_token(config))  # before an index build that may take minutes
    engine = runtime.open_engine(settings, warn, say)
    store = FeedbackStore(config.data / DATABASE)
    pool = ThreadPoolExecutor(config.workers, thread_name_prefix="seedqa-search")
    librarian: Librarian | None = None
    try:
        librarian = Librarian(engine, settings, config, store, pool)
        application = build_application(config, librarian)
        with _startup_errors(config, redactor):
            asyncio.run(_until_signalled(application, librarian, config, say))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if librarian is not None:
            librarian.close()
        store.close()
    return 0


async def _check_token(config: BotConfig) -> None:
    async with Bot(config.token, base_url=config.api_url):  # asks getMe
        pass


@contextlib.contextmanager
def _startup_errors(config: BotConfig, redactor: Redactor) -> Iterator[None]:
    """Turn the Bot API's refusals at start-up into errors that say what to do."""
    try:
        yield
    except InvalidToken:
        raise ConfigError(
            f"The Bot API at {config.base_url} refused the token. Check TELEGRAM_BOT_TOKEN, or "
            "ask @BotFather for the token again."
        ) from None
    except TelegramError as error:
        raise SeedQAError(
            f"Cannot start the bot with the Bot API at {config.base_url}: "
            f"{redactor.redact(error.message)}. Check TELEGRAM_BASE_URL and the network, then "
            "start it again."
        ) from None


async def _until_signalled(
    application: Application,  # type: ignore[type-arg]
    librarian: Librarian,
    config: BotConfig,
    say: Say,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def stopping() -> None:
        stop.set()
        for signum in signals:  # a second Ctrl-C interrupts a stop that hangs
            loop.remove_signal_handler(signum)

    for signum in signals:
        loop.add_signal_handler(signum, stopping)
    await serve(application, librarian, config, stop, ready=say)
