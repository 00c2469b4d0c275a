"""The browsable lists and profiles of the workbench, and their JSON twins.

Narratives (:mod:`.narratives_pages`), outlets, actors (entities) and
debunk cases: each a list sorted, filtered and paged in SQL
(:mod:`propwatch.store.profiles`) with its state in the query string
(:mod:`.page_state`), and a profile page. The API (``/api/<list>``,
``/api/<list>/<id>``) answers the same parameters with the same rows, a
list paged as ``{total, limit, offset, next, items}``. A filter value the
store does not know, or a number that is not one, is a 400; an unknown id a
404, both in the one error shape.

- ``/outlets``, ``/outlets/<name>``: stories, languages, techniques in the
  outlet's own voice against the corpus (a rate chart), sourcing, the
  narratives it carried, the debunked claims its stories carry, risk bands.
- ``/entities``, ``/entities/<id>``: one actor: type, aliases, mentions per
  outlet over time, what they are quoted saying, what is said about them,
  their stories and the narratives naming them.
- ``/debunks``: the imported cases with how many stories carry each (only
  matches that count against a story; the related ones apart), or with
  ``q`` the debunk database searched as ``propwatch debunks search`` ranks
  it; ``/debunks/<case>``: the case, its disproof and the claims matching it
  with their stories and stance.
"""

from __future__ import annotations

import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..ingest.outlets import outlet_by_name
from ..narratives.service import narratives_by_id
from ..output.report import technique_info
from ..store import profiles as P
from . import narratives_pages
from .app import paging, read_store, render, state
from .charts import RateRow, rate_chart, time_chart
from .errors import ApiError
from .narratives_pages import known_outlet, outlet_names
from .page_state import ListState, choice, links, text

PROFILE_ROWS = 50  # rows of each list on a profile page (quotes, stories, claims); the totals are given
OUTLET_ORDER_LABELS = {"stories": "stories", "name": "name", "last_seen": "last seen", "debunked": "debunked claims"}
ENTITY_ORDER_LABELS = {"mentions": "mentions", "stories": "stories", "outlets": "outlets", "quotes": "quotes",
                       "name": "name", "last_seen": "last seen"}
_INDEX_LOCK = threading.Lock()


def _json(data: Any) -> JSONResponse:
    return JSONResponse(data)


# ---------------------------------------------------------------- outlets


def outlet_list(request: Request) -> tuple[ListState, list[dict[str, Any]]]:
    """The outlet list's state and rows, each with its techniques per story and affiliation."""
    order = choice(request, "order", tuple(P.OUTLET_ORDERS), "stories")
    limit, offset = paging(request)
    with read_store(request) as store:
        rows, total = P.outlet_page(store.con, order, limit, offset)
    for row in rows:
        row["techniques_per_story"] = round(row["techniques"] / row["stories"], 3) if row["stories"] else None
        row.update(affiliation(row["outlet"]))
    return ListState("/outlets", {"order": order}, {"order": "stories"}, limit, offset, total), rows


def affiliation(name: str) -> dict[str, Any]:
    """The outlet table's country and affiliation of an outlet, with their source (None when not listed)."""
    known = outlet_by_name(name)
    if known is None:
        return {"country": None, "affiliation": None, "affiliation_note": None, "affiliation_source": None}
    return {"country": known.country, "affiliation": known.affiliation, "affiliation_note": known.note,
            "affiliation_source": known.source or None}


def technique_totals(request: Request, con: Any) -> dict[str, tuple[int, int]]:
    """The stories and words the techniques stage analysed per outlet, counted once per state of
    the store (reading every text takes seconds on a big store) and kept by the server."""
    mark = con.execute("SELECT count(*), max(created_at) FROM layer_state WHERE layer = 'techniques'").fetchone()
    mark = (*mark, *con.execute("SELECT count(*), max(ingested_at) FROM documents").fetchone())
    extras = state(request).extras
    kept = extras.get("technique_totals")
    if kept is None or kept[0] != mark:
        kept = (mark, P.technique_totals(con))
        extras["technique_totals"] = kept  # two requests at once may both count: same answer
    return kept[1]


