"""Data on the terminal: never Rich markup, never raw control characters, never huge.

Article text, titles, file names and rejection reasons are data. Printed
through Rich as strings, ``[/]`` or ``[red]`` in them would be read as markup
(a ``MarkupError`` stops the command; ``x[red]y.txt`` prints as ``xy.txt``), and
escape sequences or bidirectional overrides in them would reach the terminal.
:func:`cell` makes a :class:`rich.text.Text` (never parsed for markup) with
control and bidi characters shown as visible escapes and the length capped.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls but tab and newline; bidirectional embeddings, overrides and isolates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
LIMIT = 500


def visible(value: Any, limit: int = LIMIT) -> str:
    """``value`` as a string with unsafe characters escaped (``\\x1b``, ``<U+202E>``), capped."""
    text = "" if value is None else str(value)

    def escape(m: re.Match) -> str:
        ch = m.group(0)
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"<U+{ord(ch):04X}>"

    text = _UNSAFE.sub(escape, text)
    if limit and len(text) > limit:
        text = text[:limit] + f"… ({len(text) - limit} more characters)"
    return text


def masked(text: str) -> str:
    """``text`` with each unsafe character replaced by U+FFFD: the same length, so that
    offsets into it still hold (a story's text with its spans)."""
    return _UNSAFE.sub("\ufffd", text)


def cell(value: Any, limit: int = LIMIT, style: str = ""):
    """A Rich ``Text`` of :func:`visible` ``value`` (no markup is ever read from data)."""
    from rich.text import Text

    return Text(visible(value, limit), style=style)


__all__ = ["LIMIT", "cell", "masked", "visible"]
