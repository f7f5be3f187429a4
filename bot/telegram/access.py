"""Who may use the bot: the chats it answers in, and the users who may rebuild the index."""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["Access"]

logger = logging.getLogger(__name__)


class Access:
    """An optional allowlist of chat ids and a set of admin user ids."""

    def __init__(self, allowed_chats: Iterable[int] | None, admins: Iterable[int]) -> None:
        self._allowed = None if allowed_chats is None else set(allowed_chats)
        self._admins = frozenset(admins)

    @property
    def restricted(self) -> bool:
        """Whether there is an allowlist (answers then depend on who asks)."""
        return self._allowed is not None

    def allows(self, chat_id: int) -> bool:
        """Whether the bot answers in this chat (every chat when there is no allowlist)."""
        return self._allowed is None or chat_id in self._allowed

    def is_admin(self, user_id: int | None) -> bool:
        """Whether this user may rebuild the index."""
        return user_id is not None and user_id in self._admins

    def follow(self, old_chat: int, new_chat: int) -> None:
        """An allowed group became a supergroup with a new id: allow the new id too."""
        if self._allowed is not None and old_chat in self._allowed:
            self._allowed.add(new_chat)
            logger.warning(
                "Chat %s became supergroup %s; add %s to SEEDQA_ALLOWED_CHATS to keep it "
                "allowed after a restart",
                old_chat,
                new_chat,
                new_chat,
            )
