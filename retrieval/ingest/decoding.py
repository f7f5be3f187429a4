"""Decoding a text file whose encoding nobody wrote down: byte-order marks, UTF-8, then GB18030.

A byte-order mark decides (UTF-8, UTF-16 or UTF-32). Without one, strict UTF-8 comes first: text
in another encoding almost never decodes as valid UTF-8 by accident. Then GB18030, the superset of
GBK and GB2312 that Chinese Windows editors write. GB18030 accepts most byte pairs, so a file in
another double-byte encoding (Big5, Shift-JIS, EUC-KR) can decode into nonsense without an error;
such a result is refused when its characters are not what Chinese text is made of (see
:func:`_reads_as_chinese`). NUL bytes without a UTF-16 or UTF-32 mark mean a binary file.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from ..text.normalize import is_cjk

__all__ = ["Decoded", "decode"]

_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"%PDF-", "a PDF document; name it .pdf"),
    (b"PK\x03\x04", "a ZIP archive, such as a Word .docx file"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc, .xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program"),
)
_GB_NAMES = frozenset({"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn", "hz-gb-2312"})
SAMPLE = 1 << 16
"""Characters of a GB18030 decoding checked for nonsense: enough to tell, cheap for 50 MB."""
CONTROL_SHARE = 0.01
"""Share of control characters above which a decoded file counts as binary."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text and the encoding it was read in."""

    text: str
    encoding: str


def decode(data: bytes, declared: str | None = None) -> Decoded:
    """The text of ``data``; raises ValueError saying why when it is not text.

    ``declared`` is an encoding the file names itself (an HTML ``<meta charset>``); it is tried
    after a byte-order mark and before guessing. GB2312 and GBK are read as GB18030, their superset.
    """
    for mark, codec in _BOMS:
        if data.startswith(mark):
            name = "utf-8" if codec == "utf-8-sig" else codec
            return Decoded(_strict(data, codec, name), name + " (byte-order mark)")
    if not data:
        raise ValueError("empty file")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise ValueError(f"binary file, not text: it is {what}")
    if b"\x00" in data:
        raise ValueError(
            "binary file, not text (it holds NUL bytes); if it is UTF-16 text, "
            "save it with a byte-order mark or as UTF-8"
        )
    named = _codec(declared) if declared else None
    if named is not None:
        try:
            return _checked(data.decode(named), named)
        except UnicodeDecodeError:
            pass  # the declaration is wrong: guess as if there were none
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"cannot be decoded: not UTF-8, UTF-16 or GB18030/GBK text (bad byte at {error.start})"
            "; save it as UTF-8"
        ) from None
    if not _reads_as_chinese(text[:SAMPLE]):
        raise ValueError(
            "cannot be decoded: not UTF-8, and as GB18030/GBK it reads as nonsense "
            "(Big5, Shift-JIS or another encoding?); save it as UTF-8"
        )
    return _checked(text, "gb18030")


def _codec(name: str) -> str | None:
    """The Python codec for an encoding name, GB2312 and GBK widened to GB18030; None if unknown."""
    name = name.strip().lower()
    if name in _GB_NAMES:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(data: bytes, codec: str, name: str) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise ValueError(
            f"cannot be decoded: it starts with a {name.upper()} byte-order mark but is not "
            f"valid {name.upper()} (bad bytes at {error.start})"
        ) from None
    return _checked(text, name).text


def _checked(text: str, encoding: str) -> Decoded:
    """The decoded text, unless it is full of control characters (a binary file)."""
    sample = text[:SAMPLE]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v\x1b")
    if sample and controls > CONTROL_SHARE * len(sample):
        raise ValueError("binary file, not text (it is full of control characters)")
    return Decoded(text, encoding)


def _reads_as_chinese(text: str) -> bool:
    """Whether GB18030-decoded text looks like Chinese rather than another encoding misread.

    Misread text has many characters Chinese prose lacks (private-use, kana, Cyrillic) and few of
    the 3,755 common characters of GB2312 level 1, which make up nearly all of real Chinese text
    (the sample page: 99.9 %; traditional characters written in GBK: about two thirds).
    """
    letters = [ch for ch in text if not ch.isspace()]
    if not letters:
        return True
    usual = sum(1 for ch in letters if _usual(ch))
    if usual < 0.9 * len(letters):
        return False
    hanzi = [ch for ch in letters if is_cjk(ch)]
    if len(hanzi) < 20:
        return True
    common = sum(1 for ch in hanzi if _common(ch))
    return common >= 0.5 * len(hanzi)


def _usual(ch: str) -> bool:
    """ASCII, Chinese characters, and the punctuation and full-width forms Chinese text uses."""
    return (
        ch < "\x80"
        or is_cjk(ch)
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2000" <= ch <= "\u206f"
        or unicodedata.category(ch).startswith("N")
    )


def _common(ch: str) -> bool:
    """In GB2312 level 1: the 3,755 most common Chinese characters (rows 0xB0 to 0xD7)."""
    try:
        return 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False
