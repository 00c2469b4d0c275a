"""Narrative pages: the list (``/narratives``) and one narrative (``/narratives/<id>``), with their API.

A narrative is one claim carried by several stories. The list is sorted,
filtered and paged in SQL (:func:`~propwatch.store.profiles.narrative_page`),
its state in the query string. A narrative's page shows the claims with
links to their stories, a chart of stories per day per outlet on a date
axis, who carried it first and who followed (in order, with the lag in
days), per outlet how its stories stand towards the narrative's claim with
the claims those stories make (a story without an outlet is listed with its
claims too, never as a bare "unknown" row), and the debunk cases its claims
match.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import asdict, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..narratives.service import Narrative, get_narrative, narrative_stance, narratives_by_id
from ..store.profiles import (NARRATIVE_ORDERS, entity_names, narrative_cases, narrative_page, outlet_exists,
                               outlet_page, story_titles)
from .app import paging, read_store, render, state
from .charts import time_chart
from .errors import ApiError
from .page_state import ListState, choice, links, text, whole

UNKNOWN_OUTLET = "(unknown outlet)"  # what narratives.service.timeline calls a story without an outlet
NARRATIVE_ID = re.compile(r"n[0-9a-f]{4,64}")
# what the list's sort links say, in the order the page offers them
ORDER_LABELS = {"size": "size (outlets, then stories)", "stories": "stories", "outlets": "outlets",
                "languages": "languages", "newest": "newest", "first_seen": "first seen", "last_seen": "last seen"}
MAX_STANCE_STORIES = 100  # stories the stance model reads for one narrative (the earliest; the page says so)
STANCE_CACHE = 256  # narratives whose stance rows a server keeps (the model reads ~20 ms a story)
_MODEL_LOCK = threading.Lock()


def stance_model(request: Request) -> Any:
    """The stance model, loaded once per server process (on the first narrative page)."""
    from ..debunks.stance import StanceModel

    extras = state(request).extras
    with _MODEL_LOCK:
        if "stance_model" not in extras:
            extras["stance_model"] = StanceModel.load()
    return extras["stance_model"]


def cached_stance(request: Request, key: tuple, rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]] | None:
    """The stance rows read for a narrative's stories (``key``: its id and member claims), or
    None; with ``rows``, keep them (the :data:`STANCE_CACHE` most recent narratives)."""
    extras = state(request).extras
    with _MODEL_LOCK:
        cache = extras.setdefault("narrative_stance", OrderedDict())
        if rows is None:
            if key in cache:
                cache.move_to_end(key)
            return cache.get(key)
        cache[key] = rows
        while len(cache) > STANCE_CACHE:
            cache.popitem(last=False)
        return rows


def known_outlet(store: Any, outlet: str) -> str:
    """The outlet as stored (any case given); 400 when no story has it."""
    if not outlet:
        return ""
    found = outlet_exists(store.con, outlet)
    if found is None:
        raise ApiError(400, "bad-request", f"outlet: no story is from {outlet[:80]!r}")
    return found


def narrative_list(request: Request) -> tuple[ListState, list[dict[str, Any]]]:
    """The list page's state from the query, and its rows (label, size, outlets, languages, days)."""
    order = choice(request, "order", tuple(NARRATIVE_ORDERS), "size")
    min_stories = whole(request, "min_stories", 2, 1)
    outlet = text(request, "outlet")
    limit, offset = paging(request)
    with read_store(request) as store:
        outlet = known_outlet(store, outlet)
        rows, total = narrative_page(store.con, min_stories, 1, order, limit, offset, outlet or None)
        labels = {n.id: n.label for n in narratives_by_id(store, [r.id for r in rows])}
    items = []
    for r in rows:
        item = asdict(r)
        item.update(label=labels.get(r.id, ""), outlets=list(r.outlets), languages=list(r.languages))
        if not outlet:
            item.pop("outlet_stories")
            item.pop("outlet_first_seen")
        items.append(item)
    params = {"order": order, "min_stories": min_stories, "outlet": outlet}
    return ListState("/narratives", params, {"order": "size", "min_stories": 2}, limit, offset, total), items


