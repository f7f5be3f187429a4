"""Conversations: follow-up questions resolved from the exchange before them, without an LLM."""

from .conversation import Conversation, Dialogue, Reply, Turn

__all__ = ["Conversation", "Dialogue", "Reply", "Turn"]
