"""``seedqa eval``: the figures of a labelled question file, each miss, and bad question files."""

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests import seedqa

LEXICAL = {"SEEDQA_MODEL": "none"}

# Two answerable questions (the second labelled with an answer the page does not hold) and two
# unanswerable ones (the second mislabelled: the page does answer it). Every figure is 0.5 or 0.
LABELLED: list[dict[str, object]] = [
    {"question": "招聘了多少名医护人员？", "answer": "招聘70名医护人员"},
    {"question": "阿里地区投入多少资金新建边境自然村活动场所？", "answer": "一百亿美元"},
    {"question": "明天北京会下雨吗？", "unanswerable": True},
    {"question": "在流动人口聚居区建立了多少个临时党支部？", "unanswerable": True},
]


@pytest.fixture
def workdir(seeds: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding ``seeds/`` and ``questions.jsonl``, as the current directory."""
    monkeypatch.chdir(seeds.parent)
    write(seeds.parent / "questions.jsonl", LABELLED)
    return seeds.parent


def write(path: Path, items: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str, environ=None) -> tuple[int, str, str]:
    code = main(["eval", *argv], environ=dict(LEXICAL if environ is None else environ))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_documented_figures_as_shares(workdir: Path, capsys) -> None:
    code, out, _ = run(capsys, "questions.jsonl", "--json")
    report = json.loads(out)
    assert code == 0
    assert (report["n"], report["answerable"], report["unanswerable"]) == (4, 2, 2)
    assert report["mode"] == "lexical"
    figures = {k: report[k] for k in ("recall@1", "recall@3", "recall@5", "mrr@10")}
    assert figures == dict.fromkeys(figures, 0.5)
    assert (report["highlight@1"], report["abstention"], report["false_abstention"]) == (
        0.5,
        0.5,
        0,
    )
    assert set(report["latency_ms"]) == {"median", "p95"}
    assert 0 < report["latency_ms"]["median"] <= report["latency_ms"]["p95"]


def test_each_miss_comes_with_the_passage_that_came_first_instead(workdir: Path, capsys) -> None:
    _, out, _ = run(capsys, "questions.jsonl", "--json")
    misses = {m["question"]: m for m in json.loads(out)["misses"]}
    assert set(misses) == {LABELLED[1]["question"], LABELLED[3]["question"]}
    wrong = misses[LABELLED[1]["question"]]
    assert (wrong["answer"], wrong["rank"], wrong["unanswerable"]) == ("一百亿美元", None, False)
    assert wrong["first_source"] == {"path": "000_ebe6c6a426d89a77.txt", "line": 33}
    answered = misses[LABELLED[3]["question"]]
    assert answered["unanswerable"] and answered["first_source"]["line"] == 27
    assert answered["first"].startswith("强化组织建设全覆盖")


def test_the_text_report_names_each_figure_and_each_miss(workdir: Path, capsys) -> None:
    code, out, _ = run(capsys, "questions.jsonl")
    assert code == 0
    assert out.startswith("4 questions (2 answerable, 2 unanswerable), lexical search:")
    words = " ".join(out.split())
    assert "recall@1 0.500 answer in the first passage (1 of 2)" in words
    assert "false abstention 0.000" in words and "latency median" in words
    assert "2 misses" in out
    assert "expected “一百亿美元”; not in the first 10 passages" in out
    assert "first: seeds/000_ebe6c6a426d89a77.txt:33  " in out
    assert "unanswerable, but passages were shown" in out


def test_only_unanswerable_questions_leave_recall_unmeasured(workdir: Path, capsys) -> None:
    write(workdir / "off-topic.jsonl", [LABELLED[2]])
    _, out, _ = run(capsys, "off-topic.jsonl", "--json")
    report = json.loads(out)
    assert report["recall@1"] is None and report["false_abstention"] is None
    assert report["abstention"] == 1 and report["misses"] == []
    _, out, _ = run(capsys, "off-topic.jsonl")
    assert "recall@1 n/a" in " ".join(out.split()) and "No misses." in out


def test_hybrid_with_a_model_reports_its_mode(workdir: Path, capsys, tiny_model: Path) -> None:
    code, out, _ = run(capsys, "questions.jsonl", "--json", "--model", str(tiny_model))
    assert code == 0 and json.loads(out)["mode"] == "hybrid"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no questions"),
        ('{"question": "招聘了多少名医护人员？", "answer": "70"}\nnot json\n', "bad.jsonl:2: "),
        ('["招聘了多少名医护人员？", "70"]\n', "bad.jsonl:1: not a JSON object"),
        ('{"question": "招聘了多少名医护人员？"}\n', 'no "answer" string'),
        ('{"question": "招聘了多少名医护人员？", "answer": " "}\n', 'no "answer" string'),
        ('{"question": " ", "answer": "70"}\n', "The question is empty"),
        ('{"question": 7, "answer": "70"}\n', 'no "question" string'),
        ('{"question": "问", "answer": "70", "unanswerable": true}\n', 'both "answer" and'),
        ('{"question": "' + "问" * 1001 + '", "answer": "70"}\n', "1,001 characters"),
    ],
)
def test_a_bad_question_file_is_refused_before_anything_is_built(
    workdir: Path, capsys, content: str, message: str
) -> None:
    (workdir / "bad.jsonl").write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "bad.jsonl")
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err
    assert not (workdir / "index").exists()


def test_a_missing_question_file_is_a_clear_error(workdir: Path, capsys) -> None:
    code, _, err = run(capsys, "nowhere.jsonl")
    assert code == 1
    assert "error: Cannot read the question file nowhere.jsonl: No such file or directory" in err


def test_the_entry_point_never_shows_a_traceback(workdir: Path) -> None:
    (workdir / "bad.jsonl").write_bytes(b"\xff\xfe not utf-8\n")
    result = seedqa.run("eval", "bad.jsonl", env=seedqa.environment({}, SEEDQA_MODEL="none"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: Cannot read the question file bad.jsonl")


def test_a_highlight_miss_is_listed_with_the_sentence_picked_instead(workdir: Path, capsys) -> None:
    # The answer is the paragraph's first sentence; the question asks for another of its sentences.
    labelled: list[dict[str, object]] = [
        {"question": "招聘了多少名医护人员？", "answer": "建强基层党员队伍"}
    ]
    write(workdir / "highlight.jsonl", labelled)
    _, out, _ = run(capsys, "highlight.jsonl", "--json")
    report = json.loads(out)
    assert (report["recall@1"], report["highlight@1"]) == (1.0, 0.0)
    [miss] = report["misses"]
    assert miss["rank"] == 1 and "招聘70名医护人员" in miss["highlight"]
    _, text, _ = run(capsys, "highlight.jsonl")
    assert "建强基层党员队伍" in text and "it picked" in text and "招聘70名医护人员" in text


def test_a_miss_on_a_table_keeps_the_report_one_line_a_field() -> None:
    # A Markdown table is one paragraph of several lines; the report stays one line a field.
    from bot.scorecard import scorecard_text
    from retrieval import EvalReport, Miss, Source

    table = "模式 | 风速档位 | 噪音\n睡眠模式 | 1档 | 28分贝"
    where = Source("manual.md", 15, 3)
    miss = Miss("睡眠模式的噪音是多少分贝？", "28分贝", 1, table, where, "模式 | 风速档位 | 噪音")
    latency = {"median": 1.0, "p95": 1.0}
    report = EvalReport(1, 1, 0, {1: 1.0, 3: 1.0, 5: 1.0}, 1.0, 0.0, None, None, latency, [miss])
    text = scorecard_text(report, "lexical", "seeds")
    lines = text[text.index("睡眠模式的噪音") - 2 :].splitlines()
    assert [line.split()[0][:5] for line in lines] == ["睡眠模式的", "expec", "first"]
    assert all(line.startswith("  ") for line in lines)
    assert "模式 | 风速档位 | 噪音 ⏎ 睡眠模式 | 1档 | 28分贝" in lines[2]
