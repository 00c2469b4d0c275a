"""Main text and metadata of an HTML page, with trafilatura."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Figures and their captions are not story text.
_PRUNE = ["//figure", "//figcaption", "//*[contains(@class,'caption')]"]


@dataclass(frozen=True)
class Extracted:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def extract_main_text(html: str, with_title: bool = True) -> Extracted:
    """Paragraphs of the main content, separated by blank lines; the title first."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        prune_xpath=_PRUNE,
    )
    if doc is None or doc.body is None:
        return Extracted("", {"truncated": _looks_truncated(html)})
    paragraphs = []
    for element in doc.body:
        text = re.sub(r"\s+", " ", "".join(element.itertext())).strip()
        if text:
            paragraphs.append(text)
    title = (doc.title or "").strip()
    if with_title and title and not (paragraphs and _same(paragraphs[0], title)):
        paragraphs.insert(0, title)
    metadata = {
        "title": title or None,
        "sitename": (doc.sitename or "").strip() or None,
        "date": doc.date or None,
        "url": doc.url or None,
        "author": doc.author or None,
        "truncated": _looks_truncated(html),
    }
    return Extracted("\n\n".join(paragraphs), metadata)


def _same(a: str, b: str) -> bool:
    norm = lambda s: re.sub(r"\W+", " ", s.casefold()).strip()  # noqa: E731
    return norm(a) == norm(b)


def _looks_truncated(html: str) -> bool:
    tail = html[-4096:].casefold()
    return "</html>" not in tail and "</body>" not in tail
