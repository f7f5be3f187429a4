"""OpenAI-compatible chat: a conversation to a question, an answer to the assistant's message.

Two seams, each one function with a Protocol beside it, for later work to replace:
:func:`last_user_question` (a :class:`Resolver`: the conversation to the question searched; a
follow-up resolver will read the earlier turns) and :func:`extractive_reply` (a
:class:`Replier`: the answer to the assistant's text and citations). With an LLM configured the
replier is :class:`bot.serve.writer.WrittenReplier`, whose checked answer
(:func:`written_reply`) stands above the same passages.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from retrieval import Answer, Conversation, Dialogue, Engine, GeneratedAnswer, Hit, QuestionError

from ..citations import NOTHING_FOUND, Language, citation_label, language_of, line_note, location
from ..generated import generated_json, generated_text
from ..render import place

__all__ = [
    "MODEL_ID",
    "ChatMessage",
    "ChatRequest",
    "Replier",
    "Reply",
    "Resolver",
    "answer_in_context",
    "completion",
    "completion_chunks",
    "extractive_reply",
    "model_list",
    "written_reply",
]

MODEL_ID = "seedqa"
OWNER = "seedqa"


class ContentPart(BaseModel):
    """One part of a message's content; only text parts carry a question."""

    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    """One turn of the conversation, as OpenAI's API sends it."""

    model_config = ConfigDict(extra="ignore", strict=True)
    role: str
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text: the string, or its text parts joined."""
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "\n".join(part.text for part in parts if part.type == "text" and part.text)


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions``: sampling parameters and tools are accepted and ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


class Resolver(Protocol):
    """Answers the last user message of a conversation, in the context of the ones before."""

    def __call__(self, engine: Engine, messages: Sequence[ChatMessage], k: int) -> Answer: ...


CONTEXT_TURNS = 3
"""Earlier user messages read as the context of the last one (each costs one search)."""


def answer_in_context(engine: Engine, messages: Sequence[ChatMessage], k: int) -> Answer:
    """The last user message answered as the next turn of the conversation the earlier user
    messages make (``seedqa chat``'s follow-up resolution: ``那普兰县呢？`` after a question
    about 札达县); a new topic is answered as if asked alone.

    The API is stateless, so the conversation is rebuilt from the messages: the last
    ``CONTEXT_TURNS`` earlier user messages are asked again in order (one that is not a question
    seedqa takes, empty or too long, is left out). Raises :class:`QuestionError` when no
    message is the user's, or the last one is not a question seedqa takes.
    """
    asked = [m.text() for m in messages if m.role == "user"]
    if not asked:
        raise QuestionError("The conversation has no user message to answer.")
    dialogue = Dialogue(engine.searcher)  # one version for the whole request, whatever reloads
    conversation = Conversation()
    for earlier in asked[:-1][-CONTEXT_TURNS:]:
        try:
            conversation = dialogue.ask(conversation, earlier, k).conversation
        except QuestionError:
            continue
    return dialogue.ask(conversation, asked[-1], k).answer


@dataclass(frozen=True, slots=True)
class Reply:
    """The assistant's message and the passages it cites."""

    text: str
    """Markdown."""
    citations: tuple[dict[str, Any], ...]
    answer: dict[str, Any] | None = None
    """With an LLM: ``seedqa ask --json``'s ``"answer"`` (text, generated, citations, dropped)."""


class Replier(Protocol):
    """Turns an answer into the assistant's reply (``seeds``: the seeds folder as cited)."""

    def __call__(self, answer: Answer, seeds: str) -> Reply: ...


_MARKDOWN = re.compile(r"([\\`*_\[\]<>~|#])")
_CITATION = re.compile(r"\\\[(\d+)\\\]")


