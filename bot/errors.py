"""The errors of the front-ends themselves (the rest come from ``retrieval``)."""

from __future__ import annotations

from retrieval import SeedQAError

__all__ = ["ConfigError"]


class ConfigError(SeedQAError):
    """A setting (flag or environment variable) is missing or malformed; the message says which."""
