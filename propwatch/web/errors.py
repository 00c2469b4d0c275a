"""The one error shape of the workbench, for every status and method.

Every error the server answers, from a route, a middleware or the HTTP
layer below them, is::

    {"error": {"status": 404, "code": "not-found", "message": "no story abc1"}}

A route raises :class:`ApiError` (or returns :func:`api_error`); Starlette's
own ``HTTPException`` (unknown path, method not allowed) and anything
unexpected are turned into the same shape by :func:`exception_handlers`.
A browser asking for a page (``Accept: text/html``, a path outside
``/api/``) gets the same fields drawn as a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import NotFoundError, QueryError, StoreBusyError, store_damage

# status -> the code a Starlette HTTPException of that status gets
STATUS_CODES = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
    408: "timeout", 413: "too-large", 415: "unsupported-media-type", 421: "bad-host", 429: "too-many-requests",
    500: "internal", 503: "unavailable", 504: "timeout",
}


class ApiError(Exception):
    """An error answered in the one shape; ``headers`` go with it (``Allow``, ``Retry-After``)."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def api_error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The JSON response of one error (what every error path answers)."""
    body = {"error": {"status": status, "code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API): the error is drawn as a page."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_response(request: Request, error: ApiError) -> Response:
    if wants_page(request) and request.method in ("GET", "HEAD"):
        from .app import render  # the page needs the app's templates; errors.py stays importable alone

        return render(request, "error.html", status=error.status, headers=error.headers,
                      error={"status": error.status, "code": error.code, "message": error.message})
    return api_error(error.status, error.code, error.message, error.headers)


def _api_error(request: Request, exc: ApiError) -> Response:
    return error_response(request, exc)


def _http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    elif status == 404:
        message = f"no such page or endpoint: {request.url.path}"
    else:
        message = exc.detail if exc.detail != HTTPStatus(status).phrase else HTTPStatus(status).description
    return error_response(request, ApiError(status, STATUS_CODES.get(status, "error"), message, exc.headers))


def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, ApiError(404, "not-found", str(exc)))


def _bad_query(request: Request, exc: Exception) -> Response:
    return error_response(request, ApiError(400, "bad-query", str(exc)))


def _store_busy(request: Request, exc: Exception) -> Response:
    return error_response(request, ApiError(503, "store-busy", str(exc), {"Retry-After": "5"}))


def _internal(request: Request, exc: Exception) -> Response:
    # a request never kills the server, and the answer keeps the one shape
    damage = store_damage(exc)
    if damage:
        return api_error(500, "store-damaged", f"the store is damaged: {damage}")
    return api_error(500, "internal", f"{type(exc).__name__}: {str(exc)[:300]}")


def exception_handlers() -> dict:
    """Starlette's ``exception_handlers``: every error in the one shape."""
    return {ApiError: _api_error, HTTPException: _http_exception, NotFoundError: _not_found, QueryError: _bad_query,
            StoreBusyError: _store_busy, Exception: _internal}
