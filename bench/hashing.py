"""A fixed-cost stand-in for an embedding model: hashed character bigrams, projected to 384 numbers.

Its vectors have real structure — texts sharing bigrams are close, as with a weak real model —
so approximate-search recall measured on them means something, and it costs microseconds a text,
so that a build's time is seedqa's own. ``seconds`` adds up the time spent inside it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing


class HashingEncoder:
    """Implements ``retrieval.Encoder``: one token a character, a 510-token window."""

    def __init__(self, dimension: int = 384, max_tokens: int = 510) -> None:
        self.name = f"hashing-bigrams-{dimension}"
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.seconds = 0.0
        self._shift = np.uint64(64 - int(np.log2(dimension * 2)))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text) for text in texts]

    def _encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        started = time.perf_counter()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            if len(codes) < 2:
                codes = np.concatenate([codes, codes, np.zeros(2, np.uint64)])[:2]
            bigrams = (codes[:-1] << np.uint64(21)) | codes[1:]
            slots = (bigrams * MULTIPLIER) >> self._shift  # in [0, 2 * dimension)
            signs = np.where(slots & np.uint64(1), 1.0, -1.0)
            out[row] = np.bincount((slots >> np.uint64(1)).astype(np.int64), signs, self.dimension)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms > 0, norms, 1)
        self.seconds += time.perf_counter() - started
        return out

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)
