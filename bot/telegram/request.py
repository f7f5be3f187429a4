"""One value per update: who asks, where, in reply to what, and in which language to answer.

Handlers read an update once into a :class:`Request`; everything below them takes that value
instead of a bot, a chat id, a user id and a message id passed along separately. Which language
the bot answers in follows one rule, :func:`reply_language`.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, Update

from ..citations import Language, language_of

__all__ = ["Request", "reply_language", "ui_language"]


@dataclass(frozen=True, slots=True)
class Request:
    """What one update asks of the bot, read once."""

    bot: Bot
    chat: int
    """Where to answer (the user's id for an inline query: it comes from a user, not a chat)."""
    user: int | None
    message: int | None
    """The message to reply to, if any."""
    language: Language
    """The user's app language, or the bot's default language when the app sends none."""

    @property
    def private(self) -> bool:
        """Whether the request comes from a private chat (whose id is its user's)."""
        return self.user is not None and self.chat == self.user

    @classmethod
    def of(cls, update: Update, bot: Bot, default: Language) -> Request | None:
        """The request an update makes; None for an update with no chat or user to answer."""
        user = update.effective_user
        language = ui_language(user.language_code if user else None, default)
        if update.inline_query is not None:
            sender = update.inline_query.from_user.id
            return cls(bot, sender, sender, None, language)
        message = update.effective_message
        if message is None:
            return None
        return cls(bot, message.chat_id, user.id if user else None, message.message_id, language)


def ui_language(language_code: str | None, default: Language) -> Language:
    """Chinese for an app in Chinese, English for one in another language, else ``default``."""
    if not language_code:
        return default
    return "zh" if language_code.lower().startswith("zh") else "en"


def reply_language(request: Request, text: str = "") -> Language:
    """The language to answer ``text`` in: the one it is written in, else the request's.

    Chinese characters make it Chinese and Latin letters English; text with neither (a number,
    an emoji, a bare command) says nothing, and the user's app language, or the bot's default
    language, decides.
    """
    if language_of(text) == "zh":
        return "zh"
    if any(ch.isascii() and ch.isalpha() for ch in text):
        return "en"
    return request.language
