"""A streaming client for any OpenAI-compatible chat-completions API (Ollama, llama.cpp, vLLM …).

The server is looked at once, before the first question: llama.cpp's ``/props`` says how large
its context is; Ollama (``/api/version``) takes the context size with each request as
``options.num_ctx`` and its ``/api/show`` gives the model's own limit. A reply whose reported
prompt size exceeds what was meant to be sent is refused: the server must not have cut the
prompt unseen. Every failure — refused connection, HTTP error, junk, a stream that ends without
its finish — is a :class:`ServerFailure`; the caller falls back, the user never sees an error.

httpx is imported where a request is made, not with the package: a tenth of a second of every
``seedqa ask`` that no LLM answers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import httpx

__all__ = ["ChatClient", "Chunk", "LLMSettings", "Server", "ServerFailure"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
DEFAULT_CONTEXT = 4096
DEFAULT_MAX_TOKENS = 512


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where the chat-completions API is and how to use it (plain values from the entry point)."""

    url: str
    """Base URL of the API, up to and including ``/v1``."""
    model: str
    api_key: str | None = field(default=None, repr=False)
    """Sent as a Bearer token; never logged, never shown in a repr."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one answer may take, from the first request to the last token."""
    context: int = DEFAULT_CONTEXT
    """Tokens of context to use at most (less if the server has fewer)."""
    max_tokens: int = DEFAULT_MAX_TOKENS
    """Tokens the answer may take; kept free of the prompt."""


class ServerFailure(Exception):
    """The server did not give a usable reply (the answer falls back to the extractive one)."""


