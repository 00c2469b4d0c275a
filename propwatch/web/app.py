"""The workbench application: :func:`create_app` and the helpers routes use.

The app is assembled from route modules: each ``propwatch.web.<area>``
(:data:`MODULES`) that exists exposes ``routes`` (Starlette routes) and
``nav`` (``(path, label)`` pairs for the navigation bar); a module that is
not there is skipped. What the helpers do and how to use them is in the
docstring of :mod:`propwatch.web`.
"""

from __future__ import annotations

import functools
import importlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..bidi import page_value
from ..store import Store
from . import auth
from .auth import AuthMiddleware, Tokens, check_csrf, csrf_field, current_user, require_writer
from .errors import ApiError, exception_handlers
from .middleware import BodyGuard, HostCheck, InFlight, SecurityHeaders

# route modules, in the order of the navigation bar; each may be absent
MODULES = ("search", "pages", "stories", "corrections", "exports", "alerts", "analyze", "api")
WEB = Path(__file__).parent
MAX_JSON_DEPTH = 32
SESSION_COOKIE = "propwatch_session"
SESSION_DAYS = 7


@dataclass(frozen=True)
class ServeOptions:
    """How the server runs: who may use it and the limits that keep it up."""

    host: str = "127.0.0.1"
    port: int = 8765
    tokens: Tokens = field(default_factory=lambda: Tokens(auth.new_token()))
    allowed_hosts: frozenset[str] | None = None  # None: any Host header (see serving.allowed_hosts)
    max_body: int = 20 * 2**20  # bytes of one request body (an upload of files included)
    max_in_flight: int = 64  # requests running at once; more wait for a slot
    slot_wait: float = 10.0  # seconds a request waits for a slot before 503
    request_deadline: float = 60.0  # seconds a request may run before 504
    header_timeout: float = 10.0  # seconds to send a request's headers
    body_timeout: float = 60.0  # seconds to send a request's body
    keep_alive: float = 5.0  # seconds an idle connection stays open
    max_connections: int = 512  # open connections; more are answered 503
    read_linger: float = 2.0  # seconds the store stays attached after a read (warm for the next; 0: never)


@dataclass
class WebState:
    """What every request can reach through ``request.app.state.web``."""

    config: Any
    store: Store
    options: ServeOptions
    write_lock: threading.Lock = field(default_factory=threading.Lock)  # one writer of this process at a time
    read_lock: threading.Lock = field(default_factory=threading.Lock)  # only for ":memory:" stores
    extras: dict[str, Any] = field(default_factory=dict)  # per-area state (the analysis worker, ...)

    @property
    def tokens(self) -> Tokens:
        return self.options.tokens

    def close(self) -> None:
        """Stop what the areas started (their ``close``), then let go of the store."""
        for extra in self.extras.values():
            closer = getattr(extra, "close", None)
            if closer is not None:
                closer()
        self.store.close()
        from .. import storelock

        storelock.linger_reads(0.0)  # this process reads as any other again


def state(request: Request) -> WebState:
    return request.app.state.web


# ---------------------------------------------------------------- store access


@contextmanager
def read_store(request: Request) -> Iterator[Store]:
    """A read-only store for this request, released after the block: other processes
    (``analyze``, the CLI) share the file meanwhile, and requests read in parallel."""
    web = state(request)
    if web.store.path == ":memory:":  # one connection: reads of a throwaway store take turns
        with web.read_lock:
            yield web.store
        return
    with web.store.reading() as store:
        yield store


@contextmanager
def write_store(request: Request) -> Iterator[Store]:
    """The store under its writer lock, for a user who may write (403 otherwise)."""
    require_writer(request)
    web = state(request)
    if web.store.read_only:
        raise ApiError(403, "read-only", "this server was started with --read-only")
    with web.write_lock, web.store.writing() as store:
        yield store


# ---------------------------------------------------------------- pages


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    """The templates of every area (``propwatch/web/templates``), autoescaped."""
    env = Environment(loader=FileSystemLoader(str(WEB / "templates")), autoescape=select_autoescape(default=True), finalize=page_value)
    env.globals["csrf_field"] = pass_context(lambda ctx: csrf_field(ctx["request"]))
    return env


