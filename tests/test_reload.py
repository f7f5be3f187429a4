"""Hot reload: a running engine, and a running ``seedqa ask`` batch, pick up a new index version."""

import json
import logging
import subprocess
import threading
import time
from pathlib import Path

import pytest

from bot import runtime
from bot.settings import Settings
from retrieval import Engine, build_index
from tests import seedqa
from tests.corpus import segment
from tests.encoders import CharEncoder
from tests.polling import wait_for

LIBRARY = "# 拉孜县新建图书馆\n\n拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。\n"
QUESTION = "拉孜县图书馆有多少册藏书？"
STEADY = "南伊乡有多少户农牧民群众自发举行升国旗活动？"  # answered by the sample page throughout


def paths(answer) -> list[str]:
    return [hit.source.path for hit in answer.hits]


def test_an_engine_picks_up_a_new_version_within_seconds(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    engine = Engine(root)
    first = engine.version
    assert engine.ask(QUESTION).abstained
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, None, None)
    took = wait_for(lambda: "library.md" in paths(engine.ask(QUESTION)), seconds=5)
    assert engine.version != first and took < 3
    engine.close()


def test_a_question_in_flight_finishes_on_the_version_it_started_with(
    seeds: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, None, None)
    engine = Engine(root, watch=False)
    in_flight = engine.searcher  # what a question being answered holds
    old_folder = in_flight.index.folder
    (seeds / "library.md").unlink()
    for _ in range(3):  # each build prunes older versions: the old folder is deleted
        build_index(seeds, root, None, None, full=True)
    assert not old_folder.exists()
    assert engine.reload()
    assert paths(in_flight.ask(QUESTION)) == [
        "library.md"
    ]  # the old version, from its mapped files
    assert engine.ask(QUESTION).abstained and paths(engine.ask(STEADY))


