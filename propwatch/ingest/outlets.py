"""The outlet table (data/outlets.csv) and the ways a page names its outlet.

An outlet is found, in order of trust, from an explicit input field, the
URL's domain, HTML metadata (``og:site_name``), signatures the page
carries (a site name after the title, an outlet footer), and in-text
attribution ("told Sputnik", "RT correspondent", "«Russian Spring» has
already reported"). The evidence is kept with the outlet name.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Outlet:
    name: str
    aliases: tuple[str, ...]
    domains: tuple[str, ...]
    country: str
    affiliation: str  # state-controlled | state-funded | state-affiliated | public broadcaster | party-controlled | private | unknown
    note: str
    source: str = ""  # the public source of the affiliation (a regulation, an encyclopedia article, the outlet's own page)


@functools.lru_cache(maxsize=1)
def outlet_table() -> tuple[Outlet, ...]:
    """The rows of data/outlets.csv: name, aliases and domains (``|``-separated), country,
    affiliation, note, and the source of the affiliation."""
    text = resources.files("propwatch").joinpath("data/outlets.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        Outlet(
            name=row["name"],
            aliases=tuple(a for a in row["aliases"].split("|") if a),
            domains=tuple(d.lower() for d in row["domains"].split("|") if d),
            country=row["country"],
            affiliation=row["affiliation"],
            note=row["note"],
            source=row.get("source") or "",
        )
        for row in rows
    )


def outlet_by_name(name: str) -> Outlet | None:
    key = _key(name)
    for outlet in outlet_table():
        if _key(outlet.name) == key or any(_key(a) == key for a in outlet.aliases):
            return outlet
    return None


def outlet_by_url(url: str | None) -> Outlet | None:
    if not url:
        return None
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    for outlet in outlet_table():
        for domain in outlet.domains:
            if host == domain or host.endswith("." + domain):
                return outlet
    return None


def _key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


@functools.lru_cache(maxsize=1)
def _alias_pattern() -> tuple[re.Pattern[str], dict[str, Outlet]]:
    lookup: dict[str, Outlet] = {}
    for outlet in outlet_table():
        for alias in (outlet.name, *outlet.aliases):
            plain = alias.strip("«»\"'")
            if len(plain) >= 2:
                lookup[plain] = outlet
    names = sorted(lookup, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w/])(" + "|".join(re.escape(n) for n in names) + r")(?![\w/])")
    return pattern, lookup


def outlets_named_in(line: str) -> list[Outlet]:
    """Outlets whose name or alias appears in ``line`` (case-sensitive, whole words)."""
    pattern, lookup = _alias_pattern()
    seen: list[Outlet] = []
    for m in pattern.finditer(line):
        outlet = lookup[m.group(1)]
        if outlet not in seen:
            seen.append(outlet)
    return seen


# In-text attribution that marks the publishing outlet: the outlet an
# exclusive source talked to, its correspondent, its own earlier reporting.
_ATTRIBUTION = [
    r"\btold\s+{o}\b",
    r"\b(?:an?\s+)?(?:exclusive\s+)?interview\s+(?:with|to)\s+{o}\b",
    r"\b{o}\s+(?:correspondent|reporter|journalists?|crew)\b",
    r"\b{o}\s+(?:has|have)\s+(?:already\s+)?(?:reported|learned|learnt|obtained|uncovered)\b",
    r"\b{o}\s+(?:continues|uncovered|obtained|learned|learnt)\b",
    r"\bsaid\s+in\s+(?:a|an)\s+(?:\w+\s+)?(?:interview|comment)\s+(?:with|to)\s+{o}\b",
]


@functools.lru_cache(maxsize=1)
def _attribution_patterns() -> tuple[tuple[re.Pattern[str], dict[str, Outlet]], ...]:
    _, lookup = _alias_pattern()
    names = "|".join(re.escape(n) for n in sorted(lookup, key=len, reverse=True))
    quoted = rf"[«\"“]?(?P<o>{names})[»\"”]?"
    return tuple((re.compile(p.replace("{o}", quoted)), lookup) for p in _ATTRIBUTION)


def attribution_counts(text: str) -> Counter[str]:
    """How often the text credits each outlet as its own publisher."""
    counts: Counter[str] = Counter()
    for pattern, lookup in _attribution_patterns():
        for m in pattern.finditer(text):
            counts[lookup[m.group("o")].name] += 1
    return counts
