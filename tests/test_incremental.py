"""Incremental rebuilds: only what changed is embedded, and what was removed stops answering."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from embeddings import load_encoder
from retrieval import Searcher, build_index, read_index
from retrieval.index.lexical import Postings
from retrieval.lifecycle.cache import Cached, read_cache, write_cache
from tests.encoders import CharEncoder, Recording

LIBRARY = """# 拉孜县新建图书馆

拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。

图书馆每周举办两次读书会，参加人数累计达到五千人次。

馆内设有少儿阅览室和电子阅览室各一间。
"""
LIBRARY_QUESTION = "拉孜县图书馆有多少册藏书？"
SHARED = "这一段话在两份文件里一字不差地出现，说的是边境小学新建了一座操场。"


@pytest.fixture
def encoder() -> Recording:
    return Recording(CharEncoder())


def answer_paths(root: Path, question: str) -> list[str]:
    """The seed files cited for a question, lexical search."""
    answer = Searcher(read_index(root)).ask(question, k=5)
    return [source.path for hit in answer.hits for source in hit.paragraph.sources]


def assert_same_postings(a: Postings, b: Postings) -> None:
    """Equal as indexes: the same documents and counts for every term, in any order within it."""
    assert np.array_equal(a.vocabulary, b.vocabulary) and np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.lengths, b.lengths)
    terms = np.repeat(np.arange(len(a.vocabulary)), np.diff(a.indptr))
    order_a = np.lexsort((a.doc_ids, terms))
    order_b = np.lexsort((b.doc_ids, terms))
    assert np.array_equal(a.doc_ids[order_a], b.doc_ids[order_b])
    assert np.array_equal(a.counts[order_a], b.counts[order_b])


def test_adding_a_file_embeds_only_its_paragraphs(
    seeds: Path, tmp_path: Path, tiny_model: Path
) -> None:
    encoder = Recording(load_encoder(str(tiny_model)))  # a real model, this once
    root = tmp_path / "index"
    first = build_index(seeds, root, encoder, encoder.name)
    assert first.paragraphs_embedded == first.paragraphs == 27
    encoder.take()
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    report = build_index(seeds, root, encoder, encoder.name)
    embedded = encoder.take()
    assert report.files_added == ("library.md",)
    assert report.files_unchanged == ("000_ebe6c6a426d89a77.txt",)
    assert (report.paragraphs_embedded, report.paragraphs_reused) == (3, 27)
    assert len(embedded) == report.windows_embedded >= 3
    assert all("拉孜县新建图书馆" in text for text in embedded)  # each window under its title
    assert answer_paths(root, LIBRARY_QUESTION)[0] == "library.md"


def test_nothing_changed_embeds_nothing(seeds: Path, tmp_path: Path, encoder) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name)
    encoder.take()
    report = build_index(seeds, root, encoder, encoder.name)
    assert encoder.take() == []
    assert (report.paragraphs_embedded, report.windows_embedded) == (0, 0)
    assert report.files_unchanged == ("000_ebe6c6a426d89a77.txt",) and not report.files_added


def test_an_incremental_build_equals_a_full_one(seeds: Path, tmp_path: Path) -> None:
    tiny = CharEncoder()
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, tmp_path / "a", tiny, tiny.name)
    text = (seeds / "000_ebe6c6a426d89a77.txt").read_text(encoding="utf-8")
    (seeds / "000_ebe6c6a426d89a77.txt").write_text(text.replace("856名", "857名"), "utf-8")
    (seeds / "extra.md").write_text("# 补记\n\n" + SHARED + "\n", encoding="utf-8")
    (seeds / "library.md").unlink()
    incremental = build_index(seeds, tmp_path / "a", tiny, tiny.name)
    full = build_index(seeds, tmp_path / "b", tiny, tiny.name, full=True)
    assert 0 < incremental.paragraphs_embedded < full.paragraphs_embedded == full.paragraphs
    a, b = read_index(tmp_path / "a"), read_index(tmp_path / "b")
    assert a.dense is not None and b.dense is not None
    assert [a.paragraphs[i] for i in range(len(a.paragraphs))] == [
        b.paragraphs[i] for i in range(len(b.paragraphs))
    ]
    assert np.array_equal(a.dense.owners, b.dense.owners)
    assert a.dense_keys is not None and b.dense_keys is not None
    assert np.array_equal(a.dense_keys, b.dense_keys)
    assert np.allclose(a.dense.vectors, b.dense.vectors, atol=1e-5)
    assert_same_postings(a.postings, b.postings)


def test_a_changed_file_answers_with_its_new_text_only(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, None, None)
    assert "library.md" in answer_paths(root, LIBRARY_QUESTION)
    changed = LIBRARY.replace("共有藏书三万册", "已经搬迁到县城东边的文化中心")
    (seeds / "library.md").write_text(changed, encoding="utf-8")
    report = build_index(seeds, root, None, None)
    assert report.files_changed == ("library.md",)
    assert "library.md" not in answer_paths(root, "图书馆藏书三万册")
    assert answer_paths(root, "图书馆搬迁到哪里了？")[0] == "library.md"
    index = read_index(root)
    live = [i for i in range(len(index.paragraphs)) if index.paragraphs.alive(i)]
    assert not any("三万册" in index.paragraphs[i].text for i in live)


def test_a_deleted_file_stops_answering(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, None, None)
    (seeds / "library.md").unlink()
    report = build_index(seeds, root, None, None)
    assert report.files_removed == ("library.md",) and report.paragraphs == 27
    assert Searcher(read_index(root)).ask(LIBRARY_QUESTION).abstained
    assert "library.md" not in read_index(root).manifest.files


def test_reindexing_never_duplicates_paragraphs(seeds: Path, tmp_path: Path, encoder) -> None:
    root = tmp_path / "index"
    page = seeds / "000_ebe6c6a426d89a77.txt"
    original = page.read_text(encoding="utf-8")
    for round_ in range(3):
        (seeds / "library.md").write_text(LIBRARY + f"\n第{round_}次补充说明。\n", "utf-8")
        page.write_text(original + f"\n附言{round_}。\n", "utf-8")
        report = build_index(seeds, root, encoder, encoder.name)
        index = read_index(root)
        ids = index.paragraphs.ids.tolist()
        assert len(ids) == len(set(ids)) == report.paragraphs == 27 + 1 + 3 + 1
        assert index.dense is not None and len(np.unique(index.dense.owners)) == len(ids)


def test_the_same_paragraph_in_two_files_is_stored_and_embedded_once_and_cites_both(
    seeds: Path, tmp_path: Path, encoder
) -> None:
    root = tmp_path / "index"
    (seeds / "a.md").write_text(f"# 甲\n\n{SHARED}\n\n只在甲文件里的一段话。\n", "utf-8")
    (seeds / "b.md").write_text(f"# 乙\n\n开头的一段话。\n\n{SHARED}\n", "utf-8")
    report = build_index(seeds, root, encoder, encoder.name)
    assert report.paragraphs == 27 + 3
    assert sum(SHARED in text for text in encoder.take()) == 1
    hit = Searcher(read_index(root)).ask("边境小学新建了什么？").hits[0]
    assert hit.paragraph.text == SHARED
    assert [(s.path, s.title) for s in hit.paragraph.sources] == [("a.md", "甲"), ("b.md", "乙")]
    (seeds / "a.md").unlink()
    build_index(seeds, root, encoder, encoder.name)
    hit = Searcher(read_index(root)).ask("边境小学新建了什么？").hits[0]
    assert [s.path for s in hit.paragraph.sources] == ["b.md"]


def test_a_file_removed_then_restored_comes_back_from_the_cache(
    seeds: Path, tmp_path: Path, encoder
) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name)
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, encoder, encoder.name)  # a segment of its own, dropped whole below
    shutil.move(seeds / "library.md", tmp_path / "library.md")
    build_index(seeds, root, encoder, encoder.name)
    build_index(seeds, root, encoder, encoder.name)  # the cache outlives more than one version
    encoder.take()
    shutil.move(tmp_path / "library.md", seeds / "library.md")
    report = build_index(seeds, root, encoder, encoder.name)
    assert encoder.take() == []
    assert report.paragraphs_embedded == 0 and report.windows_cached >= 3
    assert answer_paths(root, LIBRARY_QUESTION)[0] == "library.md"


def test_switching_back_to_a_model_reuses_its_vectors(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    tiny, other = CharEncoder("model-a"), CharEncoder("model-b", max_tokens=48)
    first = Recording(tiny)
    build_index(seeds, root, first, first.name)
    switched = build_index(seeds, root, other, other.name)
    assert switched.paragraphs_embedded == 27
    assert any("model changed" in note and "full rebuild" in note for note in switched.notes)
    first.take()
    back = build_index(seeds, root, first, first.name)
    assert first.take() == [] and back.windows_cached == back.windows
    index = read_index(root)
    assert index.manifest.model == tiny.name and index.dense is not None
    probe = tiny.encode_passages([index.paragraphs[0].text])[0]
    assert index.dense.search(probe, 1).ids[0] == 0


def test_a_full_rebuild_embeds_everything_again(seeds: Path, tmp_path: Path, encoder) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name)
    encoder.take()
    report = build_index(seeds, root, encoder, encoder.name, full=True)
    assert report.full and report.paragraphs_embedded == 27 and report.windows_cached == 0
    assert len(encoder.take()) == report.windows
    assert report.files_unchanged == ("000_ebe6c6a426d89a77.txt",)


def test_the_vector_cache_keeps_only_the_newest_within_its_bound(tmp_path: Path) -> None:
    keys = np.arange(100, dtype=np.uint64)
    vectors = np.random.default_rng(0).random((100, 4), dtype=np.float32)
    write_cache(tmp_path, "m", Cached(keys, vectors), limit=10 * (4 * 4 + 8))
    kept = read_cache(tmp_path, "m", 4)
    assert kept.keys.tolist() == list(range(90, 100))
    assert np.array_equal(kept.vectors, vectors[90:])
    assert len(read_cache(tmp_path, "m", 8)) == 0  # another dimension: not this model's vectors
    for name in ["a", "b", "c", "d"]:
        write_cache(tmp_path, name, Cached(keys[:1], vectors[:1]))
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 3


def test_a_damaged_vector_cache_is_ignored(seeds: Path, tmp_path: Path, encoder, caplog) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name)
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, encoder, encoder.name)  # a segment of its own, dropped whole below
    (seeds / "library.md").unlink()
    build_index(seeds, root, encoder, encoder.name)
    [cache] = (root / "cache").glob("*.npz")
    cache.write_bytes(cache.read_bytes()[:-40])
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    encoder.take()
    report = build_index(seeds, root, encoder, encoder.name)
    assert report.paragraphs_embedded == 3 and report.windows_cached == 0
    assert "damaged vector cache" in caplog.text
    assert answer_paths(root, LIBRARY_QUESTION)[0] == "library.md"
