"""``seedqa serve`` as a real process on 127.0.0.1, driven by the official ``openai`` client."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_ebe6c6a426d89a77.txt"
QUESTION = "边境党员受到了哪些教育？"
KEY = "live-test-key-" + "x" * 20
READY = re.compile(r"on http://127\.0\.0\.1:(\d+) ")


class Served:
    """A running ``seedqa serve`` and where it listens."""

    def __init__(self, process: subprocess.Popen[str], port: int, lines: list[str]) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.lines = lines


def start(tmp_path: Path, key: str | None = KEY) -> Served:
    """Start the server over a fresh seeds folder with no index (it builds one) on any free port."""
    seeds = tmp_path / "seeds"
    seeds.mkdir(exist_ok=True)
    shutil.copy(SEED, seeds / SEED.name)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEEDQA_API_KEY": key or ""}
    command = [sys.executable, "-m", "bot", "serve", "--port", "0", "--model", "none"]
    command += ["--seeds", str(seeds), "--index", str(tmp_path / "index")]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    )
    assert process.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        found = READY.search(line)
        if found:
            return Served(process, int(found.group(1)), lines)
    process.kill()
    raise AssertionError("the server did not start:\n" + "".join(lines))


def stop(served: Served, signum: int = signal.SIGTERM) -> tuple[int, str]:
    served.process.send_signal(signum)
    try:
        _, rest = served.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        served.process.kill()
        raise
    return served.process.returncode, "".join(served.lines) + rest


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start(tmp_path_factory.mktemp("live"))
    yield served
    if served.process.poll() is None:
        stop(served)


def test_it_builds_the_index_and_says_where_it_listens(server: Served) -> None:
    said = "".join(server.lines)
    assert "building it from" in said and "27 paragraphs" in said
    health = httpx.get(f"{server.url}/healthz")
    assert health.status_code == 200 and health.json()["index"]["paragraphs"] == 27


def test_the_openai_client_gets_a_cited_answer(server: Served) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY)
    assert [model.id for model in client.models.list()] == ["seedqa"]
    completion = client.chat.completions.create(
        model="seedqa", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content
    assert content is not None and content.startswith("**[1]** 《")
    assert completion.choices[0].finish_reason == "stop"
    citations = (completion.model_extra or {})["citations"]
    assert len(citations) == 3 and all(f"`{c['location']}`" in content for c in citations)


def test_the_openai_client_streams_the_same_answer(server: Served) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY)
    whole = client.chat.completions.create(
        model="seedqa", messages=[{"role": "user", "content": QUESTION}]
    )
    stream = client.chat.completions.create(
        model="seedqa", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_the_openai_client_with_a_wrong_key_is_refused(server: Served) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        client.models.list()
    assert refused.value.status_code == 401


def test_an_unauthorised_request_and_a_bad_body_leave_it_serving(server: Served) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    assert httpx.post(f"{server.url}/v1/search", json={"question": QUESTION}).status_code == 401
    broken = httpx.post(f"{server.url}/v1/search", content=b"{", headers=auth)
    assert broken.status_code == 400 and "Traceback" not in broken.text
    big = httpx.post(f"{server.url}/v1/search", content=b"x" * (65 * 1024), headers=auth)
    assert big.status_code == 413
    answered = httpx.post(f"{server.url}/v1/search", json={"question": QUESTION}, headers=auth)
    assert answered.status_code == 200 and len(answered.json()["hits"]) == 3
    assert server.process.poll() is None


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, pytest.param(signal.SIGINT, marks=pytest.mark.slow)]
)
def test_a_signal_stops_it_cleanly(tmp_path: Path, signum: int) -> None:
    served = start(tmp_path)
    assert httpx.get(f"{served.url}/healthz").status_code == 200
    status, said = stop(served, signum)
    assert status == 0, said
    assert said.rstrip().endswith("Stopped.") and "Traceback" not in said
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.url}/healthz")
