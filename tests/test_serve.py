"""``seedqa serve`` in-process: every endpoint, Dify's documented examples, auth, errors, limits."""

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.citations import NOTHING_FOUND
from bot.cli import main
from bot.serve.app import VERSION_HEADER, create_app
from bot.serve.chat import Reply
from bot.serve.config import ServeConfig
from retrieval import LATER_FLOOR, Engine, QuestionError, build_index, clean_question
from tests.encoders import CharEncoder

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTIONS = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "seed_questions.jsonl").read_text("utf-8").splitlines()
    if line.strip()
]
QUESTION = "在流动人口聚居区建立了多少个临时党支部？"
EDUCATION = "边境党员受到了哪些教育？"
OFF_TOPIC = "Who won the 2018 World Cup?"
KEY = "s3cret-key-for-tests"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A seeds folder holding the sample page and its lexical index."""
    base = tmp_path_factory.mktemp("serve")
    seeds = base / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    build_index(seeds, base / "index", None, None)
    return seeds, base / "index"


@pytest.fixture(scope="module")
def engine(folders: tuple[Path, Path]) -> Engine:
    return Engine(folders[1], watch=False)


@pytest.fixture(scope="module")
def hybrid_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The sample page indexed with a (weak, deterministic) dense leg: a calibrated floor."""
    base = tmp_path_factory.mktemp("serve-hybrid")
    seeds = base / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    encoder = CharEncoder()
    build_index(seeds, base / "index", encoder, encoder.name)
    engine = Engine(base / "index", encoder, watch=False)
    assert engine.searcher.mode == "hybrid"
    return engine


@pytest.fixture(scope="module")
def client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine, ServeConfig()), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def keyed(engine: Engine) -> TestClient:
    config = ServeConfig(api_key=KEY)
    return TestClient(create_app(engine, config), raise_server_exceptions=False)


def dify(query: str, top_k: int = 3, threshold: float = 0.0, knowledge_id: str = "seedqa") -> dict:
    return {
        "knowledge_id": knowledge_id,
        "query": query,
        "retrieval_setting": {"top_k": top_k, "score_threshold": threshold},
    }


def chat(question: str, **extra: object) -> dict:
    return {"model": "seedqa", "messages": [{"role": "user", "content": question}], **extra}


# --- health and plain search ------------------------------------------------------------------


def test_healthz_names_the_version_and_no_server_path(client: TestClient, engine: Engine) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    manifest = engine.searcher.index.manifest
    assert body == {
        "status": "ok",
        "index": {
            "version": manifest.version,
            "built": body["index"]["built"],
            "files": 1,
            "paragraphs": manifest.paragraphs,
            "mode": "lexical",
        },
    }
    assert body["index"]["built"].startswith("20") and body["index"]["built"].endswith("+00:00")
    assert str(engine.root) not in response.text and "/tmp" not in response.text


@pytest.mark.parametrize("k", [1, 3, 7])
def test_search_is_exactly_what_ask_json_prints(
    client: TestClient,
    folders: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    k: int,
) -> None:
    seeds, index = folders
    argv = ["ask", QUESTION, "--json", "-k", str(k), "--seeds", str(seeds), "--index", str(index)]
    assert main([*argv, "--model", "none"], environ={}) == 0
    printed = json.loads(capsys.readouterr().out)
    response = client.post("/v1/search", json={"question": QUESTION, "k": k})
    assert response.status_code == 200
    assert response.json() == printed
    assert len(printed["hits"]) >= 1


def test_search_pages_with_offset_and_abstains_off_topic(client: TestClient) -> None:
    first = client.post("/v1/search", json={"question": EDUCATION, "k": 2}).json()["hits"]
    second = client.post("/v1/search", json={"question": EDUCATION, "k": 1, "offset": 1}).json()
    assert second["hits"][0]["id"] == first[1]["id"] and second["hits"][0]["rank"] == 2
    off = client.post("/v1/search", json={"question": OFF_TOPIC}).json()
    assert off["abstained"] is True and off["hits"] == []


# --- Dify --------------------------------------------------------------------------------------