def test_answers_go_on_while_versions_switch(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    engine = Engine(root, watch=False)
    answers: list[list[str]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def ask_all_the_time() -> None:
        while not done.is_set():
            try:
                answers.append(paths(engine.ask(STEADY)))
                engine.reload()
            except BaseException as error:  # the test reports any failure
                errors.append(error)
                return

    asker = threading.Thread(target=ask_all_the_time)
    asker.start()
    versions = set()
    for round_ in range(6):
        if round_ % 2:
            (seeds / "library.md").unlink()
        else:
            (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
        versions.add(build_index(seeds, root, None, None).version)
    wait_for(lambda: engine.version in versions and len(answers) > 10, seconds=5)
    done.set()
    asker.join()
    assert errors == []
    assert all(answer and answer[0] == "000_ebe6c6a426d89a77.txt" for answer in answers)


def test_a_version_that_fails_to_load_is_refused_once_and_the_old_one_answers(
    seeds: Path, tmp_path: Path, caplog
) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    engine = Engine(root, watch=False)
    first = engine.version
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    second = build_index(seeds, root, None, None).version
    assert second is not None
    weights = segment(root / second) / "lexical.doc_ids.npy"  # the new segment's
    weights.write_bytes(weights.read_bytes()[:-4])
    with caplog.at_level(logging.WARNING, logger="retrieval.search.engine"):
        assert not engine.reload() and not engine.reload()
    assert caplog.text.count("Keeping index") == 1 and "damaged" in caplog.text
    assert engine.version == first and paths(engine.ask(STEADY))
    assert not engine.changed()  # the refused version is not tried again…
    build_index(seeds, root, None, None)  # …but the next one is
    assert engine.changed() and engine.reload()
    assert paths(engine.ask(QUESTION)) == ["library.md"]


def test_a_version_built_with_another_model_is_refused(seeds: Path, tmp_path: Path, caplog) -> None:
    root = tmp_path / "index"
    a, b = CharEncoder("model-a"), CharEncoder("model-b")
    build_index(seeds, root, a, a.name)
    engine = Engine(root, a, watch=False)
    build_index(seeds, root, b, b.name)
    assert not engine.reload()
    assert "built with model model-b, not model-a; restart" in caplog.text
    assert engine.ask(STEADY).mode == "hybrid"


def test_a_rebuild_from_inside_uses_the_engines_model_and_switches_at_once(
    seeds: Path, tmp_path: Path, tiny_model: Path
) -> None:
    # What the bot's /reindex does: build with the model the engine holds, then reload.
    settings = Settings(seeds=seeds, index=tmp_path / "index", model=str(tiny_model))
    engine = runtime.open_engine(settings, warn=print, say=lambda _: None)
    assert engine.encoder is not None
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    report, used = runtime.build(settings, print, lambda _: None, False, engine.encoder)
    assert used is engine.encoder  # not loaded a second time
    assert report is not None and report.paragraphs_embedded == 1 and report.mode == "hybrid"
    assert engine.reload() and engine.version == report.version
    assert "library.md" in paths(engine.ask(QUESTION))
    engine.close()


def test_a_running_ask_batch_picks_up_a_new_index(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    batch = seedqa.start(
        "ask",
        "--json",
        "--seeds",
        str(seeds),
        "--index",
        str(root),
        stdin=subprocess.PIPE,
        env=seedqa.environment(SEEDQA_MODEL="none"),
    )
    stdin, stdout = batch.stdin, batch.stdout
    assert stdin is not None and stdout is not None

    def ask(question: str) -> dict:
        stdin.write(question + "\n")
        stdin.flush()
        return json.loads(stdout.readline())

    try:
        assert ask(QUESTION)["hits"] == []
        (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
        build_index(seeds, root, None, None)
        took = wait_for(
            lambda: [h["source"]["path"] for h in ask(QUESTION)["hits"]] == ["library.md"],
            seconds=10,
        )
        assert took < 5
        assert ask(STEADY)["hits"][0]["source"]["path"] == "000_ebe6c6a426d89a77.txt"
    finally:
        stdin.close()
        assert batch.wait(timeout=30) == 0
        stdout.close()
        assert batch.stderr is not None
        assert "Traceback" not in batch.stderr.read()
        batch.stderr.close()


def test_a_hybrid_engine_keeps_its_version_when_one_without_vectors_is_built(
    seeds: Path, tmp_path: Path, caplog
) -> None:
    # README: a version built with another model is not switched to; "none" is another model,
    # and switching would quietly make every answer lexical.
    root = tmp_path / "index"
    model = CharEncoder("model-a")
    build_index(seeds, root, model, model.name)
    engine = Engine(root, model, watch=False)
    first = engine.version
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, None, None)  # seedqa index --model none
    with caplog.at_level(logging.WARNING, logger="retrieval.search.engine"):
        assert not engine.reload()
    assert "Keeping index" in caplog.text and "no vectors" in caplog.text
    assert "restart" in caplog.text
    assert engine.version == first and engine.info.mode == "hybrid"
    assert engine.ask(STEADY).mode == "hybrid"
    assert Engine(root, watch=False).ask(QUESTION).mode == "lexical"  # a restart may use it


def test_a_lexical_engine_follows_any_new_version(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    engine = Engine(root, watch=False)
    model = CharEncoder("model-a")
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, root, model, model.name)
    assert engine.reload() and engine.info.mode == "lexical"
    assert paths(engine.ask(QUESTION)) == ["library.md"]


def test_an_answer_given_during_a_reload_carries_the_version_that_gave_it(
    seeds: Path, tmp_path: Path
) -> None:
    class Held(CharEncoder):
        """Holds a question marked ⌛ until the gate opens."""

        gate, waiting = threading.Event(), threading.Event()

        def encode_queries(self, texts):
            if any("⌛" in text for text in texts):
                self.waiting.set()
                assert self.gate.wait(10)
            return super().encode_queries(texts)

    root = tmp_path / "index"
    model = Held("model-a")
    build_index(seeds, root, model, model.name)
    engine = Engine(root, model, watch=False)
    first = engine.info
    answers = []
    asking = threading.Thread(target=lambda: answers.append(engine.ask(STEADY + "⌛")))
    asking.start()
    assert model.waiting.wait(10)  # the question is being answered by the first version
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    second = build_index(seeds, root, model, model.name).version
    assert engine.reload() and engine.info.version == second != first.version
    model.gate.set()
    asking.join(10)
    (answer,) = answers
    assert answer.info == first and "library.md" not in answer.info.files
    assert engine.info.files == ("000_ebe6c6a426d89a77.txt", "library.md")


def test_the_context_of_a_paragraph_comes_from_one_version(seeds: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    build_index(seeds, root, None, None)
    engine = Engine(root, watch=False)
    hit = engine.ask(STEADY).hits[0]
    context = engine.context(hit.paragraph.id)
    assert context is not None and context.paragraph == hit.paragraph
    assert context.info == engine.info
    assert context.before is not None and context.after is not None
    assert context.before.source.line < hit.source.line < context.after.source.line
    assert engine.context("0123456789abcdef") is None
    sample = engine.warm_up()  # the start of a paragraph, asked once
    assert sample and engine.ask(sample).hits[0].paragraph.text.startswith(sample)


@pytest.mark.slow  # two model loads in subprocesses: minutes on a busy machine
def test_a_running_hybrid_ask_batch_says_it_keeps_its_version_over_a_lexical_rebuild(
    seeds: Path, tmp_path: Path, tiny_model: Path
) -> None:
    root = tmp_path / "index"
    flags = ["--seeds", str(seeds), "--index", str(root)]
    env = seedqa.environment()
    env.pop("SEEDQA_MODEL", None)
    command = seedqa.command()
    hybrid = [*command, "index", "-q", "--model", str(tiny_model), *flags]
    subprocess.run(hybrid, env=env, check=True)
    batch = subprocess.Popen(
        [*command, "ask", "--json", *flags],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    stdin, stdout, errors = batch.stdin, batch.stdout, batch.stderr
    assert stdin is not None and stdout is not None and errors is not None

    def ask(question: str) -> dict:
        stdin.write(question + "\n")
        stdin.flush()
        return json.loads(stdout.readline())

    try:
        assert ask(STEADY)["mode"] == "hybrid"
        (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
        lexical = [*command, "index", "-q", "--full", "--model", "none", *flags]
        subprocess.run(lexical, env=env, check=True, capture_output=True)
        time.sleep(3)  # the watcher looks every second
        answer = ask(QUESTION)
        assert answer["mode"] == "hybrid" and "library.md" not in str(answer["hits"])
    finally:
        stdin.close()
        assert batch.wait(timeout=30) == 0
        stderr = errors.read()
        stdout.close()
        errors.close()
    assert stderr.count("Keeping index") == 1 and "no vectors" in stderr and "restart" in stderr
