"""What every request passes before an endpoint sees it: the API key, then the body's size.

A pure ASGI middleware rather than a FastAPI dependency, so that a request without the key is
refused before its body is read or validated (401 before any 400 or 422), and a body over the
limit is refused before it is parsed, whether or not it declares its length.
"""

from __future__ import annotations

import hmac

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["OPEN_PATHS", "Guard", "error_body"]

OPEN_PATHS = frozenset({"/healthz", "/docs", "/docs/oauth2-redirect", "/openapi.json"})
"""Served without the key: the health check, and the API's description (it holds no data)."""
DIFY_PATH = "/retrieval"

_TYPES = {401: "authentication_error", 404: "not_found_error", 413: "invalid_request_error"}


def error_body(
    path: str, status: int, message: str, param: str | None = None, code: str | int | None = None
) -> dict[str, object]:
    """An error as the caller of ``path`` expects it: Dify's shape for Dify, else OpenAI's."""
    if path == DIFY_PATH:
        # Dify's documented codes where it has one; otherwise the HTTP status stands in.
        return {"error_code": code if isinstance(code, int) else status, "error_msg": message}
    kind = "server_error" if status >= 500 else _TYPES.get(status, "invalid_request_error")
    return {
        "error": {
            "message": message,
            "type": kind,
            "param": param,
            "code": code if isinstance(code, str) else None,
        }
    }


def error_response(
    path: str, status: int, message: str, code: str | int | None = None
) -> JSONResponse:
    """The error as a JSON response (401s say which scheme they want)."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(path, status, message, code=code), status, headers=headers)


class Guard:
    """Refuses requests without the API key (when one is set) and bodies over ``max_body``."""

    def __init__(
        self, app: ASGIApp, api_key: str | None, max_body: int, open_paths: frozenset[str]
    ) -> None:
        self.app = app
        self.key = api_key.encode() if api_key else None
        self.max_body = max_body
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = dict(scope["headers"])
        if self.key is not None and path not in self.open_paths:
            refusal = self._refusal(path, headers.get(b"authorization"))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(path)(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:  # a body without a declared length is read only up to the limit
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body:
                await self._too_large(path)(scope, receive, send)
                return
        await self.app(scope, _replay(bytes(body), None, receive), send)

    def _refusal(self, path: str, header: bytes | None) -> JSONResponse | None:
        """None when ``header`` carries the key; else the 401 that says what is wrong."""
        assert self.key is not None
        scheme, _, given = (header or b"").partition(b" ")
        given = given.strip()
        if scheme.lower() != b"bearer" or not given:
            return error_response(
                path,
                401,
                "Invalid Authorization header format. Expected 'Bearer <api-key>' format.",
                code=1001 if path == DIFY_PATH else "invalid_authorization_header",
            )
        if not hmac.compare_digest(given, self.key):  # constant time: no guessing byte by byte
            return error_response(
                path,
                401,
                "Authorization failed: the API key is not the one this server was given.",
                code=1002 if path == DIFY_PATH else "invalid_api_key",
            )
        return None

    def _too_large(self, path: str) -> JSONResponse:
        return error_response(
            path, 413, f"The request body is over {self.max_body // 1024} KiB; send a shorter one."
        )


def _replay(body: bytes, pending: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then defers to the real one."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return pending or {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
