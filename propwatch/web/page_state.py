"""The state of a list page in its query string, and links that keep it.

A list page (narratives, outlets, entities, debunks) reads its filters,
order and page from the URL, so a list can be shared, reloaded and
exported as it is: :class:`ListState` writes the parameters back in a fixed
order (the order the page declares), leaving out those at their default,
and builds the links to the previous and next page. The API answers the
same parameters with the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request

from .errors import ApiError


def choice(request: Request, name: str, options: Sequence[str], default: str) -> str:
    """A query parameter that must be one of ``options`` (400 naming them otherwise)."""
    value = request.query_params.get(name, default) or default
    if value not in options:
        raise ApiError(400, "bad-request", f"{name} must be one of {', '.join(options)}, not {value[:40]!r}")
    return value


def whole(request: Request, name: str, default: int, lowest: int = 0, highest: int = 10**6) -> int:
    """A whole-number query parameter in ``lowest..highest`` (400 otherwise)."""
    raw = request.query_params.get(name, "")
    try:
        value = int(raw) if raw.strip() else default
    except ValueError:
        raise ApiError(400, "bad-request", f"{name} must be a whole number, not {raw[:40]!r}") from None
    if not lowest <= value <= highest:
        raise ApiError(400, "bad-request", f"{name} must be {lowest}..{highest}")
    return value


def text(request: Request, name: str, longest: int = 500) -> str:
    """A text query parameter, stripped (400 when longer than ``longest``)."""
    value = request.query_params.get(name, "").strip()
    if len(value) > longest:
        raise ApiError(400, "bad-request", f"{name} is longer than {longest} characters")
    return value


def href(path: str, *parts: str) -> str:
    """``path`` with each part appended, percent-encoded (an outlet named "A/B" stays one part)."""
    return path.rstrip("/") + "".join("/" + quote(p, safe="") for p in parts)


def web_link(url: object) -> str | None:
    """``url`` when it is an http(s) address a page may link to (a database's case page), else None:
    an imported ``javascript:`` or ``data:`` URL is shown as text, never as a link."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def links() -> dict[str, object]:
    """The link builders every page template gets (an id or name is always one encoded part)."""
    return {
        "story_href": lambda doc_id: href("/stories", doc_id),
        "narrative_href": lambda narrative_id: href("/narratives", narrative_id),
        "outlet_href": lambda name: href("/outlets", name),
        "entity_href": lambda entity_id: href("/entities", entity_id),
        "case_href": lambda key: href("/debunks", key),
        "web_link": web_link,
        "search_href": lambda **facets: "/?" + urlencode(facets),  # the stories of one facet value, in the search
    }


@dataclass(frozen=True)
class ListState:
    """One page of a list: its filters (in the page's order), defaults, the page and the total."""

    path: str
    params: Mapping[str, str | int]  # every parameter the list reads, in the order links write them
    defaults: Mapping[str, str | int] = field(default_factory=dict)
    limit: int = 50
    offset: int = 0
    total: int = 0
    default_limit: int = 50

    def query(self, **changes: str | int) -> str:
        """The query string of this state with ``changes`` (defaults left out, fixed order)."""
        values = {**self.params, "limit": self.limit, "offset": self.offset, **changes}
        defaults = {**self.defaults, "limit": self.default_limit, "offset": 0}
        kept = [(k, v) for k, v in values.items() if v not in ("", None) and str(v) != str(defaults.get(k, ""))]
        return urlencode(kept)

    def link(self, **changes: str | int) -> str:
        query = self.query(**changes)
        return self.path + (f"?{query}" if query else "")

    @property
    def here(self) -> str:
        """This page's own URL (what an export link starts from)."""
        return self.link()

    @property
    def previous(self) -> str | None:
        return self.link(offset=max(0, self.offset - self.limit)) if self.offset > 0 else None

    @property
    def next(self) -> str | None:
        return self.link(offset=self.offset + self.limit) if self.offset + self.limit < self.total else None

    @property
    def shown(self) -> str:
        """"21–40 of 95" (or "none")."""
        if not self.total or self.offset >= self.total:
            return f"none of {self.total}" if self.total else "none"
        return f"{self.offset + 1}–{min(self.offset + self.limit, self.total)} of {self.total}"

    def to_dict(self) -> dict[str, object]:
        """The paging part of an API answer."""
        return {"total": self.total, "limit": self.limit, "offset": self.offset, **dict(self.params),
                "next": (f"/api{self.next}" if self.next else None)}


__all__ = ["ListState", "choice", "href", "links", "text", "web_link", "whole"]