def render(request: Request, template: str, status: int = 200, headers: Mapping[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    """A page: ``template`` (extending ``base.html``) with ``context``, plus ``request``,
    ``user``, ``nav`` and ``path`` for the base template."""
    nav = request.app.state.nav
    html = environment().get_template(template).render(
        request=request, user=current_user(request), nav=nav, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


# ---------------------------------------------------------------- request bodies


async def form_data(request: Request) -> FormData:
    """The request's form (urlencoded or multipart; the body limits hold)."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise ApiError(415, "unsupported-media-type", "send the form as application/x-www-form-urlencoded or multipart/form-data")
    return await request.form(max_files=100, max_fields=200)


async def writer_form(request: Request) -> FormData:
    """The form of a POST that changes something: the user may write, the CSRF token matches."""
    require_writer(request)
    form = await form_data(request)
    check_csrf(request, _text(form.get(auth.CSRF_FIELD)))
    return form


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _check_value(value: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ApiError(400, "bad-json", f"{where or 'the body'} is nested over {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, "bad-text", f"{where or 'the body'} holds a lone surrogate (\\ud800-\\udfff), "
                           "which is not text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, where or "a key", depth + 1)
            _check_value(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]", depth + 1)


def parse_json(raw: bytes) -> Any:
    """JSON from a request body: text (UTF-8), at most :data:`MAX_JSON_DEPTH` deep, no lone
    surrogates; anything else is a 400 naming the field."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "bad-json", f"the body is not UTF-8 (byte {exc.start})") from None
    depth = 0
    for char in text:  # a cheap bound before the parser recurses
        depth += char in "[{"
        if depth > 4 * MAX_JSON_DEPTH:
            raise ApiError(400, "bad-json", f"the body is nested over {MAX_JSON_DEPTH} levels deep")
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ApiError(400, "bad-json", f"the body is not JSON: {exc}") from None
    _check_value(value, "")
    return value


async def json_body(request: Request) -> Any:
    """The request's JSON body, checked by :func:`parse_json`; a browser session must send
    the CSRF token in ``X-CSRF-Token`` when the request changes something."""
    if request.method not in auth.SAFE_METHODS:
        check_csrf(request, request.headers.get(auth.CSRF_HEADER))
    return parse_json(await request.body())


def paging(request: Request, default: int = 50, maximum: int = 1000) -> tuple[int, int]:
    """``limit`` and ``offset`` from the query (400 when not whole numbers in range)."""
    try:
        limit = int(request.query_params.get("limit", default))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        raise ApiError(400, "bad-request", "limit and offset must be whole numbers") from None
    if not 1 <= limit <= maximum or offset < 0:
        raise ApiError(400, "bad-request", f"limit must be 1..{maximum} and offset 0 or more")
    return limit, offset


# ---------------------------------------------------------------- assembly


def route_modules() -> list[Any]:
    """The route modules that exist (a module missing is skipped; one that fails to import raises)."""
    found = []
    for name in MODULES:
        try:
            found.append(importlib.import_module(f"propwatch.web.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"propwatch.web.{name}":
                raise
    return found


def _report_asset(name: str, media_type: str) -> Route:
    """The report's stylesheet and script, served as they are (the story page reuses them)."""
    body = resources.files("propwatch").joinpath(f"output/templates/{name}").read_bytes()

    def asset(request: Request) -> Response:
        return Response(body, media_type=media_type, headers={"cache-control": "max-age=300"})

    return Route(f"/assets/{name}", asset, methods=["GET"])


def create_app(config: Any, options: ServeOptions | None = None, store: Store | None = None) -> Starlette:
    """The workbench over the store of ``config`` (or ``store``), with ``options``."""
    options = options or ServeOptions()
    from .. import storelock

    storelock.linger_reads(options.read_linger)
    store = store if store is not None else Store.from_config(config)
    modules = route_modules()
    routes: list[BaseRoute] = [*auth.routes, _report_asset("style.css", "text/css"),
                               _report_asset("report.js", "text/javascript"),
                               Mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")]
    nav: list[tuple[str, str]] = []
    for module in modules:
        routes.extend(module.routes)
        nav.extend(module.nav)
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(HostCheck, allowed=options.allowed_hosts),
        Middleware(InFlight, limit=options.max_in_flight, wait=options.slot_wait, deadline=options.request_deadline),
        Middleware(BodyGuard, limit=options.max_body),
        Middleware(SessionMiddleware, secret_key=options.tokens.session_secret(), session_cookie=SESSION_COOKIE,
                   max_age=SESSION_DAYS * 86400, same_site="strict"),
        Middleware(AuthMiddleware, tokens=options.tokens),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=exception_handlers())
    app.state.web = WebState(config=config, store=store, options=options)
    app.state.nav = [{"href": href, "label": label} for href, label in nav]
    app.state.modules = [m.__name__ for m in modules]
    return app


__all__ = ["MODULES", "ServeOptions", "WebState", "create_app", "environment", "form_data", "json_body",
           "paging", "parse_json", "read_store", "render", "route_modules", "run_in_threadpool", "state",
           "write_store", "writer_form"]
