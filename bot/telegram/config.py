"""How ``seedqa bot`` is configured: its flags, the environment variables behind them, defaults.

This module imports nothing from python-telegram-bot, so that ``seedqa``'s parser can offer the
bot's flags without loading the Telegram library for ``seedqa ask``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from retrieval import LLMSettings

from ..citations import Language
from ..errors import ConfigError
from ..generated import LLM_SETTINGS, llm_settings
from ..settings import Setting, Values, path, resolve

__all__ = ["SETTINGS", "BotConfig", "Webhook", "configure"]

TELEGRAM = "https://api.telegram.org"
QUESTIONS_PER_MINUTE = 10
CONTEXT_MINUTES = 15.0
"""Minutes a private chat's follow-up questions are read in the context of the last answer."""
MAX_RATE = 30.0
"""Messages per second across all chats: Telegram's documented limit for a bot."""

_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http:// or https:// URL, not {value!r}.")
    return value.strip().rstrip("/")


def _ids(value: str) -> frozenset[int]:
    ids = set()
    for item in value.replace(" ", "").split(","):
        if not item:
            continue
        try:
            ids.add(int(item))
        except ValueError:
            raise ValueError(
                f"{item!r} is not a Telegram id (a whole number such as 123456789, or "
                "-1001234567890 for a group)."
            ) from None
    return frozenset(ids)


def _rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ValueError(f"must be a number, 0 or more, not {value.strip()!r}.")
    return number


def _minutes(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"must be a number of minutes, 0 or more, not {value.strip()!r}.")
    return number


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a whole number") from None
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if not 1 <= value <= 65535:
        raise ValueError("must be between 1 and 65535")
    return value


TOKEN: Setting[str] = Setting(
    "token",
    "the bot's token from @BotFather (better in the variable: other users cannot see it in ps)",
    "--token",
    "TELEGRAM_BOT_TOKEN",
    metavar="TOKEN",
)
BASE_URL: Setting[str] = Setting(
    "base_url",
    "Bot API server, for a self-hosted one",
    "--base-url",
    "TELEGRAM_BASE_URL",
    TELEGRAM,
    _url,
    "URL",
)
DATA: Setting[Path] = Setting(
    "data",
    "folder of the bot's database of questions and 👍/👎 feedback",
    "--data",
    "SEEDQA_DATA",
    parse=path,
    metavar="DIR",
    shown_default="the index folder",
)
QUESTIONS: Setting[int] = Setting(
    "questions_per_minute",
    "questions a user may ask per minute, 0 for no limit",
    "--questions-per-minute",
    "SEEDQA_QUESTIONS_PER_MINUTE",
    QUESTIONS_PER_MINUTE,
    _count,
    "N",
)
CONTEXT: Setting[float] = Setting(
    "context_minutes",
    "minutes a private chat's next question may be a follow-up of the last answer, 0 for none "
    "(a reply to an answer always continues it)",
    "--context-minutes",
    "SEEDQA_CONTEXT_MINUTES",
    CONTEXT_MINUTES,
    _minutes,
    "M",
    shown_default=f"{CONTEXT_MINUTES:g}",
)
ALLOWED_CHATS: Setting[frozenset[int]] = Setting(
    "allowed_chats",
    "comma-separated chat ids the bot answers in",
    env="SEEDQA_ALLOWED_CHATS",
    parse=_ids,
    shown_default="every chat",
)
ADMINS: Setting[frozenset[int]] = Setting(
    "admins",
    "comma-separated user ids allowed to /reindex",
    env="SEEDQA_ADMINS",
    default=frozenset(),
    parse=_ids,
    shown_default="nobody",
)


def _language(value: str) -> Language:
    value = value.strip().lower()
    if value not in ("zh", "en"):
        raise ValueError(f"must be zh or en, not {value!r}")
    return "zh" if value == "zh" else "en"


