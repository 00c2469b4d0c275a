"""The story page, live from the store, and its record in the API.

The page is the report's story page (the same highlighted text, technique
legend and colours, score threshold and assessment, from
:func:`propwatch.output.report.story_context`) with the workbench's links:
each quote's speaker to ``/entities/<id>``, each claim to the narrative it
belongs to (``/narratives/<id>``), each debunk match to ``/debunks/<case>``
with the database's disproof beside it. Layer toggles switch the marks of
techniques, quotes, claims and debunked claims on and off. The corrections
area adds its forms through ``corrections_story.html`` when it exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..narratives import narratives_of_document
from ..output.records import document_record
from ..output.report import case_cell, story_context, technique_info
from ..records import Document
from .app import read_store, render
from .errors import ApiError

STORY_ID = re.compile(r"[0-9a-f]{4,64}")
# the layers whose report tables the page replaces with linked ones
LINKED_LAYERS = ("Quotes and speakers", "Check-worthy claims", "Known debunks")
TOGGLES = (("tech", "techniques"), ("quote", "quotes"), ("claim", "claims"), ("debunked", "debunked claims"))


def load_story(request: Request, doc_id: str) -> tuple[Document, list[dict[str, Any]], dict[str, str]]:
    """The story, where it was found, and claim key -> narrative id (404 when no such story)."""
    if not STORY_ID.fullmatch(doc_id):
        raise ApiError(404, "not-found", f"no story {doc_id[:80]!r}: an id is 4 to 64 hex digits")
    with read_store(request) as store:
        doc = store.get(doc_id)
        return doc, store.sources_of(doc.id), narratives_of_document(store, doc.id)


def case_href(match: Mapping[str, Any]) -> str:
    """The workbench page of a debunk match's case."""
    return "/debunks/" + quote(str(match.get("case_id") or match.get("debunk_id") or ""), safe="")


def quote_rows(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for q in record.get("quotes") or []:
        speaker = q.get("speaker") or {}
        rows.append({
            "text": q.get("text", ""), "direct": q.get("direct", True), "cue": (q.get("cue") or {}).get("text"),
            "speaker": speaker.get("name"), "speaker_kind": speaker.get("kind", "unknown"),
            "speaker_href": f"/entities/{quote(speaker['entity_id'], safe='')}" if speaker.get("entity_id") else None,
            "start": q.get("start"), "end": q.get("end"),
        })
    return rows


def claim_rows(record: Mapping[str, Any], narratives: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    for c in record.get("claims") or []:
        narrative = narratives.get(f"{record['id']}:{c.get('start')}-{c.get('end')}")
        att = c.get("attributed_to") or {}
        rows.append({
            "text": c.get("text", ""), "checkworthiness": c.get("checkworthiness"),
            "attributed_to": att.get("name") if isinstance(att, Mapping) else att,
            "narrative": narrative, "narrative_href": f"/narratives/{quote(narrative, safe='')}" if narrative else None,
            "start": c.get("start"), "end": c.get("end"),
        })
    return rows


def debunk_rows(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for m in record.get("debunk_matches") or []:
        rows.append({
            "text": m.get("text", ""), "relation": m.get("relation") or "match",
            "article_relation": m.get("article_relation") or "unknown", "counts_against": bool(m.get("counts_against")),
            "case": case_cell(m), "href": case_href(m), "database": m.get("database") or "",
            "debunk_claim": m.get("debunk_claim", ""), "verdict": m.get("verdict"),
            "disproof": m.get("explanation") or "", "score": m.get("score"),
        })
    return rows


def story_page_context(doc: Document, sources: list[dict[str, Any]], narratives: Mapping[str, str]) -> dict[str, Any]:
    """Everything the story page draws (the report's context plus the linked tables)."""
    context = story_context(doc, sources)
    record = context["s"]
    context["tables"] = [t for t in context["tables"] if t["title"] not in LINKED_LAYERS and not t.get("weak")]
    debunks = debunk_rows(record)
    context.update(
        doc_id=doc.id, quotes=quote_rows(record), claims=claim_rows(record, narratives),
        matches=[d for d in debunks if d["relation"] == "match"],
        related=[d for d in debunks if d["relation"] != "match"],
        toggles=[t for t in TOGGLES if _has_marks(context, t[0])],
        techniques=sorted({t.get("technique", "") for t in record.get("techniques") or []}),
        technique_info=technique_info,
    )
    return context


def _has_marks(context: Mapping[str, Any], kind: str) -> bool:
    return {"tech": bool(context["legend"]), "quote": context["has_quotes"], "claim": context["has_claims"],
            "debunked": context["has_debunked"] or context["has_reported"]}[kind]


def story_page(request: Request) -> Response:
    """GET /stories/{id}: one story, live from the store (``/stories/{id}.html``, the static
    report's address, gives the same page)."""
    doc_id = request.path_params["doc_id"]
    doc, sources, narratives = load_story(request, doc_id[:-5] if doc_id.endswith(".html") else doc_id)
    return render(request, "story.html", **story_page_context(doc, sources, narratives))


def api_story(request: Request) -> Response:
    """GET /api/stories/{id}: the story's record with every stored layer (the CLI's `show --format json`),
    and the narrative of each claim."""
    doc, sources, narratives = load_story(request, request.path_params["doc_id"])
    record = document_record(doc)
    record["sources"] = sources
    record["claim_narratives"] = narratives
    return JSONResponse(record)


routes = [
    Route("/stories/{doc_id}", story_page, methods=["GET"]),
    Route("/api/stories/{doc_id}", api_story, methods=["GET"]),
]
nav: list[tuple[str, str]] = []
