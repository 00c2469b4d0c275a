'''The analyst workbench: a Starlette application served by uvicorn (``propwatch serve``).

Layout. :func:`~propwatch.web.app.create_app` mounts every route module
``propwatch.web.<area>`` named in :data:`~propwatch.web.app.MODULES` that
exists. A module exposes::

    routes: list          # Starlette routes (Route, Mount)
    nav: list[tuple[str, str]]   # (path, label) links for the navigation bar

and keeps its templates in ``propwatch/web/templates/<area>_*.html``, each
``{% extends "base.html" %}`` with a ``{% block main %}`` (and optionally
``title``, ``head``, ``scripts``). Static files of one's own go in
``propwatch/web/static/`` (served at ``/static/``; no CDN: the CSP allows
only this server). The report's ``style.css`` and ``report.js`` are served
at ``/assets/``.

Helpers every route uses (import them from ``propwatch.web``)::

    from propwatch.web import (ApiError, api_error, current_user, json_body, paging,
                               read_store, render, require_writer, write_store, writer_form)

Reading the store -- a route that reads is a plain ``def`` (Starlette runs
it in its thread pool, so reads run in parallel, with no lock)::

    def story_list(request):
        limit, offset = paging(request)                 # 400 when not whole numbers in range
        with read_store(request) as store:              # read-only, released after the block
            rows, total = store.list_stories(limit=limit, offset=offset)   # page in SQL, never load all
        return render(request, "search_index.html", rows=rows, total=total)

Writing -- only under the writer lock, only for an analyst; a form POST is
``async`` (it reads the body) and does the store work in the thread pool::

    async def correct(request):
        form = await writer_form(request)    # 401/403 unless an analyst; 403 "csrf" on a bad token
        user = current_user(request)         # .name for "who", .role
        def work():
            with write_store(request) as store:   # Store.writing() + one writer per process
                ...
        await run_in_threadpool(work)
        return RedirectResponse(f"/stories/{doc_id}", status_code=303)

Pages -- ``render(request, "area_x.html", status=200, **context)`` gives an
HTMLResponse; templates get ``request``, ``user``, ``nav``, ``path`` and
``csrf_field()``. Every form that POSTs carries the token::

    <form method="post" action="/stories/{{ id }}/corrections">{{ csrf_field() }} ... </form>

Users and roles -- ``current_user(request)`` is a :class:`~propwatch.web.auth.User`
(``name``, ``role``: ``"analyst"`` reads and writes, ``"reader"`` reads only,
``via``: ``"bearer"``, ``"session"`` or ``"open"``; ``can_write``).
``require_writer(request)`` answers 403 ``read-only`` for a reader. The auth
middleware has already refused anonymous requests (401 for the API, the
login page for pages), so a route never checks that itself.

JSON -- ``await json_body(request)`` parses a JSON body (400 for bad JSON,
nesting over 32 levels, lone surrogates; a browser session's POST must send
``X-CSRF-Token``: the page's ``csrf_field`` value). Answer JSON with
Starlette's ``JSONResponse``.

Errors -- one shape for every status and method::

    {"error": {"status": 404, "code": "not-found", "message": "no story abc1"}}

``raise ApiError(status, code, message)`` anywhere in a route (or return
``api_error(status, code, message)``); a browser asking for a page gets the
same fields as an HTML page. ``NotFoundError`` from the store becomes a 404,
``StoreBusyError`` a 503, anything unexpected a 500 in the same shape.

Every answer carries the CSP (no remote content, scripts only from this
server, no inline script), ``nosniff``, ``X-Frame-Options: DENY``.
'''

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from .app import ServeOptions, create_app, form_data, json_body, paging, read_store, render, write_store, writer_form
from .auth import ANALYST, READER, User, check_csrf, csrf_field, csrf_token, current_user, require_writer
from .errors import ApiError, api_error

__all__ = ["ANALYST", "READER", "ApiError", "ServeOptions", "User", "api_error", "check_csrf", "create_app",
           "csrf_field", "csrf_token", "current_user", "form_data", "json_body", "paging", "read_store", "render",
           "require_writer", "run_in_threadpool", "write_store", "writer_form"]
