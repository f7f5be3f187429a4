"""``seedqa serve``: open the index (building it if needed) and serve the API until a signal."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator

import uvicorn

from retrieval import Engine, LLMSettings, SeedQAError

from .. import runtime
from ..settings import Settings
from .app import create_app
from .chat import Replier, extractive_reply
from .config import ServeConfig
from .writer import WrittenReplier

__all__ = ["run"]

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
GRACE = 10
"""Seconds a stop waits for requests in flight before closing their connections."""


class _Server(uvicorn.Server):
    """uvicorn's server, stopping on SIGINT or SIGTERM without re-raising the signal after.

    uvicorn re-raises a captured signal once it has shut down, so that SIGTERM would end the
    process by the signal (status -15) after a clean stop; ``seedqa serve`` returns 0 instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {signum: signal.signal(signum, self.handle_exit) for signum in signals}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def run(
    settings: Settings,
    config: ServeConfig,
    warn: Say,
    say: Say,
    verbose: bool,
    llm: LLMSettings | None = None,
) -> int:
    """Open the engine (building the index if there is none), serve until SIGINT or SIGTERM;
    with ``llm``, the chat endpoint answers with a checked written answer."""
    engine = runtime.open_engine(settings, warn, say)
    writer = WrittenReplier(llm) if llm is not None else None
    reply: Replier = writer if writer is not None else extractive_reply
    try:
        _warm_up(engine)
        server = _Server(
            uvicorn.Config(
                create_app(engine, config, reply=reply),
                host=config.host,
                port=config.port,
                log_level="info" if verbose else "warning",
                access_log=verbose,  # paths and statuses only: questions travel in bodies
                timeout_graceful_shutdown=GRACE,
                lifespan="off",
                server_header=False,
            )
        )
        threading.Thread(target=_announce, args=(server, engine, config, say), daemon=True).start()
        try:
            server.run()
        except SystemExit:  # uvicorn exits when it cannot listen, after logging why
            raise SeedQAError(
                f"Cannot listen on {config.host}:{config.port}: the port is taken or the address "
                "is not this machine's. Choose another with --port or --host."
            ) from None
    finally:
        if writer is not None:
            writer.close()
        engine.close()
    say("Stopped.")
    return 0


def _warm_up(engine: Engine) -> None:
    """Ask once before the first caller does: the tokenizer's dictionary loads lazily."""
    engine.warm_up()


def _announce(server: uvicorn.Server, engine: Engine, config: ServeConfig, say: Say) -> None:
    """Say where the server listens once it does (with the port chosen for ``--port 0``)."""
    while not server.started:
        if server.should_exit:
            return
        threading.Event().wait(0.02)
    port = config.port
    for listener in server.servers:
        for sock in listener.sockets:
            port = sock.getsockname()[1]
    info = engine.info
    host = f"[{config.host}]" if ":" in config.host else config.host
    key = "the API key in SEEDQA_API_KEY" if config.api_key else "no API key (loopback only)"
    say(
        f"Serving index {info.version} ({info.paragraphs} paragraphs, "
        f"{info.mode}) on http://{host}:{port} with {key}. "
        f"API description: http://{host}:{port}/docs. Stop with Ctrl-C."
    )
