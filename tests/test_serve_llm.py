"""``seedqa serve`` with an LLM: the chat endpoint answers with the checked written answer above
the passages, and with the extractive sentence, marked, when the LLM fails."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.cli import main
from bot.serve.app import create_app
from bot.serve.config import ServeConfig
from bot.serve.writer import WrittenReplier
from retrieval import Engine, build_index
from retrieval.generation import LLMSettings
from tests.fakellm import FakeLLM, Reply, serve

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTION = "2016年以来阿里地区开展了多少场次教育活动？"
GOOD = "2016年以来，阿里地区开展各类教育活动1000场次[1]。投入资金9亿元[1]。5600名边境党员干部受到教育。[1]"
WRITTEN = "2016年以来，阿里地区开展各类教育活动1000场次。[1]5600名边境党员干部受到教育。[1]"
HIGHLIGHT = "2016年以来,开展各类教育活动1000场次,5600名边境党员干部受到教育。"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    base = tmp_path_factory.mktemp("serve-llm")
    (base / "seeds").mkdir()
    shutil.copy(SEED, base / "seeds" / SEED.name)
    build_index(base / "seeds", base / "index", None, None)
    engine = Engine(base / "index", watch=False)
    yield engine
    engine.close()


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with serve(FakeLLM()) as server:
        yield server


@pytest.fixture
def client(engine: Engine, llm: FakeLLM) -> Iterator[TestClient]:
    writer = WrittenReplier(LLMSettings(llm.url, "gemma3", timeout=2.0))
    try:
        yield TestClient(create_app(engine, ServeConfig(), reply=writer))
    finally:
        writer.close()


def chat(question: str, **extra: object) -> dict:
    return {"model": "seedqa", "messages": [{"role": "user", "content": question}], **extra}


def test_the_chat_answer_is_the_checked_written_one_above_its_passages(
    client: TestClient, llm: FakeLLM
) -> None:
    llm.script(Reply(GOOD))
    body = client.post("/v1/chat/completions", json=chat(QUESTION)).json()
    content = body["choices"][0]["message"]["content"]
    assert content.startswith(WRITTEN + "\n\n**[1]** 《守边固边 共建家园》")
    assert "9亿元" not in content
    assert body["answer"] == {
        "text": WRITTEN,
        "generated": True,
        "citations": [1],
        "dropped": 1,
        "outcome": "generated",
    }
    assert [c["index"] for c in body["citations"]] == [1, 2, 3]
    assert len(llm.chats) == 1


def test_the_streamed_chat_answer_opens_with_the_written_answer(
    client: TestClient, llm: FakeLLM
) -> None:
    llm.script(Reply(GOOD))
    with client.stream("POST", "/v1/chat/completions", json=chat(QUESTION, stream=True)) as r:
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    chunks = [json.loads(event) for event in events[:-1]]
    assert events[-1] == "[DONE]"
    assert chunks[1]["choices"][0]["delta"]["content"] == WRITTEN
    assert chunks[-1]["answer"]["generated"] is True


@pytest.mark.parametrize(
    "failure",
    [
        (Reply(status=500), "failed", "模型服务出错"),
        (Reply("NO_ANSWER"), "no_answer", "模型认为这些段落回答不了"),
        (Reply(junk=b"<html>"), "failed", "模型服务出错"),
    ],
    ids=["http-500", "no-answer", "junk"],
)
def test_a_failing_llm_gives_the_extractive_sentence_marked(
    client: TestClient, llm: FakeLLM, failure: tuple[Reply, str, str]
) -> None:
    reply, outcome, why = failure
    llm.script(reply)
    response = client.post("/v1/chat/completions", json=chat(QUESTION))
    assert response.status_code == 200
    body = response.json()
    content = body["choices"][0]["message"]["content"]
    assert content.startswith(HIGHLIGHT + f"[1]（原文摘录：{why}）\n\n**[1]**")
    assert body["answer"]["generated"] is False and body["answer"]["outcome"] == outcome


def test_no_request_reaches_the_llm_when_nothing_answers(client: TestClient, llm: FakeLLM) -> None:
    body = client.post("/v1/chat/completions", json=chat("Who won the 2018 World Cup?")).json()
    assert body["choices"][0]["message"]["content"].startswith("Nothing in the documents")
    assert body["answer"] == {
        "text": "",
        "generated": False,
        "citations": [],
        "dropped": 0,
        "outcome": "abstained",
    }
    assert llm.chats == []


def test_serve_takes_the_llm_settings(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    shown = capsys.readouterr().out
    assert "--llm URL" in shown and "--llm-model NAME" in shown and "SEEDQA_LLM_TIMEOUT" in shown
