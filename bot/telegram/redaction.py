"""Keeping the bot token out of the logs.

Every Bot API URL holds the token, and so may a library's log line or an exception that quotes a
URL. ``httpx`` is kept at WARNING (its INFO lines are request URLs); on top of that, this filter
blanks the secrets out of every record a handler writes, its traceback included.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["Redactor", "hide_secrets"]

MASK = "<redacted>"


class Redactor(logging.Filter):
    """A handler filter that replaces each secret in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True

    def redact(self, text: str) -> str:
        """The text with every secret masked."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


def hide_secrets(*secrets: str | None) -> Redactor:
    """Redact these secrets from everything the root logger's handlers write; keep httpx quiet."""
    redactor = Redactor(secret for secret in secrets if secret)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return redactor
