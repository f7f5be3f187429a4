"""Newspaper marks written in either script: 本报记者 and 本報記者 are the same byline.

The parser's patterns are written in simplified characters; :func:`both_scripts` makes each of
their characters that has a traditional form match that form too. Matching the raw line keeps the
parser free of a conversion per line (OpenCC costs more than the match at a million paragraphs).
"""

from __future__ import annotations

__all__ = ["both_scripts"]

_TRADITIONAL = dict(
    zip("报记讯员论评华网约见习实电图摄为门", "報記訊員論評華網約見習實電圖攝為門", strict=True)
)


def both_scripts(pattern: str) -> str:
    """``pattern`` with each simplified character that has a traditional form matching both."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        variant = _TRADITIONAL.get(char)
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        if variant is None:
            out.append(char)
        else:
            out.append(char + variant if in_class else f"[{char}{variant}]")
    return "".join(out)
