"""A traditional-Chinese development set: CMRC 2018 dev converted with OpenCC ``s2twp``.

Paragraphs, titles, questions and answer spans are converted (Taiwan standard, with Taiwanese
phrases: 软件 → 軟體); ids and gold labels are kept. The result is written outside the
repository (by default ``~/.cache/seedqa-bench/cmrc2018_dev_s2twp``) and never committed: the
source is CC BY-SA 4.0, and this script rebuilds it.

    .venv/bin/python -m bench.traditional [--cmrc DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench import cmrc

DEFAULT = Path.home() / ".cache" / "seedqa-bench" / "cmrc2018_dev_s2twp"


def convert(source: Path, out: Path) -> Path:
    """Write ``corpus.jsonl`` and ``queries.jsonl`` of ``source`` converted to ``out``."""
    import opencc

    converter = opencc.OpenCC("s2twp")

    def to_tw(text: str) -> str:
        return str(converter.convert(text))

    benchmark = cmrc.load(source)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for paragraph in benchmark.paragraphs:
            converted = paragraph | {
                "text": to_tw(paragraph["text"]),
                "title": to_tw(paragraph["title"]),
            }
            corpus.write(json.dumps(converted, ensure_ascii=False) + "\n")
    with (out / "queries.jsonl").open("w", encoding="utf-8") as queries:
        for query in benchmark.queries:
            answers = [to_tw(str(a)) for a in query.get("answers", [])]  # type: ignore[union-attr]
            converted = query | {"text": to_tw(str(query["text"])), "answers": answers}
            queries.write(json.dumps(converted, ensure_ascii=False) + "\n")
    (out / "README.md").write_text(
        "# CMRC 2018 dev in traditional Chinese (OpenCC s2twp)\n\n"
        f"Made by seedqa's bench/traditional.py from {source} (CC BY-SA 4.0, see its README).\n",
        encoding="utf-8",
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cmrc", type=Path, default=cmrc.DEFAULT)
    parser.add_argument("--out", type=Path, default=DEFAULT)
    args = parser.parse_args()
    print(convert(args.cmrc, args.out))


if __name__ == "__main__":
    main()
