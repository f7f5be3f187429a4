"""Fusing the lexical and dense rankings by how reliable each leg proved on this very corpus.

Reciprocal rank fusion treats both legs as equally trustworthy: on the CMRC 2018 benchmark an
English-only model fused with equal weight drops R@1 from 0.98 to 0.32, because RRF with k=60
barely separates the ranks near the top. Instead, at build time each leg answers a few hundred
pseudo-questions made from the corpus (see :mod:`retrieval.calibration`), which gives, for each leg
and rank r, the chance that the paragraph at rank r is the right one. A paragraph's fused score is
the sum of those chances over the legs (ProbFuse, Lillis et al., SIGIR 2006). A model that cannot
read the corpus's language earns small chances and cannot override a confident lexical ranking;
a good model earns large ones, and wins where the words of the question are not in the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .dense import DenseMatches
from .lexical import LexicalMatches

__all__ = ["DEPTH", "Calibration", "fuse"]

DEPTH = 50
"""Candidates each leg contributes (over-fetched before fusion); deeper ranks weigh the least."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """Each leg's chance of being right at each rank, and the dense similarity that counts."""

    lexical: tuple[float, ...]
    dense: tuple[float, ...]
    dense_floor: float
    """Similarity the best *wrong* paragraph reaches for a typical in-corpus question."""
    questions: int

    def chance(self, leg: tuple[float, ...], rank: int) -> float:
        """The chance that a leg's paragraph at 0-based ``rank`` is the right one."""
        return leg[min(rank, len(leg) - 1)]


def fuse(
    lexical: LexicalMatches, dense: DenseMatches, calibration: Calibration
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Paragraph rows and fused scores, best first; each paragraph once."""
    scores: dict[int, float] = {}
    order: dict[int, tuple[int, int]] = {}
    for rank, row in enumerate(lexical.ids.tolist()):
        scores[row] = calibration.chance(calibration.lexical, rank)
        order[row] = (rank, DEPTH)
    for rank, row in enumerate(dense.ids.tolist()):
        scores[row] = scores.get(row, 0.0) + calibration.chance(calibration.dense, rank)
        order[row] = (order.get(row, (DEPTH, 0))[0], rank)
    # Ties (a paragraph found by one leg only, at the same chance) go to the better lexical rank.
    rows = sorted(scores, key=lambda row: (-scores[row], order[row]))
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray([scores[row] for row in rows], dtype=np.float32),
    )
