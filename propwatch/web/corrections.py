"""Corrections in the workbench: the story page's forms, the list of decisions, the API.

Routes::

    POST /stories/{doc_id}/corrections        a decision from a story page form (303 back to the story)
    POST /corrections/{id}/undo               withdraw a decision (303 back where it was made)
    GET  /corrections                         recent decisions, newest first (?layer=, ?analyst=, paging)
    GET  /api/corrections                     the same as JSON; ?doc_id= gives a story's current
                                              decisions placed on its machine output
    POST /api/corrections                     a decision as JSON, or {"undo": id}; 201 with what was stored
    GET  /api/stories/{doc_id}/corrections    the story's machine record, its corrected view, its decisions

A decision's fields are those of :class:`propwatch.corrections.Decision`
(``layer``, ``decision``, ``start``, ``end``, ``machine_label``, ``label``,
``note``; a form's ``entity_id`` and ``kind`` go into ``detail``); who made it
is the logged-in user, never a field. Readers get 403, a bad decision 400
``bad-correction``, a story or item that is not there 404.

The story page includes ``corrections_story.html``, which asks for the
story's decisions through the template global ``story_corrections(doc_id)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..corrections import Decision, corrected_record, entity_merges, record_decision, story_verdicts, undo
from ..corrections.decisions import DECISIONS, LAYER_NAMES, STANCES, analysts, recent, undone
from ..errors import InputError, NotFoundError
from ..output.records import document_record
from .app import environment, json_body, paging, read_store, render, write_store, writer_form
from .auth import current_user, require_writer
from .errors import ApiError
from .stories import STORY_ID

FIELDS = ("layer", "decision", "start", "end", "machine_label", "label", "note", "detail")
LAYERS = tuple(DECISIONS)


def _story_id(doc_id: str) -> str:
    if not STORY_ID.fullmatch(doc_id):
        raise ApiError(404, "not-found", f"no story {doc_id[:80]!r}: an id is 4 to 64 hex digits")
    return doc_id


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(400, "bad-correction", f"{name} must be text, not {type(value).__name__}")
    return value


def _offset(data: Mapping[str, Any], name: str, from_form: bool) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if from_form and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if not from_form and isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ApiError(400, "bad-correction", f"{name} must be a whole number, not {str(value)[:40]!r}")


def decision_from(data: Mapping[str, Any], doc_id: str, analyst: str, origin: str) -> Decision:
    """A :class:`Decision` from a form (``origin`` "web": every value is text) or a JSON
    object ("api"); 400 ``bad-correction`` for a field of the wrong type."""
    from_form = origin == "web"
    if not from_form:
        unknown = sorted(set(data) - {*FIELDS, "doc_id"})
        if unknown:
            raise ApiError(400, "bad-correction", f"unknown field {unknown[0][:40]!r}; use {', '.join(FIELDS)}")
    layer = _text(data, "layer") or ""
    decision = _text(data, "decision") or ""
    if from_form:
        detail = {k: v for k in ("entity_id", "kind") if (v := _text(data, k))}
    else:
        detail = data.get("detail") or {}
        if not isinstance(detail, Mapping):
            raise ApiError(400, "bad-correction", "detail must be an object")
    corpus_wide = decision == "merge"
    return Decision(
        doc_id="" if corpus_wide else doc_id, layer=layer, decision=decision, analyst=analyst,
        start=_offset(data, "start", from_form), end=_offset(data, "end", from_form),
        machine_label=_text(data, "machine_label"), label=_text(data, "label"), detail=dict(detail),
        note=_text(data, "note") or "", origin=origin,
    )


async def _in_store(request: Request, work) -> Any:
    """``work(store)`` under the writer lock, in the thread pool; 400 ``bad-correction``
    for a decision that makes no sense."""
    def run():
        with write_store(request) as store:
            return work(store)

    try:
        return await run_in_threadpool(run)
    except InputError as exc:
        raise ApiError(400, "bad-correction", exc.reason) from None


async def _store_decision(request: Request, decision: Decision) -> Any:
    return await _in_store(request, lambda store: record_decision(store, decision))


async def _store_undo(request: Request, correction_id: int, analyst: str, origin: str) -> Any:
    return await _in_store(request, lambda store: undo(store, correction_id, analyst, origin))


def _form_error(request: Request, exc: Exception) -> Response:
    """A failed form drawn as the error page (a browser gets a page, not JSON)."""
    if isinstance(exc, ApiError):
        status, code, message = exc.status, exc.code, exc.message
    else:
        status, code, message = 404, "not-found", str(exc)
    return render(request, "error.html", status=status, error={"status": status, "code": code, "message": message})


async def story_correction(request: Request) -> Response:
    """POST /stories/{doc_id}/corrections: one decision from the story page."""
    doc_id = _story_id(request.path_params["doc_id"])
    form = await writer_form(request)
    user = current_user(request)
    try:
        stored = await _store_decision(request, decision_from(form, doc_id, user.name, "web"))
    except (ApiError, NotFoundError) as exc:
        if isinstance(exc, ApiError) and exc.status in (401, 403):
            raise
        return _form_error(request, exc)
    target = stored.doc_id or doc_id
    return RedirectResponse(f"/stories/{target}#correction-{stored.id}", status_code=303)


async def undo_form(request: Request) -> Response:
    """POST /corrections/{id}/undo: withdraw a decision; back to its story (or ``next``)."""
    form = await writer_form(request)
    user = current_user(request)
    try:
        correction_id = int(request.path_params["correction_id"])
        stored = await _store_undo(request, correction_id, user.name, "web")
    except (ApiError, NotFoundError) as exc:
        if isinstance(exc, ApiError) and exc.status in (401, 403):
            raise
        return _form_error(request, exc)
    back = form.get("next")
    if isinstance(back, str) and back.startswith("/") and not back.startswith("//") and "\\" not in back:
        return RedirectResponse(back, status_code=303)
    return RedirectResponse(f"/stories/{stored.doc_id}#corrections" if stored.doc_id else "/corrections",
                            status_code=303)


def _filters(request: Request) -> tuple[str, str]:
    layer = request.query_params.get("layer", "")
    analyst = request.query_params.get("analyst", "")
    if layer and LAYER_NAMES.get(layer, layer) not in DECISIONS:
        raise ApiError(400, "bad-request", f"layer {layer[:40]!r} is not one of {', '.join(LAYERS)}")
    return LAYER_NAMES.get(layer, layer), analyst


def _listing(request: Request) -> dict[str, Any]:
    layer, analyst = _filters(request)
    limit, offset = paging(request)
    with read_store(request) as store:
        rows, total = recent(store.con, layer, analyst, limit, offset)
        withdrawn = undone(store.con, [r.id for r in rows])
        ids = sorted({r.doc_id for r in rows if r.doc_id})
        titles = dict(store.con.execute("SELECT id, title FROM documents WHERE id IN (SELECT unnest(?))",
                                        [ids]).fetchall()) if ids else {}
        names = analysts(store.con)
    items = [{**r.to_dict(), "undone": r.id in withdrawn, "title": titles.get(r.doc_id)} for r in rows]
    return {"items": items, "total": total, "limit": limit, "offset": offset, "layer": layer, "analyst": analyst,
            "analysts": names}


def corrections_page(request: Request) -> Response:
    """GET /corrections: every decision, newest first, by layer and analyst."""
    listing = _listing(request)
    query = {k: listing[k] for k in ("layer", "analyst") if listing[k]}
    limit, offset, total = listing["limit"], listing["offset"], listing["total"]
    pages = {
        "prev": f"/corrections?{urlencode({**query, 'offset': max(0, offset - limit), 'limit': limit})}" if offset else None,
        "next": f"/corrections?{urlencode({**query, 'offset': offset + limit, 'limit': limit})}" if offset + limit < total else None,
    }
    return render(request, "corrections_list.html", layers=LAYERS, pages=pages,
                  export_href="/exports/corrections.jsonl" + (f"?{urlencode(query)}" if query else ""), **listing)


def api_corrections(request: Request) -> Response:
    """GET /api/corrections: recent decisions; ``?doc_id=`` a story's current ones, placed."""
    doc_id = request.query_params.get("doc_id")
    if doc_id:
        with read_store(request) as store:
            doc = store.get(_story_id(doc_id))
            placed = story_verdicts(store.con, doc)
        return JSONResponse({"doc_id": doc.id, "items": [v.to_dict() for v in placed], "total": len(placed)})
    listing = _listing(request)
    listing.pop("analysts")
    return JSONResponse(listing)


