"""The HTTP API: plain JSON search, Dify's External Knowledge API and OpenAI-compatible chat.

Every endpoint answers from one :class:`~retrieval.Searcher` taken from the engine when the
request starts — one index version from start to end, even when the engine switches to a newer
one meanwhile — and names that version in the ``X-Seedqa-Index`` header. Searching runs in a
worker thread, so the event loop keeps accepting requests while a question is answered.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from retrieval import Engine, QuestionError, Searcher

from ..render import answer_json
from .chat import (
    MODEL_ID,
    ChatRequest,
    Replier,
    Resolver,
    answer_in_context,
    completion,
    completion_chunks,
    extractive_reply,
    model_list,
)
from .config import ServeConfig
from .dify import MAX_TOP_K, records
from .guard import OPEN_PATHS, Guard, error_body

__all__ = ["VERSION_HEADER", "create_app"]

logger = logging.getLogger(__name__)

VERSION_HEADER = "X-Seedqa-Index"
MAX_K = 50
MAX_OFFSET = 1000
"""Deepest page of results: beyond a thousand passages nobody is reading."""


class SearchRequest(BaseModel):
    """``POST /v1/search``."""

    model_config = ConfigDict(extra="ignore", strict=True)
    question: str
    k: int = Field(3, ge=1, le=MAX_K)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class RetrievalSetting(BaseModel):
    """Dify's ``retrieval_setting``."""

    model_config = ConfigDict(extra="ignore", strict=True)
    top_k: int = Field(ge=1)
    score_threshold: float = Field(0.0, ge=0.0, le=1.0)


class RetrievalRequest(BaseModel):
    """``POST /retrieval``, as Dify sends it (``metadata_condition`` is accepted and not applied:
    Dify offers no way to set it)."""

    model_config = ConfigDict(extra="ignore", strict=True)
    knowledge_id: str
    query: str
    retrieval_setting: RetrievalSetting
    metadata_condition: dict[str, Any] | None = None


class ApiError(Exception):
    """A request refused with a status and a message meant for its sender."""

    def __init__(
        self, status: int, message: str, param: str | None = None, code: str | int | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def _answered(searcher: Searcher, payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse(payload, headers={VERSION_HEADER: searcher.info.version})


async def _ask(searcher: Searcher, question: str, k: int, offset: int, field: str) -> Any:
    try:
        return await run_in_threadpool(searcher.ask, question, k, offset)
    except QuestionError as error:
        raise ApiError(400, str(error), param=field, code="invalid_question") from None


def create_app(
    engine: Engine,
    config: ServeConfig,
    resolve: Resolver = answer_in_context,
    reply: Replier = extractive_reply,
) -> FastAPI:
    """The application over ``engine``: its endpoints, the key and size guard, JSON errors."""
    app = FastAPI(
        title="seedqa",
        summary="Cited answers from a folder of documents.",
        version="0.1.0",
        redoc_url=None,
    )
    started = int(time.time())
    _errors(app)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        """Whether the server answers, and the index version it answers from."""
        info = engine.info
        built = dt.datetime.fromtimestamp(info.built_at, dt.UTC)
        return {
            "status": "ok",
            "index": {
                "version": info.version,
                "built": built.isoformat(timespec="seconds"),
                "files": len(info.files),
                "paragraphs": info.paragraphs,
                "mode": info.mode,
            },
        }

    @app.post("/v1/search")
    async def search(body: SearchRequest) -> JSONResponse:
        """The object ``seedqa ask --json`` prints for the question."""
        searcher = engine.searcher
        answer = await _ask(searcher, body.question, body.k, body.offset, "question")
        return _answered(searcher, answer_json(answer))

    @app.post("/retrieval")
    async def retrieval(body: RetrievalRequest) -> JSONResponse:
        """Dify's External Knowledge API: the passages for ``query`` as scored records."""
        if body.knowledge_id != config.knowledge_id:
            raise ApiError(
                404,
                f"The knowledge does not exist: this server answers for knowledge id "
                f"{config.knowledge_id!r}, not {body.knowledge_id!r}.",
                param="knowledge_id",
                code=2001,
            )
        searcher = engine.searcher
        setting = body.retrieval_setting
        answer = await _ask(searcher, body.query, min(setting.top_k, MAX_TOP_K), 0, "query")
        info = answer.info
        floor = info.dense_floor if info.mode == "hybrid" else None
        found = records(answer, info.seeds, floor, setting.score_threshold)
        return _answered(searcher, {"records": found})

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        """The one model, ``seedqa``."""
        return model_list(started)

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(body: ChatRequest) -> JSONResponse | StreamingResponse:
        """The last user message answered, with citations; streamed when ``stream`` is true."""
        if body.model != MODEL_ID:
            raise ApiError(
                404,
                f"The model {body.model!r} does not exist; this server has one: {MODEL_ID!r}.",
                param="model",
                code="model_not_found",
            )
        # Both seams run in a worker thread: an LLM behind either may take seconds.
        try:
            answer = await run_in_threadpool(resolve, engine, body.messages, 3)
        except QuestionError as error:
            raise ApiError(400, str(error), param="messages", code="invalid_question") from None
        info = answer.info or engine.info  # the version that answered
        answered = await run_in_threadpool(reply, answer, info.seeds)
        version = {VERSION_HEADER: info.version}
        if body.stream:
            return StreamingResponse(
                completion_chunks(answered),
                media_type="text/event-stream",
                headers={**version, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        return JSONResponse(completion(answered), headers=version)

    return Guard(app, config.api_key, config.max_body, OPEN_PATHS)  # type: ignore[return-value]


def _field(location: Sequence[str | int]) -> str:
    """``("body", "retrieval_setting", "top_k")`` → ``retrieval_setting.top_k``."""
    parts = [str(part) for part in location if part != "body"]
    return ".".join(parts)


def _errors(app: FastAPI) -> None:
    """Every refusal and failure as JSON in the caller's shape; never a traceback."""

    @app.exception_handler(ApiError)
    async def refused(request: Request, error: ApiError) -> JSONResponse:
        body = error_body(request.url.path, error.status, error.message, error.param, error.code)
        return JSONResponse(body, error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        path = request.url.path
        problems = list(error.errors())
        first = problems[0] if problems else {"type": "", "loc": (), "msg": "invalid request"}
        if first["type"] == "json_invalid":
            message = f"The request body is not valid JSON: {first.get('msg', '')}".rstrip(": ")
            return JSONResponse(error_body(path, 400, message, code="invalid_json"), 400)
        field = _field(first["loc"])
        if not field:
            message = (
                "The request body must be a JSON object (send Content-Type: application/json)."
            )
            return JSONResponse(error_body(path, 400, message, code="invalid_body"), 400)
        messages = "; ".join(f"{_field(p['loc']) or 'body'}: {p['msg']}" for p in problems)
        return JSONResponse(error_body(path, 422, messages, param=field, code="invalid_field"), 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        path = request.url.path
        if error.status_code == 404:
            message = f"There is no {path} here. See /docs for the endpoints."
        elif error.status_code == 405:
            message = f"{path} does not take {request.method}."
        else:
            message = str(error.detail)
        body = error_body(path, error.status_code, message)
        return JSONResponse(body, error.status_code, dict(error.headers or {}))

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> JSONResponse:
        logger.exception("Request to %s failed", request.url.path)
        message = "The server failed to answer this request; it keeps serving. Try again."
        return JSONResponse(error_body(request.url.path, 500, message), 500)
