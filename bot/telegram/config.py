"""How ``seedqa bot`` is configured: its flags, the environment variables behind them, defaults.

This module imports nothing from python-telegram-bot, so that ``seedqa``'s parser can offer the
bot's flags without loading the Telegram library for ``seedqa ask``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from retrieval import ConfigError

from ..citations import Language

__all__ = ["ENVIRONMENT", "BotConfig", "Webhook", "add_arguments"]

TELEGRAM = "https://api.telegram.org"
QUESTIONS_PER_MINUTE = 10
MAX_RATE = 30.0
"""Messages per second across all chats: Telegram's documented limit for a bot."""

_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

ENVIRONMENT = f"""\
environment:
  TELEGRAM_BOT_TOKEN     the bot's token from @BotFather (--token)
  TELEGRAM_BASE_URL      Bot API server (--base-url), default {TELEGRAM}
  TELEGRAM_WEBHOOK_URL   public URL of the webhook (--webhook-url); polling when unset
  TELEGRAM_SECRET_TOKEN  webhook secret (--secret-token)
  SEEDQA_ALLOWED_CHATS   comma-separated chat ids the bot answers in; default: every chat
  SEEDQA_ADMINS          comma-separated user ids allowed to /reindex
  SEEDQA_QUESTIONS_PER_MINUTE
                         per-user limit (--questions-per-minute), default {QUESTIONS_PER_MINUTE}
  SEEDQA_MAX_RATE        messages per second across all chats, default {MAX_RATE:g}
  SEEDQA_DATA            folder of the bot's database (--data), default: the index folder
  SEEDQA_LANGUAGE        zh or en: for users whose app sends no language; default: the corpus's
  SEEDQA_SEEDS, SEEDQA_INDEX, SEEDQA_MODEL  as for seedqa ask
"""


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram posts updates, and where the bot listens for them."""

    url: str
    listen: str
    port: int
    secret_token: str

    @property
    def path(self) -> str:
        """The URL's path: the local server answers on the same path the public URL names."""
        return urlsplit(self.url).path.lstrip("/")


@dataclass(frozen=True, slots=True)
class BotConfig:
    """Everything ``seedqa bot`` needs besides the index: token, server, access, limits."""

    token: str
    data: Path
    """Folder of the bot's SQLite file (questions and feedback)."""
    base_url: str = TELEGRAM
    webhook: Webhook | None = None
    allowed_chats: frozenset[int] | None = None
    admins: frozenset[int] = frozenset()
    questions_per_minute: int = QUESTIONS_PER_MINUTE
    max_rate: float = MAX_RATE
    request_timeout: float = 10.0
    """Seconds to wait for the Bot API to answer a request."""
    poll_timeout: float = 10.0
    """Seconds the Bot API may hold a long poll open when there is no update."""
    retries: int = 3
    """Retries of a request that failed on the network, a timeout or a 5xx, and of a 429."""
    workers: int = 4
    """Threads that search, so that one slow question does not hold up the others."""
    language: Language | None = None
    """Language of users whose app sends none (and of text with no words); None: the corpus's."""

    @property
    def api_url(self) -> str:
        """The Bot API base URL python-telegram-bot appends the token to."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """The Bot API base URL of files."""
        return f"{self.base_url}/file/bot"

    @classmethod
    def resolve(
        cls, args: argparse.Namespace, environ: Mapping[str, str], index: Path
    ) -> BotConfig:
        """The configuration from ``seedqa bot``'s flags, then the environment, then defaults."""
        token = (args.token or environ.get("TELEGRAM_BOT_TOKEN") or "").strip()
        if not token:
            raise ConfigError(
                "No bot token. Set TELEGRAM_BOT_TOKEN (or pass --token) to the token @BotFather "
                "gave you."
            )
        if not _TOKEN.fullmatch(token):
            raise ConfigError(
                "The bot token is malformed: a token looks like 123456789:AAH… (digits, a colon, "
                "then letters, digits, - and _). Copy it again from @BotFather."
            )
        webhook_url = args.webhook_url or environ.get("TELEGRAM_WEBHOOK_URL")
        webhook = None
        if webhook_url:
            secret = args.secret_token or environ.get("TELEGRAM_SECRET_TOKEN") or ""
            if not _SECRET.fullmatch(secret):
                raise ConfigError(
                    "A webhook needs a secret token of 1-256 letters, digits, - and _ "
                    "(--secret-token or TELEGRAM_SECRET_TOKEN), so that only Telegram can post "
                    "updates to it."
                )
            webhook = Webhook(_url(webhook_url, "--webhook-url"), args.listen, args.port, secret)
        data = args.data or environ.get("SEEDQA_DATA")
        per_minute = args.questions_per_minute
        if per_minute is None:
            per_minute = _number(environ, "SEEDQA_QUESTIONS_PER_MINUTE", QUESTIONS_PER_MINUTE)
        allowed = environ.get("SEEDQA_ALLOWED_CHATS", "").strip()
        return cls(
            token=token,
            data=Path(data).expanduser() if data else index,
            base_url=_url(
                args.base_url or environ.get("TELEGRAM_BASE_URL") or TELEGRAM, "--base-url"
            ).removesuffix("/bot"),
            webhook=webhook,
            allowed_chats=_ids(allowed, "SEEDQA_ALLOWED_CHATS") if allowed else None,
            admins=_ids(environ.get("SEEDQA_ADMINS", ""), "SEEDQA_ADMINS"),
            questions_per_minute=int(per_minute),
            max_rate=_number(environ, "SEEDQA_MAX_RATE", MAX_RATE),
            language=_language(environ.get("SEEDQA_LANGUAGE", "")),
        )


