"""A passage found by meaning alone has its sentence picked from the index's own window vectors."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from retrieval import Searcher, build_index, read_index
from tests.encoders import Recording

CONCEPTS = (("图书馆", "library"), ("道路", "road"), ("农牧民", "herders"), ("雪", "snow"))

LIBRARY = "新建的图书馆共有藏书三万册，每天向群众开放。"
LONG = (
    "拉孜县今年修通了三条乡村公路。全长四十公里，沿线群众出行方便了。"
    "施工队伍在冬季前完成了路面硬化。" + LIBRARY + "馆内还设有少儿阅读区，寒暑假期间人最多。"
)
OTHERS = (
    "合作社带动了八百户农牧民增收，人均收入比上年增长一成。",
    "入冬以来普降大雪，交通部门连夜清扫主干道路。",
    "乡里组织农牧民参加技能培训，共有三百人取得证书。",
)


class ConceptEncoder:
    """A fake model that knows a few words in two languages: a text's vector is the sum of the
    concepts it names, plus a little of each character (deterministic), so that an English
    question finds a Chinese passage by meaning while sharing no word with it."""

    name = "concept-fake"
    dimension = 16
    max_tokens: int | None = 40

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [sum(1 for ch in text if not ch.isspace()) for text in texts]

    def _encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        for row, text in enumerate(texts):
            for concept, words in enumerate(CONCEPTS):
                vectors[row, concept] += sum(text.lower().count(word) for word in words)
            for char in text:
                rng = np.random.default_rng(zlib.crc32(char.encode()))
                vectors[row, len(CONCEPTS) :] += 0.02 * rng.standard_normal(12)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts)


def test_the_sentence_comes_from_the_best_window_and_nothing_is_embedded(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    paragraphs = "\n\n".join((LONG, *OTHERS))
    (seeds / "county.md").write_text(f"# 拉孜县\n\n{paragraphs}\n", encoding="utf-8")
    encoder = Recording(ConceptEncoder())
    build_index(seeds, tmp_path / "index", encoder, encoder.name)
    index = read_index(tmp_path / "index")
    assert index.dense is not None and index.dense_spans is not None
    long_row = next(
        row for row in range(len(index.paragraphs)) if "图书馆" in index.paragraphs[row].text
    )
    assert len(index.dense.windows_of(long_row)) >= 3  # cut to fit the 40-token window
    encoder.take()
    encoder.queries.clear()

    answer = Searcher(index, encoder).ask("How many books does the library hold?", k=1)

    assert encoder.take() == [] and len(encoder.queries) == 1  # only the question was embedded
    [hit] = answer.hits
    assert hit.coverage == 0 and hit.highlight_text == LIBRARY


def test_the_stored_spans_are_the_windows_embedded(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "county.md").write_text("# 拉孜县\n\n" + "\n\n".join((LONG, *OTHERS)) + "\n", "utf-8")
    encoder = Recording(ConceptEncoder())
    build_index(seeds, tmp_path / "index", encoder, encoder.name)
    embedded = set(encoder.take())
    index = read_index(tmp_path / "index")
    assert index.dense is not None and index.dense_spans is not None
    assert len(index.dense_spans) == len(index.dense) == len(embedded)
    for window, row in enumerate(index.dense.owners.tolist()):
        start, end = index.dense_spans[window].tolist()
        text = index.paragraphs[row].text[start:end]
        assert any(passage.endswith(text) for passage in embedded)


def test_an_update_keeps_the_spans_of_what_it_keeps_and_a_graph_picks_the_same(
    tmp_path: Path,
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.md").write_text("# 拉孜县\n\n" + "\n\n".join((LONG, *OTHERS)) + "\n", "utf-8")
    encoder = ConceptEncoder()
    build_index(seeds, tmp_path / "updated", encoder, encoder.name, exact_up_to=4)
    added = "道路修通以后，农牧民进城方便了。冬季的雪不再封路。"
    (seeds / "b.md").write_text(f"# 米林县\n\n{added}\n\n{OTHERS[0]}再次提到。\n", "utf-8")
    report = build_index(seeds, tmp_path / "updated", encoder, encoder.name, exact_up_to=4)
    assert 0 < report.paragraphs_embedded < report.paragraphs  # some kept, some new
    build_index(seeds, tmp_path / "whole", encoder, encoder.name, exact_up_to=4)
    updated, whole = read_index(tmp_path / "updated"), read_index(tmp_path / "whole")
    assert updated.dense is not None and whole.dense is not None and not updated.dense.exact
    assert updated.dense_spans is not None and whole.dense_spans is not None
    assert np.array_equal(updated.dense.owners, whole.dense.owners)
    assert np.array_equal(updated.dense_spans, whole.dense_spans)
    [hit] = Searcher(updated, encoder).ask("How many books does the library hold?", k=1).hits
    assert hit.highlight_text == LIBRARY  # the window similarities read from the graph