def test_difys_documented_request_is_answered_in_its_documented_shape(engine: Engine) -> None:
    """The request and response of Dify's External Knowledge API page, replayed."""
    config = ServeConfig(api_key="your-api-key", knowledge_id="your-knowledge-id")
    client = TestClient(create_app(engine, config))
    documented = {
        "knowledge_id": "your-knowledge-id",
        "query": "your question",
        "retrieval_setting": {"top_k": 2, "score_threshold": 0.5},
    }
    headers = {"Authorization": "Bearer your-api-key", "Content-Type": "application/json"}
    response = client.post("/retrieval", content=json.dumps(documented), headers=headers)
    assert response.status_code == 200
    assert response.json() == {"records": []}  # nothing in the page answers "your question"
    documented["query"] = QUESTION
    response = client.post("/retrieval", json=documented, headers=headers)
    assert response.status_code == 200
    example = {  # the documented response's first record
        "metadata": {"path": "s3://dify/knowledge.txt", "description": "dify knowledge document"},
        "score": 0.98,
        "title": "knowledge.txt",
        "content": "This is the document for external knowledge.",
    }
    found = response.json()["records"]
    assert 1 <= len(found) <= 2
    for record in found:
        assert set(record) == set(example)
        for key, value in example.items():
            assert isinstance(record[key], type(value)), key
        assert 0.5 <= record["score"] <= 1
        assert None not in record["metadata"].values()
    first = found[0]
    assert "临时党支部16个" in first["content"] and first["title"] == "守边固边 共建家园"
    assert first["metadata"]["path"] == SEED.name and first["metadata"]["line"] == 27
    assert first["metadata"]["citation"] == (
        f"《守边固边 共建家园》· 夯实基层基础 · 第4段 — seeds/{SEED.name}:27"
    )


def test_difys_documented_errors(keyed: TestClient) -> None:
    body = dify(QUESTION)
    missing = keyed.post("/retrieval", json=body)
    assert missing.status_code == 401
    assert missing.json() == {
        "error_code": 1001,
        "error_msg": "Invalid Authorization header format. Expected 'Bearer <api-key>' format.",
    }
    basic = keyed.post("/retrieval", json=body, headers={"Authorization": f"Basic {KEY}"})
    assert basic.status_code == 401 and basic.json()["error_code"] == 1001
    wrong = keyed.post("/retrieval", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error_code"] == 1002
    unknown = keyed.post(
        "/retrieval", json=dify(QUESTION, knowledge_id="AAA-BBB-CCC"), headers=bearer()
    )
    assert unknown.status_code == 404
    assert unknown.json()["error_code"] == 2001 and "AAA-BBB-CCC" in unknown.json()["error_msg"]
    bad = keyed.post("/retrieval", json=dify(""), headers=bearer())
    assert bad.status_code == 400
    assert bad.json() == {"error_code": 400, "error_msg": "The question is empty."}


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_difys_threshold_at_the_answer_bar_is_seedqas_own_decision(
    engine: Engine, hybrid_engine: Engine, mode: str
) -> None:
    """For every labelled question, a threshold at the bar of the passages shown (LATER_FLOOR)
    keeps exactly what ``seedqa ask`` shows: the score is on that scale, whatever the question."""
    chosen = engine if mode == "lexical" else hybrid_engine
    client = TestClient(create_app(chosen, ServeConfig()))
    for number, item in enumerate(QUESTIONS[::2]):  # every other one: answerable and not
        shown = client.post("/v1/search", json={"question": item["question"], "k": 5}).json()
        kept = client.post("/retrieval", json=dify(item["question"], 5, LATER_FLOOR)).json()
        assert [r["metadata"]["id"] for r in kept["records"]] == [h["id"] for h in shown["hits"]]
        every = client.post("/retrieval", json=dify(item["question"], 5, 0.0)).json()["records"]
        assert all(0.0 <= r["score"] <= 1.0 for r in every)
        for threshold in (0.5, 0.8) if number % 4 == 0 else ():
            above = client.post("/retrieval", json=dify(item["question"], 5, threshold)).json()
            assert above["records"] == [r for r in every if r["score"] >= threshold]


def test_difys_score_in_lexical_mode_is_the_share_of_the_question_held(
    client: TestClient,
) -> None:
    hits = client.post("/v1/search", json={"question": QUESTION, "k": 3}).json()["hits"]
    found = client.post("/retrieval", json=dify(QUESTION, 3)).json()["records"]
    assert [r["score"] for r in found] == [round(h["coverage"], 4) for h in hits]
    assert hits[0]["score"] > 1  # BM25: not a 0…1 score at all


def test_difys_top_k_is_capped_and_metadata_condition_accepted(client: TestClient) -> None:
    body = dify(QUESTION, top_k=500) | {
        "metadata_condition": {"logical_operator": "and", "conditions": []}
    }
    response = client.post("/retrieval", json=body)
    assert response.status_code == 200 and len(response.json()["records"]) <= 50


# --- OpenAI-compatible chat ---------------------------------------------------------------------


def test_models_lists_seedqa(client: TestClient) -> None:
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == ["seedqa"]


def test_chat_answers_the_last_user_message_with_citations(client: TestClient) -> None:
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": OFF_TOPIC},
        {"role": "assistant", "content": "…"},
        {"role": "user", "content": [{"type": "text", "text": EDUCATION}]},
    ]
    response = client.post("/v1/chat/completions", json={"model": "seedqa", "messages": messages})
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "seedqa"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    hits = client.post("/v1/search", json={"question": EDUCATION}).json()["hits"]
    assert len(hits) == 3
    assert [c["id"] for c in body["citations"]] == [h["id"] for h in hits]
    assert [c["index"] for c in body["citations"]] == [1, 2, 3]
    for number, (cited, hit) in enumerate(zip(body["citations"], hits, strict=True), start=1):
        where = f"seeds/{hit['source']['path']}:{hit['source']['line']}"
        assert cited["location"] == where and cited["quote"] == hit["highlight"]
        assert cited["label"].startswith("《") and cited["label"].endswith("段")
        assert f"**[{number}]** {cited['label']} — `{where}`" in content
        assert f"**{hit['highlight'].strip()}**" in content
    assert content.count("\n> ") >= 3


