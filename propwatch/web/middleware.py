"""The ASGI layers every request passes before a route (outermost first).

``SecurityHeaders``  CSP, nosniff, frame and referrer policy on every answer
``HostCheck``        a Host outside the allow-list (DNS rebinding) -> 421
``InFlight``         at most N requests run at once; a request waits a little
                     for its turn, then 503; one past its deadline before it began
                     answering -> 504 (one already streaming, an export, goes on)
``BodyGuard``        Content-Length checked before anything reads the body
                     (not a number, negative -> 400; over the limit -> 413);
                     a body without a length is counted as it comes

The body itself is read only by a route, after the auth middleware let the
request in (Starlette reads nothing until a route asks).
"""

from __future__ import annotations

import asyncio
import re

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_response

CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on its own forms
    "referrer-policy": "same-origin",
}
_LENGTH = re.compile(r"[0-9]{1,18}")


async def _answer(scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
    await error_response(Request(scope), error)(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def host_name(header: str) -> str:
    """The host of a Host header, without its port, lower case (``[::1]:80`` -> ``::1``)."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostCheck:
    """Only the names this server is reached by; None: any (a server that wants a token anyway)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str] | None):
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.allowed is not None:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host_name(host) not in self.allowed:
                await _answer(scope, receive, send, ApiError(
                    421, "bad-host", f"this server does not answer for host {host[:100]!r} "
                    "(start it with --allow-host NAME to add a name)"))
                return
        await self.app(scope, receive, send)


class InFlight:
    """Bounded concurrency: requests beyond ``limit`` wait up to ``wait`` s, then 503;
    a request still running after ``deadline`` s is answered 504 (if it has not started
    answering) and its task cancelled."""

    def __init__(self, app: ASGIApp, limit: int, wait: float, deadline: float):
        self.app = app
        self.slots = asyncio.Semaphore(limit)
        self.wait = wait
        self.deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await asyncio.wait_for(self.slots.acquire(), self.wait)
        except asyncio.TimeoutError:
            await _answer(scope, receive, send, ApiError(503, "busy", "the server is busy: try again shortly",
                                                         {"Retry-After": "2"}))
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, watched))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.deadline)
            if task in done:
                task.result()  # the route's own error, for the exception handlers above
            elif started:
                await task  # answering already (a long export streams on): not cut short
            else:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - abandoned on purpose
                    pass
                await _answer(scope, receive, send, ApiError(504, "timeout", f"the request ran over {self.deadline:g} s"))
        finally:
            if not task.done():
                task.cancel()
            self.slots.release()


class BodyGuard:
    """The declared length checked before the body is read; the body never read past ``limit``."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not _LENGTH.fullmatch(text):
                await _answer(scope, receive, send, ApiError(400, "bad-content-length",
                                                             f"Content-Length must be a whole number of bytes, not {text[:40]!r}"))
                return
            if int(text) > self.limit:
                await _answer(scope, receive, send, ApiError(413, "too-large",
                                                             f"the request body is over {self.limit} bytes"))
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise ApiError(413, "too-large", f"the request body is over {self.limit} bytes")
            return message

        await self.app(scope, counted, send)
