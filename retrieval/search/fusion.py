"""Fusing the lexical and dense rankings by how reliable each leg proved on this very corpus.

Reciprocal rank fusion treats both legs as equally trustworthy: on the CMRC 2018 benchmark an
English-only model fused with equal weight drops R@1 from 0.98 to 0.32, because RRF with k=60
barely separates the ranks near the top. Instead, at build time each leg answers a few hundred
pseudo-questions made from the corpus (see :mod:`retrieval.search.calibration`), which tells,
for each leg, how often the right paragraph sits at each rank. A paragraph then scores the sum
over the legs of the log-likelihood ratio of its rank — how much likelier that rank is for the right
paragraph than for a wrong one (Bayes-fuse, Aslam & Montague, SIGIR 2001). A rank the leg rarely
gives the right paragraph, or no rank at all (not retrieved), counts against it.

So a model that cannot read the corpus's language earns little weight and cannot push aside a
confident lexical ranking — not its first rank, nor its second — while a good model wins where
the words of the question are not in the text.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..index.dense import DenseMatches
from ..index.lexical import LexicalMatches
from ..index.manifest import METHOD, Calibration

__all__ = ["DEPTH", "METHOD", "Calibration", "Fusion", "rank_weights"]

DEPTH = 50
"""Candidates each leg contributes (over-fetched before fusion)."""


def rank_weights(
    found_at: tuple[int, ...], questions: int, paragraphs: int
) -> npt.NDArray[np.float64]:
    """log P(rank | right) - log P(rank | wrong) for each rank, the last for "not in the top".

    The right paragraph's rank distribution comes from the counts, with add-one smoothing spread
    over the outcomes so that no rank is impossible; "not in the top" is spread over the
    paragraphs below the top. A wrong paragraph is equally likely at any position not taken by
    the right one.
    """
    depth = len(found_at) - 1
    counts = np.asarray(found_at, dtype=np.float64)
    right = (counts + 1 / len(counts)) / (questions + 1)
    right[depth] /= max(1, paragraphs - depth)
    wrong = (1 - right) / max(1, paragraphs - 1)
    return np.log(right) - np.log(wrong)


class Fusion:
    """Fuses the two legs' rankings with the weights of one calibration."""

    def __init__(self, calibration: Calibration) -> None:
        self.calibration = calibration
        self.lexical = rank_weights(
            calibration.lexical, calibration.questions, calibration.paragraphs
        )
        self.dense = rank_weights(calibration.dense, calibration.questions, calibration.paragraphs)

    def fuse(
        self, lexical: LexicalMatches, dense: DenseMatches, coverage_floor: float = 0.0
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Paragraph rows and fused scores, best first; each paragraph once.

        A lexical match holding less than ``coverage_floor`` of the question's IDF mass is no
        evidence by its words, whatever its rank — one rare shared word can put an unrelated
        paragraph first — and counts as not retrieved by the lexical leg.
        """
        beyond_lexical, beyond_dense = len(self.lexical) - 1, len(self.dense) - 1
        lexical_rank = {
            row: min(rank, beyond_lexical) if coverage >= coverage_floor else beyond_lexical
            for rank, (row, coverage) in enumerate(
                zip(lexical.ids.tolist(), lexical.coverage.tolist(), strict=True)
            )
        }
        dense_rank = {row: min(rank, beyond_dense) for rank, row in enumerate(dense.ids.tolist())}
        scored = [
            (
                -(
                    self.lexical[lexical_rank.get(row, beyond_lexical)]
                    + self.dense[dense_rank.get(row, beyond_dense)]
                ),
                lexical_rank.get(row, beyond_lexical),
                dense_rank.get(row, beyond_dense),
                row,
            )
            for row in lexical_rank.keys() | dense_rank.keys()
        ]
        scored.sort()  # best score first; ties go to the better lexical rank, then dense rank
        rows = np.asarray([row for *_, row in scored], dtype=np.int64)
        scores = np.asarray([-score for score, *_ in scored], dtype=np.float32)
        return rows, scores