def outlet_detail(request: Request, name: str) -> dict[str, Any]:
    """One outlet's profile as JSON-ready data (404 when no story has that outlet)."""
    with read_store(request) as store:
        con = store.con
        stored = P.outlet_exists(con, name)
        if stored is None:
            raise ApiError(404, "not-found", f"no story is from outlet {name[:80]!r}")
        [row], _ = P.outlet_page(con, name=stored)
        per_day, undated = P.stories_per_day(con, stored)
        rates = P.technique_rates(con, stored, technique_totals(request, con))
        sourcing = P.sourcing_rates(con, stored)
        carried, n_carried = P.narrative_page(con, 2, 1, "size", PROFILE_ROWS, 0, stored)
        labels = {n.id: n.label for n in narratives_by_id(store, [r.id for r in carried])}
        debunked = P.debunked_claims(con, outlet=stored)
        bands = P.risk_bands(con, stored)
    for t in rates["techniques"]:
        t.update(technique_info(t["technique"]))
    return {
        **row, **affiliation(stored), "stories_per_day": [{"day": d, "stories": n} for d, n in per_day],
        "undated_stories": undated, "technique_rates": rates, "sourcing": sourcing, "risk_bands": bands,
        "narratives": [{"id": r.id, "label": labels.get(r.id, ""), "n_stories": r.n_stories, "stories": r.outlet_stories,
                        "first_seen": r.outlet_first_seen, "narrative_first_seen": r.first_seen,
                        "outlets": list(r.outlets)} for r in carried],
        "narratives_total": n_carried, "debunked_claims": debunked[:PROFILE_ROWS], "debunked_total": len(debunked),
    }


def outlet_list_page(request: Request):
    listing, items = outlet_list(request)
    return render(request, "pages_outlets.html", state=listing, items=items, orders=OUTLET_ORDER_LABELS, **links())


def outlet_list_api(request: Request) -> JSONResponse:
    """Outlets (``order``: stories | name | last_seen | debunked; ``limit``, ``offset``): the rows of ``/outlets``."""
    listing, items = outlet_list(request)
    return _json({**listing.to_dict(), "items": items})


def outlet_page(request: Request):
    data = outlet_detail(request, request.path_params["name"])
    chart = time_chart({data["outlet"]: {r["day"]: r["stories"] for r in data["stories_per_day"]}},
                       f"Stories of {data['outlet']} over time")
    rates = [RateRow(t["label"], t["per_1000_words"] or 0.0, t["corpus_per_1000_words"])
             for t in data["technique_rates"]["techniques"]]
    rate = rate_chart(rates, f"Techniques per 1,000 words in {data['outlet']}'s own voice against the corpus",
                      "spans per 1,000 words")
    return render(request, "pages_outlet.html", o=data, chart=chart, rate=rate, **links())


def outlet_api(request: Request) -> JSONResponse:
    """One outlet's profile: the list's row, stories per day, technique and sourcing rates against
    the corpus, risk bands, the narratives it carried, the debunked claims its stories carry."""
    return _json(outlet_detail(request, request.path_params["name"]))


# ---------------------------------------------------------------- entities


def entity_list(request: Request) -> tuple[ListState, list[dict[str, Any]]]:
    """The actor list's state (order, type, outlet, name text) and rows."""
    order = choice(request, "order", tuple(P.ENTITY_ORDERS), "mentions")
    label = text(request, "type", 40)
    outlet = text(request, "outlet")
    q = text(request, "q", 200)
    limit, offset = paging(request)
    with read_store(request) as store:
        labels = P.entity_labels(store.con)
        if label:
            found = next((lab for lab in labels if lab.lower() == label.lower()), None)
            if found is None:
                raise ApiError(400, "bad-request", f"type must be one of {', '.join(labels) or '(none: no entities)'}, "
                               f"not {label[:40]!r}")
            label = found
        outlet = known_outlet(store, outlet)
        rows, total = P.entity_page(store.con, order, limit, offset, label or None, outlet or None, q or None)
    params = {"order": order, "type": label, "outlet": outlet, "q": q}
    listing = ListState("/entities", params, {"order": "mentions"}, limit, offset, total)
    return listing, rows


def known_aliases(entity_id: str) -> list[str]:
    """The names the alias table gives an actor (its canonical name first); none when not listed."""
    from ..who.aliases import load_table

    table = load_table(None)
    actor = table.actors.get(entity_id)
    if actor is None:
        return []
    names = [actor.name, *(a for a, i in table.exact.items() if i == entity_id),
             *(a for a, i in table.folded.items() if i == entity_id)]
    seen: dict[str, str] = {}
    for n in names:
        seen.setdefault(n.casefold(), n)
    return list(seen.values())


