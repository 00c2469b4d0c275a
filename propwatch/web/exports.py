"""Exports from the browser: the stories of a search, the narratives, the analysts' decisions.

Routes::

    GET /exports                               the exports page (a search's filters, every file)
    GET /exports/stories.csv?q=&outlet=...     the stories the search finds, one row each (CSV)
    GET /exports/stories.jsonl?q=&outlet=...   the same stories with their corrected layers (JSON Lines)
    GET /exports/narratives.csv                narratives (?min_stories=, ?outlet=, ?order=)
    GET /exports/corrections.jsonl             every decision, oldest first (?layer=, ?analyst=)
    GET /exports/training/{layer}.jsonl        the decisions as training examples (quotes, techniques,
                                               claims, debunks; ?analyst=)
    GET /exports/labelstudio/{layer}.json      Label Studio tasks with the machine's predictions
    GET /exports/labelstudio/{layer}.xml       the Label Studio labelling config of those tasks

The stories exports take the search page's parameters (``q``, ``sort``,
``from``, ``to`` and every facet: ``outlet``, ``language``, ``technique``,
``risk``, ...), so the search page's "CSV" link exports what it shows; a
filter the store cannot know is a 400, as on the search page. Stories are
read in chunks of :data:`CHUNK`, their layers in SQL from the layer tables
(no document is loaded), and the file streams as it is written (the store is
let go between chunks). Both show the analysts' corrections: rejected items
are left out, relabelled ones carry the analyst's label.

CSV is for a spreadsheet: one value per cell, lists joined with ``"; "``,
counts in their own columns, never a JSON array, and a cell starting with
``= + - @`` (or tab, CR) gets a leading ``'`` so it is not run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..corrections.attach import apply_corrections, verdicts
from ..corrections.decisions import corrections, entity_merges, layer_name, undone
from ..corrections.training import TRAINING_LAYERS, gold_examples, label_config, labelstudio_tasks
from ..output.writers import item_cell, spreadsheet_safe
from ..search import FACETS, SORTS, search, selection_from
from ..search.facets import RISK_BANDS
from .app import read_store, render
from .errors import ApiError

CHUNK = 1000  # stories per query: one page of the search, then the layers of its stories
# layer -> the columns exported (an item of the corrected view; `seq` keeps the layer's order)
EXPORT_LAYERS = {
    "techniques": 'start, "end", text, technique, score',
    "quotes": 'start, "end", text, speaker',
    "claims": 'start, "end", text, checkworthiness',
    "debunk_matches": 'start, "end", text, debunk_id, debunk_claim, relation, article_relation, counts_against',
    "entities": 'start, "end", text, entity_id, name',
}
STORY_COLUMNS = (
    "id", "title", "outlet", "country", "affiliation", "language", "published", "url", "risk_score", "risk_band",
    "risk_reason", "debunked", "techniques_count", "techniques", "quotes_count", "quotes", "claims_count", "claims",
    "debunk_matches_count", "debunk_matches", "entities", "analyst_decisions", "rejected_by_analysts", "story",
)
NARRATIVE_COLUMNS = ("id", "label", "n_stories", "n_claims", "outlets", "languages", "first_seen", "last_seen",
                     "narrative")
SEARCH_PARAMS = ("q", "sort", "from", "to", *FACETS)


def _csv_text(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)
    return out.getvalue()


def _download(body: Iterator[str], filename: str, media_type: str) -> StreamingResponse:
    return StreamingResponse(body, media_type=media_type,
                             headers={"content-disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------- stories


def _search_args(request: Request) -> tuple[str, Any, str]:
    params = request.query_params
    sort = params.get("sort", "")
    if sort and sort not in SORTS:
        raise ApiError(400, "bad-query", f"sort {sort[:40]!r} is not one of {', '.join(SORTS)}")
    return params.get("q", ""), selection_from(params), sort


def _corrected(con: Any, ids: Sequence[str], merges: Mapping[str, str]) -> list[dict[str, Any]]:
    """Stories ``ids`` (in that order) as plain records of the exported layers, read in SQL
    from the layer tables (no document is loaded), with the analysts' corrections applied."""
    from ..store.listing import layer_relation

    records = {doc_id: {"id": doc_id, "url": url, "text": text, **{layer: [] for layer in EXPORT_LAYERS}}
               for doc_id, url, text in con.execute(
                   "SELECT id, url, text FROM documents WHERE id IN (SELECT unnest(?))", [list(ids)]).fetchall()}
    for layer, columns in EXPORT_LAYERS.items():
        relation = layer_relation(con, layer)
        if relation is None:
            continue
        names = [c.strip().strip('"') for c in columns.split(",")]
        rows = con.execute(f"SELECT doc_id, {columns} FROM ({relation}) WHERE doc_id IN (SELECT unnest(?)) "
                           "ORDER BY doc_id, seq", [list(ids)]).fetchall()
        for doc_id, *values in rows:
            records[doc_id][layer].append(dict(zip(names, values)))
    decided: dict[str, list[Any]] = {}
    for c in corrections(con, list(ids)):
        decided.setdefault(c.doc_id, []).append(c)
    out = []
    for doc_id in ids:
        record = records[doc_id]
        if decided.get(doc_id) or merges:
            record = apply_corrections(record, verdicts(doc_id, record, decided.get(doc_id, [])), merges)
        else:
            record.update(corrections=[], rejected=[])
        out.append(record)
    return out


