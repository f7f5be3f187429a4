"""Split paragraphs into windows that each fit the embedding model, so nothing is truncated.

A model reads at most ``max_seq_length`` tokens and silently drops the rest — for Chinese about
one token a character, so a 128-token model would see only the first ~120 characters of a
paragraph. A paragraph that does not fit is cut into windows of whole sentences (a sentence that
alone is too long, into clauses, and a clause into pieces); consecutive windows share one sentence
so that a statement across the cut is still seen whole in one of them. A paragraph's dense score
is its best window's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..text.sentences import Span, clauses, sentences

__all__ = ["CHUNKING_VERSION", "TokenCounter", "window_spans"]

CHUNKING_VERSION = "sentence-windows/1"
"""Version of how paragraphs are cut into windows; vectors of other cuts are not reused."""

TokenCounter = Callable[[Sequence[str]], list[int]]


def window_spans(
    texts: Sequence[str], budgets: Sequence[int | None], count: TokenCounter
) -> list[list[Span]]:
    """For each text, the spans of the windows to embed (one span covering it if it fits)."""
    totals = count(texts)
    result: list[list[Span]] = []
    for text, budget, total in zip(texts, budgets, totals, strict=True):
        if budget is None or total <= budget:
            result.append([(0, len(text))])
        else:
            result.append(_windows(text, budget, count))
    return result


def _windows(text: str, budget: int, count: TokenCounter) -> list[Span]:
    pieces = _pieces(text, budget, count)
    sizes = count([text[a:b] for a, b in pieces])
    windows: list[Span] = []
    i = 0
    while i < len(pieces):
        j, total = i, 0
        while j < len(pieces) and total + sizes[j] <= budget:
            total += sizes[j]
            j += 1
        j = max(j, i + 1)
        windows.extend(_fit(text, pieces[i:j], budget, count))
        if j == len(pieces):
            break
        # Start the next window on this one's last piece when both fit: an overlap of one.
        i = j - 1 if j - 1 > i and sizes[j - 1] + sizes[j] <= budget else j
    return windows


def _fit(text: str, pieces: list[Span], budget: int, count: TokenCounter) -> list[Span]:
    """The window over ``pieces``, halved until each part fits (tokens may merge across cuts)."""
    span = (pieces[0][0], pieces[-1][1])
    if len(pieces) == 1 or count([text[span[0] : span[1]]])[0] <= budget:
        return [span]
    half = len(pieces) // 2
    return _fit(text, pieces[:half], budget, count) + _fit(text, pieces[half:], budget, count)


def _pieces(text: str, budget: int, count: TokenCounter) -> list[Span]:
    """Sentences; clauses of sentences that do not fit; hard cuts of clauses that do not fit."""
    pieces: list[Span] = []
    spans = sentences(text)
    for span, size in zip(spans, count([text[a:b] for a, b in spans]), strict=True):
        if size <= budget:
            pieces.append(span)
            continue
        parts = clauses(text, span)
        for part, part_size in zip(parts, count([text[a:b] for a, b in parts]), strict=True):
            pieces.extend([part] if part_size <= budget else _cut(text, part, budget, count))
    return pieces


def _cut(text: str, span: Span, budget: int, count: TokenCounter) -> list[Span]:
    """Consecutive pieces of ``span``, each the longest prefix that fits the budget."""
    start, end = span
    cuts: list[Span] = []
    while start < end:
        low, high = start + 1, end  # the longest fitting prefix ends in [low, high]
        while low < high:
            middle = (low + high + 1) // 2
            if count([text[start:middle]])[0] <= budget:
                low = middle
            else:
                high = middle - 1
        cuts.append((start, low))
        start = low
    return cuts
