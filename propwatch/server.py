"""The web workbench and HTTP API over a store (``propwatch serve``).

The pages and the API render the same records: ``/`` and ``/stories/ID``
are the HTML report's pages drawn live from the store; ``/api/...`` gives
the same data as JSON. Every API call needs ``Authorization: Bearer TOKEN``
(the token is printed at start, or set with ``PROPWATCH_API_TOKEN``); the
pages need it too unless the server listens on loopback only. Errors have
one shape::

    {"error": {"status": 404, "code": "not-found", "message": "..."}}

Article text stays untrusted: pages are autoescaped and carry a
Content-Security-Policy; API bodies are JSON with ``nosniff``.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import NotFoundError, PropwatchError, StoreBusyError
from .output.records import document_record, json_schema
from .records import Document

MAX_BODY = 10 * 2**20


# stories on one page of the live index (the API pages with limit/offset)
INDEX_PAGE = 200

class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str


def _json(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")


def error_body(status: int, code: str, message: str) -> Response:
    return _json({"error": {"status": status, "code": code, "message": message}}, status)


class Workbench:
    """Routes requests to store reads and writes.

    The store is never held between requests: each request opens it
    read-only and releases it (``Store.reading``), so CLI commands and an
    ``analyze`` in other processes share the file meanwhile. ``POST
    /api/analyze`` runs one analyze pipeline, built on the first POST and
    kept, under the store's writer lock (``Store.writing``): one POST at a
    time, after any other writing process (503 ``store-busy`` once
    ``store.lock_timeout`` has passed).
    """

    def __init__(self, store, token: str, pipeline_factory: Callable[[], Any] | None = None, open_pages: bool = False):
        self.store = store
        self.token = token
        self.pipeline_factory = pipeline_factory
        self.open_pages = open_pages
        self.lock = threading.Lock()  # serializes an in-memory store, which cannot be reopened per request
        self.write_lock = threading.Lock()
        self._pipeline: Any = None

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """The store for one request's reads, released after it."""
        if self.store.path == ":memory:":
            with self.lock:
                yield self.store
            return
        with self.store.reading() as store:
            yield store

    def pipeline(self) -> Any:
        """The analyze pipeline, built on first use (models load once)."""
        with self.write_lock:
            if self._pipeline is None:
                self._pipeline = self.pipeline_factory()
            return self._pipeline

    def close(self) -> None:
        with self.write_lock:
            if self._pipeline is not None:
                self._pipeline.close()
                self._pipeline = None

    # ------------------------------------------------------------ auth

    def authorized(self, headers) -> bool:
        header = headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else ""
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    # ------------------------------------------------------------ routes

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers, body: bytes) -> Response:
        is_api = path.startswith("/api/")
        if is_api or not self.open_pages:
            if not self.authorized(headers) and path not in ("/style.css", "/report.js"):
                raise ApiError(401, "unauthorized", "send Authorization: Bearer TOKEN (printed when the server started)")
        if method == "GET":
            if path in ("/", "/index.html"):
                return self.page_index(query)
            if path in ("/style.css", "/report.js"):
                asset = resources.files("propwatch").joinpath(f"output/templates{path}").read_text("utf-8")
                kind = "text/css" if path.endswith(".css") else "text/javascript"
                return Response(200, asset.encode(), f"{kind}; charset=utf-8")
            m = re.fullmatch(r"/stories/([0-9a-f]{4,16})(?:\.html)?", path)
            if m:
                return self.page_story(m.group(1))
            if path == "/api/stories":
                return self.api_stories(query)
            m = re.fullmatch(r"/api/stories/([0-9a-f]{4,16})", path)
            if m:
                return _json(document_record(self._get(m.group(1))))
            if path == "/api/schema":
                return _json(json_schema())
            if path == "/api/rejections":
                with self.reading() as store:
                    rows = store.rejections()
                return _json([{"source": r.source, "line": r.line, "kind": r.kind, "reason": r.reason} for r in rows])
            raise ApiError(404, "not-found", f"no such page or endpoint: {path}")
        if method == "POST" and path == "/api/analyze":
            return self.api_analyze(body)
        raise ApiError(405, "method-not-allowed", f"{method} is not allowed on {path}")

    def _get(self, doc_id: str, store: Any = None) -> Document:
        if store is None:
            with self.reading() as store:
                return self._get(doc_id, store)
        try:
            return store.get(doc_id)
        except NotFoundError:
            raise ApiError(404, "not-found", f"no story {doc_id}") from None

    def api_stories(self, query: dict[str, list[str]]) -> Response:
        from .store.listing import StoryFilter

        try:
            limit = int((query.get("limit") or ["50"])[0])
            offset = int((query.get("offset") or ["0"])[0])
        except ValueError:
            raise ApiError(400, "bad-request", "limit and offset must be whole numbers") from None
        if not (1 <= limit <= 1000) or offset < 0:
            raise ApiError(400, "bad-request", "limit must be 1..1000 and offset >= 0")
        flt = StoryFilter(q=(query.get("q") or [""])[0], outlet=(query.get("outlet") or [""])[0],
                          language=(query.get("language") or [""])[0])
        with self.reading() as store:
            rows, total = store.list_stories(flt, limit=limit, offset=offset)
        items = [
            {
                "id": s.id, "title": s.title, "outlet": s.outlet, "language": s.language, "published": s.published,
                "flags": list(s.flags), "source": s.source, "story_index": s.story_index, "counts": dict(s.counts),
            }
            for s in rows
        ]
        return _json({"total": total, "offset": offset, "limit": limit, "items": items})

    def api_analyze(self, body: bytes) -> Response:
        if self.pipeline_factory is None:
            raise ApiError(403, "read-only", "this server was started with --read-only")
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, "bad-json", f"request body is not JSON: {exc}") from None
        articles = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(a, dict) for a in articles) or not articles:
            raise ApiError(400, "bad-request", "send an article object ({\"text\": ...}) or a list of them")
        from .ingest.readers import _document_from_record

        items = [_document_from_record(a, "<api>", i + 1) for i, a in enumerate(articles)]
        pipeline = self.pipeline()
        with self.write_lock, self.store.writing():
            outcomes, rejected, _ = pipeline.process_batch(items)
        return _json({
            "stories": [dict(document_record(o.document), status=o.status) for o in outcomes],
            "rejected": [{"line": r.line, "kind": r.kind, "reason": r.reason} for r in rejected],
        })

    def page_index(self, query: dict[str, list[str]] | None = None) -> Response:
        """One page of the story list (``?offset=``; ``INDEX_PAGE`` stories a page), paged in SQL."""
        from .output.report import render_index_rows

        try:
            offset = max(0, int(((query or {}).get("offset") or ["0"])[0]))
        except ValueError:
            raise ApiError(400, "bad-request", "offset must be a whole number") from None
        with self.reading() as store:
            stories, total = store.list_stories(limit=INDEX_PAGE, offset=offset)
            rejections = store.rejections()
        page = {"offset": offset, "shown": len(stories), "total": total,
                "prev": f"?offset={max(0, offset - INDEX_PAGE)}" if offset else None,
                "next": f"?offset={offset + INDEX_PAGE}" if offset + INDEX_PAGE < total else None}
        return Response(200, render_index_rows(stories, rejections, story_href="stories/{id}", page=page).encode(),
                        "text/html; charset=utf-8")

    def page_story(self, doc_id: str) -> Response:
        from .output.report import render_story

        with self.reading() as store:
            doc = self._get(doc_id, store)
            sources = store.sources_of(doc.id)
        return Response(200, render_story(doc, sources).encode(), "text/html; charset=utf-8")


