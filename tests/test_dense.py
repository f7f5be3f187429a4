"""The dense path through a tiny transformer built on disk: prompts, windows, FAISS, the manifest."""

from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from bot import runtime
from bot.settings import Settings
from embeddings import load_encoder
from retrieval import IndexMismatchError, Searcher, build_index, read_index, read_manifest
from retrieval.index.dense import GRAPH_FILE, DenseIndex
from tests.corpus import segment
from tests.tinymodel import build_tiny_model


@pytest.fixture(scope="module")
def encoder(tiny_model: Path):
    return load_encoder(str(tiny_model))


@pytest.fixture(scope="module")
def hybrid_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    root = tmp_path_factory.mktemp("hybrid") / "index"
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    build_index(seeds, root, encoder, encoder.name)
    return root


def test_e5_prompts_are_applied_by_family_name(encoder, tiny_model: Path) -> None:
    assert (encoder.prompts.query, encoder.prompts.passage) == ("query: ", "passage: ")
    raw = SentenceTransformer(str(tiny_model), device="cpu")
    expected = raw.encode(["query: 拉孜县"], normalize_embeddings=True)
    unprompted = raw.encode(["拉孜县"], normalize_embeddings=True)
    got = encoder.encode_queries(["拉孜县"])
    assert np.allclose(got, expected, atol=1e-5)
    assert not np.allclose(got, unprompted, atol=1e-3)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0) and got.dtype == np.float32


def test_a_models_own_prompts_win_over_the_family_table(tmp_path: Path) -> None:
    folder = build_tiny_model(
        tmp_path, "问答 words", name="own-e5", prompts={"query": "Q> ", "document": "D> "}
    )
    own = load_encoder(str(folder))
    assert (own.prompts.query, own.prompts.passage) == ("Q> ", "D> ")


def test_window_budget_leaves_room_for_prompt_and_special_tokens(encoder) -> None:
    prompt = encoder.count_tokens(["passage: "])[0]
    assert encoder.max_tokens == 64 - 2 - prompt


def test_long_paragraphs_are_embedded_as_several_windows(hybrid_index: Path, encoder) -> None:
    index = read_index(hybrid_index)
    assert index.dense is not None
    assert index.manifest.windows == len(index.dense) > index.manifest.paragraphs
    longest = max(range(len(index.paragraphs)), key=lambda row: len(index.paragraphs[row].text))
    text = index.paragraphs[longest].text
    assert encoder.count_tokens([text])[0] > 64  # the model alone would have truncated it
    windows = int(np.sum(index.dense.owners == longest))
    assert windows >= encoder.count_tokens([text])[0] // encoder.max_tokens


def test_every_window_is_found_again_by_its_own_vector(hybrid_index: Path) -> None:
    dense = read_index(hybrid_index).dense
    assert dense is not None
    for row in range(0, len(dense), 7):
        match = dense.search(dense.vectors[row], 1)
        assert match.ids[0] == dense.owners[row]
        assert match.scores[0] == pytest.approx(1.0, abs=1e-4)


def test_faiss_vectors_survive_save_and_load(hybrid_index: Path, tmp_path: Path) -> None:
    dense = read_index(hybrid_index).dense
    assert isinstance(dense, DenseIndex)  # an index of one segment
    dense.save(tmp_path)
    again = DenseIndex.load(tmp_path)
    assert np.array_equal(again.vectors, dense.vectors) and np.array_equal(
        again.owners, dense.owners
    )
    query = dense.vectors[3]
    assert again.search(query, 5).ids.tolist() == dense.search(query, 5).ids.tolist()


def test_a_short_result_is_never_padded_with_missing_rows(hybrid_index: Path) -> None:
    dense = read_index(hybrid_index).dense
    assert dense is not None
    match = dense.search(dense.vectors[0], 10_000)
    assert (
        len(match.ids)
        == len(set(match.ids.tolist()))
        == read_index(hybrid_index).manifest.paragraphs
    )
    assert (match.ids >= 0).all()


def test_asking_with_another_model_names_the_rebuild_command(hybrid_index: Path) -> None:
    manifest = read_index(hybrid_index).manifest
    settings = Settings(seeds=Path("seeds"), index=hybrid_index, model="BAAI/bge-m3")
    with pytest.raises(IndexMismatchError, match="seedqa index --model BAAI/bge-m3"):
        runtime.model_for_query(settings, manifest)


def test_a_model_of_another_dimension_is_refused(hybrid_index: Path, tmp_path: Path) -> None:
    wider = load_encoder(str(build_tiny_model(tmp_path, "字", name="wide", dimension=48)))
    with pytest.raises(IndexMismatchError, match="seedqa index --full"):
        Searcher(read_index(hybrid_index), wider)


def test_hybrid_answers_carry_similarities(hybrid_index: Path, encoder) -> None:
    answer = Searcher(read_index(hybrid_index), encoder).ask(
        "阿里地区投入多少资金新建边境自然村活动场所？"
    )
    assert answer.mode == "hybrid"
    assert answer.hits[0].source.line == 33
    assert answer.hits[0].similarity is not None


