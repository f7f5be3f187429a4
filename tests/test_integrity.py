"""Index files checked as they are used: a load reads no big file whole, damage never answers."""

from pathlib import Path

import numpy as np
import pytest

from retrieval import IndexCorruptError, Searcher, build_index, read_index
from retrieval.index import integrity, lexical
from retrieval.index.dense import GRAPH_FILE
from retrieval.index.store import read_manifest, verify
from tests.corpus import segment, write_corpus
from tests.encoders import CharEncoder

pytestmark = pytest.mark.usefixtures("fake_model_used")  # the graph is searched and checked

QUESTION = "拉孜县人才工作领导小组的组长是谁？"
BLOCK = 4096
"""Small blocks, so that a test corpus has many of them."""


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(integrity, "BLOCK", BLOCK)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes given to CRC-32, call by call."""
    calls: list[int] = []
    crc32 = integrity.crc32

    def counting(data: bytes, value: int = 0) -> int:
        calls.append(len(data))
        return crc32(data, value)

    monkeypatch.setattr(integrity, "crc32", counting)
    return calls


def built(seeds: Path, root: Path, dense: bool = False) -> Path:
    write_corpus(seeds, 300)
    encoder = CharEncoder() if dense else None
    build_index(seeds, root, encoder, encoder.name if encoder else None, exact_up_to=10)
    return segment(root / read_manifest(root).version)


def damage_every_block(path: Path) -> None:
    """Flip one byte in each block, so that whatever part is read is damaged."""
    data = bytearray(path.read_bytes())
    for at in range(BLOCK // 2, len(data), BLOCK):
        data[at] ^= 0x5A
    path.write_bytes(bytes(data))


def test_a_load_checks_sizes_and_small_files_not_the_big_ones(
    seeds: Path, tmp_path: Path, small_blocks: None, counted: list[int], monkeypatch
) -> None:
    # At these block sizes the files stand for a big index's, whose postings are too many for
    # their contributions to be worked out whole (which reads, so checks, all of them).
    monkeypatch.setattr(lexical, "IMPACTS_UP_TO", 0)
    folder = built(seeds, tmp_path / "index", dense=True)
    sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    big = sum(sizes[name] for name in integrity.LAZY if name in sizes)
    small = sum(sizes.values()) - big  # the segment's files (the manifest is its version's)
    assert big > 20 * BLOCK  # many blocks to leave unread
    counted.clear()
    index = read_index(tmp_path / "index", eager_up_to=BLOCK)
    loaded = sum(counted)
    assert loaded <= small + BLOCK, (loaded, small)  # the small files, and no big one
    Searcher(index, CharEncoder()).ask(QUESTION, k=3)
    # The graph is searched whole; of the text and postings only the blocks read are checked.
    used = sum(counted) - loaded - sizes[GRAPH_FILE]
    assert "dense.vectors.npy" not in sizes  # a graph holds its vectors (since format 3)
    assert 0 < used < (big - sizes[GRAPH_FILE]) / 2, used
    counted.clear()
    Searcher(index, CharEncoder()).ask(QUESTION, k=3)
    assert sum(counted) == 0  # each block is checked once
    counted.clear()
    verify(folder.parent, index.manifest)
    assert sum(counted) == sum(sizes.values())


def test_answers_are_the_same_checked_as_used_or_whole(
    seeds: Path, tmp_path: Path, small_blocks: None
) -> None:
    root = tmp_path / "index"
    built(seeds, root, dense=True)
    lazy = Searcher(read_index(root, eager_up_to=BLOCK), CharEncoder()).ask(QUESTION, k=5)
    whole = Searcher(read_index(root, check=True), CharEncoder()).ask(QUESTION, k=5)
    assert [h.paragraph.id for h in lazy.hits] == [h.paragraph.id for h in whole.hits]
    assert [h.paragraph.id for h in lazy.hits]


@pytest.mark.parametrize(
    "name", ["paragraphs.jsonl", "lexical.doc_ids.npy", "lexical.counts.npy", GRAPH_FILE]
)
def test_a_damaged_big_file_is_reported_by_the_answer_that_reads_it(
    seeds: Path, tmp_path: Path, small_blocks: None, name: str
) -> None:
    root = tmp_path / "index"
    folder = built(seeds, root, dense=True)
    if name == GRAPH_FILE:  # read whole at load: damage where FAISS sees numbers, not structure
        data = bytearray((folder / name).read_bytes())
        data[len(data) * 9 // 10] ^= 0x5A  # a vector: the graph's copy is stored last
        (folder / name).write_bytes(bytes(data))
    else:
        damage_every_block(folder / name)
    index = read_index(root, eager_up_to=BLOCK)  # sizes unchanged: the load does not notice
    searcher = Searcher(index, CharEncoder())
    for _ in range(2):  # and the second answer fails as the first did
        with pytest.raises(IndexCorruptError, match=f"{name} does not match its checksum"):
            searcher.ask(QUESTION)
    with pytest.raises(IndexCorruptError, match="Run: seedqa index --full"):
        read_index(root, check=True)


def test_damage_no_answer_has_read_is_found_in_the_background_and_then_refused(
    seeds: Path, tmp_path: Path, small_blocks: None
) -> None:
    root = tmp_path / "index"
    folder = built(seeds, root)
    path = folder / "paragraphs.jsonl"
    data = bytearray(path.read_bytes())
    data[-BLOCK // 2] ^= 0x5A  # the last block only
    path.write_bytes(bytes(data))
    index = read_index(root, eager_up_to=BLOCK)
    assert index.verifier is not None
    index.verifier.in_background(eager_up_to=BLOCK).join(timeout=60)
    with pytest.raises(IndexCorruptError, match=r"paragraphs\.jsonl does not match its checksum"):
        index.paragraphs[0]  # a row far from the damage, refused all the same


def test_flat_vectors_are_checked_at_load_for_they_are_all_read_then(
    seeds: Path, tmp_path: Path, small_blocks: None
) -> None:
    root = tmp_path / "index"
    write_corpus(seeds, 300)
    build_index(seeds, root, CharEncoder(), "char-fake")  # flat: below the exact bound
    folder = segment(root / read_manifest(root).version)
    assert not (folder / GRAPH_FILE).exists()
    damage_every_block(folder / "dense.vectors.npy")
    with pytest.raises(IndexCorruptError, match=r"dense\.vectors\.npy does not match its checksum"):
        read_index(root, eager_up_to=BLOCK)


def test_a_manifest_that_fails_its_own_checksum_is_damaged(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    path = root / read_manifest(root).version / "manifest.json"
    text = path.read_text(encoding="utf-8")
    [name] = [n for n in read_manifest(root).checksums if n.endswith("/paragraphs.jsonl")]
    size = read_manifest(root).checksums[name][0]
    path.write_text(text.replace(f"{size},", f"{size + 1},", 1), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="manifest does not match its own checksum"):
        read_index(root)


def test_an_index_without_block_checksums_is_checked_whole_at_load(
    seeds: Path, tmp_path: Path, counted: list[int]
) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    folder = root / read_manifest(root).version
    manifest = read_manifest(root)
    old = integrity.Verifier(folder, manifest.checksums, {})  # as an older seedqa wrote it
    counted.clear()
    old.cheap(eager_up_to=0)
    total = sum(size for size, _ in manifest.checksums.values())
    assert sum(counted) == total
    assert np.all([old.lazy(name, 0) is False for name in manifest.checksums])
