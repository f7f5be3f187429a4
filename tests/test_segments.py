"""A segmented index: an update writes what changed as a new segment, keeps the rest by hard links,
answers exactly as an index built whole, and merges its segments within a bound."""

import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from retrieval import Searcher, build_index, read_index, read_manifest
from retrieval.index import store
from retrieval.ingest import seeds as seed_reading
from retrieval.lifecycle import merging, update
from retrieval.lifecycle.status import status
from retrieval.text.terms import terms
from tests.corpus import paragraphs, segment, write_corpus
from tests.encoders import CharEncoder
from tests.polling import wait_for
from tests.seedqa import environment, run

SHARED = "这一段话在两份文件里一字不差地出现，说的是边境小学新建了一座操场。"
QUESTIONS = [
    "边境小学新建了什么？",
    "拉孜县图书馆有多少册藏书？",
    "边境党员干部受到了哪些教育？",
    "第三号水库的库容是多少？",
    "农牧民群众的收入",
]


def note(seeds: Path, name: str, body: str) -> None:
    (seeds / name).write_text(body, encoding="utf-8")


def live_paragraphs(root: Path) -> list:
    index = read_index(root)
    table = index.paragraphs
    return sorted((table[r] for r in range(len(table)) if table.alive(r)), key=lambda p: p.id)


def lexical_scores(root: Path, question: str) -> dict[str, float]:
    index = read_index(root)
    found = index.lexical.search(terms(question), 20)
    ids = index.paragraphs.ids
    return {
        ids[r].decode(): float(s)
        for r, s in zip(found.ids.tolist(), found.scores.tolist(), strict=True)
    }


def test_an_updated_index_answers_exactly_as_one_built_whole(seeds: Path, tmp_path: Path) -> None:
    encoder = CharEncoder()
    root = tmp_path / "updated"
    build_index(seeds, root, encoder, encoder.name)
    many = "\n\n".join(paragraphs(20, seed=3))

    def three_files() -> None:
        note(seeds, "a.md", f"# 甲\n\n{SHARED}\n\n只在甲文件里的一段话。\n")
        note(seeds, "b.md", "# 乙\n\n第三号水库的库容是一千万立方米。\n\n乙的第二段。\n")
        note(seeds, "d.md", f"# 丁\n\n{many}\n")

    steps = [
        three_files,
        lambda: note(seeds, "c.md", f"# 丙\n\n丙的开头。\n\n{SHARED}\n"),  # repeats a.md's
        lambda: note(seeds, "b.md", "# 乙\n\n第三号水库的库容是两千万立方米。\n\n乙的第二段。\n"),
        lambda: (seeds / "a.md").unlink(),  # the shared paragraph stays, cited at c.md
    ]
    for step in steps:
        step()
        report = build_index(seeds, root, encoder, encoder.name)
        assert not report.full
    index = read_index(root)
    assert len(index.parts) > 1 and index.paragraphs.live is not None  # segments, deletions
    whole = tmp_path / "whole"
    build_index(seeds, whole, encoder, encoder.name, full=True)
    assert live_paragraphs(root) == live_paragraphs(whole)  # same texts, same sources in order
    for question in QUESTIONS:
        updated, built = lexical_scores(root, question), lexical_scores(whole, question)
        assert updated.keys() == built.keys() and all(
            updated[k] == pytest.approx(built[k], rel=1e-6) for k in built
        ), question
        probe = encoder.encode_queries([question])[0]
        a, b = read_index(root), read_index(whole)
        assert a.dense is not None and b.dense is not None
        near_a = {a.paragraphs.ids[r] for r in a.dense.search(probe, 5).ids.tolist()}
        near_b = {b.paragraphs.ids[r] for r in b.dense.search(probe, 5).ids.tolist()}
        assert near_a == near_b, question
        # By words alone the same answer (with the model, fusion weighs the legs by a calibration
        # an update keeps while it has changed less than a tenth of the corpus).
        shown = [h.paragraph.id for h in Searcher(a).ask(question).hits]
        assert shown == [h.paragraph.id for h in Searcher(b).ask(question).hits]
    hit = Searcher(index, encoder).ask("边境小学新建了什么？").hits[0]
    assert hit.paragraph.text == SHARED and [s.path for s in hit.paragraph.sources] == ["c.md"]
    assert (
        "两千万" in Searcher(index, encoder).ask("第三号水库的库容是多少？").hits[0].paragraph.text
    )