def clustered(count: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres, as real embeddings cluster by topic."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, dimension))
    points = centres[rng.integers(0, 40, count)] + 0.5 * rng.standard_normal((count, dimension))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_beyond_the_exact_bound_a_graph_finds_what_exact_search_finds() -> None:
    vectors = clustered(3000)
    owners = np.arange(3000, dtype=np.int32)
    exact = DenseIndex.build(vectors, owners)
    graph = DenseIndex.build(vectors, owners, exact_up_to=1000)
    assert exact.exact and not graph.exact
    queries = clustered(50, seed=1)
    found = [
        len(set(graph.search(q, 10).ids.tolist()) & set(exact.search(q, 10).ids.tolist()))
        for q in queries
    ]
    assert sum(found) / (10 * len(queries)) >= 0.98


def test_the_graph_is_saved_and_loaded_not_rebuilt(tmp_path: Path, monkeypatch) -> None:
    vectors = clustered(1500)
    graph = DenseIndex.build(vectors, np.arange(1500, dtype=np.int32), exact_up_to=1000)
    graph.save(tmp_path)
    monkeypatch.setattr(DenseIndex, "build", _refuse_to_build)
    again = DenseIndex.load(tmp_path)
    assert not again.exact
    for q in clustered(5, seed=2):
        assert again.search(q, 10).ids.tolist() == graph.search(q, 10).ids.tolist()


def _refuse_to_build(*_, **__):
    raise AssertionError("the graph was built again")


def test_a_damaged_graph_file_is_a_value_error(tmp_path: Path) -> None:
    vectors = clustered(1500)
    DenseIndex.build(vectors, np.arange(1500, dtype=np.int32), exact_up_to=1000).save(tmp_path)
    (tmp_path / "dense.graph.faiss").write_bytes(b"not a graph")
    with pytest.raises(ValueError, match=r"dense\.graph\.faiss"):
        DenseIndex.load(tmp_path)


def test_appending_windows_extends_a_copy_of_the_graph() -> None:
    vectors = clustered(2000)
    owners = np.arange(2000, dtype=np.int32)
    before = DenseIndex.build(vectors[:1500], owners[:1500], exact_up_to=1000)
    after = before.extended(vectors, owners, exact_up_to=1000)
    assert not after.exact and len(after) == 2000 and len(before) == 1500
    for row in (0, 1499, 1500, 1999):  # old and new windows alike are found by their own vector
        assert after.search(vectors[row], 1).ids.tolist() == [row]
    assert before.search(vectors[1999], 1).ids.tolist() != [1999]  # the old one is untouched


def test_an_appending_rebuild_keeps_the_graph_and_adds_a_segment(
    seeds: Path, tmp_path: Path
) -> None:
    from tests.encoders import CharEncoder

    encoder = CharEncoder()
    root = tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name, exact_up_to=10)
    before = root / read_manifest(root).version
    (seeds / "zz-added.md").write_text("# 新增\n\n拉孜县新建的图书馆共有藏书三万册。\n", "utf-8")
    build_index(seeds, root, encoder, encoder.name, exact_up_to=10)
    after = root / read_manifest(root).version
    old, kept = segment(before, 0) / GRAPH_FILE, segment(after, 0) / GRAPH_FILE
    assert kept.stat().st_ino == old.stat().st_ino  # the same file: the graph was not rebuilt
    index = read_index(root)
    assert index.dense is not None and len(index.parts) == 2
    new = index.parts[1].dense
    assert new is not None and len(new) == 1  # the new segment holds the new window only
    answer = Searcher(index, encoder).ask("拉孜县图书馆有多少册藏书？")
    assert answer.hits[0].paragraph.sources[0].path == "zz-added.md"


@pytest.mark.parametrize("exact_up_to", [100, 0])  # flat and graph
def test_similarities_are_each_paragraphs_best_window(exact_up_to) -> None:
    vectors = clustered(6)
    owners = np.array([0, 0, 1, 3, 3, 3], dtype=np.int32)  # paragraph 2 has no window
    dense = DenseIndex.build(vectors, owners, exact_up_to=exact_up_to)
    query = clustered(1, seed=3)[0]
    got = dense.similarities(query, np.array([3, 2, 0, 1]))
    scores = vectors @ query
    expected = [scores[3:6].max(), -1.0, scores[0:2].max(), scores[2]]
    assert np.allclose(got, expected, atol=1e-6)


def test_a_graph_stores_its_vectors_once_and_gives_them_back(tmp_path: Path) -> None:
    vectors = clustered(300)
    graph = DenseIndex.build(vectors, np.arange(300, dtype=np.int32), exact_up_to=10)
    graph.save(tmp_path)
    assert not (tmp_path / "dense.vectors.npy").exists()  # only inside dense.graph.faiss
    again = DenseIndex.load(tmp_path)
    assert not again.exact and np.array_equal(again.vectors, vectors)
    assert not again.vectors.flags.writeable
    kept = again.vectors
    del again  # the array keeps the graph that owns its memory alive
    assert np.array_equal(kept[[0, 299]], vectors[[0, 299]])
    for q in clustered(5, seed=3):
        assert (
            DenseIndex.load(tmp_path).search(q, 10).ids.tolist() == graph.search(q, 10).ids.tolist()
        )


