"""The workbench's front page: search the stories, narrow by facets, read the risk and why.

``/`` is a search box over the full-text index (terms, phrases, prefixes,
OR and exclusions: :mod:`propwatch.search.query`), facet counts beside the
results (outlet, country, affiliation, language, technique, narrative,
actor, risk band, debunked, month), a sort and pages. Every row shows the
risk band with the reason that raised it most, the techniques found and
the debunk matches that count against the story. The state of the page is
its query string, so a search can be shared, reloaded and exported.
``/api/stories`` answers the same parameters with the same rows and the
facet counts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..search import FACETS, SORTS, search, selection_from
from ..search.service import SearchResult, html_snippet
from .app import paging, read_store, render

# facet -> its heading on the page, in the order of the sidebar
FACET_TITLES = {
    "risk": "Risk", "debunked": "Debunked", "technique": "Technique", "narrative": "Narrative",
    "outlet": "Outlet", "country": "Country", "affiliation": "Affiliation", "language": "Language",
    "entity": "Actor", "published": "Month",
}
PAGE_SIZE = 50


def run_search(request: Request) -> SearchResult:
    """The search the query string asks for (400 in the one shape when it cannot be run)."""
    limit, offset = paging(request, default=PAGE_SIZE, maximum=500)
    params = request.query_params
    selection = selection_from(params)
    with read_store(request) as store:
        return search(store, params.get("q", ""), selection, params.get("sort", ""), limit, offset)


def _state(request: Request) -> list[tuple[str, str]]:
    """The query string's parameters as (name, value) pairs, in order, without paging."""
    keep = {"q", "sort", "from", "to", *FACETS}
    return [(k, v) for k, v in request.query_params.multi_items() if k in keep and v]


def _link(pairs: list[tuple[str, str]]) -> str:
    return "/?" + urlencode(pairs) if pairs else "/"


def facet_links(request: Request, result: SearchResult) -> list[dict[str, Any]]:
    """Per facet: its values with counts and the link that adds or removes each."""
    state = _state(request)
    groups = []
    for facet, title in FACET_TITLES.items():
        values = result.facets.get(facet) or []
        if facet == "published":
            items = [{"label": v.label, "count": v.count, "selected": False, "href": None} for v in values]
        else:
            items = []
            for v in values:
                if v.selected:
                    pairs = [(k, x) for k, x in state if not (k == facet and x.casefold() == v.value.casefold())]
                else:
                    pairs = [*state, (facet, v.value)]
                items.append({"label": v.label, "value": v.value, "count": v.count, "selected": v.selected,
                              "href": _link(pairs)})
        if items:
            groups.append({"facet": facet, "title": title, "items": items})
    return groups


def index_page(request: Request) -> Response:
    """GET /: the search page."""
    result = run_search(request)
    state = _state(request)
    limit = result.limit
    pages = {
        "previous": _link([*state, ("offset", str(max(0, result.offset - limit)))]) if result.offset > 0 else None,
        "next": _link([*state, ("offset", str(result.offset + limit))]) if result.offset + limit < result.total else None,
    }
    shown = (f"{result.offset + 1}–{min(result.offset + limit, result.total)} of {result.total}"
             if result.total and result.offset < result.total else f"none of {result.total}")
    selected = [(k, v) for k, v in state if k in FACETS or k in ("from", "to")]
    return render(
        request, "search_index.html", result=result, q=request.query_params.get("q", ""), sort=result.sort,
        sorts=list(SORTS), facets=facet_links(request, result), pages=pages, shown=shown,
        snippet=html_snippet, selected=[{"name": k, "value": v, "href": _link([p for p in state if p != (k, v)])}
                                        for k, v in selected],
        hidden=[(k, v) for k, v in state if k not in ("q", "sort")],
        export_query=urlencode(state),
    )


def api_stories(request: Request) -> Response:
    """GET /api/stories: one page of the search with its facet counts."""
    result = run_search(request)
    body = result.to_dict()
    state = _state(request)
    body["next"] = (f"/api/stories?{urlencode([*state, ('limit', result.limit), ('offset', result.offset + result.limit)])}"
                    if result.offset + result.limit < result.total else None)
    return JSONResponse(body)


routes = [
    Route("/", index_page, methods=["GET"]),
    Route("/api/stories", api_stories, methods=["GET"]),
]
nav: list[tuple[str, str]] = [("/", "Stories")]