async def api_post_correction(request: Request) -> Response:
    """POST /api/corrections: ``{"doc_id", "layer", "decision", "start", "end", ...}`` or ``{"undo": id}``."""
    user = require_writer(request)
    body = await json_body(request)
    if not isinstance(body, Mapping):
        raise ApiError(400, "bad-correction", "send one decision as a JSON object")
    if "undo" in body:
        target = body["undo"]
        if set(body) != {"undo"} or isinstance(target, bool) or not isinstance(target, int):
            raise ApiError(400, "bad-correction", 'an undo is {"undo": <correction id>} and nothing else')
        stored = await _store_undo(request, target, user.name, "api")
    else:
        doc_id = body.get("doc_id")
        if body.get("decision") != "merge":
            if not isinstance(doc_id, str):
                raise ApiError(400, "bad-correction", "doc_id (the story's id) is needed")
            doc_id = _story_id(doc_id)
        stored = await _store_decision(request, decision_from(body, doc_id or "", user.name, "api"))
    return JSONResponse(stored.to_dict(), status_code=201)


def api_story_corrections(request: Request) -> Response:
    """GET /api/stories/{doc_id}/corrections: machine output and the corrected view, side by side."""
    doc_id = _story_id(request.path_params["doc_id"])
    with read_store(request) as store:
        doc = store.get(doc_id)
        record = document_record(doc)
        corrected = corrected_record(store.con, doc, record)
    return JSONResponse({"doc_id": doc.id, "decisions": corrected["corrections"], "machine": record,
                         "corrected": corrected})


