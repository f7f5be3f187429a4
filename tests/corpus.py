"""Synthetic seed folders for tests that need many paragraphs: sentences of the sample page, shuffled."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_ebe6c6a426d89a77.txt"


def sentences() -> list[str]:
    """The sentences of the sample page (longer than eight characters)."""
    text = SEED.read_text(encoding="utf-8")
    return [s for s in re.findall(r"[^。！？\n]+[。！？]", text) if len(s) > 8]


def paragraphs(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct paragraphs of two to five sentences, numbered so none repeats."""
    pool = sentences()
    rng = random.Random(seed)
    return [
        f"第{seed}-{n}号。" + "".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
        for n in range(count)
    ]


def write_corpus(folder: Path, count: int, per_file: int = 30, seed: int = 0) -> list[Path]:
    """Write ``count`` paragraphs into Markdown files of ``per_file`` paragraphs each."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = paragraphs(count, seed)
    files = []
    for first in range(0, count, per_file):
        path = folder / f"corpus-{seed}-{first // per_file:05d}.md"
        body = "\n\n".join(texts[first : first + per_file])
        path.write_text(f"# 报道{seed}-{first // per_file}\n\n{body}\n", encoding="utf-8")
        files.append(path)
    return files


def big_file(path: Path, megabytes: float) -> int:
    """Write a newspaper-like file of about ``megabytes`` MB: numbered paragraphs of three
    sentences, a ``##`` title every 30. Returns its paragraph count."""
    pool = sentences()
    rng = random.Random(0)
    size = count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        while size < megabytes * 1_000_000:
            head = f"## 第{count // 30 + 1}篇\n\n" if count % 30 == 0 else ""
            line = head + f"{count}号。" + "".join(rng.choice(pool) for _ in range(3)) + "\n\n"
            handle.write(line)
            size += len(line.encode())
            count += 1
    return count


def segment(version: Path, at: int = -1) -> Path:
    """The folder of one segment of an index version (by default the newest), where its data
    files are."""
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    return version / manifest["segments"][at]["name"]