def test_an_index_that_stored_a_graphs_vectors_twice_still_loads_and_updates(
    seeds: Path, tmp_path: Path
) -> None:
    import json

    from retrieval.index.store import FORMAT
    from tests.encoders import CharEncoder

    encoder = CharEncoder()
    root = tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name, exact_up_to=10)
    folder = root / read_manifest(root).version
    data_files = segment(folder)
    assert (data_files / GRAPH_FILE).exists() and not (data_files / "dense.vectors.npy").exists()
    question = "拉孜县人才工作领导小组的组长是谁？"
    now = [h.paragraph.id for h in Searcher(read_index(root), encoder).ask(question).hits]
    # As format 2 wrote it: the vectors beside the graph too, and no manifest checksum.
    dense = read_index(root).dense
    assert dense is not None
    vectors = dense.vectors
    np.save(folder / "dense.vectors.npy", np.asarray(vectors))
    path = folder / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    # Its files in the version's folder itself, as before segments (format 5).
    [one] = data.pop("segments")
    for file in (folder / one["name"]).iterdir():
        file.rename(folder / file.name)
    (folder / one["name"]).rmdir()
    data["checksums"] = {k.split("/", 1)[1]: v for k, v in data["checksums"].items()}
    del data["manifest_crc32"], data["blocks"]
    data["format"] = data["built_with"]["format"] = 2
    (folder / "dense.spans.npy").unlink()  # and without the windows' spans (before format 4)
    del data["checksums"]["dense.spans.npy"]
    size = (folder / "dense.vectors.npy").stat().st_size
    data["checksums"]["dense.vectors.npy"] = [size, zlib_crc(folder / "dense.vectors.npy")]
    path.write_text(json.dumps(data), encoding="utf-8")
    old = read_index(root, check=True)
    assert old.manifest.built_with.format == 2 and old.dense is not None
    assert isinstance(old.dense.vectors, np.memmap)
    assert [h.paragraph.id for h in Searcher(old, encoder).ask(question).hits] == now
    (seeds / "zz-added.md").write_text("# 新增\n\n拉孜县新建的图书馆共有藏书三万册。\n", "utf-8")
    report = build_index(seeds, root, encoder, encoder.name, exact_up_to=10)
    assert (
        report.paragraphs_embedded == 1
    )  # the old vectors were reused, only the new file embedded
    folder = root / read_manifest(root).version
    assert read_manifest(root).built_with.format == FORMAT
    assert not any(folder.rglob("dense.vectors.npy"))
    spans = read_index(root).dense_spans  # every paragraph cut again, no vector embedded again
    assert spans is not None and len(spans) == len(read_index(root).dense or ())
    assert (
        "图书馆"
        in Searcher(read_index(root), encoder)
        .ask("拉孜县新建的图书馆有多少藏书？")
        .hits[0]
        .paragraph.text
    )


def zlib_crc(path: Path) -> int:
    import zlib

    return zlib.crc32(path.read_bytes())


@pytest.mark.parametrize("exact_up_to", [1000, 10])  # flat and graph
def test_an_index_grown_block_by_block_is_the_index_built_whole(exact_up_to: int) -> None:
    vectors = clustered(300)
    owners = np.arange(300, dtype=np.int32) // 2
    whole = DenseIndex.build(vectors, owners, exact_up_to)
    blocks = DenseIndex.grown(
        (vectors[i : i + 7] for i in range(0, 300, 7)), owners, 32, exact_up_to
    )
    assert blocks.exact == whole.exact == (exact_up_to > 300)
    assert np.array_equal(blocks.vectors, vectors)
    assert not np.shares_memory(blocks.vectors, vectors)  # FAISS's copy, the only one kept
    for q in clustered(10, seed=3):
        assert blocks.search(q, 5).ids.tolist() == whole.search(q, 5).ids.tolist()


def test_windows_made_a_block_at_a_time_are_those_made_at_once(
    seeds: Path, tmp_path: Path, encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retrieval.lifecycle import vectors

    build_index(seeds, tmp_path / "whole", encoder, encoder.name)
    monkeypatch.setattr(vectors, "BLOCK", 5)
    build_index(seeds, tmp_path / "blocks", encoder, encoder.name)
    whole, blocks = read_index(tmp_path / "whole"), read_index(tmp_path / "blocks")
    assert whole.dense is not None and blocks.dense is not None
    assert whole.dense_keys is not None and blocks.dense_keys is not None
    assert len(blocks.dense) == len(whole.dense) > 5
    assert np.array_equal(blocks.dense_keys, whole.dense_keys)
    assert np.array_equal(blocks.dense.owners, whole.dense.owners)
    # Batches of other lengths pad differently: the same vectors up to float rounding.
    assert np.allclose(blocks.dense.vectors, whole.dense.vectors, atol=1e-5)