def entity_detail(request: Request, entity_id: str) -> dict[str, Any]:
    """One actor's profile as JSON-ready data (404 when no story mentions it)."""
    with read_store(request) as store:
        con = store.con
        summary = P.entity_summary(con, entity_id)
        if summary is None:
            raise ApiError(404, "not-found", f"no story mentions an actor {entity_id[:80]!r}")
        timeline = P.entity_timeline(con, entity_id)
        quotes, n_quotes = P.quotes_by(con, entity_id, PROFILE_ROWS)
        said, n_said = P.said_about(con, entity_id, PROFILE_ROWS)
        stories, n_stories = P.entity_stories(con, entity_id, PROFILE_ROWS)
        narratives = P.entity_narratives(con, entity_id, PROFILE_ROWS)
        labels = {n.id: n.label for n in narratives_by_id(store, [r["narrative_id"] for r in narratives])}
    for n in narratives:
        n["label"] = labels.get(n["narrative_id"], "")
    per_day: dict[str, dict[str, int]] = {}
    undated = 0
    for outlet, day, n in timeline:
        if day:
            per_day.setdefault(outlet, {})[day] = n
        else:
            undated += n
    return {**summary, "aliases": known_aliases(entity_id), "mentions_per_day": per_day, "undated_mentions": undated,
            "quotes": quotes, "quotes_total": n_quotes, "said_about": said, "said_about_total": n_said,
            "story_list": stories, "stories_total": n_stories, "narratives": narratives}


def entity_list_page(request: Request):
    listing, items = entity_list(request)
    with read_store(request) as store:
        types = P.entity_labels(store.con)
    return render(request, "pages_entities.html", state=listing, items=items, orders=ENTITY_ORDER_LABELS, types=types,
                  outlets=outlet_names(request), **links())


def entity_list_api(request: Request) -> JSONResponse:
    """Actors (``order``: mentions | stories | outlets | quotes | name | last_seen; ``type``: PERSON,
    ORG, ...; ``outlet``; ``q``: part of a name or id; ``limit``, ``offset``): the rows of ``/entities``."""
    listing, items = entity_list(request)
    return _json({**listing.to_dict(), "items": items})


def entity_page(request: Request):
    data = entity_detail(request, request.path_params["entity_id"])
    chart = time_chart(data["mentions_per_day"], f"Mentions of {data['name']} per outlet over time", unit="mentions")
    return render(request, "pages_entity.html", e=data, chart=chart, **links())


def entity_api(request: Request) -> JSONResponse:
    """One actor: type, aliases, the forms the text uses, mentions per outlet per day, quotes by them,
    sentences about them, their stories and the narratives naming them (each list its first 50 and total)."""
    return _json(entity_detail(request, request.path_params["entity_id"]))


# ---------------------------------------------------------------- debunks


def debunk_index(request: Request, store: Any) -> Any:
    """The debunk search index of this server, built as ``propwatch debunks search`` builds it
    (the same embedder, reranker and cross-encoder, so the same ranking) on first use and again
    when the imported debunks change."""
    from ..debunks.db import DebunkDB
    from ..debunks.search import DebunkIndex
    from ..embeddings import get_embedder

    con = store.con
    mark = con.execute("SELECT count(*), max(imported_at) FROM debunk_imports").fetchone() \
        if P.has_table(con, "debunk_imports") else (0, None)
    mark = (*mark, con.execute("SELECT count(*) FROM debunks").fetchone()[0])
    extras = state(request).extras
    with _INDEX_LOCK:
        built = extras.get("debunk_index")
        if built is None or built[0] != mark:
            index = DebunkIndex.from_db(DebunkDB(store), embedder=get_embedder("auto"), cross_encoder="auto")
            extras["debunk_index"] = built = (mark, index)
    return built[1]


def debunk_list(request: Request) -> tuple[ListState, list[dict[str, Any]]]:
    """The case list (newest first), or with ``q`` the search's ranking; its state and rows."""
    q = text(request, "q", 1000)
    limit, offset = paging(request)
    with read_store(request) as store:
        if not q:
            rows, total = P.debunk_page(store.con, limit, offset)
            return ListState("/debunks", {"q": ""}, {}, limit, offset, total), rows
        if not P.has_table(store.con, "debunks"):
            return ListState("/debunks", {"q": q}, {}, limit, offset, 0), []
        index = debunk_index(request, store)
        matches = index.search(q, k=min(offset + limit, len(index)))[offset:]
        counts = {r["id"]: r for r in P.debunk_page(store.con, ids=[m.debunk.id for m in matches])[0]}
    rows = []
    for m in matches:
        row = {**counts.get(m.debunk.id, {}), "rank": m.rank, "score": round(m.score, 4), "match": index.is_match(m),
               "fused": round(m.fused, 4), "bm25": round(m.bm25, 4), "dense": round(m.dense, 4)}
        rows.append(row)
    return ListState("/debunks", {"q": q}, {}, limit, offset, len(index)), rows


