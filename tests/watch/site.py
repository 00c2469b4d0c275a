"""A local HTTP server of invented outlets for the watch tests: routes change between polls.

Each route is a :class:`Page` (status, body, headers, a delay before the
answer, a trickle: bytes sent one by one with a pause). The server answers
conditional GETs itself when a page has an ``etag``, and logs every request
(path, Host, the headers that matter, when).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0
    trickle: float = 0.0  # seconds between single bytes of the body

    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Hit:
    path: str
    host: str
    user_agent: str
    if_none_match: str | None
    if_modified_since: str | None
    at: float
    status: int = 0


class Site:
    """Routes by path; ``site.url(path)``; ``site.hits`` is the request log."""

    def __init__(self):
        self.routes: dict[str, Page] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's name
                site.answer(self)

            def do_POST(self):  # noqa: N802
                site.answer(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.posts: list[bytes] = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "Site":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits_of(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        hit = Hit(handler.path, handler.headers.get("Host", ""), handler.headers.get("User-Agent", ""),
                  handler.headers.get("If-None-Match"), handler.headers.get("If-Modified-Since"), time.monotonic())
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            self.posts.append(handler.rfile.read(length))
        with self.lock:
            self.hits.append(hit)
            page = self.routes.get(handler.path)
        if page is None:
            page = Page("not here", status=404, content_type="text/plain")
        if page.delay:
            time.sleep(page.delay)
        status, body = page.status, page.data()
        if page.etag and hit.if_none_match == page.etag and status == 200:
            status, body = 304, b""
        hit.status = status
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", page.content_type)
            handler.send_header("Content-Length", str(len(body)))
            if page.etag:
                handler.send_header("ETag", page.etag)
                handler.send_header("Last-Modified", formatdate(usegmt=True))
            for name, value in page.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if page.trickle:
                for i in range(len(body)):
                    handler.wfile.write(body[i:i + 1])
                    handler.wfile.flush()
                    time.sleep(page.trickle)
            else:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def article(title: str, paragraphs: list[str], published: str = "2026-11-30") -> str:
    """An outlet's article page: navigation, the story in <article>, a footer."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{escape(title)}</title>"
            f'<meta property="article:published_time" content="{published}"></head><body>'
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{escape(title)}</h1>{body}</article>"
            f"<footer>All rights reserved.</footer></body></html>")


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 feed of (link, title, pubDate) items."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><pubDate>{d}</pubDate></item>"
        for link, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>http://example.invalid/</link><description>test</description>{entries}</channel></rss>")


def atom(title: str, items: list[tuple[str, str, str]]) -> str:
    """An Atom feed of (link, title, updated) entries."""
    entries = "".join(
        f'<entry><title>{escape(t)}</title><link href="{escape(link)}"/><id>{escape(link)}</id>'
        f"<updated>{d}</updated></entry>" for link, t, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(title)}</title><id>urn:test</id><updated>2026-11-30T00:00:00Z</updated>{entries}</feed>")


def news_sitemap(items: list[tuple[str, str, str, str]]) -> str:
    """A Google News sitemap of (loc, title, publication date, language)."""
    urls = "".join(
        f"<url><loc>{escape(loc)}</loc><news:news><news:publication><news:name>Test</news:name>"
        f"<news:language>{lang}</news:language></news:publication><news:publication_date>{d}</news:publication_date>"
        f"<news:title>{escape(t)}</news:title></news:news></url>" for loc, t, d, lang in items)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')


def sitemap_index(locs: list[str]) -> str:
    maps = "".join(f"<sitemap><loc>{escape(loc)}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'
