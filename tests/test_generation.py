"""Generated answers against a fake OpenAI-compatible server: every case the check must catch."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval import Answer, Engine, build_index
from retrieval.generation import GeneratedAnswer, Generator, LLMSettings
from retrieval.generation.check import CheckedSentence
from tests.fakellm import FakeLLM, Reply, serve

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTION = "2016年以来阿里地区开展了多少场次教育活动？"
"""Its passages: [1] holds 开展各类教育活动1000场次 and 5600名…; [2] holds 投入资金3亿元."""
GOOD = "2016年以来，阿里地区开展各类教育活动1000场次[1]。5600名边境党员干部受到教育。[1]"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A lexical engine over the sample page."""
    folder = tmp_path_factory.mktemp("generation")
    (folder / "seeds").mkdir()
    shutil.copy(SEED, folder / "seeds" / SEED.name)
    build_index(folder / "seeds", folder / "index", None, None)
    engine = Engine(folder / "index", None, watch=False)
    yield engine
    engine.close()


@pytest.fixture
def fake() -> Iterator[FakeLLM]:
    with serve(FakeLLM()) as server:
        yield server


def settings(fake: FakeLLM, **changes: object) -> LLMSettings:
    values: dict[str, object] = {"url": fake.url, "model": "gemma3", "timeout": 5.0}
    values.update(changes)
    return LLMSettings(**values)  # type: ignore[arg-type]


async def generate(fake: FakeLLM, answer: Answer, **changes: object) -> GeneratedAnswer:
    generator = Generator(settings(fake, **changes))
    try:
        return await generator.answer(answer)
    finally:
        await generator.aclose()


def test_the_question_has_the_passages_these_tests_rely_on(engine: Engine) -> None:
    hits = engine.ask(QUESTION).hits
    assert len(hits) == 3
    assert "开展各类教育活动1000场次" in hits[0].paragraph.text
    assert "投入资金3亿元" in hits[1].paragraph.text
    assert "1000场次" not in hits[1].paragraph.text


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "one-body"])
async def test_a_well_cited_answer_is_shown_with_its_citations(
    engine: Engine, fake: FakeLLM, stream: bool
) -> None:
    fake.script(Reply(GOOD, stream=stream))
    result = await generate(fake, engine.ask(QUESTION))
    assert result.generated and result.outcome == "generated"
    assert (
        result.text
        == "2016年以来，阿里地区开展各类教育活动1000场次。[1]5600名边境党员干部受到教育。[1]"
    )
    assert result.citations == (1,) and result.dropped == 0


