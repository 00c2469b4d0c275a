"""Story metadata: title, outlet (with its evidence) and publication date."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from .boilerplate import is_headline_like, words
from .outlets import attribution_counts, outlet_by_name, outlet_by_url

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(_MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    # European numeric dates: 11.03.2025 (day first)
    re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<mnum>[01]?\d)\.(?P<year>(?:19|20)\d\d)(?![\d.]\d)"),
]


def find_title(text: str) -> str | None:
    """The story's first line when it reads as a headline."""
    first = text.split("\n", 1)[0].strip()
    if first and is_headline_like(first) and len(words(first)) <= 25:
        return first
    return None


def find_date(text: str, head_chars: int = 400) -> str | None:
    """An explicit full date near the top of the story (a dateline), as ISO."""
    head = text[:head_chars]
    for pattern in _DATE_PATTERNS:
        m = pattern.search(head)
        iso = _iso(m) if m else None
        if iso:
            return iso
    return None


def _iso(m: re.Match) -> str | None:
    """The ISO date of a match with ``year``, ``day`` and ``mnum`` or ``month`` groups; None when
    it names no real day (31 February)."""
    month = int(m["mnum"]) if "mnum" in m.groupdict() and m["mnum"] else _MONTHS[m["month"].lower().rstrip(".")]
    try:
        return date(int(m["year"]), month, int(m["day"])).isoformat()
    except ValueError:
        return None


_URL_DATE = [
    # /2016/05/12/, /2016/5/12/, -2016-05-12-, _20160512_ (a dated path segment of a story URL)
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)[/_.-](?P<mnum>[01]?\d)[/_.-](?P<day>[0-3]?\d)(?!\d)"),
    re.compile(r"(?<![\d])(?P<year>(?:19|20)\d\d)(?P<mnum>[01]\d)(?P<day>[0-3]\d)(?![\d])"),
    # /2016/may/12/ (The Guardian)
    re.compile(r"/(?P<year>(?:19|20)\d\d)/" + _MONTH + r"/(?P<day>[0-3]?\d)(?:/|$)", re.I),
]
# "Published: ...", "Posted on ...", "Updated ..." lines and bylines carrying a date
_DATED_LINE = re.compile(r"^\W*(?:published|posted|updated|last updated|first published|date|dated|created)\b", re.I)


def date_from_url(url: str | None) -> str | None:
    """The publication date in a story URL's path (``/2016/05/12/``, ``/20160512``,
    ``/2016/may/12/``), as ISO; None when the path carries none."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url.strip(), flags=re.I)
    for pattern in _URL_DATE:
        for m in pattern.finditer(path):
            iso = _iso(m)
            if iso:
                return iso
    return None


def dated_line(line: str) -> str | None:
    """The date of a 'Published: ...' / 'Posted on ...' / 'Updated ...' line or of a dated byline
    ("By Jane Doe, 12 May 2016"); None for a line that says no full date."""
    line = line.strip()
    if not line or len(line) > 160:
        return None
    if _DATED_LINE.match(line) or re.match(r"^\W*(?i:by)\s+[A-Z]", line):
        return find_date(line, head_chars=len(line))
    return None


def find_date_in_story(text: str, head_lines: int = 6, head_chars: int = 400) -> str | None:
    """A story's own date: a 'Published: ...' line or dated byline among its first lines, else a
    full date in its dateline or first lines (``MOSCOW, February 10, 2016.``). A date without a
    year ("February 10") gives nothing: the year would be a guess."""
    for line in text.split("\n")[: head_lines * 2]:
        found = dated_line(line)
        if found:
            return found
    return find_date(text, head_chars=head_chars)


def normalize_date(value: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) from an ISO timestamp or a written date."""
    if not value:
        return None
    value = value.strip()
    m = re.match(r"^((?:19|20)\d\d)-([01]\d)-([0-3]\d)", value)
    if m:
        return f"{m[1]}-{m[2]}-{m[3]}"
    return find_date(value, head_chars=len(value))


def find_outlet(
    text: str,
    *,
    declared: str | None,
    url: str | None,
    sitename: str | None,
    title_suffixes: list[str],
    footer_outlets: list[str],
    page_attribution: Mapping[str, int],
) -> tuple[str | None, str | None]:
    """(outlet name, evidence) in order of trust."""
    if declared:
        known = outlet_by_name(declared)
        return (known.name if known else declared), "input field"
    by_url = outlet_by_url(url)
    if by_url:
        return by_url.name, f"URL domain ({url})"
    if sitename:
        known = outlet_by_name(sitename)
        return (known.name if known else sitename), "HTML site name"
    for suffix in title_suffixes:
        known = outlet_by_name(suffix)
        if known:
            return known.name, f"site name after the title ({suffix})"
    if footer_outlets:
        return Counter(footer_outlets).most_common(1)[0][0], "outlet footer"
    own = attribution_counts(text)
    if own and own.most_common(1)[0][1] >= 2:
        name, n = own.most_common(1)[0]
        return name, f"in-text attribution ({n} mentions such as 'told {name}')"
    if page_attribution:
        name, n = Counter(page_attribution).most_common(1)[0]
        if n >= 2:
            return name, f"in-text attribution on the same page ({n} mentions)"
    if own:
        name, _ = own.most_common(1)[0]
        return name, "in-text attribution (1 mention)"
    if title_suffixes:
        return title_suffixes[0], "site name after the title (not in the outlet table)"
    return None, None


def outlet_info(name: str | None) -> dict[str, Any]:
    """Country and state affiliation of a known outlet, for output."""
    known = outlet_by_name(name) if name else None
    if not known:
        return {}
    return {"country": known.country, "affiliation": known.affiliation, "note": known.note, "source": known.source}
