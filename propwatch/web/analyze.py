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

Files uploaded on the form (any format ``propwatch analyze`` reads: text,
HTML, JSONL, CSV, Parquet, WARC) are analysed as a job in a worker thread:
the form answers at once with the job's page, which shows the progress
(files done of files sent, from ``/api/jobs/ID``) and then the stories made
and the files rejected with their reasons, or goes straight to the story
when there was one.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
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
MAX_FILES = 100  # files in one upload
META = ("title", "outlet", "published")
KEEP_JOBS = 200  # finished jobs remembered per server


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
    pipeline = pipeline_of(request).get()
    items = [read_article(a, "<api>", i + 1, pipeline.limits) for i, a in enumerate(articles)]
    with write_store(request):
        outcomes, rejected, _ = pipeline.process_batch(items)
        linked = (pipeline.link_narratives() if outcomes else None) or {}
    return {
        "stories": [dict(document_record(o.document), status=o.status, href=f"/stories/{o.document.id}")
                    for o in outcomes],
        "rejected": [{"line": r.line, "kind": r.kind, "reason": r.reason} for r in rejected],
        "narratives": linked,
    }


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


# ---------------------------------------------------------------- uploads, as jobs


@dataclass
class Job:
    """One upload being analysed: its progress and, when done, what it made."""

    id: str
    files: list[str]
    user: str
    state: str = "queued"  # queued, running, done, failed
    done: int = 0  # files whose stories (or rejections) are stored
    stories: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    created: float = field(default_factory=time.time)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.files)

    @property
    def href(self) -> str:
        return f"/analyze/jobs/{self.id}"

    @property
    def result_href(self) -> str | None:
        if self.state != "done":
            return None
        return self.stories[0]["href"] if len(self.stories) == 1 and not self.rejected else self.href

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "files": self.files, "total": self.total, "done": self.done,
                "stories": self.stories, "rejected": self.rejected, "message": self.message, "user": self.user,
                "seconds": round(self.seconds, 2), "href": self.href, "result_href": self.result_href}


class Jobs:
    """The uploads of one server, analysed one at a time in a worker thread (they write under
    one lock anyway); reads go on meanwhile. Closed with the server."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="propwatch-analyze")

    def get(self, job_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "not-found", f"no analysis job {job_id[:40]!r} (jobs are kept while the server runs)")
        return job

    def submit(self, job: Job, work: Any) -> None:
        with self.lock:
            self.jobs[job.id] = job
            finished = [j for j in self.jobs.values() if j.state in ("done", "failed")]
            for old in sorted(finished, key=lambda j: j.created)[:max(0, len(finished) - KEEP_JOBS)]:
                del self.jobs[old.id]
        self.pool.submit(work)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def jobs_of(request: Request) -> Jobs:
    web = state(request)
    if "jobs" not in web.extras:
        web.extras["jobs"] = Jobs()
    return web.extras["jobs"]


_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_name(name: str, number: int) -> str:
    """A file name for an upload that cannot leave its folder (no separators, no dots first)."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).lstrip("._")[:120]
    return f"{number:03d}-{base or 'upload'}"


def run_job(web: Any, holder: PipelineHolder, job: Job, folder: Path) -> None:
    """Analyse the saved files of ``job`` (in the worker thread), then forget them."""
    started = time.perf_counter()
    job.state = "running"
    seen: set[str] = set()

    def progressed(source: str) -> None:
        seen.add(source)
        job.done = min(job.total, len(seen))

    def stored(outcome: Any) -> None:
        doc = outcome.document
        job.stories.append({"id": doc.id, "title": doc.title, "status": outcome.status, "href": f"/stories/{doc.id}"})
        progressed(doc.source)

    def rejected(rej: Any) -> None:
        job.rejected.append({"file": Path(rej.source).name, "line": rej.line, "kind": rej.kind, "reason": rej.reason})
        progressed(rej.source)

    try:
        pipeline = holder.get()
        with web.write_lock, web.store.writing():
            summary = pipeline.analyze([str(folder)], on_outcome=stored, on_rejection=rejected)
        job.done = job.total
        job.message = f"{summary.stories} stories ({summary.new} new), {len(summary.rejected)} rejected"
        job.state = "done"
    except Exception as exc:  # noqa: BLE001 - the job reports it; the server goes on
        job.state, job.message = "failed", f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        job.seconds = time.perf_counter() - started
        shutil.rmtree(folder, ignore_errors=True)


async def start_upload(request: Request, uploads: list[Any]) -> Response:
    """Save the uploaded files and queue their analysis; the job's page shows its progress."""
    if len(uploads) > MAX_FILES:
        raise ApiError(413, "too-large", f"{len(uploads)} files in one upload; send at most {MAX_FILES}")
    folder = Path(tempfile.mkdtemp(prefix="propwatch-upload-"))
    names = []
    for number, upload in enumerate(uploads, start=1):
        name = safe_name(upload.filename or "", number)
        (folder / name).write_bytes(await upload.read())
        names.append(upload.filename or name)
    from .auth import current_user

    job = Job(id=uuid.uuid4().hex[:12], files=names, user=current_user(request).name)
    web = state(request)
    jobs_of(request).submit(job, lambda: run_job(web, pipeline_of(request), job, folder))
    return RedirectResponse(job.href, status_code=303)


def job_page(request: Request) -> Response:
    """GET /analyze/jobs/{id}: an upload's progress, then the stories it made and what was rejected."""
    job = jobs_of(request).get(request.path_params["job_id"])
    return render(request, "analyze_job.html", job=job.to_dict())


def api_job(request: Request) -> Response:
    """GET /api/jobs/{id}: an upload's state, progress and results."""
    return JSONResponse(jobs_of(request).get(request.path_params["job_id"]).to_dict())


async def analyze_form(request: Request) -> Response:
    """POST /analyze: analyse the pasted text or the URL, then show the story; uploaded
    files are analysed as a job whose page shows the progress."""
    form = await writer_form(request)
    uploads = [f for f in form.getlist("files") if getattr(f, "filename", None)]
    if uploads:
        return await start_upload(request, uploads)
    fields = {k: str(form.get(k) or "").strip() for k in ("text", "url", "title", "outlet", "published")}
    article = {k: v for k, v in fields.items() if v}
    if not article.get("text") and not article.get("url"):
        return render(request, "analyze_form.html", status=400, form=fields,
                      rejected=[{"kind": "no-text", "reason": "paste the article's text, give its URL or choose files"}])
    result = await run_in_threadpool(analyze_articles, request, [article])
    if result["stories"]:
        return RedirectResponse(result["stories"][0]["href"], status_code=303)
    return render(request, "analyze_form.html", status=422, form=fields, rejected=result["rejected"])


routes = [
    Route("/api/analyze", api_analyze, methods=["POST"]),
    Route("/analyze", analyze_page, methods=["GET"]),
    Route("/analyze", analyze_form, methods=["POST"]),
    Route("/analyze/jobs/{job_id}", job_page, methods=["GET"]),
    Route("/api/jobs/{job_id}", api_job, methods=["GET"]),
]
nav: list[tuple[str, str]] = [("/analyze", "Analyse")]
