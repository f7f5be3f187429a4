"""The exceptions seedqa raises; each message says what to do next."""

from __future__ import annotations


class SeedQAError(Exception):
    """Base of every error seedqa reports to a user."""


class SeedsNotFoundError(SeedQAError):
    """The seeds folder does not exist or holds no readable seed file."""


class IndexNotFoundError(SeedQAError):
    """There is no index in the index folder yet."""


class IndexCorruptError(SeedQAError):
    """An index file is missing, truncated or damaged."""


class IndexMismatchError(SeedQAError):
    """The index was built with another model or an older format."""


class IndexLockedError(SeedQAError):
    """Another process is building the index right now."""


class IndexWriteError(SeedQAError):
    """The index folder cannot be written."""


class QuestionError(SeedQAError):
    """The question cannot be searched as given (too long, for instance)."""
