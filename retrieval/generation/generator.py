"""A generated answer on top of the extractive one, never less trustworthy than it.

Retrieval comes first. When it abstains no request is sent. Otherwise the top passages go to the
model, its reply is checked sentence by sentence as it streams (:mod:`.check`), and only
supported sentences are handed out. When none is left — the model said ``NO_ANSWER``, cited
nothing, made things up, or the server failed, stalled or sent junk — the answer is the
extractive one: the first hit's highlighted sentence, marked ``generated=False``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..search.searcher import Answer
from ..text.normalize import is_cjk
from .check import CheckedSentence, SentenceStream, is_no_answer
from .client import ChatClient, LLMSettings, ServerFailure
from .prompt import build_prompt

if TYPE_CHECKING:
    import httpx

__all__ = ["GeneratedAnswer", "Generator", "Outcome"]

logger = logging.getLogger(__name__)

Outcome = Literal[
    "generated", "abstained", "no_answer", "empty", "unsupported", "failed", "timeout"
]


@dataclass(frozen=True, slots=True)
class GeneratedAnswer:
    """The answer to show: checked generated sentences, or the extractive fallback."""

    text: str
    """The sentences with their ``[n]``; the fallback: the first hit's highlight ("" if none)."""
    generated: bool
    citations: tuple[int, ...]
    """The passages cited (1-based positions in the answer's hits)."""
    dropped: int
    """Sentences the check removed."""
    outcome: Outcome
    """Why this answer: ``generated``, or the reason for the fallback."""
    sentences: tuple[CheckedSentence, ...] = ()


def extractive(answer: Answer, outcome: Outcome, dropped: int = 0) -> GeneratedAnswer:
    """The fallback: the first hit's highlighted sentence, or nothing when abstaining."""
    if answer.abstained:
        return GeneratedAnswer("", False, (), dropped, outcome)
    return GeneratedAnswer(answer.hits[0].highlight_text, False, (1,), dropped, outcome)


def _join(sentences: list[CheckedSentence]) -> str:
    parts: list[str] = []
    for sentence in sentences:
        text = sentence.cited
        if parts and not any(is_cjk(ch) for ch in text):
            parts.append(" ")  # English sentences are spaced; Chinese ones are not
        parts.append(text)
    return "".join(parts)


class Generator:
    """Writes checked answers with one OpenAI-compatible server; use it in one event loop."""

    def __init__(
        self, settings: LLMSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.client = ChatClient(settings, transport)

    async def aclose(self) -> None:
        """Close the connections to the server."""
        await self.client.aclose()

    async def answer(self, answer: Answer) -> GeneratedAnswer:
        """The checked answer to ``answer`` (its question and hits), at once."""
        final: GeneratedAnswer | None = None
        async for item in self.stream(answer):
            if isinstance(item, GeneratedAnswer):
                final = item
        assert final is not None  # stream always ends with the answer
        return final

    async def stream(self, answer: Answer) -> AsyncIterator[CheckedSentence | GeneratedAnswer]:
        """Each checked sentence as it completes, then the final :class:`GeneratedAnswer`.

        The final answer is what to show: after a failure part-way it is the extractive one
        even if sentences were already handed out (a cut reply proves nothing about its end).
        """
        if answer.abstained:
            yield extractive(answer, "abstained")
            return
        started = time.perf_counter()
        # One deadline for the whole answer. Each wait is bounded on its own, never across a
        # yield: a timeout that fired while the caller holds a sentence would cancel the caller.
        deadline = asyncio.get_running_loop().time() + self.settings.timeout
        checker: SentenceStream | None = None
        outcome: Outcome = "failed"
        try:
            async with asyncio.timeout_at(deadline):
                server = await self.client.server()
            budget = server.context - self.client.max_tokens(server)
            prompt = build_prompt(answer.question, answer.hits, budget)
            if prompt is None:
                raise ServerFailure("not even the first passage fits the model's context")
            checker = SentenceStream(prompt.passages)
            complete = True
            chunks = self.client.stream(prompt.messages, server, budget)
            try:
                while True:
                    async with asyncio.timeout_at(deadline):
                        chunk = await anext(chunks, None)
                    if chunk is None:
                        break
                    for sentence in checker.feed(chunk.text):
                        yield sentence
                    if chunk.finish is not None:
                        complete = chunk.finish != "length"
                    if checker.ended:  # its turn is over; closing the stream stops the server
                        complete = True
                        break
            finally:
                await chunks.aclose()
            for sentence in checker.close(complete):
                yield sentence
            outcome = "generated"
        except TimeoutError:
            outcome = "timeout"
        except ServerFailure as error:
            logger.warning("LLM answer failed, showing the extractive one: %s", error)
        elapsed = time.perf_counter() - started
        dropped = checker.dropped if checker else 0
        if outcome == "generated" and checker is not None:
            if checker.kept:
                kept = checker.kept
                citations = tuple(sorted({n for s in kept for n in s.citations}))
                logger.info("LLM answer: %d kept, %d dropped, %.2f s", len(kept), dropped, elapsed)
                text = _join(kept)
                yield GeneratedAnswer(text, True, citations, dropped, "generated", tuple(kept))
                return
            if is_no_answer(checker.reply):
                outcome = "no_answer"
            else:  # a model that wrote nothing invented nothing either
                outcome = "unsupported" if checker.reply.strip() else "empty"
        logger.info("LLM answer: extractive (%s), %d dropped, %.2f s", outcome, dropped, elapsed)
        yield extractive(answer, outcome, dropped)
