"""The ``seedqa`` command line: index, ask, JSON, batches, the offline fallback and bad input."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests import seedqa
from tests.corpus import segment

LEXICAL = {"SEEDQA_MODEL": "none"}


@pytest.fixture
def workdir(seeds: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding ``seeds/``, as the current directory."""
    monkeypatch.chdir(seeds.parent)
    return seeds.parent


def run(
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    environ=None,
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv), environ=dict(LEXICAL if environ is None else environ))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_reports_what_it_did(workdir: Path, capsys) -> None:
    code, out, _ = run(capsys, "index")
    assert code == 0
    assert "Indexed 1 file, 27 paragraphs, 0 windows (lexical)" in out
    assert "9 page breaks joined" in out
    assert (workdir / "index" / "CURRENT").is_file()


def test_index_json_has_the_documented_keys_and_a_second_run_has_nothing_to_do(
    workdir: Path, capsys
) -> None:
    code, out, _ = run(capsys, "index", "--json")
    first = json.loads(out)
    assert code == 0 and first["files_added"] == 1 and first["paragraphs"] == 27
    for key in (
        "files_changed",
        "files_removed",
        "files_unchanged",
        "paragraphs_embedded",
        "paragraphs_reused",
        "seconds",
    ):
        assert key in first
    code, out, _ = run(capsys, "index", "--json")
    second = json.loads(out)
    assert (second["files_unchanged"], second["files_added"], second["paragraphs_embedded"]) == (
        1,
        0,
        0,
    )


def test_ask_prints_numbered_passages_with_citation_and_highlight(workdir: Path, capsys) -> None:
    code, out, err = run(capsys, "ask", "阿里地区投入多少资金新建边境自然村活动场所？")
    assert code == 0
    assert out.startswith(
        "[1] 《守边固边 共建家园》· 夯实基层基础 · 第6段 — seeds/000_ebe6c6a426d89a77.txt:33\n"
    )
    assert "**聚焦“四有”" in out and "实现全覆盖。**" in out
    assert "building it" in err  # there was no index: ask built one first


def test_ask_json_matches_the_documented_shape(workdir: Path, capsys) -> None:
    code, out, _ = run(
        capsys, "ask", "2019年拉孜县举办了多少期党政干部培训班？", "--json", "-k", "2"
    )
    answer = json.loads(out)
    assert code == 0 and answer["mode"] == "lexical"
    hit = answer["hits"][0]
    assert set(hit) >= {"rank", "score", "text", "highlight", "source"}
    assert hit["rank"] == 1 and isinstance(hit["score"], float)
    assert "党政干部培训班32期" in hit["highlight"] and hit["highlight"] in hit["text"]
    assert hit["source"] == hit["source"] | {
        "path": "000_ebe6c6a426d89a77.txt",
        "line": 67,
        "title": "三项机制为人才工作添动力",
        "section": None,
    }
    assert len(answer["hits"]) <= 2


def test_nothing_relevant_is_an_empty_hit_list_and_a_polite_line(workdir: Path, capsys) -> None:
    code, out, _ = run(capsys, "ask", "Who won the 2018 World Cup?", "--json")
    assert code == 0 and json.loads(out)["hits"] == []
    code, out, _ = run(capsys, "ask", "明天北京会下雨吗？")
    assert code == 0 and "没有找到" in out


def test_standard_input_is_answered_line_by_line(workdir: Path, capsys, monkeypatch) -> None:
    questions = "招聘了多少名医护人员？\n\n你好\n南伊乡有多少户农牧民群众自发举行升国旗活动？\n"
    code, out, _ = run(capsys, "ask", "--json", stdin=questions, monkeypatch=monkeypatch)
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [a["question"] for a in answers] == [
        "招聘了多少名医护人员？",
        "你好",
        "南伊乡有多少户农牧民群众自发举行升国旗活动？",
    ]
    assert [len(a["hits"]) > 0 for a in answers] == [True, False, True]


def test_without_the_model_one_warning_and_lexical_answers(
    workdir: Path, capsys, monkeypatch
) -> None:
    # The default model is not cached here and tests run offline.
    code, out, err = run(
        capsys,
        "ask",
        "--json",
        environ={},
        stdin="招聘了多少名医护人员？\n第四党支部共有多少名党员？\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0
    assert err.count("warning:") == 1 and "intfloat/multilingual-e5-small" in err
    assert [json.loads(line)["mode"] for line in out.splitlines()] == ["lexical", "lexical"]


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \t ", "empty"), ("问" * 10_000, "10,000 characters")],
)
def test_a_bad_question_is_refused_with_a_message(
    workdir: Path, capsys, question: str, message: str
) -> None:
    code, out, err = run(capsys, "ask", question)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err


@pytest.mark.parametrize("question", ["😀🙂🎉", "\x00\x07\x1b[31m", "拉孜县\x00的\x1b人才"])
def test_odd_characters_are_answered_or_abstained_on(workdir: Path, capsys, question: str) -> None:
    code, out, err = run(capsys, "ask", question, "--json")
    assert code == 0 and "error" not in err
    assert json.loads(out)["mode"] == "lexical"


def test_a_bad_line_in_a_batch_is_reported_and_the_rest_answered(
    workdir: Path, capsys, monkeypatch
) -> None:
    batch = "拉孜县人才工作领导小组的组长是谁？\n" + "长" * 2000 + "\n第四党支部共有多少名党员？\n"
    code, out, err = run(capsys, "ask", "--json", stdin=batch, monkeypatch=monkeypatch)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and "line 2" in err
    assert [bool(x["hits"]) for x in lines] == [True, False, True] and "error" in lines[1]


def test_a_missing_seeds_folder_is_a_clear_error(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "ask", "问题", "--seeds", "nowhere")
    assert code == 1 and "Seeds folder nowhere does not exist" in err


def test_an_index_folder_that_cannot_be_written_is_a_clear_error(workdir: Path, capsys) -> None:
    (workdir / "blocked").write_text("a file where the index folder should be")
    code, _, err = run(capsys, "index", "--index", "blocked/index")
    assert code == 1 and err.startswith("error: Cannot write the index in blocked/index")


def test_a_corrupt_index_names_the_command_that_fixes_it(workdir: Path, capsys) -> None:
    run(capsys, "index")
    [version] = [p for p in (workdir / "index").iterdir() if p.name.startswith("v")]
    weights = segment(version) / "lexical.doc_ids.npy"
    weights.write_bytes(weights.read_bytes()[:-8])
    code, _, err = run(capsys, "ask", "问题")
    assert code == 1 and "damaged" in err and "seedqa index --full" in err
    code, out, _ = run(capsys, "index")
    assert code == 0 and "Indexed" in out
    assert run(capsys, "ask", "招聘了多少名医护人员？")[0] == 0


def test_k_out_of_range_is_a_usage_error(workdir: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "ask", "问题", "-k", "0")
    assert exit_.value.code == 2


def test_the_entry_point_never_shows_a_traceback(workdir: Path) -> None:
    result = seedqa.run("ask", "", env=seedqa.environment({}, SEEDQA_MODEL="none"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "error: The question is empty." in result.stderr


def test_lexical_ask_never_imports_the_model_stack(workdir: Path) -> None:
    """What keeps the cold start short: no torch, sentence-transformers or Telegram library."""
    probe = (
        "import sys; from bot.cli import main; "
        "code = main(['ask', '拉孜县', '--model', 'none', '-q']); "
        "print(code, *(name in sys.modules for name in "
        "('torch', 'sentence_transformers', 'telegram')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=workdir, capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "0 False False False"