def stories_per_day(n: Narrative) -> dict[str, dict[str, int]]:
    """outlet -> {day: stories} of a narrative (a story counted once per day; undated left out)."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c in n.claims:
        if c.published:
            seen[c.outlet or UNKNOWN_OUTLET][c.published[:10]].add(c.doc_id)
    return {outlet: {day: len(ids) for day, ids in days.items()} for outlet, days in seen.items()}


def stance_rows(n: Narrative, by_outlet: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per outlet (named as the narrative's claims name it): its stance counts towards the
    narrative's claim (``refers_to``), the claims its stories make, and each story with its
    stance and claims. Rows with most stories first."""
    outlet_of = {c.doc_id: c.outlet or UNKNOWN_OUTLET for c in n.claims}
    claims: dict[str, list[str]] = defaultdict(list)
    for c in n.claims:
        if c.text not in claims[c.doc_id]:
            claims[c.doc_id].append(c.text)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in by_outlet:  # regrouped by the claims' outlet: the model's rows call every outletless story "unknown"
        for s in row["stories"]:
            grouped[outlet_of.get(s["id"], UNKNOWN_OUTLET)].append(
                {"doc_id": s["id"], "stance": s["stance"], "claims": claims.get(s["id"], [])})
    rows = []
    for outlet, stories in grouped.items():
        counts = {k: sum(s["stance"] == k for s in stories) for k in ("supports", "denies", "discusses")}
        outlet_claims = list(dict.fromkeys(t for s in stories for t in s["claims"]))
        rows.append({"outlet": outlet, **counts, "refers_to": n.label, "claims": outlet_claims, "stories": stories})
    return sorted(rows, key=lambda r: (-len(r["stories"]), r["outlet"]))


def narrative_detail(request: Request, narrative_id: str) -> dict[str, Any]:
    """Everything the narrative page shows, as JSON-ready data (404 for an unknown id)."""
    if not NARRATIVE_ID.fullmatch(narrative_id):
        raise ApiError(404, "not-found", f"no narrative {narrative_id[:80]!r}: an id is n and hex digits")
    with read_store(request) as store:
        n = get_narrative(store, narrative_id)
        model = stance_model(request)  # loaded on the first narrative that exists
        read = list(dict.fromkeys(c.doc_id for c in n.claims))[:MAX_STANCE_STORIES]  # the earliest stories
        keep = set(read)
        key = (n.id, tuple(c.key for c in n.claims if c.doc_id in keep))  # a new member is a new reading
        stance = cached_stance(request, key)
        if stance is None:
            stance = narrative_stance(store, replace(n, claims=tuple(c for c in n.claims if c.doc_id in keep)), model=model)
            cached_stance(request, key, stance)
        cases = narrative_cases(store.con, n.id)
        titles = story_titles(store.con, [c.doc_id for c in n.claims])
        names = entity_names(store.con, n.entities)
    data = n.to_dict()
    data["stories_per_day"] = stories_per_day(n)
    data["stance_by_outlet"] = stance_rows(n, stance)
    data["stance_stories_read"] = len(read)
    data["debunk_cases"] = cases
    data["story_titles"] = {doc_id: title for doc_id, (title, _) in titles.items()}
    data["entity_names"] = {e: names.get(e, e) for e in n.entities}
    return data


def outlet_names(request: Request, most: int = 500) -> list[str]:
    """The outlets a filter box offers (by name; most outlets a store holds fit)."""
    with read_store(request) as store:
        rows, _ = outlet_page(store.con, "name", most)
    return [r["outlet"] for r in rows]


def list_page(request: Request):
    listing, items = narrative_list(request)
    return render(request, "pages_narratives.html", state=listing, items=items, orders=ORDER_LABELS,
                  outlets=outlet_names(request), **links())


def list_api(request: Request) -> JSONResponse:
    """Narratives (``order``: size | stories | outlets | languages | newest | first_seen | last_seen;
    ``min_stories``; ``outlet``; ``limit``, ``offset``): the rows of ``/narratives``."""
    listing, items = narrative_list(request)
    return JSONResponse({**listing.to_dict(), "items": items})


def detail_page(request: Request):
    data = narrative_detail(request, request.path_params["narrative_id"])
    chart = time_chart(data["stories_per_day"], f"Stories per day per outlet carrying narrative {data['id']}")
    return render(request, "pages_narrative.html", n=data, chart=chart, **links())


def detail_api(request: Request) -> JSONResponse:
    """One narrative: its claims, stories per day per outlet, who carried it first and who
    followed, the stance of each outlet's stories towards its claim, the debunk cases it matches."""
    return JSONResponse(narrative_detail(request, request.path_params["narrative_id"]))


routes = [
    Route("/narratives", list_page, methods=["GET"]),
    Route("/narratives/{narrative_id}", detail_page, methods=["GET"]),
    Route("/api/narratives", list_api, methods=["GET"]),
    Route("/api/narratives/{narrative_id}", detail_api, methods=["GET"]),
]
nav = [("/narratives", "Narratives")]
