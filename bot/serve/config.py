"""How ``seedqa serve`` is configured: its flags, the environment variables behind them, defaults.

This module imports no web framework, so that ``seedqa``'s parser can offer the server's flags
without loading FastAPI for ``seedqa ask``.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

from retrieval import ConfigError

__all__ = ["ENVIRONMENT", "MAX_BODY", "ServeConfig", "add_arguments", "is_loopback"]

HOST = "127.0.0.1"
PORT = 8000
KNOWLEDGE_ID = "seedqa"
MAX_BODY = 64 * 1024
"""Largest request body accepted, in bytes: a question is at most 1,000 characters, and a chat
history long enough to hold it fits many times over."""

_KNOWLEDGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")

ENVIRONMENT = f"""\
environment:
  SEEDQA_API_KEY         when set, every endpoint but /healthz wants "Authorization: Bearer KEY";
                         required to listen on anything but loopback
  SEEDQA_HOST            address to listen on (--host), default {HOST}
  SEEDQA_PORT            port (--port), default {PORT}
  SEEDQA_KNOWLEDGE_ID    the External Knowledge ID Dify sends (--knowledge-id),
                         default {KNOWLEDGE_ID}
  SEEDQA_SEEDS, SEEDQA_INDEX, SEEDQA_MODEL  as for seedqa ask
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``seedqa serve`` (the common --seeds/--index/--model come from the parent)."""
    parser.add_argument(
        "--host", metavar="ADDR", help=f"address to listen on (default {HOST}: this machine only)"
    )
    parser.add_argument(
        "--port", type=int, metavar="N", help=f"port to listen on (default {PORT}; 0: any free one)"
    )
    parser.add_argument(
        "--knowledge-id",
        metavar="ID",
        help=f"the External Knowledge ID that Dify must send (default {KNOWLEDGE_ID})",
    )


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
    def resolve(cls, args: argparse.Namespace, environ: Mapping[str, str]) -> ServeConfig:
        """The configuration from flags, then ``SEEDQA_*`` variables, then defaults.

        Raises :class:`ConfigError` for a bad port or knowledge id, and for an address beyond
        loopback without an API key: anyone who can reach it could ask otherwise.
        """
        host = args.host or environ.get("SEEDQA_HOST") or HOST
        port_text = str(args.port) if args.port is not None else environ.get("SEEDQA_PORT", "")
        try:
            port = int(port_text) if port_text else PORT
        except ValueError:
            raise ConfigError(f"The port {port_text!r} is not a number.") from None
        if not 0 <= port <= 65535:
            raise ConfigError(f"The port {port} is not between 0 and 65535.")
        knowledge_id = args.knowledge_id or environ.get("SEEDQA_KNOWLEDGE_ID") or KNOWLEDGE_ID
        if not _KNOWLEDGE_ID.fullmatch(knowledge_id):
            raise ConfigError(
                f"The knowledge id {knowledge_id!r} should be 1 to 100 letters, digits or ._:-"
            )
        api_key = environ.get("SEEDQA_API_KEY") or None
        if api_key is not None and (api_key != api_key.strip() or not api_key.isprintable()):
            raise ConfigError("SEEDQA_API_KEY holds spaces or control characters; set it again.")
        if api_key is None and not is_loopback(host):
            raise ConfigError(
                f"Refusing to listen on {host} without an API key: anyone who can reach this "
                "machine could use it. Set SEEDQA_API_KEY to a long random secret (for example "
                "`export SEEDQA_API_KEY=$(openssl rand -hex 32)`), or listen on 127.0.0.1."
            )
        return cls(host=host, port=port, api_key=api_key, knowledge_id=knowledge_id)