LANGUAGE: Setting[Language] = Setting(
    "language",
    "zh or en: the language for users whose app sends none",
    env="SEEDQA_LANGUAGE",
    parse=_language,
    shown_default="the corpus's",
)
MAX_RATE_SETTING: Setting[float] = Setting(
    "max_rate",
    "messages per second across all chats",
    env="SEEDQA_MAX_RATE",
    default=MAX_RATE,
    parse=_rate,
    shown_default=f"{MAX_RATE:g}",
)
WEBHOOK_URL: Setting[str] = Setting(
    "webhook_url",
    "public URL Telegram posts updates to (the local server answers on its path); polling when "
    "unset",
    "--webhook-url",
    "TELEGRAM_WEBHOOK_URL",
    parse=_url,
    metavar="URL",
)
LISTEN: Setting[str] = Setting(
    "listen",
    "address the webhook server listens on",
    "--listen",
    default="127.0.0.1",
    metavar="ADDR",
)
PORT: Setting[int] = Setting(
    "port",
    "port the webhook server listens on",
    "--port",
    default=8443,
    parse=_port,
    metavar="PORT",
)
SECRET_TOKEN: Setting[str] = Setting(
    "secret_token",
    "secret Telegram sends with every update to the webhook; other requests are refused",
    "--secret-token",
    "TELEGRAM_SECRET_TOKEN",
    metavar="S",
)

TELEGRAM_SETTINGS: tuple[Setting[Any], ...] = (TOKEN, BASE_URL, DATA, QUESTIONS, CONTEXT)
WEBHOOK_SETTINGS: tuple[Setting[Any], ...] = (WEBHOOK_URL, LISTEN, PORT, SECRET_TOKEN)
ACCESS_SETTINGS: tuple[Setting[Any], ...] = (ALLOWED_CHATS, ADMINS, MAX_RATE_SETTING, LANGUAGE)
SETTINGS = TELEGRAM_SETTINGS + WEBHOOK_SETTINGS + ACCESS_SETTINGS
"""Every setting of ``seedqa bot`` besides where the seeds and the index are."""


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
    context_minutes: float = CONTEXT_MINUTES
    """Minutes after an answer that a private chat's next question may follow up on it."""
    max_rate: float = MAX_RATE
    language: Language | None = None
    """Language of users whose app sends none (and of text with no words); None: the corpus's."""
    request_timeout: float = 10.0
    """Seconds to wait for the Bot API to answer a request."""
    poll_timeout: float = 10.0
    """Seconds the Bot API may hold a long poll open when there is no update."""
    retries: int = 3
    """Retries of a request that failed on the network, a timeout or a 5xx, and of a 429."""
    workers: int = 4
    """Threads that search, so that one slow question does not hold up the others."""
    llm: LLMSettings | None = None
    """The LLM that writes checked answers (streamed in private chats); None: extractive only."""

    @property
    def api_url(self) -> str:
        """The Bot API base URL python-telegram-bot appends the token to."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """The Bot API base URL of files."""
        return f"{self.base_url}/file/bot"

    @classmethod
    def of(cls, values: Values, index: Path) -> BotConfig:
        """The configuration from resolved settings; ``index`` is where the data goes by default.

        Raises :class:`ConfigError` for a missing or malformed token, or a webhook without a
        secret.
        """
        token = (values[TOKEN] or "").strip()
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
        webhook = None
        webhook_url = values[WEBHOOK_URL]
        if webhook_url:
            secret = values[SECRET_TOKEN] or ""
            if not _SECRET.fullmatch(secret):
                raise ConfigError(
                    "A webhook needs a secret token of 1-256 letters, digits, - and _ "
                    "(--secret-token or TELEGRAM_SECRET_TOKEN), so that only Telegram can post "
                    "updates to it."
                )
            webhook = Webhook(
                webhook_url, values[LISTEN] or "127.0.0.1", values[PORT] or 8443, secret
            )
        questions = values[QUESTIONS]
        max_rate = values[MAX_RATE_SETTING]
        context = values[CONTEXT]
        return cls(
            token=token,
            data=values[DATA] or index,
            base_url=(values[BASE_URL] or TELEGRAM).removesuffix("/bot"),
            webhook=webhook,
            allowed_chats=values[ALLOWED_CHATS],
            admins=values[ADMINS] or frozenset(),
            questions_per_minute=QUESTIONS_PER_MINUTE if questions is None else questions,
            context_minutes=CONTEXT_MINUTES if context is None else context,
            max_rate=MAX_RATE if max_rate is None else max_rate,
            language=values[LANGUAGE],
            llm=llm_settings(values),
        )


def configure(flags: Mapping[str, Any], environ: Mapping[str, str], index: Path) -> BotConfig:
    """The configuration from flags given as plain values (by setting name), then ``environ``."""
    return BotConfig.of(resolve(SETTINGS + LLM_SETTINGS, flags, environ), index)
