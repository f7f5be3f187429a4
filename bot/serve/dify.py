"""Dify's External Knowledge API: an answer as ``records``, each with a calibrated 0…1 score.

Dify filters and orders what an external knowledge base returns by ``score`` against one
``score_threshold`` the user sets for every question, so the score must mean the same for every
question. Neither of seedqa's ranking scores does: BM25 grows with the question's length and
rarity, and the fused score (a sum of per-rank log-likelihood ratios) says how well a paragraph
ranks, not whether any paragraph answers. The score here is the passage's *evidence*, on the
scale of seedqa's own answer bar:

- by its words: the share of the question's IDF mass the paragraph holds (``coverage``), in 0…1
  for every question;
- by its meaning (hybrid mode): the cosine similarity mapped piecewise linearly so that the
  index's calibrated dense floor (the similarity the best *wrong* paragraph reaches for a typical
  in-corpus question) lands on ``LATER_FLOOR`` and a similarity of 1 on 1.

The larger of the two is the score. Every passage seedqa shows for an answered question scores
at least ``LATER_FLOOR`` (0.20), the bar ``seedqa ask`` applies to the passages it shows; a
higher threshold asks for more of the question's words (or a closer meaning) in every passage.
A question seedqa does not answer gets no records, whatever the threshold.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from retrieval import LATER_FLOOR, Answer, Hit

from ..citations import citation_label, language_of, location
from ..render import place

__all__ = ["MAX_TOP_K", "evidence", "records"]

MAX_TOP_K = 50
"""Most records returned, whatever ``top_k`` asks (as ``seedqa ask -k``)."""


def evidence(hit: Hit, dense_floor: float | None) -> float:
    """The hit's evidence in 0…1: its coverage, or its similarity on the same scale if larger."""
    score = min(1.0, max(0.0, hit.coverage))
    if dense_floor is not None and hit.similarity is not None and 0.0 < dense_floor < 1.0:
        similarity = min(1.0, max(0.0, hit.similarity))
        if similarity >= dense_floor:
            meaning = LATER_FLOOR + (1 - LATER_FLOOR) * (
                (similarity - dense_floor) / (1 - dense_floor)
            )
        else:
            meaning = LATER_FLOOR * similarity / dense_floor
        score = max(score, meaning)
    return score


def records(
    answer: Answer, seeds: str, dense_floor: float | None, threshold: float
) -> list[dict[str, Any]]:
    """The answer's passages as Dify records, in seedqa's order, those below ``threshold`` left
    out; an abstention is no records at all."""
    root = PurePath(seeds).name  # the seeds folder's name only: never a server path
    language = language_of(answer.question)
    found = []
    for hit in answer.hits:
        score = evidence(hit, dense_floor)
        if score < threshold:
            continue
        source = hit.source
        metadata: dict[str, Any] = {
            **place(hit),
            "citation": f"{citation_label(source, language)} — {location(source, root)}",
            "highlight": hit.highlight_text,
            "id": hit.paragraph.id,
            "rank": hit.rank,
        }
        found.append(
            {
                "content": hit.paragraph.text,
                "score": round(score, 4),
                "title": source.title or PurePath(source.path).name,
                # Dify wants an object of values; a null value is left out rather than sent.
                "metadata": {key: value for key, value in metadata.items() if value is not None},
            }
        )
    return found
