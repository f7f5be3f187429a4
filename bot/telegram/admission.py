"""Whether to serve a request: the allowlist of chats, and each user's share of the bot's time.

A question searches; a button press or a command costs less, and an inline query (one comes with
each keystroke) is in between: each kind has its own per-user limit. :meth:`Admission.check`
returns None to go ahead, or a :class:`Refusal` saying what to tell the user, if anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from ..citations import Language
from .access import Access
from .phrases import phrases
from .throttle import Throttle, Verdict

__all__ = ["LIGHT_REQUESTS", "Admission", "Kind", "Refusal"]

LIGHT_REQUESTS = 3
"""Commands, button presses and inline queries search less than a question, or nothing: a user
may make this many times as many of them as questions."""


class Kind(Enum):
    """What a request costs."""

    QUESTION = "question"
    """A search for a chat: a question, or another page of its results."""
    REQUEST = "request"
    """A command or a button press."""
    INLINE = "inline"
    """An inline query."""


class Refusal(Enum):
    """Why a request is not served."""

    NOT_ALLOWED = "not_allowed"
    """The chat is not on the allowlist."""
    THROTTLED = "throttled"
    """The user is over their limit: they are told so."""
    STILL_THROTTLED = "still_throttled"
    """Over the limit and told already: refused silently, so refusals cannot flood a chat."""

    def text(self, language: Language) -> str | None:
        """What to tell the user; None to say nothing."""
        say = phrases(language)
        match self:
            case Refusal.NOT_ALLOWED:
                return say.not_allowed
            case Refusal.THROTTLED:
                return say.throttled
            case Refusal.STILL_THROTTLED:
                return None


class Admission:
    """The allowlist, the admins and the per-user limits, checked in one place."""

    def __init__(
        self, allowed_chats: Iterable[int] | None, admins: Iterable[int], questions_per_minute: int
    ) -> None:
        self.access = Access(allowed_chats, admins)
        self._throttles = {
            Kind.QUESTION: Throttle(questions_per_minute),
            Kind.REQUEST: Throttle(LIGHT_REQUESTS * questions_per_minute),
            Kind.INLINE: Throttle(LIGHT_REQUESTS * questions_per_minute),
        }

    @property
    def restricted(self) -> bool:
        """Whether answers depend on who asks (an allowlist is set)."""
        return self.access.restricted

    def check(self, kind: Kind, chat: int, user: int | None) -> Refusal | None:
        """None to serve a request of ``user`` in ``chat``; else why not (it counts against the
        user's limit either way)."""
        if user is not None:
            verdict = self._throttles[kind].check(user)
            if verdict is Verdict.WARN:
                return Refusal.THROTTLED
            if verdict is Verdict.DROP:
                return Refusal.STILL_THROTTLED
        if not self.access.allows(chat):
            return Refusal.NOT_ALLOWED
        return None

    def is_admin(self, user: int | None) -> bool:
        """Whether this user may rebuild the index and see the seed files' names."""
        return self.access.is_admin(user)

    def follow(self, old_chat: int, new_chat: int) -> None:
        """A group became a supergroup: its allowance follows it."""
        self.access.follow(old_chat, new_chat)
