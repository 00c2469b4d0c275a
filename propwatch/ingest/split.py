"""Split a glued page (several stories one after another) into stories.

A story starts at a headline: a paragraph of one short line, in title case,
not ending like a sentence, that follows a paragraph of running text. A
split is kept only where every part has at least ``min_words`` words, so a
subheading inside one article does not cut it in two.
"""

from __future__ import annotations

import re

from .boilerplate import is_headline_like, is_prose, title_case_ratio, words

_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every paragraph (runs of non-blank lines)."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


def is_story_headline(line: str) -> bool:
    n = len(words(line))
    starts_like_a_title = line[:1].isalnum() or line[:1] in "\"'“‘«"
    embedded = "@" in line or "http" in line or line.rstrip().endswith(":")
    return (
        "\n" not in line and 5 <= n <= 18 and starts_like_a_title and not embedded
        and is_headline_like(line) and title_case_ratio(line) >= 0.75
    )


def split_stories(text: str, min_words: int = 60, marked: list[str] | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of each story in ``text``; one span when not glued.

    With ``marked`` (headlines that had a photo caption or a repeat of
    themselves under them on the page), only those start a story: a plain
    title-case line inside an essay is a subheading.
    """
    marked_set = None if marked is None else {m.strip() for m in marked}
    paras = paragraphs(text)
    if not paras:
        return []
    starts = [0]
    for k in range(1, len(paras)):
        s, e = paras[k]
        prev = text[paras[k - 1][0]:paras[k - 1][1]]
        if marked_set is not None and text[s:e].strip() not in marked_set:
            continue
        if is_story_headline(text[s:e]) and is_prose(prev.split("\n")[-1]):
            starts.append(k)
    # keep only boundaries where both sides are long enough
    def n_words(a: int, b: int) -> int:
        return sum(len(words(text[paras[i][0]:paras[i][1]])) for i in range(a, b))

    changed = True
    while changed and len(starts) > 1:
        changed = False
        bounds = starts + [len(paras)]
        for idx in range(1, len(starts)):
            before = n_words(bounds[idx - 1], bounds[idx])
            after = n_words(bounds[idx], bounds[idx + 1])
            if before < min_words or after < min_words:
                del starts[idx]
                changed = True
                break
    bounds = starts + [len(paras)]
    return [(paras[bounds[i]][0], paras[bounds[i + 1] - 1][1]) for i in range(len(starts))]
