"""How ``seedqa serve`` is configured: its flags, the environment variables behind them, defaults.

This module imports no web framework, so that ``seedqa``'s parser can offer the server's flags
without loading FastAPI for ``seedqa ask``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..settings import Setting, Values

__all__ = ["MAX_BODY", "SERVE_SETTINGS", "ServeConfig", "is_loopback"]

HOST = "127.0.0.1"
PORT = 8000
KNOWLEDGE_ID = "seedqa"
MAX_BODY = 64 * 1024
"""Largest request body accepted, in bytes: a question is at most 1,000 characters, and a chat
history long enough to hold it fits many times over."""

_KNOWLEDGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"the port {value!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"the port {port} is not between 0 and 65535")
    return port


def _knowledge_id(value: str) -> str:
    value = value.strip()
    if not _KNOWLEDGE_ID.fullmatch(value):
        raise ValueError(f"the knowledge id {value!r} should be 1 to 100 letters, digits or ._:-")
    return value


def _api_key(value: str) -> str:
    if value != value.strip() or not value.isprintable():
        raise ValueError("SEEDQA_API_KEY holds spaces or control characters; set it again")
    return value


HOST_SETTING: Setting[str] = Setting(
    "http_host",
    "address to listen on (this machine only by default)",
    "--host",
    "SEEDQA_HOST",
    HOST,
    metavar="ADDR",
)
PORT_SETTING: Setting[int] = Setting(
    "http_port", "port to listen on; 0: any free one", "--port", "SEEDQA_PORT", PORT, _port, "N"
)
KNOWLEDGE_ID_SETTING: Setting[str] = Setting(
    "knowledge_id",
    "the External Knowledge ID that Dify must send",
    "--knowledge-id",
    "SEEDQA_KNOWLEDGE_ID",
    KNOWLEDGE_ID,
    _knowledge_id,
    "ID",
)
API_KEY_SETTING: Setting[str] = Setting(
    "api_key",
    'when set, every endpoint but /healthz wants "Authorization: Bearer KEY"; required to '
    "listen on anything but loopback",
    env="SEEDQA_API_KEY",
    parse=_api_key,
    shown_default="no key (loopback only)",
)
SERVE_SETTINGS: tuple[Setting[Any], ...] = (
    HOST_SETTING,
    PORT_SETTING,
    KNOWLEDGE_ID_SETTING,
    API_KEY_SETTING,
)
"""The settings of ``seedqa serve`` beyond where the seeds and the index are."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Where the server listens, the key it wants, and the knowledge id it answers to."""

    host: str = HOST
    port: int = PORT
    api_key: str | None = None
    knowledge_id: str = KNOWLEDGE_ID
    max_body: int = MAX_BODY

    @classmethod
    def of(cls, values: Values) -> ServeConfig:
        """The configuration from resolved settings.

        Raises :class:`ConfigError` for an address beyond loopback without an API key: anyone
        who can reach it could ask otherwise.
        """
        host, api_key = values[HOST_SETTING] or HOST, values[API_KEY_SETTING] or None
        if api_key is None and not is_loopback(host):
            raise ConfigError(
                f"Refusing to listen on {host} without an API key: anyone who can reach this "
                "machine could use it. Set SEEDQA_API_KEY to a long random secret (for example "
                "`export SEEDQA_API_KEY=$(openssl rand -hex 32)`), or listen on 127.0.0.1."
            )
        port = values[PORT_SETTING]
        return cls(
            host=host,
            port=PORT if port is None else port,
            api_key=api_key,
            knowledge_id=values[KNOWLEDGE_ID_SETTING] or KNOWLEDGE_ID,
        )
