"""``seedqa serve``: the HTTP API — JSON search, Dify's External Knowledge API, OpenAI chat."""

from .config import SERVE_SETTINGS, ServeConfig

__all__ = ["SERVE_SETTINGS", "ServeConfig"]