def _language(value: str) -> Language | None:
    value = value.strip().lower()
    if not value:
        return None
    if value not in ("zh", "en"):
        raise ConfigError(f"SEEDQA_LANGUAGE must be zh or en, not {value!r}.")
    return "zh" if value == "zh" else "en"


def _url(value: str, name: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http:// or https:// URL, not {value!r}.")
    return value.strip().rstrip("/")


def _ids(value: str, name: str) -> frozenset[int]:
    ids = set()
    for item in value.replace(" ", "").split(","):
        if not item:
            continue
        try:
            ids.add(int(item))
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not a Telegram id (a whole number such as 123456789, or "
                "-1001234567890 for a group)."
            ) from None
    return frozenset(ids)


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ConfigError(f"{name} must be a number, 0 or more, not {value!r}.")
    return number


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``seedqa bot``'s own flags to its parser."""
    telegram = parser.add_argument_group("telegram")
    telegram.add_argument(
        "--token",
        help="the bot's token (default $TELEGRAM_BOT_TOKEN, which other users cannot see in ps)",
    )
    telegram.add_argument(
        "--base-url",
        metavar="URL",
        help=f"Bot API server, for a self-hosted one (default $TELEGRAM_BASE_URL, else {TELEGRAM})",
    )
    telegram.add_argument(
        "--data",
        metavar="DIR",
        help="folder of the bot's database of questions and 👍/👎 feedback "
        "(default $SEEDQA_DATA, else the index folder)",
    )
    telegram.add_argument(
        "--questions-per-minute",
        type=_count,
        metavar="N",
        help=f"questions a user may ask per minute, 0 for no limit "
        f"(default $SEEDQA_QUESTIONS_PER_MINUTE, else {QUESTIONS_PER_MINUTE})",
    )
    webhook = parser.add_argument_group(
        "webhook", "Receive updates on a webhook instead of polling for them."
    )
    webhook.add_argument(
        "--webhook-url",
        metavar="URL",
        help="public URL Telegram posts updates to (default $TELEGRAM_WEBHOOK_URL); the local "
        "server answers on its path",
    )
    webhook.add_argument(
        "--listen", metavar="ADDR", default="127.0.0.1", help="address to listen on (127.0.0.1)"
    )
    webhook.add_argument("--port", type=_port, default=8443, help="port to listen on (8443)")
    webhook.add_argument(
        "--secret-token",
        metavar="S",
        help="secret Telegram sends with every update; other requests are refused "
        "(default $TELEGRAM_SECRET_TOKEN)",
    )
