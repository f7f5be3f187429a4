"""Encoders for tests: a fast deterministic fake, and wrappers that record or remember what they embed."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from retrieval import Encoder


class CharEncoder:
    """A fake model: a text's vector is the normalised sum of one fixed random vector per character.

    Texts sharing characters are close, as with a (very) weak real model; the same text always
    gets the same vector, in any process. One token per character, a 64-token window.
    """

    def __init__(self, name: str = "char-fake", dimension: int = 32, max_tokens: int = 64) -> None:
        self.name = name
        self.dimension = dimension
        self.max_tokens: int | None = max_tokens
        self._seed = zlib.crc32(name.encode())
        self._table: dict[str, npt.NDArray[np.float32]] = {}

    def _char(self, char: str) -> npt.NDArray[np.float32]:
        vector = self._table.get(char)
        if vector is None:
            rng = np.random.default_rng([self._seed, ord(char)])
            vector = self._table[char] = rng.standard_normal(self.dimension).astype(np.float32)
        return vector

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [sum(1 for ch in text if not ch.isspace()) for text in texts]

    def _encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        for row, text in enumerate(texts):
            for char in text:
                if not char.isspace():
                    vectors[row] += self._char(char)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms > 0, norms, 1)).astype(np.float32)

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)


class Recording:
    """Passes every call to ``inner`` and keeps the passages and the queries it embedded."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self.passages: list[str] = []
        self.queries: list[str] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.queries.extend(texts)
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.passages.extend(texts)
        return self.inner.encode_passages(texts)

    def take(self) -> list[str]:
        """The passages embedded since the last call."""
        taken, self.passages = self.passages, []
        return taken


class Memo:
    """Passes each distinct call to ``inner`` once and answers its repeats from memory.

    A call is remembered whole (the same texts in the same order), so a repeat gets exactly the
    vectors ``inner`` returned for it. For tests that ask a real model the same questions, and
    highlight in the same few paragraphs, many times: each costs a model call once.
    """

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self._queries: dict[tuple[str, ...], npt.NDArray[np.float32]] = {}
        self._passages: dict[tuple[str, ...], npt.NDArray[np.float32]] = {}

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        key = tuple(texts)
        if key not in self._queries:
            self._queries[key] = self.inner.encode_queries(texts)
        return self._queries[key].copy()

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        key = tuple(texts)
        if key not in self._passages:
            self._passages[key] = self.inner.encode_passages(texts)
        return self._passages[key].copy()
