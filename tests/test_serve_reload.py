"""``seedqa serve`` and hot reload: a request in flight finishes on the version it started on."""

import asyncio
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from bot.serve.app import VERSION_HEADER, create_app
from bot.serve.config import ServeConfig
from retrieval import Engine, build_index
from tests.encoders import CharEncoder

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_ebe6c6a426d89a77.txt"
LIBRARY = "# 拉孜县新建图书馆\n\n拉孜县新建的图书馆共有藏书三万册，向农牧民群众免费开放。\n"
QUESTION = "拉孜县图书馆有多少册藏书？"


class HeldEncoder(CharEncoder):
    """The character fake; once armed, holds the first question with ``藏书`` until released."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.release = threading.Event()
        self.holding = threading.Event()
        self._held = False

    def encode_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if self.armed and not self._held and any("藏书" in text for text in texts):
            self._held = True
            self.holding.set()
            assert self.release.wait(30)
        return super().encode_queries(texts)


def request(path: str) -> dict:
    if path == "/v1/search":
        return {"question": QUESTION}
    if path == "/retrieval":
        return {
            "knowledge_id": "seedqa",
            "query": QUESTION,
            "retrieval_setting": {"top_k": 3, "score_threshold": 0.0},
        }
    return {"model": "seedqa", "messages": [{"role": "user", "content": QUESTION}]}


def cited_paths(path: str, body: dict) -> list[str]:
    if path == "/v1/search":
        return [hit["source"]["path"] for hit in body["hits"]]
    if path == "/retrieval":
        return [record["metadata"]["path"] for record in body["records"]]
    return [citation["path"] for citation in body["citations"]]


async def until(event: threading.Event) -> None:
    for _ in range(600):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


@pytest.mark.parametrize("path", ["/v1/search", "/retrieval", "/v1/chat/completions"])
async def test_a_request_in_flight_is_answered_from_the_version_it_started_on(
    tmp_path: Path, path: str
) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    encoder = HeldEncoder()
    build_index(seeds, tmp_path / "index", encoder, encoder.name)
    engine = Engine(tmp_path / "index", encoder, watch=False)
    old = engine.version
    encoder.armed = True
    transport = httpx.ASGITransport(app=create_app(engine, ServeConfig()))
    async with httpx.AsyncClient(transport=transport, base_url="http://seedqa") as client:
        early = asyncio.create_task(client.post(path, json=request(path)))
        await until(encoder.holding)  # the early request holds the old version's searcher
        (seeds / "library.md").unlink()
        await asyncio.to_thread(build_index, seeds, tmp_path / "index", encoder, encoder.name)
        assert await asyncio.to_thread(engine.reload)
        new = engine.version
        assert new != old
        late = await client.post(path, json=request(path))
        assert late.status_code == 200 and late.headers[VERSION_HEADER] == new
        assert "library.md" not in cited_paths(path, late.json())
        assert not early.done()
        encoder.release.set()
        answered = await early
    assert answered.status_code == 200 and answered.headers[VERSION_HEADER] == old
    assert cited_paths(path, answered.json())[0] == "library.md"
    engine.close()


async def test_requests_during_a_rebuild_each_cite_only_their_own_version(tmp_path: Path) -> None:
    """The watcher switches while many requests run: none mixes two versions."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    (seeds / "library.md").write_text(LIBRARY, encoding="utf-8")
    build_index(seeds, tmp_path / "index", None, None)
    engine = Engine(tmp_path / "index")  # following its folder, as under seedqa serve
    versions = {engine.version: set(engine.searcher.index.paragraphs.live_ids.tolist())}
    transport = httpx.ASGITransport(app=create_app(engine, ServeConfig()))
    question = {"question": "拉孜县 图书馆 藏书 农牧民群众", "k": 10}
    async with httpx.AsyncClient(transport=transport, base_url="http://seedqa") as client:

        async def ask_until_switched() -> list[httpx.Response]:
            answers = [await client.post("/v1/search", json=question)]
            first = answers[0].headers[VERSION_HEADER]
            while answers[-1].headers[VERSION_HEADER] == first:
                await asyncio.sleep(0.01)
                answers.append(await client.post("/v1/search", json=question))
            return answers

        asking = [asyncio.create_task(ask_until_switched()) for _ in range(8)]
        (seeds / "library.md").write_text(LIBRARY.replace("三万", "五万"), encoding="utf-8")
        (seeds / "second.md").write_text("# 新图书馆\n\n新图书馆藏书五万册。\n", encoding="utf-8")
        await asyncio.to_thread(build_index, seeds, tmp_path / "index", None, None)
        while engine.version in versions:
            await asyncio.sleep(0.05)
        versions[engine.version] = set(engine.searcher.index.paragraphs.live_ids.tolist())
        answers = [a for task in await asyncio.wait_for(asyncio.gather(*asking), 30) for a in task]
    engine.close()
    seen = {a.headers[VERSION_HEADER] for a in answers}
    assert seen == set(versions)  # both versions answered some
    for answer in answers:
        assert answer.status_code == 200
        ids = {hit["id"].encode() for hit in answer.json()["hits"]}
        assert ids and ids <= versions[answer.headers[VERSION_HEADER]]
    old, new = (versions[v] for v in sorted(versions))
    assert old - new and new - old  # the versions differ, so a mix would have shown