def _story_chunks(request: Request) -> Iterator[tuple[list[Any], list[dict[str, Any]]]]:
    """(search hits, their corrected records) chunk by chunk; the first chunk is read at
    once, so a search that cannot run is a 400 before anything is sent."""
    q, selection, sort = _search_args(request)

    def chunk(offset: int) -> tuple[list[Any], list[dict[str, Any]], int]:
        with read_store(request) as store:
            result = search(store, q, selection, sort, limit=CHUNK, offset=offset, with_facets=False)
            merges = entity_merges(store.con)
            return result.hits, _corrected(store.con, [h.id for h in result.hits], merges), result.total

    hits, records, total = chunk(0)

    def rest() -> Iterator[tuple[list[Any], list[dict[str, Any]]]]:
        yield hits, records
        offset = CHUNK
        while offset < total:
            more, more_records, _ = chunk(offset)
            if not more:
                return
            yield more, more_records
            offset += CHUNK

    return rest()


def _joined(layer: str, items: list[dict[str, Any]]) -> str:
    return "; ".join(dict.fromkeys(item_cell(layer, item) for item in items))


def _story_fields(hit: Any, record: Mapping[str, Any]) -> dict[str, Any]:
    matches = record.get("debunk_matches") or []
    return {
        "id": hit.id, "title": hit.title, "outlet": hit.outlet, "country": hit.country, "affiliation": hit.affiliation,
        "language": hit.language, "published": hit.published, "url": record.get("url"),
        "risk_score": hit.risk_score, "risk_band": hit.risk_band, "risk_reason": hit.risk_reason,
        "debunked": sum(1 for m in matches if m.get("counts_against")), "story": f"/stories/{hit.id}",
    }


def story_row(hit: Any, record: Mapping[str, Any]) -> list[Any]:
    """One CSV row: the search hit's fields and the story's corrected layers, a count and a
    summary each."""
    row = _story_fields(hit, record)
    row.update(entities=_joined("entities", record.get("entities") or []),
               analyst_decisions=len(record.get("corrections") or []),
               rejected_by_analysts=len(record.get("rejected") or []))
    for layer in ("techniques", "quotes", "claims", "debunk_matches"):
        items = record.get(layer) or []
        row[f"{layer}_count"] = len(items)
        row[layer] = _joined(layer, items)
    return [row[c] for c in STORY_COLUMNS]


def story_line(hit: Any, record: Mapping[str, Any]) -> dict[str, Any]:
    """One JSONL record: the same fields with the corrected layers' items as lists, the
    decisions on the story, the items analysts rejected and the text."""
    return {**_story_fields(hit, record), **{layer: record.get(layer) or [] for layer in EXPORT_LAYERS},
            "corrections": record.get("corrections") or [], "rejected": record.get("rejected") or [],
            "text": record.get("text")}


def stories_csv(request: Request) -> Response:
    """GET /exports/stories.csv: the search's stories, one row each."""
    chunks = _story_chunks(request)

    def body() -> Iterator[str]:
        yield _csv_text([STORY_COLUMNS])
        for hits, records in chunks:
            yield _csv_text(story_row(h, r) for h, r in zip(hits, records))

    return _download(body(), "stories.csv", "text/csv; charset=utf-8")


def stories_jsonl(request: Request) -> Response:
    """GET /exports/stories.jsonl: the search's stories as corrected records."""
    chunks = _story_chunks(request)

    def body() -> Iterator[str]:
        for hits, records in chunks:
            yield "".join(json.dumps(story_line(h, r), ensure_ascii=False) + "\n" for h, r in zip(hits, records))

    return _download(body(), "stories.jsonl", "application/x-ndjson; charset=utf-8")


# ---------------------------------------------------------------- narratives, decisions, training data