def _escape(text: str) -> str:
    """Text shown as itself in Markdown: its emphasis, link and heading characters escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def _bold(text: str) -> str:
    """Text in bold Markdown; Markdown ignores ``**`` that touch a space on their inner side, so
    the spaces stay outside."""
    if not text.strip():
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}**{_escape(text.strip())}**{trail}"


def citation(hit: Hit, root: str, language: Language) -> dict[str, Any]:
    """One entry of the ``citations`` array: where the passage is, and the sentence it gives."""
    source = hit.source
    return {
        "index": hit.rank,
        "label": citation_label(source, language),
        "location": location(source, root),
        **place(hit),
        "id": hit.paragraph.id,
        "quote": hit.highlight_text,
    }


def extractive_reply(answer: Answer, seeds: str) -> Reply:
    """Each passage as a quote with its answering sentence in bold, under its numbered citation;
    or the CLI's "nothing found" sentence."""
    language = language_of(answer.question)
    if answer.abstained:
        return Reply(NOTHING_FOUND[language], ())
    root = PurePath(seeds).name  # cite the seeds folder by name, never by its server path
    blocks = []
    for hit in answer.hits:
        text = hit.paragraph.text
        if hit.byline_answers:  # the answer; the paragraph is the article's opening
            body = f"{_bold(hit.byline or '')}\n{_escape(text)}"
        else:
            start, end = hit.highlight
            body = _escape(text[:start]) + _bold(text[start:end]) + _escape(text[end:])
            if hit.byline:  # asked about, and in no paragraph's text
                body = f"{_escape(hit.byline)}\n{body}"
        quoted = "\n".join("> " + line if line.strip() else ">" for line in body.splitlines())
        where = location(hit.source, root)
        note = line_note(hit.source, hit.highlight_line, language)
        label = _escape(citation_label(hit.source, language))
        blocks.append(f"**[{hit.rank}]** {label} — `{where}`{_escape(note)}\n\n{quoted}")
    return Reply("\n\n".join(blocks), tuple(citation(hit, root, language) for hit in answer.hits))


def written_reply(generated: GeneratedAnswer, answer: Answer, seeds: str) -> Reply:
    """A checked written answer with its ``[n]`` (or the extractive sentence, marked as quoted)
    above the passages it cites, numbered alike."""
    passages = extractive_reply(answer, seeds)
    text = generated_text(generated, language_of(answer.question))
    if answer.abstained or not text:
        return Reply(passages.text, passages.citations, generated_json(generated))
    # The citations stay [n], as the passages below are numbered; the rest shows as written.
    shown = _CITATION.sub(r"[\1]", _escape(text))
    return Reply(f"{shown}\n\n{passages.text}", passages.citations, generated_json(generated))


def model_list(created: int) -> dict[str, Any]:
    """``GET /v1/models``: the one model."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": created, "owned_by": OWNER}],
    }


def _ids() -> tuple[str, int]:
    return f"chatcmpl-{uuid.uuid4().hex}", int(time.time())


def completion(reply: Reply) -> dict[str, Any]:
    """A whole ``chat.completion`` object (no token usage: no tokens are generated)."""
    identifier, created = _ids()
    return {
        "id": identifier,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.text},
                "finish_reason": "stop",
            }
        ],
        "citations": list(reply.citations),
        **({"answer": reply.answer} if reply.answer is not None else {}),
    }


def completion_chunks(reply: Reply) -> Iterator[str]:
    """The reply as server-sent events: the role, a delta per passage, the stop (with the
    citations), then ``data: [DONE]``."""
    identifier, created = _ids()

    def event(delta: dict[str, str], finish: Literal["stop"] | None, **extra: Any) -> str:
        chunk = {
            "id": identifier,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""}, None)
    pieces = reply.text.split("\n\n**[")
    for number, piece in enumerate(pieces):
        yield event({"content": piece if number == 0 else "\n\n**[" + piece}, None)
    answer = {"answer": reply.answer} if reply.answer is not None else {}
    yield event({}, "stop", citations=list(reply.citations), **answer)
    yield "data: [DONE]\n\n"
