"""Text normalisation for matching: full-width to half-width, case, traditional to simplified.

Normalisation is applied to paragraphs at index time and to questions at query time, so that
full-width ``WHO``, ``who`` and ``WHO`` match, and a question in traditional characters
(``臺灣``) finds text written in simplified ones (``台湾``). Stored text is never normalised.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc

__all__ = ["HAN", "is_cjk", "normalize"]

HAN = "\u3400-\u9fff\uf900-\ufaff"
"""Chinese characters as the inside of a regex ``[…]``: CJK unified, extension A, compatibility.

The one definition of "Chinese" in seedqa: :func:`is_cjk` tests a character against it.
"""

# Line breaks inside Chinese text are layout, not word boundaries: 整体\n素质 is one word.
_CJK_LINE_BREAK = re.compile(rf"(?<=[{HAN}])[ \t]*\n[ \t]*(?=[{HAN}])")


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str, fold_case: bool = True) -> str:
    """Fold width (NFKC), case and traditional characters, and drop line breaks inside Chinese.

    With ``fold_case=False`` the case is kept: for text that is read and shown again (a follow-up
    resolved into a whole question keeps the user's ``Ovens``).
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.casefold() if fold_case else text
    text = _CJK_LINE_BREAK.sub("", text)
    return str(_converter().convert(text))


def is_cjk(char: str) -> bool:
    """True for a Chinese character (one in :data:`HAN`)."""
    # HAN's ranges spelled out: terms() asks this of every character indexed, and comparisons are
    # several times faster than a regex match (a test checks that the two agree).
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"
