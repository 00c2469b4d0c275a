"""Russian sentence boundaries with ``razdel``, as spans into the clean text.

Same contract as :func:`propwatch.ingest.sentences.split_sentences`:
``(start, end, paragraph)`` of every sentence, paragraph breaks always end
a sentence, offsets index the text itself. ``razdel`` knows Russian
abbreviations ("т. е.", "г.", "им."), initials ("В. В. Путин") and
dash-introduced direct speech; it is imported when a Russian story arrives.
"""

from __future__ import annotations

import re

from ..errors import MissingExtraError


def split_sentences_ru(text: str) -> list[tuple[int, int, int]]:
    """(start, end, paragraph) of every sentence of Russian ``text``."""
    try:
        from razdel import sentenize
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError("Russian sentences need razdel: pip install razdel") from exc
    out: list[tuple[int, int, int]] = []
    for paragraph, pm in enumerate(re.finditer(r"[^\n]+(?:\n[^\n]+)*", text)):
        base = pm.start()
        for sub in re.finditer(r"[^\n]+", pm.group()):  # a line break inside a paragraph ends a sentence too
            for s in sentenize(sub.group()):
                start, end = base + sub.start() + s.start, base + sub.start() + s.stop
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if end > start:
                    out.append((start, end, paragraph))
    return out


__all__ = ["split_sentences_ru"]
