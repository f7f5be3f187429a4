"""An encoder for tests that can be made to wait: to hold a rebuild, or one slow question."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


class GatedEncoder:
    """Deterministic vectors (hashed characters); passages, and questions holding ``slow``, wait
    while the gate is closed."""

    name = "gated-encoder"
    dimension = 32
    max_tokens: int | None = None

    def __init__(self, slow: str = "\0") -> None:
        self.slow = slow
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()
        """Set once something waits at the closed gate."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text) for text in texts]

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if any(self.slow in text for text in texts):
            self._wait()
        return self._vectors(texts)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self._wait()
        return self._vectors(texts)

    def _wait(self) -> None:
        if not self.gate.is_set():
            self.waiting.set()
            assert self.gate.wait(30)

    def _vectors(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                vectors[row, zlib.crc32(ch.encode()) % self.dimension] += 1.0
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        unit: npt.NDArray[np.float32] = (vectors / norms).astype(np.float32)
        return unit