def make_handler(bench: Workbench) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "propwatch"
        sys_version = ""

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise ApiError(413, "too-large", f"request body over {MAX_BODY} bytes")
                body = self.rfile.read(length) if length else b""
                response = bench.handle(method, parts.path, parse_qs(parts.query), self.headers, body)
            except ApiError as exc:
                response = error_body(exc.status, exc.code, exc.message)
            except StoreBusyError as exc:
                response = error_body(503, "store-busy", str(exc))
            except PropwatchError as exc:
                response = error_body(500, "propwatch-error", str(exc))
            except Exception as exc:  # noqa: BLE001 - a request never kills the server
                response = error_body(500, "internal", f"{type(exc).__name__}: {exc}")
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Frame-Options", "DENY")
            if response.status == 401:
                self.send_header("WWW-Authenticate", "Bearer")
            self.end_headers()
            self.wfile.write(response.body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self._dispatch("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._dispatch("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._dispatch("PUT")

        def do_DELETE(self) -> None:  # noqa: N802
            self._dispatch("DELETE")

        def log_message(self, fmt: str, *args: Any) -> None:
            pass

    return Handler


def new_token() -> str:
    return secrets.token_urlsafe(24)


def serve(bench: Workbench, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    """A started server (call ``serve_forever`` or run it in a thread)."""
    httpd = ThreadingHTTPServer((host, port), make_handler(bench))
    httpd.daemon_threads = True
    return httpd


__all__ = ["ApiError", "HTTPStatus", "Workbench", "make_handler", "new_token", "serve"]