@dataclass(frozen=True, slots=True)
class Server:
    """What kind of server answers, and the context one request may use there."""

    kind: Literal["ollama", "llama.cpp", "openai"]
    context: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a streamed reply; the last one carries the finish reason."""

    text: str
    finish: str | None = None
    """``stop``, ``length`` … on the last chunk."""


class ChatClient:
    """Streams chat completions from one server; create and close it in the same event loop."""

    def __init__(
        self, settings: LLMSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._server: Server | None = None

    @property
    def _root(self) -> str:
        """The server's root: the base URL without its ``/v1``."""
        url = self.settings.url.rstrip("/")
        return url[: -len("/v1")] if url.endswith("/v1") else url

    def _client(self) -> httpx.AsyncClient:
        import httpx

        if self._http is None:
            headers = {"Accept": "application/json, text/event-stream"}
            if self.settings.api_key:
                headers["Authorization"] = f"Bearer {self.settings.api_key}"
            self._http = httpx.AsyncClient(
                headers=headers,
                timeout=httpx.Timeout(self.settings.timeout),
                transport=self._transport,
                trust_env=False,  # a local model must not be reached through a proxy by surprise
            )
        return self._http

    async def aclose(self) -> None:
        """Close the connections."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def server(self) -> Server:
        """The server's kind and usable context, looked up once."""
        if self._server is None:
            self._server = await self._probe()
            logger.info("LLM server: %s, context %d", self._server.kind, self._server.context)
        return self._server

    async def _get_json(self, method: str, path: str, body: Any = None) -> Any:
        """A probe's JSON answer, or None when the server does not have that endpoint."""
        import httpx

        try:
            response = await self._client().request(method, self._root + path, json=body)
        except httpx.TransportError as error:
            raise ServerFailure(f"cannot reach the LLM server: {type(error).__name__}") from error
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    async def _probe(self) -> Server:
        wanted = self.settings.context
        props = await self._get_json("GET", "/props")
        if isinstance(props, dict) and isinstance(props.get("default_generation_settings"), dict):
            n_ctx = props["default_generation_settings"].get("n_ctx")
            if isinstance(n_ctx, int) and n_ctx > 0:
                return Server("llama.cpp", min(wanted, n_ctx))
        version = await self._get_json("GET", "/api/version")
        if isinstance(version, dict) and "version" in version:
            show = await self._get_json("POST", "/api/show", {"model": self.settings.model})
            limit = _ollama_context(show)
            return Server("ollama", min(wanted, limit) if limit else wanted)
        return Server("openai", wanted)

    def max_tokens(self, server: Server) -> int:
        """Tokens kept for the answer: the setting, or a quarter of a small context."""
        return max(16, min(self.settings.max_tokens, server.context // 4))

    async def stream(
        self, messages: Sequence[dict[str, str]], server: Server, prompt_budget: int
    ) -> AsyncGenerator[Chunk, None]:
        """The reply, piece by piece; raises :class:`ServerFailure` unless it ends properly."""
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": list(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": self.max_tokens(server),
            "temperature": 0,
        }
        if server.kind == "ollama":
            body["options"] = {"num_ctx": server.context}  # else Ollama's default cuts silently
        url = self.settings.url.rstrip("/") + "/chat/completions"
        import httpx

        try:
            async with self._client().stream("POST", url, json=body) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise ServerFailure(f"the LLM server answered HTTP {response.status_code}")
                kind = response.headers.get("content-type", "")
                if kind.startswith("application/json"):  # a server that does not stream
                    chunks = _whole(await response.aread(), prompt_budget)
                else:
                    chunks = _events(response.aiter_lines(), prompt_budget)
                async for chunk in chunks:
                    yield chunk
        except httpx.TransportError as error:  # refused, dropped, timed out between bytes
            raise ServerFailure(f"the LLM connection failed: {type(error).__name__}") from error


def _ollama_context(show: Any) -> int | None:
    """The model's context length from Ollama's ``/api/show``, if it says."""
    if not isinstance(show, dict) or not isinstance(show.get("model_info"), dict):
        return None
    for key, value in show["model_info"].items():
        if key.endswith(".context_length") and isinstance(value, int) and value > 0:
            return value
    return None


def _check_usage(data: dict[str, Any], prompt_budget: int) -> None:
    usage = data.get("usage")
    if isinstance(usage, dict):
        prompt = usage.get("prompt_tokens")
        if isinstance(prompt, int) and prompt > prompt_budget:
            raise ServerFailure(
                f"the prompt took {prompt} tokens, over the {prompt_budget} meant: "
                "the server may have cut it"
            )


def _choice(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        raise ServerFailure("the LLM server sent something that is not a JSON object")
    if "error" in data:
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else error
        said = f": {str(message).strip()[:200]}" if message else ""
        raise ServerFailure(f"the LLM server reported an error{said}")
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise ServerFailure("the LLM server's reply has no choices")
    if not choices:
        return None  # the usage-only last chunk
    if not isinstance(choices[0], dict):
        raise ServerFailure("the LLM server's choice is not an object")
    return choices[0]


async def _whole(raw: bytes, prompt_budget: int) -> AsyncIterator[Chunk]:
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ServerFailure("the LLM server's reply is not JSON") from error
    choice = _choice(data)
    _check_usage(data, prompt_budget)
    message = choice.get("message") if choice else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise ServerFailure("the LLM server's reply has no message content")
    yield Chunk(content, str(choice.get("finish_reason") or "stop") if choice else "stop")


async def _events(lines: AsyncIterator[str], prompt_budget: int) -> AsyncIterator[Chunk]:
    """Server-sent events to chunks; the stream must end with ``[DONE]`` or a finish reason."""
    finish: str | None = None
    async for line in lines:
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        payload = line[len("data:") :].strip()
        if payload == "[DONE]":
            if finish is None:
                finish = "stop"
            break
        try:
            data = json.loads(payload)
        except ValueError as error:
            raise ServerFailure("the LLM server streamed something that is not JSON") from error
        choice = _choice(data)
        _check_usage(data, prompt_budget)
        if choice is None:
            continue
        delta = choice.get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        reason = choice.get("finish_reason")
        if reason:
            finish = str(reason)
        if isinstance(content, str) and content:
            yield Chunk(content)
    if finish is None:
        raise ServerFailure("the LLM stream ended before the reply did")
    yield Chunk("", finish)
