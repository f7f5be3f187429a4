"""Webhook mode: Telegram posts updates with the secret token; anything else is refused."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from bot.telegram.config import Webhook
from tests.telegram.fakebotapi import FakeBotAPI

QUESTION = "在流动人口聚居区建立了多少个临时党支部？"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def webhook(fake: FakeBotAPI, start_bot) -> Webhook:
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/telegram/hook", "127.0.0.1", port, "s3cret-Token_1")
    await start_bot(webhook=hook)
    return hook


async def test_updates_posted_with_the_secret_are_answered(fake: FakeBotAPI, webhook) -> None:
    assert fake.webhook == {"url": webhook.url, "secret_token": webhook.secret_token}
    assert fake.calls_of("getUpdates") == []
    reply = await fake.reply(fake.message(QUESTION))
    assert "临时党支部16个" in reply.text
    assert [status for _, status in fake.deliveries] == [200]


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}])
async def test_updates_without_the_secret_are_refused(
    fake: FakeBotAPI, webhook, headers: dict
) -> None:
    forged = {
        "update_id": 99,
        "message": {
            "message_id": 99,
            "date": 0,
            "chat": fake.chat(1001),
            "from": fake.user(1001, "zh"),
            "text": QUESTION,
        },
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(webhook.url, json=forged, headers=headers)
    assert response.status_code == 403
    real = fake.message(QUESTION)
    await fake.reply(real)
    await asyncio.sleep(0.2)
    assert [c.params["reply_parameters"]["message_id"] for c in fake.calls_of("sendMessage")] == [
        real["message_id"]
    ]
