"""Sentence boundaries, as spans into the clean text.

A rule-based splitter that knows news text: abbreviations and initials
("U.S.", "Gen.", "J. Smith"), numbers ("3.5", "No. 4"), quotes and
brackets closing a sentence, dash-introduced quote continuations, and
sentences glued by a missing space ("Macedonia.The largest"). Paragraph
breaks always end a sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..records import Document, Sentence
from ..settings import Field, StageSettings
from ..stages.base import LayerStage, register_stage

ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof gen lt col maj capt sgt adm cmdr gov sen rep rev st sr jr mt ft
    jan feb mar apr jun jul aug sep sept oct nov dec no nos vol vs etc approx est dept
    inc ltd corp co bros fig pp ed eds al univ assn ave blvd rd hon pres supt insp
    """.split()
)
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
# candidate ends: terminal punctuation, optional closing quotes/brackets
_END = re.compile(r"[.!?…]+[" + re.escape(_CLOSERS) + r"]*")


def split_sentences(text: str) -> list[tuple[int, int, int]]:
    """(start, end, paragraph) of every sentence in ``text``."""
    out: list[tuple[int, int, int]] = []
    paragraph = 0
    for pm in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        para_start, para = pm.start(), pm.group()
        for s, e in _split_paragraph(para):
            out.append((para_start + s, para_start + e, paragraph))
        paragraph += 1
    return out


def _split_paragraph(para: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(para):
        end = m.end()
        if not _is_boundary(para, m.start(), end):
            continue
        _append(bounds, para, start, end)
        start = end
    _append(bounds, para, start, len(para))
    return bounds


def _append(bounds: list[tuple[int, int]], para: str, start: int, end: int) -> None:
    while start < end and para[start].isspace():
        start += 1
    while end > start and para[end - 1].isspace():
        end -= 1
    if end > start:
        bounds.append((start, end))


def _is_boundary(para: str, punct_start: int, end: int) -> bool:
    rest = para[end:]
    if not rest.strip():
        return False  # paragraph end closes the sentence anyway
    mark = para[punct_start]
    token = re.search(r"(\S+)$", para[:punct_start])
    word = token.group(1) if token else ""
    bare = word.strip(_OPENERS).lower()
    nxt = rest.lstrip()
    glued = not rest[:1].isspace()
    if glued:
        # "Macedonia.The largest": a lowercase word of 3+ letters, then a capital
        return mark == "." and len(bare) >= 3 and bare.isalpha() and word[-1:].islower() and nxt[:1].isupper() and nxt[1:2].islower()
    if mark == ".":
        if bare in ABBREVIATIONS:
            return False
        if re.fullmatch(r"(?:[a-z]\.)+[a-z]?", bare) or re.fullmatch(r"[a-z]", bare):
            # "U.S." / "J." : a boundary only before a clear sentence opener
            return bool(re.match(r"(The|A|An|In|It|He|She|They|We|This|That|But|And)\b", nxt)) and len(bare) > 2
        if re.fullmatch(r"\d+", bare) and re.match(r"\d", nxt):
            return False
    first = nxt[:1]
    if first in "–—-":
        return False  # "… – said the minister. – We expect …": a quote goes on

    if first.islower() and mark in ".…":
        return False
    return bool(first) and (first.isupper() or first.isdigit() or first in _OPENERS)


class SentenceSettings(StageSettings):
    """``sentences`` has no settings."""


@register_stage("sentences", version=1)
class SentenceStage(LayerStage):
    """Sentences with their paragraph number."""

    requires = ("text",)
    assigns = ("sentences",)
    layer = "sentences"
    settings_model = SentenceSettings
    language_dependent = True  # Russian stories are split by razdel (their language is in the fingerprint)

    def predict(self, docs: Sequence[Document]) -> list[list[Sentence]]:
        from .sentences_ru import split_sentences_ru

        return [
            [Sentence.of(doc.text, s, e, paragraph=p)
             for s, e, p in (split_sentences_ru if doc.language == "ru" else split_sentences)(doc.text)]
            for doc in docs
        ]
