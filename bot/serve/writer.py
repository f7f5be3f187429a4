"""The chat endpoint's replier when an LLM is configured: a checked written answer.

The endpoint calls its :class:`~bot.serve.chat.Replier` in a worker thread. The generator is
asynchronous and must stay in one event loop, so it lives in a loop of its own, on a thread of
its own: each worker thread hands it one answer and waits, and answers for several callers are
written at once.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

from retrieval import Answer, Generator, LLMSettings

from .chat import Reply, written_reply

__all__ = ["WrittenReplier"]


class WrittenReplier:
    """A :class:`~bot.serve.chat.Replier` writing checked answers with one LLM; ``close`` it."""

    def __init__(
        self, settings: LLMSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="seedqa-llm", daemon=True
        )
        self._thread.start()

        async def create() -> Generator:  # its connection pool belongs to this loop
            return Generator(settings, transport)

        self._generator = self._run(create())

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def __call__(self, answer: Answer, seeds: str) -> Reply:
        """The checked answer above the passages; the extractive sentence, marked, on failure."""
        generated = self._run(self._generator.answer(answer))
        return written_reply(generated, answer, seeds)

    def close(self) -> None:
        """Close the connections to the LLM and stop the loop."""
        if self._loop.is_closed():
            return
        self._run(self._generator.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