def _whole(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ApiError(400, "bad-request", f"{name} must be a whole number from 1")
    return int(value)


def narratives_csv(request: Request) -> Response:
    """GET /exports/narratives.csv: every narrative carried by ``min_stories`` stories (2)."""
    from ..narratives.service import narratives_by_id
    from ..store.profiles import NARRATIVE_ORDERS, narrative_page

    min_stories = _whole(request, "min_stories", 2)
    order = request.query_params.get("order", "size")
    if order not in NARRATIVE_ORDERS:
        raise ApiError(400, "bad-request", f"order {order[:40]!r} is not one of {', '.join(NARRATIVE_ORDERS)}")
    outlet = request.query_params.get("outlet") or None
    with read_store(request) as store:
        rows, _ = narrative_page(store.con, min_stories, 1, order, None, 0, outlet)
        labels = {n.id: n.label for n in narratives_by_id(store, [r.id for r in rows])} if rows else {}
    lines = [NARRATIVE_COLUMNS] + [
        [r.id, labels.get(r.id, ""), r.n_stories, r.n_claims, "; ".join(r.outlets), "; ".join(r.languages),
         r.first_seen, r.last_seen, f"/narratives/{r.id}"] for r in rows]
    return _download(iter([_csv_text(lines)]), "narratives.csv", "text/csv; charset=utf-8")


def _layer_param(request: Request) -> str:
    layer = request.query_params.get("layer", "")
    from ..corrections.decisions import DECISIONS

    if layer and layer_name(layer) not in DECISIONS:
        raise ApiError(400, "bad-request", f"layer {layer[:40]!r} is not one of {', '.join(DECISIONS)}")
    return layer_name(layer) if layer else ""


def corrections_jsonl(request: Request) -> Response:
    """GET /exports/corrections.jsonl: the decision log, oldest first, undos included."""
    layer, analyst = _layer_param(request), request.query_params.get("analyst", "")
    with read_store(request) as store:
        every = corrections(store.con, layer=layer or None, history=True, analyst=analyst)
        current = {c.id for c in corrections(store.con, layer=layer or None, analyst=analyst)}
        withdrawn = undone(store.con, [c.id for c in every])
    lines = [json.dumps({**c.to_dict(), "current": c.id in current, "undone": c.id in withdrawn},
                        ensure_ascii=False) + "\n" for c in every]
    return _download(iter(lines), "corrections.jsonl", "application/x-ndjson; charset=utf-8")


def _training_layer(request: Request) -> str:
    layer = layer_name(request.path_params["layer"])
    if layer not in TRAINING_LAYERS:
        raise ApiError(404, "not-found", f"no training export for {request.path_params['layer'][:40]!r}; "
                                         "use quotes, techniques, claims or debunks")
    return layer


def training_jsonl(request: Request) -> Response:
    """GET /exports/training/{layer}.jsonl: one training example per decided item."""
    layer = _training_layer(request)
    with read_store(request) as store:
        lines = [json.dumps(e, ensure_ascii=False) + "\n"
                 for e in gold_examples(store, layer, analyst=request.query_params.get("analyst", ""))]
    return _download(iter(lines), f"{layer}-training.jsonl", "application/x-ndjson; charset=utf-8")


def labelstudio_json(request: Request) -> Response:
    """GET /exports/labelstudio/{layer}.json: Label Studio tasks, the machine's spans as predictions."""
    layer = _training_layer(request)
    with read_store(request) as store:
        tasks = list(labelstudio_tasks(store, layer))
    return Response(json.dumps(tasks, ensure_ascii=False), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="{layer}-labelstudio.json"'})


def labelstudio_xml(request: Request) -> Response:
    """GET /exports/labelstudio/{layer}.xml: the labelling config of those tasks."""
    layer = _training_layer(request)
    return Response(label_config(layer), media_type="application/xml",
                    headers={"content-disposition": f'attachment; filename="{layer}-labelstudio.xml"'})


def exports_page(request: Request) -> Response:
    """GET /exports: every export, and a form for the stories of a search."""
    from ..techniques.inventory import LABELS

    with read_store(request) as store:
        outlets = [r[0] for r in store.con.execute(
            "SELECT DISTINCT outlet FROM documents WHERE outlet IS NOT NULL AND outlet <> '' ORDER BY 1").fetchall()]
        languages = [r[0] for r in store.con.execute(
            "SELECT DISTINCT coalesce(nullif(language, ''), 'und') FROM documents ORDER BY 1").fetchall()]
        stories = store.count()
    state = [(k, v) for k, v in request.query_params.multi_items() if k in SEARCH_PARAMS and v]
    return render(request, "exports_index.html", outlets=outlets, languages=languages, stories=stories,
                  techniques=sorted(LABELS.items(), key=lambda kv: kv[1]), risks=RISK_BANDS,
                  chosen={k: v for k, v in state}, training=[("quotes", "quotes"), ("techniques", "techniques"),
                                                             ("claims", "claims"), ("debunks", "debunk matches")])


routes = [
    Route("/exports", exports_page, methods=["GET"]),
    Route("/exports/stories.csv", stories_csv, methods=["GET"]),
    Route("/exports/stories.jsonl", stories_jsonl, methods=["GET"]),
    Route("/exports/narratives.csv", narratives_csv, methods=["GET"]),
    Route("/exports/corrections.jsonl", corrections_jsonl, methods=["GET"]),
    Route("/exports/training/{layer}.jsonl", training_jsonl, methods=["GET"]),
    Route("/exports/labelstudio/{layer}.json", labelstudio_json, methods=["GET"]),
    Route("/exports/labelstudio/{layer}.xml", labelstudio_xml, methods=["GET"]),
]
nav = [("/exports", "Exports")]
