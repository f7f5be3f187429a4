"""``seedqa ask`` and ``seedqa eval`` with ``--llm``: the answer above the passages, JSON, eval figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakellm import FakeLLM, Reply, serve

QUESTION = "2016年以来阿里地区开展了多少场次教育活动？"
GOOD = "2016年以来，阿里地区开展各类教育活动1000场次[1]。5600名边境党员干部受到教育。[1]"


@pytest.fixture
def workdir(seeds: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(seeds.parent)
    return seeds.parent


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with serve(FakeLLM()) as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *argv: str, **environ: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv), environ={"SEEDQA_MODEL": "none", **environ})
    except SystemExit as exit:  # argparse refuses a malformed flag itself
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_has_the_checked_answer_beside_the_hits(workdir, fake, capsys) -> None:
    fake.script(Reply(GOOD + "阿里地区投入资金9亿元[2]。"))
    code, out, _ = run(
        capsys, "ask", "-q", "--json", "--llm", fake.url, "--llm-model", "m", QUESTION
    )
    data = json.loads(out)
    assert code == 0 and len(data["hits"]) == 3
    assert data["answer"] == {
        "text": "2016年以来，阿里地区开展各类教育活动1000场次。[1]5600名边境党员干部受到教育。[1]",
        "generated": True,
        "citations": [1],
        "dropped": 1,
        "outcome": "generated",
    }


def test_ask_text_prints_the_answer_first_then_the_numbered_passages(workdir, fake, capsys) -> None:
    fake.script(Reply(GOOD))
    environ = {"SEEDQA_LLM_URL": fake.url, "SEEDQA_LLM_MODEL": "m"}
    code, out, _ = run(capsys, "ask", "-q", QUESTION, **environ)
    first, rest = out.split("\n\n", 1)
    assert code == 0
    assert (
        first == "2016年以来，阿里地区开展各类教育活动1000场次。[1]5600名边境党员干部受到教育。[1]"
    )
    assert rest.startswith("[1] 《守边固边 共建家园》")
    assert "开展各类教育活动1000场次" in rest.split("[2] ")[0]


def test_the_extractive_fallback_is_marked_as_such(workdir, fake, capsys) -> None:
    fake.script(Reply(status=500))
    environ = {"SEEDQA_LLM_URL": fake.url, "SEEDQA_LLM_MODEL": "m"}
    code, out, _ = run(capsys, "ask", "-q", QUESTION, **environ)
    first = out.split("\n\n", 1)[0]
    assert code == 0
    assert (
        first == "2016年以来,开展各类教育活动1000场次,5600名边境党员干部受到教育。"
        "[1]（原文摘录：模型服务出错）"
    )
    code, out, _ = run(capsys, "ask", "-q", "--json", QUESTION, **environ)
    answer = json.loads(out)["answer"]
    assert answer["generated"] is False and answer["citations"] == [1]
    assert answer["outcome"] == "failed"
    assert answer["text"] == json.loads(out)["hits"][0]["highlight"]


def test_an_abstention_sends_nothing_and_its_answer_is_empty(workdir, fake, capsys) -> None:
    environ = {"SEEDQA_LLM_URL": fake.url, "SEEDQA_LLM_MODEL": "m"}
    code, out, _ = run(capsys, "ask", "-q", "--json", "明天北京会下雨吗？", **environ)
    data = json.loads(out)
    assert code == 0 and data["abstained"]
    assert data["answer"] == {
        "text": "",
        "generated": False,
        "citations": [],
        "dropped": 0,
        "outcome": "abstained",
    }
    assert fake.requests == []


def test_without_an_llm_nothing_changes(workdir, fake, capsys) -> None:
    code, out, _ = run(capsys, "ask", "-q", "--json", QUESTION)
    assert code == 0 and "answer" not in json.loads(out)
    code, out, _ = run(capsys, "ask", "-q", QUESTION)
    assert out.startswith("[1] 《守边固边 共建家园》")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--llm", "http://127.0.0.1:9/v1"], {}, "--llm-model"),
        (["--llm", "127.0.0.1:11434"], {"SEEDQA_LLM_MODEL": "m"}, "http://"),
        (
            ["--llm", "http://127.0.0.1:9/v1", "--llm-model", "m"],
            {"SEEDQA_LLM_TIMEOUT": "soon"},
            "SEEDQA_LLM_TIMEOUT",
        ),
        (
            ["--llm", "http://127.0.0.1:9/v1", "--llm-model", "m"],
            {"SEEDQA_LLM_TIMEOUT": "-1"},
            "positive",
        ),
    ],
)
def test_bad_llm_settings_are_refused_clearly(workdir, capsys, argv, environ, message) -> None:
    code, _, err = run(capsys, "ask", "-q", *argv, QUESTION, **environ)
    assert code == 2 and "error: " in err and message in err  # argparse's or ours


def test_eval_with_an_llm_measures_the_generated_answers(workdir, fake, capsys) -> None:
    questions = workdir / "questions.jsonl"
    lines = [
        {"question": QUESTION, "answer": "1000场次"},
        {"question": "阿里地区投入了多少资金建设村级活动场所？", "answer": "3亿元"},
        {"question": "明天北京会下雨吗？", "unanswerable": True},
    ]
    questions.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    fake.script(Reply(GOOD), Reply("NO_ANSWER"))
    argv = ["eval", "-q", "--json", "--llm", fake.url, "--llm-model", "m", str(questions)]
    code, out, _ = run(capsys, *argv)
    llm = json.loads(out)["llm"]
    assert code == 0 and len(fake.chats) == 2  # none for the unanswerable question
    assert llm["generated"] == 0.5 and llm["dropped"] == 0
    assert llm["outcomes"] == {"generated": 1, "no_answer": 1, "abstained": 1}
    # both shown answers hold the labelled one: the generated, and the fallback's 投入资金3亿元
    assert llm["supported_answer"] == 1.0 and llm["extractive_supported_answer"] == 1.0
    code, out, _ = run(capsys, *[a for a in argv if a != "--json"])
    assert "Generated answers" in out and "supported" in out
