"""Alerts and the watcher on the workbench: /alerts, /watch, /api/alerts, /api/watch/status.

``/alerts`` lists the alerts ``propwatch watch`` raised (open and acked
ones by default; ``?status=closed`` or ``all``; ``?kind=``), newest first,
paged in SQL, each with what set it off and links to its narrative and
stories; an analyst acks or closes one with a form (``POST
/alerts/{id}/ack``, ``/alerts/{id}/close``; reopen with ``/open``). ``/watch``
shows each watched outlet's last poll, items new/seen/failed and latest
errors. ``/api/alerts`` and ``/api/watch/status`` give the same data as
JSON; ``POST /api/alerts/{id}`` with ``{"status": "acked"}`` changes one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import NotFoundError
from ..watch.alerts import KINDS, STATUSES, list_alerts, set_status
from ..watch.state import WatchState
from .app import json_body, paging, read_store, render, run_in_threadpool, write_store, writer_form
from .auth import current_user
from .errors import ApiError

ALERT_ID = re.compile(r"a[0-9a-f]{12}")
ACTIONS = {"ack": "acked", "close": "closed", "open": "open"}


def _filters(request: Request) -> tuple[tuple[str, ...], str | None]:
    status = request.query_params.get("status", "")
    kind = request.query_params.get("kind", "") or None
    if status in ("", "active"):
        statuses: tuple[str, ...] = ("open", "acked")
    elif status == "all":
        statuses = STATUSES
    elif status in STATUSES:
        statuses = (status,)
    else:
        raise ApiError(400, "bad-request", f"status must be one of active, all, {', '.join(STATUSES)}")
    if kind is not None and kind not in KINDS:
        raise ApiError(400, "bad-request", f"kind must be one of {', '.join(KINDS)}")
    return statuses, kind


def _has_tables(store) -> bool:
    return bool(store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'watch_sources'").fetchone()[0])


def _listing(request: Request) -> dict[str, Any]:
    statuses, kind = _filters(request)
    limit, offset = paging(request)
    with read_store(request) as store:
        items, total = list_alerts(store, statuses, kind, limit, offset)
    return {"items": [a.to_dict() for a in items], "total": total, "limit": limit, "offset": offset,
            "state": request.query_params.get("status", "") or "active", "kind": kind or ""}


def alerts_page(request: Request) -> Response:
    """GET /alerts: the alerts in a state (open and acked by default), newest first."""
    listing = _listing(request)
    query = {k: v for k, v in (("status", listing["state"]), ("kind", listing["kind"])) if v and v != "active"}
    limit, offset, total = listing["limit"], listing["offset"], listing["total"]
    pages = {
        "prev": f"/alerts?{urlencode({**query, 'offset': max(0, offset - limit), 'limit': limit})}" if offset else None,
        "next": f"/alerts?{urlencode({**query, 'offset': offset + limit, 'limit': limit})}" if offset + limit < total else None,
    }
    return render(request, "alerts_list.html", kinds=KINDS, states=("active", "all", *STATUSES), pages=pages, **listing)


def api_alerts(request: Request) -> Response:
    """GET /api/alerts: the same page of alerts as JSON."""
    return JSONResponse(_listing(request))


def _alert_id(request: Request) -> str:
    alert_id = request.path_params["alert_id"]
    if not ALERT_ID.fullmatch(alert_id):
        raise ApiError(404, "not-found", f"no alert {alert_id[:40]!r}: an id is 'a' and 12 hex digits")
    return alert_id


async def _change(request: Request, alert_id: str, status: str):
    user = current_user(request)

    def work():
        with write_store(request) as store:
            try:
                return set_status(store, alert_id, status, user.name if user else None)
            except NotFoundError:
                raise ApiError(404, "not-found", f"no alert {alert_id!r}") from None

    return await run_in_threadpool(work)


async def alert_form(request: Request) -> Response:
    """POST /alerts/{id}/ack|close|open (a form with the CSRF token), then back to the list."""
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise ApiError(404, "not-found", f"no alert action {action[:20]!r} (ack, close, open)")
    form = await writer_form(request)
    alert_id = _alert_id(request)
    await _change(request, alert_id, ACTIONS[action])
    back = form.get("next")
    target = back if isinstance(back, str) and back.startswith("/alerts") and "//" not in back else "/alerts"
    return RedirectResponse(f"{target}#{alert_id}", status_code=303)


async def api_alert(request: Request) -> Response:
    """POST /api/alerts/{id} with {"status": "open" | "acked" | "closed"}: the alert, changed."""
    alert_id = _alert_id(request)
    body = await json_body(request)
    status = body.get("status") if isinstance(body, dict) else None
    if status not in STATUSES:
        raise ApiError(400, "bad-request", f"send {{\"status\": ...}} with one of {', '.join(STATUSES)}")
    alert = await _change(request, alert_id, status)
    return JSONResponse(alert.to_dict())


def _status(request: Request) -> dict[str, Any]:
    with read_store(request) as store:
        if not _has_tables(store):
            return {"sources": [], "hosts": {}}
        state = WatchState(store)
        return {"sources": [s.to_dict() for s in state.status()], "hosts": state.max_requests_per_minute()}


def watch_page(request: Request) -> Response:
    """GET /watch: per watched outlet its last poll, items new/seen/failed, latest errors."""
    return render(request, "alerts_watch.html", **_status(request))


def api_watch_status(request: Request) -> Response:
    """GET /api/watch/status: the same as JSON (and per host the most requests in any minute)."""
    return JSONResponse(_status(request))


routes = [
    Route("/alerts", alerts_page, methods=["GET"]),
    Route("/alerts/{alert_id}/{action}", alert_form, methods=["POST"]),
    Route("/watch", watch_page, methods=["GET"]),
    Route("/api/alerts", api_alerts, methods=["GET"]),
    Route("/api/alerts/{alert_id}", api_alert, methods=["POST"]),
    Route("/api/watch/status", api_watch_status, methods=["GET"]),
]
nav = [("/alerts", "Alerts"), ("/watch", "Watch")]
