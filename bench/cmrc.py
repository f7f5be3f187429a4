"""The CMRC 2018 dev benchmark (in ../shared/eval) as a seeds folder and a question list.

The benchmark is read from where it lies and never copied into the repository: each run writes a
seeds folder (one Markdown file per paragraph: ``# title`` then the text) into a scratch folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "cmrc2018_dev"


@dataclass(frozen=True)
class Benchmark:
    paragraphs: list[dict[str, str]]
    queries: list[dict[str, object]]

    def gold_texts(self, query: dict[str, object]) -> set[str]:
        by_id = {p["id"]: p["text"] for p in self.paragraphs}
        return {by_id[g] for g in query["gold"]}  # type: ignore[union-attr]


def load(folder: Path = DEFAULT) -> Benchmark:
    """Read corpus.jsonl and queries.jsonl."""
    if not (folder / "corpus.jsonl").is_file():
        raise SystemExit(f"CMRC benchmark not found in {folder}; pass --cmrc DIR")
    read = lambda name: [json.loads(line) for line in (folder / name).open(encoding="utf-8")]  # noqa: E731
    return Benchmark(read("corpus.jsonl"), read("queries.jsonl"))


def write_seeds(benchmark: Benchmark, folder: Path) -> Path:
    """One seed file per paragraph, named by its id, headed by its article title."""
    folder.mkdir(parents=True, exist_ok=True)
    for paragraph in benchmark.paragraphs:
        text = f"# {paragraph['title']}\n\n{paragraph['text'].strip()}\n"
        (folder / f"{paragraph['id']}.md").write_text(text, encoding="utf-8")
    return folder
