"""The API's own endpoints: the record schema, rejections, and the OpenAPI description.

``/api/openapi.json`` describes every ``/api/`` route the mounted areas
serve, read off the application itself: its path, methods, path
parameters, the summary (the first line of the endpoint's docstring), the
Bearer authentication, and the one error shape every status answers.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from ..output.records import json_schema
from .app import paging, read_store

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "code", "message"], "properties": {
        "status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"}}}},
}


def api_schema(request: Request) -> Response:
    """GET /api/schema: the JSON Schema of a story record (what /api/stories/{id} answers)."""
    return JSONResponse(json_schema())


def api_rejections(request: Request) -> Response:
    """GET /api/rejections: inputs the runs could not read, with the reason, newest run first."""
    limit, offset = paging(request, default=200, maximum=5000)
    with read_store(request) as store:
        rows = store.rejections()
    page = rows[offset:offset + limit]
    return JSONResponse({"total": len(rows), "limit": limit, "offset": offset,
                         "items": [{"source": r.source, "line": r.line, "kind": r.kind, "reason": r.reason}
                                   for r in page]})


def _summary(endpoint: Any) -> str:
    doc = inspect.getdoc(endpoint) or ""
    first = doc.split("\n\n", 1)[0].replace("\n", " ")
    return re.sub(r"^(GET|POST|PUT|PATCH|DELETE)\s+\S+:\s*", "", first)


def openapi(app: Any) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the ``/api/`` routes of ``app``."""
    paths: dict[str, Any] = {}
    for route in app.routes:
        if not isinstance(route, Route) or not route.path.startswith("/api/"):
            continue
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"{(\w+)(?::\w+)?}", route.path)]
        for method in sorted((route.methods or set()) - {"HEAD"}):
            operation: dict[str, Any] = {
                "summary": _summary(route.endpoint), "operationId": f"{method.lower()}_{route.name}",
                "responses": {"200": {"description": "OK"},
                              "default": {"description": "an error, in the one shape",
                                          "content": {"application/json": {"schema": ERROR_SCHEMA}}}},
            }
            if params:
                operation["parameters"] = params
            if method in ("POST", "PUT", "PATCH"):
                operation["requestBody"] = {"content": {"application/json": {"schema": {}}}}
            paths.setdefault(re.sub(r"{(\w+):\w+}", r"{\1}", route.path), {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "propwatch workbench API", "version": __version__},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Error": ERROR_SCHEMA, "Story": json_schema()}},
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }


def api_openapi(request: Request) -> Response:
    """GET /api/openapi.json: this description."""
    return JSONResponse(openapi(request.app))


routes = [
    Route("/api/schema", api_schema, methods=["GET"]),
    Route("/api/rejections", api_rejections, methods=["GET"]),
    Route("/api/openapi.json", api_openapi, methods=["GET"]),
]
nav: list[tuple[str, str]] = []