async def test_the_prompt_numbers_the_passages_with_their_titles_and_asks_for_citations(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(Reply(GOOD))
    answer = engine.ask(QUESTION)
    await generate(fake, answer)
    (chat,) = fake.chats
    body = chat.body
    assert body["model"] == "gemma3" and body["stream"] is True and body["max_tokens"] > 0
    system, user = (m["content"] for m in body["messages"])
    assert "[1]到[3]" in system and "NO_ANSWER" in system and "中文" in system
    for number, hit in enumerate(answer.hits, start=1):
        assert f"[{number}] 《{hit.source.title}》\n{hit.paragraph.text}" in user
    assert user.endswith(QUESTION)
    assert "options" not in body  # not an Ollama server
    assert "Authorization" not in chat.headers


async def test_a_citation_beyond_the_passages_is_dropped(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply("阿里地区开展各类教育活动1000场次[7]。5600名边境党员干部受到教育[1]。"))
    result = await generate(fake, engine.ask(QUESTION))
    assert result.generated
    assert result.text == "5600名边境党员干部受到教育。[1]"
    assert result.citations == (1,) and result.dropped == 1


async def test_a_number_the_cited_passage_does_not_hold_is_dropped(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(Reply("2016年以来，阿里地区投入资金9亿元[2]。"))
    answer = engine.ask(QUESTION)
    result = await generate(fake, answer)
    assert not result.generated and result.outcome == "unsupported"
    assert result.text == answer.hits[0].highlight_text and result.citations == (1,)
    assert result.dropped == 1


async def test_the_same_sentence_with_the_passage_s_number_is_kept(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(Reply("2016年以来，阿里地区投入资金3亿元[2]。阿里地区投入资金9亿元[2]。"))
    result = await generate(fake, engine.ask(QUESTION))
    assert result.generated and result.text == "2016年以来，阿里地区投入资金3亿元。[2]"
    assert result.dropped == 1 and result.citations == (2,)


async def test_a_sentence_citing_the_wrong_passage_is_dropped(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(Reply("阿里地区开展各类教育活动1000场次[2]。"))
    result = await generate(fake, engine.ask(QUESTION))
    assert not result.generated and result.dropped == 1


async def test_a_reply_without_markers_falls_back(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply("阿里地区开展各类教育活动1000场次。5600名边境党员干部受到教育。"))
    answer = engine.ask(QUESTION)
    result = await generate(fake, answer)
    assert not result.generated and result.outcome == "unsupported"
    assert result.text == answer.hits[0].highlight_text and result.dropped == 2


async def test_a_reply_that_only_ends_its_turn_is_empty_not_unsupported(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(
        Reply("<|im_end|>\n<|im_start|>user\n还有呢？[1]")
    )  # a base model's way to say nothing
    answer = engine.ask(QUESTION)
    result = await generate(fake, answer)
    assert not result.generated and result.outcome == "empty" and result.dropped == 0
    assert result.text == answer.hits[0].highlight_text


async def test_no_answer_falls_back_with_nothing_dropped(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply("NO_ANSWER"))
    answer = engine.ask(QUESTION)
    result = await generate(fake, answer)
    assert not result.generated and result.outcome == "no_answer"
    assert result.text == answer.hits[0].highlight_text and result.dropped == 0


async def test_thinking_is_stripped_before_the_check(engine: Engine, fake: FakeLLM) -> None:
    thinking = "<think>用户问场次。资料[2]说投入资金9亿元[2]。</think>\n"
    fake.script(Reply(thinking + "阿里地区开展各类教育活动1000场次【1】。", chunk=2))
    result = await generate(fake, engine.ask(QUESTION))
    assert result.generated and result.text == "阿里地区开展各类教育活动1000场次。[1]"
    assert result.dropped == 0 and "think" not in result.text


async def test_an_unclosed_think_shows_nothing_of_it(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply("<think>阿里地区开展各类教育活动1000场次[1]。", finish="length"))
    result = await generate(fake, engine.ask(QUESTION))
    assert not result.generated and result.dropped == 0


async def test_http_500_falls_back(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply(status=500))
    answer = engine.ask(QUESTION)
    result = await generate(fake, answer)
    assert not result.generated and result.outcome == "failed"
    assert result.text == answer.hits[0].highlight_text


async def test_junk_falls_back(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply(junk=b"<html>502 Bad Gateway</html>"))
    result = await generate(fake, engine.ask(QUESTION))
    assert not result.generated and result.outcome == "failed"


async def test_a_stall_longer_than_the_timeout_falls_back_in_time(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(Reply(GOOD, stall=10))
    started = time.perf_counter()
    result = await generate(fake, engine.ask(QUESTION), timeout=0.5)
    assert time.perf_counter() - started < 3
    assert not result.generated and result.outcome == "timeout"


async def test_a_connection_dropped_mid_stream_falls_back(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply(GOOD, chunk=4, drop_after=8))
    answer = engine.ask(QUESTION)
    result = await generate(fake, answer)
    assert not result.generated and result.outcome == "failed"
    assert result.text == answer.hits[0].highlight_text


async def test_an_error_event_mid_stream_falls_back(engine: Engine, fake: FakeLLM) -> None:
    """llama.cpp, its slots' shared cache full, sends an error event after a 200 and some text."""
    fake.script(Reply(GOOD, chunk=3, error_after=14))
    answer = engine.ask(QUESTION)
    generator = Generator(settings(fake))
    items = [item async for item in generator.stream(answer)]
    await generator.aclose()
    assert isinstance(items[0], CheckedSentence)  # the first sentence had been handed out
    final = items[-1]
    assert isinstance(final, GeneratedAnswer)
    assert not final.generated and final.outcome == "failed"
    assert final.text == answer.hits[0].highlight_text


async def test_the_servers_error_is_in_the_log(
    engine: Engine, fake: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script(Reply(GOOD, chunk=3, error_after=1))
    with caplog.at_level(logging.WARNING):
        result = await generate(fake, engine.ask(QUESTION))
    assert result.outcome == "failed"
    assert any("Context size has been exceeded." in r.getMessage() for r in caplog.records)


async def test_an_abstention_sends_no_request(engine: Engine, fake: FakeLLM) -> None:
    answer = engine.ask("明天北京会下雨吗？")
    assert answer.abstained
    fake.script(Reply(GOOD))
    result = await generate(fake, answer)
    assert fake.requests == []
    assert result == GeneratedAnswer("", False, (), 0, "abstained")


async def test_sentences_stream_out_as_they_complete_then_the_answer(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(Reply(GOOD + "阿里地区投入资金9亿元[2]。", chunk=1))
    generator = Generator(settings(fake))
    items = [item async for item in generator.stream(engine.ask(QUESTION))]
    await generator.aclose()
    assert [type(item) for item in items] == [CheckedSentence, CheckedSentence, GeneratedAnswer]
    final = items[-1]
    assert isinstance(final, GeneratedAnswer) and final.sentences == tuple(items[:2])
    assert final.dropped == 1


async def test_the_api_key_is_sent_as_a_bearer_token_and_never_logged(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-test-0123456789abcdef"
    with serve(FakeLLM(api_key=secret)) as fake, caplog.at_level(logging.DEBUG):
        fake.script(Reply(GOOD))
        result = await generate(fake, engine.ask(QUESTION), api_key=secret)
        assert result.generated
        assert fake.chats[0].headers["Authorization"] == f"Bearer {secret}"
        assert secret not in repr(settings(fake, api_key=secret))
        wrong = await generate(fake, engine.ask(QUESTION), api_key="sk-wrong")
        assert not wrong.generated and wrong.outcome == "failed"
    assert caplog.records and secret not in caplog.text


async def test_ollama_gets_num_ctx(engine: Engine) -> None:
    with serve(FakeLLM(kind="ollama", context=32768)) as fake:
        fake.script(Reply(GOOD))
        result = await generate(fake, engine.ask(QUESTION), context=6000)
        assert result.generated
        assert fake.chats[0].body["options"] == {"num_ctx": 6000}
        assert [r.path for r in fake.requests] == [
            "/props",
            "/api/version",
            "/api/show",
            "/v1/chat/completions",
        ]


async def test_a_small_llama_cpp_context_sends_only_the_passages_that_fit(engine: Engine) -> None:
    answer = engine.ask(QUESTION)
    with serve(FakeLLM(kind="llama.cpp", context=900)) as fake:
        fake.script(Reply("阿里地区开展各类教育活动1000场次[1]。投入资金3亿元[2]。"))
        result = await generate(fake, answer)
        user = fake.chats[0].body["messages"][1]["content"]
        assert fake.chats[0].body["max_tokens"] == 225  # a quarter of the context
    assert "[1] 《" in user and "[2] 《" not in user
    # [2] was never sent: the model cannot cite it
    assert result.generated and result.citations == (1,) and result.dropped == 1


async def test_a_first_passage_too_long_is_cut_and_the_check_holds_to_what_was_sent(
    engine: Engine,
) -> None:
    answer = engine.ask(QUESTION)
    with serve(FakeLLM(kind="llama.cpp", context=560)) as fake:
        fake.script(Reply("阿里地区开展各类教育活动1000场次[1]。"))
        result = await generate(fake, answer)
        user = fake.chats[0].body["messages"][1]["content"]
    assert "[1] 《" in user and "1000场次" not in user  # the last sentence did not fit
    assert not result.generated and result.dropped == 1


async def test_a_prompt_the_server_counts_larger_than_meant_is_not_trusted(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(Reply(GOOD, prompt_tokens=100_000))
    result = await generate(fake, engine.ask(QUESTION))
    assert not result.generated and result.outcome == "failed"


async def test_a_reply_cut_at_the_token_limit_loses_its_unfinished_sentence(
    engine: Engine, fake: FakeLLM
) -> None:
    fake.script(
        Reply("阿里地区开展各类教育活动1000场次[1]。5600名边境党员干部受到", finish="length")
    )
    result = await generate(fake, engine.ask(QUESTION))
    assert result.text == "阿里地区开展各类教育活动1000场次。[1]" and result.dropped == 0


async def test_the_reply_ends_at_a_template_token_and_the_stream_is_left_there(
    engine: Engine, fake: FakeLLM
) -> None:
    """A base model behind llama.cpp's ChatML writes ``<|im_end|>`` and a made-up next turn."""
    made_up_turn = "<|im_end|>\n<|im_start|>user\n阿里地区投入资金3亿元[2]。" + "<|im_end|>\n" * 40
    fake.script(Reply("阿里地区开展各类教育活动1000场次[1]。" + made_up_turn, chunk=4, pace=0.05))
    started = time.perf_counter()
    result = await generate(fake, engine.ask(QUESTION))
    assert time.perf_counter() - started < 2  # not the 6 s the whole reply takes to stream
    assert result.text == "阿里地区开展各类教育活动1000场次。[1]"
    assert result.citations == (1,) and result.dropped == 0


async def test_a_server_that_is_not_there_falls_back(engine: Engine) -> None:
    with serve(FakeLLM()) as fake:
        pass
    result = await generate(fake, engine.ask(QUESTION), timeout=2)
    assert not result.generated and result.outcome == "failed"


def test_the_fake_is_as_strict_as_a_real_server(fake: FakeLLM) -> None:
    import httpx

    with httpx.Client(trust_env=False) as client:
        url = fake.url + "/chat/completions"
        bad_json = client.post(url, content=b"{", headers={"Content-Type": "application/json"})
        assert bad_json.status_code == 400
        assert client.post(url, json={"messages": []}).status_code == 400
        no_role = {"model": "m", "messages": [{"content": "x"}]}
        assert client.post(url, json=no_role).status_code == 400
        assert client.post(fake.url + "/completions", json={}).status_code == 404
        assert client.get(url).status_code == 404


async def test_a_wrong_base_url_falls_back(engine: Engine, fake: FakeLLM) -> None:
    fake.script(Reply(GOOD))
    result = await generate(fake, engine.ask(QUESTION), url=fake.url.removesuffix("/v1") + "/v2")
    assert not result.generated and result.outcome == "failed" and fake.chats == []


async def test_an_english_question_gets_an_english_prompt(engine: Engine, fake: FakeLLM) -> None:
    answer = engine.ask(QUESTION)
    english = Answer("How many education events were held in Ngari since 2016?", "lexical",
                     answer.hits)  # fmt: skip
    fake.script(Reply("NO_ANSWER"))
    result = await generate(fake, english)
    system, user = (m["content"] for m in fake.chats[0].body["messages"])
    assert "Answer in English" in system and user.startswith("Passages:")
    assert '[1] "守边固边 共建家园"' in user and result.outcome == "no_answer"
