"""``seedqa serve``: an HTTP API (the web framework is imported only when it runs)."""

from __future__ import annotations

from .. import generated
from ..serve.config import SERVE_SETTINGS, ServeConfig
from . import WHERE_GROUP, Command, Group, Invocation

__all__ = ["COMMAND"]


def run(call: Invocation) -> int:
    """Check the address and key, open the index (building it if needed), serve until a signal."""
    from ..serve.server import run as serve

    config = ServeConfig.of(call.values)  # a refused address fails before any build
    llm = generated.llm_settings(call.values)
    console = call.console
    return serve(call.settings, config, console.warn, console.say, call.args.verbose, llm)


COMMAND = Command(
    name="serve",
    help="serve an HTTP API: JSON search, Dify's external knowledge, OpenAI-compatible chat",
    description="Serve the answers over HTTP: POST /v1/search (JSON), POST /retrieval (Dify's "
    "External Knowledge API), /v1/chat/completions (OpenAI); described at /docs. Builds the "
    "index first if there is none and follows new versions. With --llm, chat answers are "
    "written by the LLM, every sentence checked against the passage it cites. Stop with Ctrl-C "
    "or SIGTERM.",
    run=run,
    groups=(WHERE_GROUP, Group("server", SERVE_SETTINGS), generated.LLM_GROUP),
    json=False,
)
