"""``seedqa bot``: answer questions in Telegram (the library is imported only when it runs)."""

from __future__ import annotations

from .. import generated
from ..telegram.config import ACCESS_SETTINGS, TELEGRAM_SETTINGS, WEBHOOK_SETTINGS, BotConfig
from . import WHERE_GROUP, Command, Group, Invocation

__all__ = ["COMMAND"]


def run(call: Invocation) -> int:
    """Check the token, open the index (building it if needed), serve until a signal."""
    from ..telegram.application import run as serve

    settings = call.settings
    config = BotConfig.of(call.values, settings.index)
    return serve(settings, config, call.console.warn, call.console.say)


COMMAND = Command(
    name="bot",
    help="answer questions in Telegram: private chats, groups and inline mode",
    description="Run the Telegram bot: long polling by default, or a webhook with "
    "--webhook-url. Builds the index first if there is none. Stop it with Ctrl-C or SIGTERM.",
    run=run,
    groups=(
        WHERE_GROUP,
        Group("telegram", TELEGRAM_SETTINGS),
        Group("webhook", WEBHOOK_SETTINGS, "Receive updates on a webhook instead of polling."),
        Group("access", ACCESS_SETTINGS, "Who may ask, and how fast (environment only)."),
        generated.LLM_GROUP,
    ),
    json=False,
)
