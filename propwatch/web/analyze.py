"""Analyse new articles from the workbench: a form for analysts and ``POST /api/analyze``.

An article is a JSON object with ``text`` or ``html`` and the metadata a
record file may carry (``title``, ``url``, ``outlet``, ``published``,
``language``, ``id``), or only a ``url``: the page is then fetched through
the same guarded fetcher as ``propwatch analyze URL`` (no private
addresses, a deadline, a size cap) and the object's metadata overrides
what the page says. The analysis runs one pipeline, built on the first
request and kept (models load once), under the store's writer lock, so one
analysis writes at a time beside the CLI's. Fetching happens before the
lock: a slow site never holds up other writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..ingest.readers import _document_from_record, is_url, read_url
from ..output.records import document_record
from ..records import Document, Rejection
from .app import json_body, render, state, write_store, writer_form
from .auth import require_writer
from .errors import ApiError

MAX_ARTICLES = 100  # articles in one request
META = ("title", "outlet", "published")


class PipelineHolder:
    """The analysis pipeline of one server, built on first use and closed with the server."""

    def __init__(self, config: Any, store: Any):
        self.config = config
        self.store = store
        self._pipeline: Any = None

    def get(self) -> Any:
        if self._pipeline is None:
            from ..pipeline import Pipeline

            self._pipeline = Pipeline(self.config, store=self.store)
        return self._pipeline

    def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline = None


def pipeline_of(request: Request) -> PipelineHolder:
    web = state(request)
    if "pipeline" not in web.extras:
        web.extras["pipeline"] = PipelineHolder(web.config, web.store)
    return web.extras["pipeline"]


def read_article(article: Any, where: str, number: int, limits: Any) -> Document | Rejection:
    """One article of a request as a document (fetched when it gives only a URL), or why not."""
    if isinstance(article, dict):
        fields = {str(k).lower(): v for k, v in article.items()}
        has_text = any(isinstance(fields.get(f), str) and fields[f].strip() for f in ("text", "html"))
        url = fields.get("url")
        if not has_text and isinstance(url, str) and url.strip():
            url = url.strip()
            if not is_url(url):
                return Rejection(where, "bad-url", f"url {url[:200]!r} is not an http(s) address", number)
            items = list(read_url(url, limits))
            got = items[0] if items else Rejection(where, "no-text", f"{url[:200]} gave no page", number)
            if isinstance(got, Rejection):
                return Rejection(where, got.kind, f"{url[:200]}: {got.reason}", number)
            changes = {k: fields[k].strip() for k in META if isinstance(fields.get(k), str) and fields[k].strip()}
            if changes.get("outlet"):
                changes["outlet_evidence"] = "input field"
            return got.replace(source=where, source_record=f"article {number}", **changes)
    doc = _document_from_record(article, where, number)
    return doc.replace(source_record=f"article {number}") if isinstance(doc, Document) else doc


def analyze_articles(request: Request, articles: Sequence[Any]) -> dict[str, Any]:
    """Read, analyse and store ``articles`` (runs in a worker thread); the API's answer."""
    holder = pipeline_of(request)
    limits = holder.get().limits
    items = [read_article(a, "<api>", i + 1, limits) for i, a in enumerate(articles)]
    pipeline = holder.get()
    with write_store(request):
        outcomes, rejected, _ = pipeline.process_batch(items)
        linked = link_narratives(pipeline) if outcomes else {}
    return {
        "stories": [dict(document_record(o.document), status=o.status, href=f"/stories/{o.document.id}")
                    for o in outcomes],
        "rejected": [{"line": r.line, "kind": r.kind, "reason": r.reason} for r in rejected],
        "narratives": linked,
    }


def link_narratives(pipeline: Any) -> dict[str, int]:
    """Link the new stories' claims into narratives, as ``propwatch analyze`` does after a run
    (incremental: only claims not linked yet), when the pipeline finds claims and links."""
    from ..corpus import NarrativeLinking

    if pipeline.config.get("pipeline.update_narratives", False) and any("claims" in s.assigns for s in pipeline.stages):
        return dict(NarrativeLinking(pipeline.config).run(pipeline.store))
    return {}


async def api_analyze(request: Request) -> Response:
    """POST /api/analyze: one article object or a list of them."""
    require_writer(request)
    payload = await json_body(request)
    articles = payload if isinstance(payload, list) else [payload]
    if not articles or not all(isinstance(a, dict) for a in articles):
        raise ApiError(400, "bad-request", 'send an article object ({"text": ...} or {"url": ...}) or a list of them')
    if len(articles) > MAX_ARTICLES:
        raise ApiError(413, "too-large", f"{len(articles)} articles in one request; send at most {MAX_ARTICLES}")
    return JSONResponse(await run_in_threadpool(analyze_articles, request, articles))


def analyze_page(request: Request) -> Response:
    """GET /analyze: the form."""
    require_writer(request)
    return render(request, "analyze_form.html", form={}, rejected=[])


async def analyze_form(request: Request) -> Response:
    """POST /analyze: analyse the pasted text or the URL, then show the story."""
    form = await writer_form(request)
    fields = {k: str(form.get(k) or "").strip() for k in ("text", "url", "title", "outlet", "published")}
    article = {k: v for k, v in fields.items() if v}
    if not article.get("text") and not article.get("url"):
        return render(request, "analyze_form.html", status=400, form=fields,
                      rejected=[{"kind": "no-text", "reason": "paste the article's text or give its URL"}])
    result = await run_in_threadpool(analyze_articles, request, [article])
    if result["stories"]:
        return RedirectResponse(result["stories"][0]["href"], status_code=303)
    return render(request, "analyze_form.html", status=422, form=fields, rejected=result["rejected"])


routes = [
    Route("/api/analyze", api_analyze, methods=["POST"]),
    Route("/analyze", analyze_page, methods=["GET"]),
    Route("/analyze", analyze_form, methods=["POST"]),
]
nav: list[tuple[str, str]] = [("/analyze", "Analyse")]
