"""``seedqa serve``: the HTTP API — JSON search, Dify's External Knowledge API, OpenAI chat."""

from .config import ENVIRONMENT, ServeConfig, add_arguments

__all__ = ["ENVIRONMENT", "ServeConfig", "add_arguments"]
