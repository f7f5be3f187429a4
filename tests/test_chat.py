"""``seedqa chat``: turns from standard input, one conversation, ``/new``; and eval of conversations."""

import io
import json
from pathlib import Path

import pytest

from bot.cli import main

LEXICAL = {"SEEDQA_MODEL": "none"}


@pytest.fixture
def workdir(seeds: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(seeds.parent)
    return seeds.parent


def chat(monkeypatch, capsys, lines: list[str], *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code = main(["chat", "-q", *argv], environ=dict(LEXICAL))
    out, err = capsys.readouterr()
    return code, out, err


def test_each_line_is_the_next_turn_and_new_starts_over(workdir, monkeypatch, capsys) -> None:
    lines = [
        "札达县发展了多少党员？",
        "那普兰县呢？",
        "/new",
        "那普兰县呢？",
        "我的快递什么时候能到？",
    ]
    code, out, _ = chat(monkeypatch, capsys, lines, "--json")
    replies = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(replies) == 4
    assert [r["followup"] for r in replies] == [False, True, False, False]
    assert replies[1]["understood_as"] == "普兰县发展了多少党员？"
    assert replies[1]["question"] == "那普兰县呢？"
    assert "362名" in replies[1]["hits"][0]["text"]
    assert replies[2]["understood_as"] == "那普兰县呢？"  # a new conversation: no context
    assert replies[3]["abstained"] and replies[3]["hits"] == []
    assert set(replies[0]) >= {"question", "mode", "abstained", "hits", "understood_as"}


def test_the_text_says_how_a_follow_up_was_understood(workdir, monkeypatch, capsys) -> None:
    code, out, _ = chat(monkeypatch, capsys, ["札达县发展了多少党员？", "那普兰县呢？"], "-k", "1")
    assert code == 0
    assert out.count("理解为：") == 1 and "理解为：普兰县发展了多少党员？" in out
    assert out.count("[1] ") == 2


def test_a_rejected_line_is_reported_and_the_rest_answered(workdir, monkeypatch, capsys) -> None:
    code, out, err = chat(monkeypatch, capsys, ["问" * 1001, "札达县发展了多少党员？"], "--json")
    assert code == 2 and "error: line 1:" in err
    replies = [json.loads(line) for line in out.splitlines()]
    assert "error" in replies[0] and replies[1]["hits"]


def test_eval_takes_a_conversation_file(workdir: Path, capsys) -> None:
    items = [
        {"turns": ["札达县发展了多少党员？", "那普兰县呢？"], "answer": "362名"},
        {
            "turns": ["札达县发展了多少党员？", "南伊乡引进了几家公司？"],
            "answer": "5家公司",
            "switch": True,
        },
        {"turns": ["札达县发展了多少党员？", "我的快递什么时候能到？"], "unanswerable": True},
    ]
    path = workdir / "conversations.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    code = main(["eval", str(path), "--json"], environ=dict(LEXICAL))
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (report["followup"], report["switch"], report["unanswerable"]) == (1, 1, 1)
    assert report["followup_recall@1"] == 1 and report["switch_accuracy"] == 1
    assert report["abstention"] == 1 and report["misses"] == []
    code = main(["eval", str(path)], environ=dict(LEXICAL))
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("3 conversations (1 follow-ups, 1 topic switches")
    assert "No misses." in out


def test_a_bad_conversation_file_is_refused_before_anything_is_built(workdir: Path, capsys) -> None:
    (workdir / "bad.jsonl").write_text('{"turns": ["问？"]}\n', encoding="utf-8")
    code = main(["eval", "bad.jsonl"], environ=dict(LEXICAL))
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: bad.jsonl:1: ")
    assert not (workdir / "index").exists()