def debunk_detail(request: Request, key: str) -> dict[str, Any]:
    """One case as JSON-ready data: the case, its disproof and link, where it was imported from,
    and the stored claims matching it with their stories and stance (404 for an unknown case)."""
    from ..debunks.db import DebunkDB

    with read_store(request) as store:
        debunk_id = P.debunk_id_of(store.con, key)
        if debunk_id is None:
            raise ApiError(404, "not-found", f"no debunk case {key[:80]!r}")
        db = DebunkDB(store)
        d = db.get(debunk_id)
        provenance = db.provenance(debunk_id)
        [counts], _ = P.debunk_page(store.con, ids=[debunk_id])
        claims = P.debunked_claims(store.con, debunk_id=debunk_id, counted_only=False)
        stances = P.case_stances(store.con, debunk_id)
    for c in claims:
        c["stance"] = stances.get((c["doc_id"], c["start"], c["end"]))
    return {
        **counts, "explanation": d.explanation, "claimant": d.claimant, "reviewer": d.reviewer,
        "countries": list(d.countries), "languages": list(d.languages), "keywords": list(d.keywords),
        "appearances": list(d.appearances), "provenance": provenance,
        "claims": claims[:PROFILE_ROWS * 4], "claims_total": len(claims),
    }


def debunk_list_page(request: Request):
    listing, items = debunk_list(request)
    return render(request, "pages_debunks.html", state=listing, items=items, **links())


def debunk_list_api(request: Request) -> JSONResponse:
    """Debunk cases, newest first, each with the stories that carry it (``carried``: matches that
    count against the story), match it in all (``matched``) and are only related (``related``);
    with ``q``, every case ranked against ``q`` as ``propwatch debunks search`` ranks them
    (``rank``, ``score``, ``match``: over the index's threshold). ``limit``, ``offset``."""
    listing, items = debunk_list(request)
    return _json({**listing.to_dict(), "items": items})


def debunk_search_api(request: Request) -> JSONResponse:
    """``/api/debunks/search?q=``: the search of ``/api/debunks?q=`` (``q`` required)."""
    if not text(request, "q", 1000):
        raise ApiError(400, "bad-request", "q: give the claim to look up")
    return debunk_list_api(request)


def debunk_page(request: Request):
    data = debunk_detail(request, request.path_params["case"])
    return render(request, "pages_debunk.html", d=data, **links())


def debunk_api(request: Request) -> JSONResponse:
    """One debunk case: claim, verdict, disproof, the database's link, provenance, the stored claims
    matching it (story, outlet, relation, whether it counts against the story, stance)."""
    return _json(debunk_detail(request, request.path_params["case"]))


routes = [
    *narratives_pages.routes,
    Route("/outlets", outlet_list_page, methods=["GET"]),
    Route("/outlets/{name:path}", outlet_page, methods=["GET"]),
    Route("/api/outlets", outlet_list_api, methods=["GET"]),
    Route("/api/outlets/{name:path}", outlet_api, methods=["GET"]),
    Route("/entities", entity_list_page, methods=["GET"]),
    Route("/entities/{entity_id:path}", entity_page, methods=["GET"]),
    Route("/api/entities", entity_list_api, methods=["GET"]),
    Route("/api/entities/{entity_id:path}", entity_api, methods=["GET"]),
    Route("/debunks", debunk_list_page, methods=["GET"]),
    Route("/debunks/{case:path}", debunk_page, methods=["GET"]),
    Route("/api/debunks", debunk_list_api, methods=["GET"]),
    Route("/api/debunks/search", debunk_search_api, methods=["GET"]),
    Route("/api/debunks/{case:path}", debunk_api, methods=["GET"]),
]
nav = [*narratives_pages.nav, ("/outlets", "Outlets"), ("/entities", "Actors"), ("/debunks", "Debunks")]

__all__ = ["debunk_index", "nav", "routes"]