# ---------------------------------------------------------------- the story page's block


@pass_context
def story_corrections(context: Any, doc_id: str) -> dict[str, Any]:
    """What ``corrections_story.html`` draws for one story: each item's current decision
    (``marks["techniques|3"]``: the decision on the fourth technique span), the decisions
    that no longer sit on an item (orphaned, added), the merges, and the choices."""
    from ..techniques.inventory import PTC_TECHNIQUES, label

    request = context["request"]
    with read_store(request) as store:
        doc = store.get(doc_id)
        placed = story_verdicts(store.con, doc)
        merges = entity_merges(store.con)
    marks = {f"{v.correction.layer}|{v.index}": v.to_dict() for v in placed if v.index is not None}
    loose = [v.to_dict() for v in placed if v.index is None]
    entities = sorted({(e.entity_id, e.name or e.text) for e in doc.layer("entities") if e.entity_id})
    user = current_user(request)
    return {
        "marks": marks, "loose": loose, "count": len(placed), "merges": merges,
        "entities": [{"id": e, "name": n, "merged_into": merges.get(e)} for e, n in entities],
        "techniques": [(t, label(t)) for t in PTC_TECHNIQUES], "stances": STANCES,
        "can_write": bool(user and user.can_write),
    }


environment().globals["story_corrections"] = story_corrections

routes = [
    Route("/stories/{doc_id}/corrections", story_correction, methods=["POST"]),
    Route("/corrections/{correction_id:int}/undo", undo_form, methods=["POST"]),
    Route("/corrections", corrections_page, methods=["GET"]),
    Route("/api/corrections", api_corrections, methods=["GET"]),
    Route("/api/corrections", api_post_correction, methods=["POST"]),
    Route("/api/stories/{doc_id}/corrections", api_story_corrections, methods=["GET"]),
]
nav = [("/corrections", "Corrections")]
