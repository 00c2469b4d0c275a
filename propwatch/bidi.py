"""Bidirectional controls shown as text where a person reads article data.

An override or isolate (U+202A–U+202E, U+2066–U+2069) in a title, an outlet name or a
file name reorders what follows it on screen ("‮txt.exe" reads as "exe.txt"), so the
HTML pages and the CSV exports show each one as ``<U+202E>``. The stored text, JSON and
Parquet keep the characters as they came (they are data); the terminal has its own,
wider rule (:mod:`propwatch.cli._safe`).
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def show_bidi(text: str) -> str:
    """``text`` with each bidirectional embedding, override and isolate as ``<U+XXXX>``."""
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text) if _BIDI.search(text) else text


def page_value(value: object) -> object:
    """Jinja's ``finalize`` for the HTML pages: a plain string from the data gets its
    bidirectional controls shown; markup the code built (``Markup``) is left as it is."""
    return show_bidi(value) if type(value) is str else value
