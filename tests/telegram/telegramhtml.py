"""Telegram's HTML, as the Bot API parses it: the tags it knows, the entities it decodes, and the
errors it answers with ("can't parse entities: …"); and lengths counted as Telegram counts them.

The oracle of the bot's tests, written from the Bot API's documentation and independent of the
bot's own rendering code. Stricter than Telegram in one place: a ``&`` that starts no entity is an
error here, where Telegram would keep it as text.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["TelegramHTMLError", "parse_html", "utf16_length"]


class TelegramHTMLError(ValueError):
    """HTML Telegram refuses to parse."""


_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "blockquote expandable": "expandable_blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTRIBUTE = r"""\s+[a-zA-Z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?"""
_START_TAG = re.compile(rf"([a-zA-Z][a-zA-Z0-9-]*)((?:{_ATTRIBUTE})*)\s*")
_ATTRIBUTES = re.compile(r"""\s+([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The text and entities Telegram makes of ``source``; raises TelegramHTMLError if it can't."""

    def at(i: int) -> int:
        return len(source[:i].encode())

    text: list[str] = []
    length = 0
    stack: list[tuple[str, int]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "<":
            end = source.find(">", i)
            if end < 0:
                raise TelegramHTMLError(f"Unclosed start tag at byte offset {at(i)}")
            inner = source[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise TelegramHTMLError(f'Unexpected end tag "{name}" at byte offset {at(i)}')
                opened, start = stack.pop()
                tag = opened.split()[0]  # "blockquote expandable" ends with </blockquote>
                if name != tag:
                    raise TelegramHTMLError(
                        f'Unmatched end tag at byte offset {at(i)}, expected "</{tag}>", '
                        f'found "</{name}>"'
                    )
                if length > start:
                    entities.append(
                        {"type": _TAG_TYPES[opened], "offset": start, "length": length - start}
                    )
            else:
                match = _START_TAG.fullmatch(inner)
                name = match[1].lower() if match else inner
                if match is None or name not in _TAG_TYPES or " " in name:
                    raise TelegramHTMLError(
                        f'Unsupported start tag "{name}" at byte offset {at(i)}'
                    )
                attributes = {
                    key.lower(): next((v for v in values if v is not None), "")
                    for key, *values in _ATTRIBUTES.findall(match[2])
                }
                if name == "span" and attributes.get("class") != "tg-spoiler":
                    raise TelegramHTMLError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {at(i)}'
                    )
                if name == "blockquote" and "expandable" in attributes:
                    name = "blockquote expandable"
                stack.append((name, length))
            i = end + 1
        elif ch == "&":
            match = _ENTITY.match(source, i)
            if match is None:
                raise TelegramHTMLError(
                    f"Can't find end of the entity starting at byte offset {at(i)}"
                )
            if match[3] is not None and match[3] not in _NAMED:
                raise TelegramHTMLError(
                    f'Unsupported HTML entity "&{match[3]};" at byte offset {at(i)}'
                )
            if match[3] is not None:
                char = _NAMED[match[3]]
            else:
                code = int(match[1]) if match[1] else int(match[2], 16)
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise TelegramHTMLError(f"Invalid entity at byte offset {at(i)}")
                char = chr(code)
            text.append(char)
            length += utf16_length(char)
            i = match.end()
        else:
            text.append(ch)
            length += utf16_length(ch)
            i += 1
    if stack:
        raise TelegramHTMLError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(text), entities
