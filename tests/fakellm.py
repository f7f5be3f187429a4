"""A fake OpenAI-compatible chat-completions server on 127.0.0.1: real HTTP, scripted per test.

Strict where real servers are: only ``POST /v1/chat/completions`` (and, when it plays Ollama or
llama.cpp, their probe endpoints) exist — anything else is a 404; a body that is not JSON, or
lacks ``model`` or well-formed ``messages``, is a 400; a wrong or missing Bearer token, when a
key is set, is a 401. Each chat request takes the next scripted :class:`Reply` (the last one
repeats): streamed as server-sent events in chunked transfer encoding, or one JSON body, or an
HTTP error, junk, a stall, or a connection dropped mid-stream. Every request is recorded.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True)
class Reply:
    """What the fake answers to one chat request."""

    text: str = ""
    stream: bool = True
    """Server-sent events (when the request asks to stream); False: one JSON body."""
    chunk: int = 3
    """Characters per streamed event."""
    status: int = 200
    junk: bytes | None = None
    """Send this instead of a proper reply (with status 200)."""
    stall: float = 0.0
    """Seconds to wait before the first byte of the reply."""
    pace: float = 0.0
    """Seconds between two streamed events (a model writing at its speed)."""
    drop_after: int | None = None
    """Close the connection after this many events, without ending the stream."""
    error_after: int | None = None
    """After this many events, an error event and the end of the stream: llama.cpp's way when
    its slots' shared cache overflows mid-reply (the 200 status is already sent)."""
    finish: str = "stop"
    prompt_tokens: int | None = None
    """The usage to report (default: a rough count of the prompt)."""


@dataclass
class Request:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeLLM:
    """The server's script and record; ``url`` is the base URL to configure (``…/v1``)."""

    kind: Literal["openai", "ollama", "llama.cpp"] = "openai"
    context: int = 8192
    """The context the llama.cpp probe reports, or the Ollama model's limit."""
    api_key: str | None = None
    replies: list[Reply] = field(default_factory=lambda: [Reply("NO_ANSWER")])
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    released: threading.Event = field(default_factory=threading.Event)

    @property
    def chats(self) -> list[Request]:
        """The chat-completion requests received."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def script(self, *replies: Reply) -> None:
        """Answer the next chat requests with these replies, in order (the last repeats)."""
        self.replies = list(replies)

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Each event is a small write of its own, as a model streams them; with Nagle's algorithm
    # the stream's last chunk waited for the client's delayed ACK (40 ms), as real servers'
    # events (TCP_NODELAY) do not.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet, like a test server should be
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                self._json(400, {"error": {"message": "invalid JSON body"}})
                return
        fake.requests.append(Request(method, self.path, dict(self.headers.items()), body))
        try:
            self._route(fake, method, body, raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: nothing to answer
            self.close_connection = True

    def _route(self, fake: FakeLLM, method: str, body: Any, raw: bytes) -> None:
        if fake.api_key is not None and self.headers.get("Authorization") != (
            f"Bearer {fake.api_key}"
        ):
            self._json(401, {"error": {"message": "invalid API key"}})
        elif (method, self.path) == ("POST", "/v1/chat/completions"):
            self._chat(fake, body, raw)
        elif fake.kind == "llama.cpp" and (method, self.path) == ("GET", "/props"):
            self._json(200, {"default_generation_settings": {"n_ctx": fake.context}})
        elif fake.kind == "ollama" and (method, self.path) == ("GET", "/api/version"):
            self._json(200, {"version": "0.12.0"})
        elif fake.kind == "ollama" and (method, self.path) == ("POST", "/api/show"):
            self._json(200, {"model_info": {"gemma3.context_length": fake.context}})
        else:
            self._json(404, {"error": {"message": f"no route {method} {self.path}"}})

    def _chat(self, fake: FakeLLM, body: Any, raw: bytes) -> None:
        if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
            self._json(400, {"error": {"message": "Content-Type must be application/json"}})
            return
        problem = _invalid(body)
        if problem:
            self._json(400, {"error": {"message": problem}})
            return
        reply = fake.next_reply()
        if reply.stall and fake.released.wait(reply.stall):
            return  # the server is shutting down
        if reply.status != 200:
            self._json(reply.status, {"error": {"message": "the model crashed"}})
            return
        if reply.junk is not None:
            self._send(200, "application/json", reply.junk)
            return
        prompt_tokens = reply.prompt_tokens
        if prompt_tokens is None:
            prompt_tokens = sum(len(m["content"]) for m in body["messages"])
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(reply.text)}
        if body.get("stream") and reply.stream:
            self._stream(body, reply, usage)
        else:
            message = {"role": "assistant", "content": reply.text}
            self._json(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [{"index": 0, "message": message, "finish_reason": reply.finish}],
                    "usage": usage,
                },
            )

    def _stream(self, body: dict[str, Any], reply: Reply, usage: dict[str, int]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for number, event in enumerate(_events(body, reply, usage)):
            if reply.drop_after is not None and number >= reply.drop_after:
                self.wfile.flush()
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if reply.pace and number and fake_released(self, reply.pace):
                return  # the server is shutting down
            failing = number == reply.error_after
            if failing:
                error = {"code": 500, "message": "Context size has been exceeded."}
                event = json.dumps({"error": error | {"type": "server_error"}})
            data = f"data: {event}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
            if failing:
                break
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _json(self, status: int, data: Any) -> None:
        self._send(status, "application/json", json.dumps(data).encode())

    def _send(self, status: int, kind: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def fake_released(handler: _Handler, seconds: float) -> bool:
    """Wait ``seconds`` between two events; True if the server shut down meanwhile."""
    return handler.server.fake.released.wait(seconds)


def _events(body: dict[str, Any], reply: Reply, usage: dict[str, int]) -> Iterator[str]:
    def chunk(delta: dict[str, str], finish: str | None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps(
            {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": [choice]},
            ensure_ascii=False,
        )

    yield chunk({"role": "assistant", "content": ""}, None)
    for start in range(0, len(reply.text), reply.chunk):
        yield chunk({"content": reply.text[start : start + reply.chunk]}, None)
    yield chunk({}, reply.finish)
    if (body.get("stream_options") or {}).get("include_usage"):
        yield json.dumps({"id": "chatcmpl-fake", "choices": [], "usage": usage})
    yield "[DONE]"


def _invalid(body: Any) -> str | None:
    """What is wrong with a chat request body, as an OpenAI-style server would say; None if fine."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "'model' is required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return "each message needs a role of system, user or assistant"
        if not isinstance(message.get("content"), str):
            return "each message needs string content"
    tokens = body.get("max_tokens")
    if tokens is not None and (not isinstance(tokens, int) or tokens < 1):
        return "'max_tokens' must be a positive integer"
    options = body.get("options")
    if options is not None and not isinstance(options, dict):
        return "'options' must be an object"
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLLM

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (as seedqa does on a timeout) is no server error."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(fake: FakeLLM) -> Iterator[FakeLLM]:
    """Run ``fake`` on a free port of 127.0.0.1 until the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, name="fake-llm", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.released.set()  # wake stalled handlers
        server.shutdown()
        server.server_close()
