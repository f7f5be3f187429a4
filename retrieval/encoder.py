"""What the dense leg needs from an embedding model; ``embeddings.SentenceEncoder`` provides it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["Encoder"]


class Encoder(Protocol):
    """Turns questions and passages into unit-length float32 vectors."""

    name: str
    """The model's name or path, as the user gave it; recorded in the index."""
    dimension: int
    max_tokens: int | None
    """Most tokens a passage may have (prompt and special tokens excluded); None if unbounded."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """How many tokens each text takes, without prompt or special tokens."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit vector per question, shape (len(texts), dimension)."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit vector per passage, shape (len(texts), dimension)."""
        ...
