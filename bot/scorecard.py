"""An evaluation report (``seedqa eval``) as a readable scorecard and as one JSON object."""

from __future__ import annotations

from typing import Any

from retrieval import EVAL_DEPTH, EVAL_SNIPPET, EvalReport, Miss

from .citations import location
from .console import count

__all__ = ["scorecard_json", "scorecard_text"]


def scorecard_text(report: EvalReport, mode: str, root: str) -> str:
    """The figures, one a line with what each means, then every miss and what came first instead."""
    figures = report.figures()
    answerable, unanswerable = report.answerable, report.unanswerable
    lines = [
        f"{count(report.n, 'question')} ({answerable} answerable, {unanswerable} unanswerable), "
        f"{mode} search:",
        "",
    ]
    # (figure, what it means, how many questions it is a share of; None: not a share)
    rows = [
        ("recall@1", "answer in the first passage", answerable),
        ("recall@3", "answer in the first three", answerable),
        ("recall@5", "answer in the first five", answerable),
        ("mrr@10", "mean of 1/rank of the first passage with the answer", None),
        ("highlight@1", "answer in the first passage's picked-out sentence", answerable),
        ("abstention", "unanswerable questions answered 'nothing found'", unanswerable),
        ("false_abstention", "answerable ones answered 'nothing found'", answerable),
    ]
    for key, meaning, total in rows:
        value = figures[key]
        shown = "   n/a" if value is None else f"{value:6.3f}"
        of = "" if value is None or total is None else f" ({round(value * total)} of {total})"
        lines.append(f"  {key.replace('_', ' '):<17}{shown}  {meaning}{of}")
    latency = report.latency_ms
    lines.append(
        f"  {'latency':<17} median {latency['median']:.1f} ms, p95 {latency['p95']:.1f} ms "
        f"({EVAL_DEPTH} passages a question)"
    )
    lines.append("")
    if not report.misses:
        lines.append("No misses.")
        return "\n".join(lines)
    lines.append(f"{count(len(report.misses), 'miss')}, each with what came first instead:")
    for miss in report.misses:
        lines.append(f"  {_one_line(miss.question)}")
        lines.append(f"    {_one_line(_verdict(miss))}")
        if miss.first is not None and miss.first_source is not None:
            more = "…" if len(miss.first) >= EVAL_SNIPPET else ""
            first = _one_line(miss.first)
            lines.append(f"    first: {location(miss.first_source, root)}  {first}{more}")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    """Text on one line of the scorecard: a table's rows or a list's items joined by ``⏎``."""
    return " ⏎ ".join(line.strip() for line in text.splitlines() if line.strip())


def _verdict(miss: Miss) -> str:
    if miss.answer is None:
        return "unanswerable, but passages were shown"
    if miss.first is None:
        return f"expected “{miss.answer}”; answered 'nothing found'"
    if miss.rank is None:
        return f"expected “{miss.answer}”; not in the first {EVAL_DEPTH} passages"
    if miss.highlight is not None:
        return f"expected “{miss.answer}” in the picked-out sentence; it picked “{miss.highlight}”"
    return f"expected “{miss.answer}”; first found at rank {miss.rank}"


def scorecard_json(report: EvalReport, mode: str) -> dict[str, Any]:
    """The documented JSON object of ``seedqa eval --json``."""
    figures = {k: None if v is None else round(v, 4) for k, v in report.figures().items()}
    return {
        "n": report.n,
        "answerable": report.answerable,
        "unanswerable": report.unanswerable,
        "mode": mode,
        **figures,
        "latency_ms": {k: round(v, 2) for k, v in report.latency_ms.items()},
        "misses": [_miss_json(miss) for miss in report.misses],
    }


def _miss_json(miss: Miss) -> dict[str, Any]:
    source = miss.first_source
    return {
        "question": miss.question,
        "answer": miss.answer,
        "unanswerable": miss.answer is None,
        "rank": miss.rank,
        "first": miss.first,
        "first_source": None if source is None else {"path": source.path, "line": source.line},
        "highlight": miss.highlight,
    }