def test_an_update_reads_only_the_files_that_changed_and_links_the_rest(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "index"
    write_corpus(seeds, 300)
    build_index(seeds, root, None, None)
    before = root / read_manifest(root).version
    read: list[str] = []
    original = seed_reading.read_seed

    def counting(folder: Path, path: Path):
        read.append(path.name)
        return original(folder, path)

    monkeypatch.setattr(update, "read_seed", counting)
    note(seeds, "zz-new.md", "# 新\n\n拉孜县新建的图书馆共有藏书三万册。\n")
    report = build_index(seeds, root, None, None)
    assert read == ["zz-new.md"] and report.files_added == ("zz-new.md",)
    after = root / read_manifest(root).version
    for file in segment(before, 0).iterdir():  # the old segment: the same files, not copies
        assert (segment(after, 0) / file.name).stat().st_ino == file.stat().st_ino, file.name
    assert [p.name for p in segment(after).iterdir()] and segment(after) != segment(after, 0)
    hits = Searcher(read_index(root)).ask("拉孜县图书馆有多少册藏书？").hits
    assert hits[0].paragraph.source.path == "zz-new.md"


def test_segments_stay_within_the_merge_policys_bound(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    texts = paragraphs(3 * merging.MERGE_FACTOR**2)
    merges = 0
    for round_, text in enumerate(texts):
        note(seeds, f"n{round_:03d}.md", f"# 第{round_}份\n\n{text}\n")
        report = build_index(seeds, root, None, None)
        merges += any("merged" in n for n in report.notes)
        segments = read_manifest(root).segments
        levels = [merging._level(s.live) for s in segments]
        for level in set(levels):  # fewer than MERGE_FACTOR segments of a level, always
            assert levels.count(level) < merging.MERGE_FACTOR
    assert merges >= merging.MERGE_FACTOR
    assert len(live_paragraphs(root)) == 27 + len(texts)
    question = texts[-5][:12]
    assert Searcher(read_index(root)).ask(question).hits[0].paragraph.text == texts[-5]


def test_a_term_is_counted_once_in_each_segment_not_once_per_segment_searched(
    seeds: Path, tmp_path: Path, monkeypatch
) -> None:
    """Every segment's search needs the version's document frequency of the query's terms: it
    is counted over the segments once and kept, not again for each segment (29 segments made
    that 29 times 29 vocabulary lookups a new term, docs/benchmarks.md)."""
    from retrieval.index.lexical import term_rows

    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    texts = paragraphs(4)
    for round_, text in enumerate(texts):
        note(seeds, f"n{round_}.md", f"# 第{round_}份\n\n{text}\n")
        build_index(seeds, root, None, None)
    index = read_index(root)
    assert len(index.parts) == 5
    looked_up: list[int] = []

    def counted(vocabulary: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        looked_up.append(len(hashes))
        return term_rows(vocabulary, hashes)

    monkeypatch.setattr("retrieval.index.segments.term_rows", counted)
    searcher = Searcher(index)
    first = searcher.ask(texts[2][:12])
    assert first.hits[0].paragraph.text == texts[2]
    assert len(looked_up) == 5  # each segment's vocabulary once, for all the query's terms
    looked_up.clear()
    assert searcher.ask(texts[2][:12]).hits[0].paragraph.text == texts[2]
    assert looked_up == []


def test_a_segment_mostly_deleted_is_rewritten_without_its_dead_rows(
    seeds: Path, tmp_path: Path
) -> None:
    encoder = CharEncoder()
    root = tmp_path / "index"
    build_index(seeds, root, encoder, encoder.name)
    for name in ("x.md", "y.md"):
        note(seeds, name, f"# {name}\n\n{name}的第一段。\n\n{name}的第二段。\n")
    build_index(seeds, root, encoder, encoder.name)  # one segment of both files
    assert [s.paragraphs for s in read_manifest(root).segments] == [27, 4]
    (seeds / "x.md").unlink()  # half the segment's rows: past EXPUNGE_SHARE
    report = build_index(seeds, root, encoder, encoder.name)
    assert [(s.paragraphs, s.deleted) for s in read_manifest(root).segments] == [(27, 0), (2, 0)]
    assert report.paragraphs == 29 and "rewrote 1 segment without its deleted rows" in report.notes
    index = read_index(root)
    assert index.dense is not None and len(index.dense) == read_manifest(root).windows
    assert Searcher(index, encoder).ask("y.md的第二段").hits[0].paragraph.source.path == "y.md"


def test_status_names_the_segments_and_the_rows_deleted_until_merged(
    seeds: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    note(seeds, "a.md", "# 甲\n\n甲的一段。\n\n甲的又一段。\n\n甲的第三段。\n\n甲的第四段。\n")
    build_index(seeds, root, None, None)
    (seeds / "a.md").write_text("# 甲\n\n甲的一段。\n\n甲的又一段。\n\n甲的第三段。\n", "utf-8")
    build_index(seeds, root, None, None)  # a.md's 4 rows deleted of 31: kept, not yet merged
    shown = run("status", "--seeds", str(seeds), "--index", str(root))
    assert shown.returncode == 0, shown.stderr
    assert "2 segments (4 deleted rows until merged)" in shown.stdout


def test_a_damaged_deletion_list_is_reported(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    note(seeds, "a.md", "# 甲\n\n甲的一段。\n\n甲的又一段。\n")
    build_index(seeds, root, None, None)
    note(seeds, "zz.md", "# 乙\n\n乙的一段。\n")
    build_index(seeds, root, None, None)
    (seeds / "a.md").write_text("# 甲\n\n甲的一段。\n", encoding="utf-8")
    build_index(seeds, root, None, None)
    deleted = segment(root / read_manifest(root).version, 0) / "deleted.rows.npy"
    assert deleted.exists()
    data = bytearray(deleted.read_bytes())
    data[-1] ^= 0x01
    deleted.write_bytes(bytes(data))
    result = run("status", "--seeds", str(seeds), "--index", str(root))
    assert result.returncode != 0 and "deleted.rows.npy" in result.stderr


def seven_more_segments(seeds: Path, root: Path) -> None:
    """An index of one segment and seven more of one level: one more update, and they merge."""
    write_corpus(seeds, 300)
    build_index(seeds, root, None, None)
    texts = paragraphs(400, seed=7)
    for round_ in range(merging.MERGE_FACTOR - 1):
        chunk = texts[round_ * 40 : (round_ + 1) * 40]
        note(seeds, f"m{round_}.md", "# 追加\n\n" + "\n\n".join(chunk) + "\n")
        build_index(seeds, root, None, None)
    assert len(read_manifest(root).segments) == merging.MERGE_FACTOR


def merger_pid(root: Path) -> int | None:
    try:
        return int((root / store.MERGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def merge_begun(root: Path) -> bool:
    """Whether the background merge an update started has its marker written, or is over."""
    return merger_pid(root) is not None or merging.planned(read_manifest(root).segments) is None


def idle(root: Path) -> bool:
    return not store.build_running(root)


def eighth(seeds: Path, marker: str) -> None:
    """A file of 40 paragraphs, ``marker`` among them: the eighth segment of their level."""
    note(seeds, "z.md", "# 追加\n\n" + "\n\n".join([marker, *paragraphs(39, seed=11)]) + "\n")


def test_seedqa_index_merges_in_the_background(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    seven_more_segments(seeds, root)
    marker = "第八次追加的报告说水库新修了九座。"
    eighth(seeds, marker)
    done = run("index", "--seeds", str(seeds), "--index", str(root), "--model", "none")
    assert done.returncode == 0, done.stderr
    assert "merging segments in the background" in done.stdout + done.stderr
    # The update is in use at once; its merge follows in a process of its own.
    hits = Searcher(read_index(root)).ask("第八次追加的报告说水库新修了几座？").hits
    assert hits and hits[0].paragraph.text == marker
    wait_for(lambda: len(read_manifest(root).segments) < merging.MERGE_FACTOR, 60)
    wait_for(lambda: merger_pid(root) is None and not store.build_running(root), 60)
    log = (root / merging.LOG).read_text(encoding="utf-8")
    assert f"merged {merging.MERGE_FACTOR} of 9 segments into one" in log
    assert len(live_paragraphs(root)) == read_manifest(root).paragraphs
    hits = Searcher(read_index(root, check=True)).ask("第八次追加的报告说水库新修了几座？").hits
    assert hits and hits[0].paragraph.text == marker


_SLOW_MERGE = (
    "import os, sys, time\n"
    "import retrieval.lifecycle.merging as merging\n"
    "merge = merging.merge_segments\n"
    "def slow(*args, **options):\n"
    "    open(sys.argv[1] + '.slow', 'w').close()\n"
    "    time.sleep(float(os.environ.get('SLOW', '120')))\n"
    "    merge(*args, **options)\n"
    "merging.merge_segments = slow\n"
    "sys.exit(merging.main(sys.argv[1:]))\n"
)
"""A background merge that takes two minutes (or $SLOW seconds) before it writes its merge, with
``INDEX.slow`` beside the index folder once it has begun to wait."""


def slow_merge_due(seeds: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An index with a merge due and no merge started."""
    seven_more_segments(seeds, root)
    eighth(seeds, "第八次追加的报告说水库新修了九座。")
    with monkeypatch.context() as patched:  # the merge is left to a slow one
        patched.setattr("retrieval.lifecycle.build.merge_in_background", lambda *_: None)
        build_index(seeds, root, None, None, merge_in_background=True)
    assert merging.planned(read_manifest(root).segments) is not None


def test_a_merge_of_a_folder_deleted_and_made_again_switches_nothing(
    seeds: Path, tmp_path: Path, monkeypatch
) -> None:
    root = tmp_path / "index"
    slow_merge_due(seeds, root, monkeypatch)
    command = [sys.executable, "-c", _SLOW_MERGE, str(root), "0"]
    merger = subprocess.Popen(command, env=environment(SLOW="4"))
    try:
        wait_for(Path(f"{root}.slow").exists, 60, every=0.02)
        shutil.rmtree(root)  # while the merge holds the old folder's lock
        report = build_index(seeds, root, None, None)  # a new folder, a lock of its own
        assert merger.wait(timeout=60) == 0
    finally:
        merger.kill()
    assert read_manifest(root).version == report.version  # the merge switched nothing
    assert not list(root.glob(".*.partial")) and len(live_paragraphs(root)) == report.paragraphs


def test_a_build_stops_a_background_merge_and_goes_on(
    seeds: Path, tmp_path: Path, monkeypatch
) -> None:
    root = tmp_path / "index"
    slow_merge_due(seeds, root, monkeypatch)
    merger = subprocess.Popen(
        [sys.executable, "-c", _SLOW_MERGE, str(root), "0"], env=environment()
    )
    try:
        wait_for(lambda: merger_pid(root) == merger.pid and store.build_running(root), 60)
        assert status(seeds, root).merging
        version = read_manifest(root).version
        # Nothing to build: the merge is left to go on.
        idle_build = build_index(seeds, root, None, None, merge_in_background=True)
        assert idle_build.up_to_date and merger.poll() is None
        assert "segments are being merged in the background" in idle_build.notes
        note(seeds, "x.md", "# 最后\n\n最后一段话说水库新修了十一座。\n")
        started = time.monotonic()
        report = build_index(seeds, root, None, None)  # stops the merge, builds, merges
        assert time.monotonic() - started < 60  # not after the slow merge's two minutes
        assert merger.wait(timeout=10) == -signal.SIGTERM
    finally:
        merger.kill()
    assert report.version != version and merger_pid(root) is None
    assert any("merged" in line for line in report.notes)
    assert not list(root.glob(".*.partial"))
    assert len(read_manifest(root).segments) < merging.MERGE_FACTOR
    hits = Searcher(read_index(root, check=True)).ask("最后一段话说水库新修了几座？").hits
    assert hits and hits[0].paragraph.text == "最后一段话说水库新修了十一座。"


def test_kill_9_while_segments_merge_keeps_the_update_answering(
    seeds: Path, tmp_path: Path
) -> None:
    template = tmp_path / "template"
    seven_more_segments(seeds, template)
    caught = False
    for attempt in range(8):  # each time from seven segments of a level, so that an 8th merges
        root = tmp_path / f"index-{attempt}"
        shutil.copytree(template, root)
        marker = f"第{attempt}次追加的报告说水库新修了{attempt + 3}座。"
        eighth(seeds, marker)
        done = run("index", "--seeds", str(seeds), "--index", str(root), "--model", "none")
        assert done.returncode == 0, done.stderr
        assert "merging segments in the background" in done.stdout + done.stderr
        # The update is in use; the merge starts, takes the lock and writes its version.
        wait_for(partial(merge_begun, root), 60, every=0.002)
        while (pid := merger_pid(root)) is not None and not any(root.glob(".*.partial")):
            time.sleep(0.0005)
        if pid is not None:  # the merge is being written
            with suppress(ProcessLookupError):  # unless it has just finished
                os.kill(pid, signal.SIGKILL)
                caught = True
        wait_for(partial(idle, root), 60)
        index = read_index(root, check=True)  # whole, whatever moment the kill came at
        hits = Searcher(index).ask(f"第{attempt}次追加的报告说水库新修了几座？").hits
        assert hits and hits[0].paragraph.text == marker
        if caught:
            break
    assert caught, "the merge was always over before it could be killed"
    report = build_index(seeds, root, None, None)  # the next build merges, and nothing is lost
    assert not list(root.glob(".*.partial")) and report.version is not None
    assert merger_pid(root) is None  # the killed merge's marker, cleared
    segments = read_manifest(root).segments
    assert len(segments) < merging.MERGE_FACTOR
    assert len(live_paragraphs(root)) == read_manifest(root).paragraphs


def test_a_version_of_one_segment_loads_as_before(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    index = read_index(root)
    assert len(index.parts) == 1 and index.paragraphs.live is None
    assert type(index.lexical).__name__ == "LexicalIndex"  # no segment overhead
    assert np.array_equal(index.paragraphs.live_ids, index.paragraphs.ids)
    shutil.rmtree(root)
