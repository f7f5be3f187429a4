"""A synthetic follow-up set from CMRC 2018 dev, and the conversation figures over it.

Two questions written for the same paragraph make a conversation: the first as asked, the second
with the paragraph's subject — its article title, when both questions name it — replaced by a
pronoun (它) or left out altogether (ellipsis), alternately. A reader of the conversation knows
what the second question is about; the question alone no longer says. The last turn's answer is
CMRC's answer span. The set is written to a scratch file (CMRC is never copied into the
repository)::

    python -m bench.conversations_cmrc                       # writes and measures, lexical
    python -m bench.conversations_cmrc --write out.jsonl     # only writes the set

Every paragraph of CMRC is in the index, and the seed page too.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench import cmrc

PRONOUN = "它"
MIN_TITLE = 2
"""Titles shorter than this are too common a string to stand for the paragraph's subject."""


def synthetic(benchmark: cmrc.Benchmark) -> list[dict[str, object]]:
    """Conversations of two questions about one paragraph, the second's subject left implicit."""
    titles = {p["id"]: p["title"].strip() for p in benchmark.paragraphs}
    by_paragraph: dict[str, list[dict[str, object]]] = {}
    for query in benchmark.queries:
        gold = query["gold"]
        if isinstance(gold, list) and len(gold) == 1:
            by_paragraph.setdefault(str(gold[0]), []).append(query)
    items: list[dict[str, object]] = []
    for paragraph_id, queries in by_paragraph.items():
        title = titles.get(paragraph_id, "")
        if len(title) < MIN_TITLE:
            continue
        naming = [q for q in queries if title in str(q["text"])]
        if len(naming) < 2:
            continue
        first, second = naming[0], naming[1]
        text = str(second["text"])
        style = "pronoun" if len(items) % 2 == 0 else "ellipsis"
        rest = text.replace(title, PRONOUN if style == "pronoun" else "", 1)
        rest = rest.lstrip("的，, ")
        answers = second["answers"]
        if len(rest) < 4 or not isinstance(answers, list) or not answers:
            continue
        items.append({"turns": [first["text"], rest], "answer": answers[0], "style": style})
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT, help="the CMRC folder")
    parser.add_argument("--write", type=Path, help="write the set here and stop")
    args = parser.parse_args()
    benchmark = cmrc.load(args.cmrc)
    items = synthetic(benchmark)
    lines = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    if args.write:
        args.write.write_text(lines, encoding="utf-8")
        print(f"{len(items)} conversations written to {args.write}")
        return 0

    from retrieval import Searcher, build_index, read_index
    from retrieval.dialogue import Dialogue
    from retrieval.dialogue.evaluation import evaluate_conversations, load_conversations

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        seeds = cmrc.write_seeds(benchmark, root / "seeds")
        seed_page = Path(__file__).resolve().parent.parent / "seeds"
        for page in seed_page.glob("*.txt"):
            (seeds / page.name).write_bytes(page.read_bytes())
        build_index(seeds, root / "index", None, None)
        (root / "set.jsonl").write_text(lines, encoding="utf-8")
        report = evaluate_conversations(
            Dialogue(Searcher(read_index(root / "index"))), load_conversations(root / "set.jsonl")
        )
    figures = report.to_json()
    figures.pop("misses")
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