def test_chat_off_topic_says_nothing_found(client: TestClient) -> None:
    body = client.post("/v1/chat/completions", json=chat(OFF_TOPIC)).json()
    assert body["choices"][0]["message"]["content"] == NOTHING_FOUND["en"]
    assert body["citations"] == []


def test_chat_streams_the_same_answer_ending_with_done(client: TestClient) -> None:
    whole = client.post("/v1/chat/completions", json=chat(EDUCATION)).json()
    with client.stream("POST", "/v1/chat/completions", json=chat(EDUCATION, stream=True)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == whole["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"] == whole["citations"]
    assert len(chunks) == 2 + len(whole["citations"]) == 5  # role, a delta a passage, stop


def test_chat_refuses_an_unknown_model_and_a_conversation_without_a_question(
    client: TestClient,
) -> None:
    other = client.post("/v1/chat/completions", json=chat(QUESTION) | {"model": "gpt-4o"})
    assert other.status_code == 404 and other.json()["error"]["code"] == "model_not_found"
    system_only = {"model": "seedqa", "messages": [{"role": "system", "content": "hi"}]}
    refused = client.post("/v1/chat/completions", json=system_only)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "messages"
    empty = client.post("/v1/chat/completions", json={"model": "seedqa", "messages": []})
    assert empty.status_code == 422 and empty.json()["error"]["param"] == "messages"


def test_the_two_seams_can_be_replaced(engine: Engine) -> None:
    seen = []

    def resolve(engine, messages, k):
        seen.append([m.text() for m in messages])
        return engine.ask(messages[0].text(), k)  # e.g. an LLM rewriting the conversation

    def reply(answer, seeds):
        return Reply(f"{len(answer.hits)} passages", ())

    client = TestClient(create_app(engine, ServeConfig(), resolve=resolve, reply=reply))
    body = {
        "model": "seedqa",
        "messages": [{"role": "user", "content": EDUCATION}, {"role": "user", "content": "?"}],
    }
    answer = client.post("/v1/chat/completions", json=body).json()
    assert answer["choices"][0]["message"]["content"] == "3 passages"
    assert seen == [[EDUCATION, "?"]]


# --- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/search", {"question": QUESTION}),
        ("POST", "/v1/chat/completions", chat(QUESTION)),
        ("GET", "/v1/models", None),
        ("GET", "/no/such/path", None),
    ],
)
def test_every_endpoint_but_healthz_wants_the_key(
    keyed: TestClient, method: str, path: str, body: dict | None
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        refused = keyed.request(method, path, json=body, headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"]["type"] == "authentication_error"
    allowed = keyed.request(method, path, json=body, headers=bearer())
    assert allowed.status_code == (404 if path.startswith("/no") else 200)
    assert keyed.get("/healthz").status_code == 200


def test_the_api_description_is_open_and_names_every_endpoint(keyed: TestClient) -> None:
    described = keyed.get("/openapi.json")
    assert described.status_code == 200
    paths = set(described.json()["paths"])
    assert paths == {"/healthz", "/v1/search", "/retrieval", "/v1/models", "/v1/chat/completions"}
    assert keyed.get("/docs").status_code == 200


def test_the_key_is_checked_before_the_body(keyed: TestClient) -> None:
    refused = keyed.post("/v1/search", content=b"{not json", headers={"Content-Type": "x"})
    assert refused.status_code == 401


def test_refuses_to_listen_beyond_loopback_without_a_key(
    folders: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    seeds, index = folders
    argv = ["serve", "--host", "0.0.0.0", "--seeds", str(seeds), "--index", str(index)]
    assert main(argv, environ={}) == 2
    error = capsys.readouterr().err
    assert "Refusing to listen on 0.0.0.0 without an API key" in error
    assert "SEEDQA_API_KEY" in error


@pytest.mark.parametrize(
    ("host", "key", "allowed"),
    [
        ("127.0.0.1", None, True),
        ("localhost", None, True),
        ("::1", None, True),
        ("127.0.0.2", None, True),
        ("0.0.0.0", None, False),
        ("192.168.1.5", None, False),
        ("example.org", None, False),
        ("0.0.0.0", KEY, True),
    ],
)
def test_which_addresses_need_a_key(host: str, key: str | None, allowed: bool) -> None:
    from bot.errors import ConfigError
    from bot.serve.config import SERVE_SETTINGS
    from bot.settings import resolve

    environ = {"SEEDQA_API_KEY": key} if key else {}
    values = resolve(SERVE_SETTINGS, {"http_host": host}, environ)
    if allowed:
        assert ServeConfig.of(values).host == host
    else:
        with pytest.raises(ConfigError):
            ServeConfig.of(values)


# --- bad input ----------------------------------------------------------------------------------


def cli_message(question: str) -> str:
    with pytest.raises(QuestionError) as error:
        clean_question(question)
    return str(error.value)


@pytest.mark.parametrize("question", ["", "   \n\t ", "问" * 1001])
def test_an_empty_or_overlong_question_gets_the_clis_message(
    client: TestClient, question: str
) -> None:
    for path, body, shape in (
        ("/v1/search", {"question": question}, "openai"),
        ("/v1/chat/completions", chat(question), "openai"),
        ("/retrieval", dify(question), "dify"),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 400, path
        message = cli_message(question)
        if shape == "dify":
            assert response.json()["error_msg"] == message
        else:
            assert response.json()["error"]["message"] == message


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/search", {"question": 3}, "question"),
        ("/v1/search", {"question": QUESTION, "k": "3"}, "k"),
        ("/v1/search", {"question": QUESTION, "k": 0}, "k"),
        ("/v1/search", {"question": QUESTION, "k": 51}, "k"),
        ("/v1/search", {"question": QUESTION, "offset": -1}, "offset"),
        ("/v1/search", {}, "question"),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}, "model"),
        ("/v1/chat/completions", chat(QUESTION, stream="yes"), "stream"),
        ("/v1/chat/completions", {"model": "seedqa", "messages": "hi"}, "messages"),
    ],
)
def test_a_wrong_field_is_a_422_naming_it(
    client: TestClient, path: str, body: dict, field: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == field
    assert response.json()["error"]["message"].startswith(field)


def test_a_wrong_dify_field_is_named_in_difys_shape(client: TestClient) -> None:
    body = dify(QUESTION)
    body["retrieval_setting"]["top_k"] = "two"
    response = client.post("/retrieval", json=body)
    assert response.status_code == 422
    assert response.json()["error_code"] == 422
    assert response.json()["error_msg"].startswith("retrieval_setting.top_k:")
    body["retrieval_setting"] = {"top_k": 2, "score_threshold": 1.5}
    assert "score_threshold" in client.post("/retrieval", json=body).json()["error_msg"]


@pytest.mark.parametrize(
    "content", [b"{not json", b"", b"[1, 2]", b'"a question"', b"\xff\xfe", b"null"]
)
def test_a_body_that_is_not_a_json_object_is_a_400(client: TestClient, content: bytes) -> None:
    response = client.post(
        "/v1/search", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.status_code == 400 or response.json()["error"]["param"]
    assert "Traceback" not in response.text
    assert client.post("/v1/search", json={"question": QUESTION}).status_code == 200


def test_a_body_over_64_kib_is_a_413_declared_or_streamed(client: TestClient) -> None:
    big = json.dumps({"question": "问" * 30_000}).encode()
    assert len(big) > 64 * 1024
    declared = client.post("/v1/search", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "64 KiB" in declared.json()["error"]["message"]

    def chunks():
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    streamed = client.post(
        "/retrieval", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413 and streamed.json()["error_code"] == 413
    assert client.post("/v1/search", json={"question": QUESTION}).status_code == 200


def test_unknown_paths_and_methods(client: TestClient) -> None:
    missing = client.get("/v2/search")
    assert missing.status_code == 404 and "/v2/search" in missing.json()["error"]["message"]
    wrong = client.get("/v1/search")
    assert wrong.status_code == 405 and "GET" in wrong.json()["error"]["message"]
    assert client.delete("/retrieval").json()["error_code"] == 405


def test_a_failure_inside_is_a_json_500_and_the_server_keeps_serving(engine: Engine) -> None:
    def broken(answer, seeds):
        raise RuntimeError("a bug with a secret path /srv/x")

    client = TestClient(
        create_app(engine, ServeConfig(), reply=broken), raise_server_exceptions=False
    )
    response = client.post("/v1/chat/completions", json=chat(QUESTION))
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert "Traceback" not in response.text and "/srv/x" not in response.text
    assert client.post("/v1/search", json={"question": QUESTION}).status_code == 200


def test_every_answer_names_the_index_version(client: TestClient, engine: Engine) -> None:
    for path, body in (
        ("/v1/search", {"question": QUESTION}),
        ("/retrieval", dify(QUESTION)),
        ("/v1/chat/completions", chat(QUESTION)),
    ):
        assert client.post(path, json=body).headers[VERSION_HEADER] == engine.version


def test_the_chat_answer_shows_markdown_characters_as_written(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    # A plain text file, read as written (a .md file would be read as Markdown, *借阅* as 借阅).
    (seeds / "notes.txt").write_text(
        "# 说明\n\n图书馆规定 *借阅* 期限为 [30] 天，逾期 <罚款> 每天一元。\n", encoding="utf-8"
    )
    build_index(seeds, tmp_path / "index", None, None)
    engine = Engine(tmp_path / "index", watch=False)
    client = TestClient(create_app(engine, ServeConfig()))
    body = client.post("/v1/chat/completions", json=chat("图书馆借阅期限是多少天？")).json()
    content = body["choices"][0]["message"]["content"]
    assert r"**图书馆规定 \*借阅\* 期限为 \[30\] 天，逾期 \<罚款\> 每天一元。**" in content
    assert "`seeds/notes.txt:3`" in content and body["citations"][0]["path"] == "notes.txt"
    engine.close()


def test_the_earlier_messages_are_the_conversation_a_follow_up_is_read_in(
    client: TestClient,
) -> None:
    follow_up = "比上一年增长了多少？"
    messages = [
        {"role": "user", "content": "南伊乡2019年群众人均收入是多少？"},
        {"role": "assistant", "content": "（seedqa's earlier answer）"},
        {"role": "user", "content": follow_up},
    ]
    body = client.post("/v1/chat/completions", json={"model": "seedqa", "messages": messages})
    assert body.status_code == 200
    cited = body.json()["citations"]
    assert cited and cited[0]["title"] == "边境一线党旗飘扬"  # the article about 南伊乡
    # Asked alone, nothing in the documents answers it.
    alone = client.post("/v1/chat/completions", json=chat(follow_up)).json()
    assert alone["citations"] == []
    # A new topic after it is answered as if asked alone.
    switched = [*messages, {"role": "user", "content": QUESTION}]
    topic = client.post("/v1/chat/completions", json={"model": "seedqa", "messages": switched})
    asked_alone = client.post("/v1/chat/completions", json=chat(QUESTION))
    assert topic.json()["citations"] == asked_alone.json()["citations"]
