"""Running the workbench on uvicorn, with the limits uvicorn itself lacks.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) and
caps header size (h11's incomplete-event limit). :class:`GuardedH11Protocol`
adds per connection:

* a header deadline: a request's headers must arrive within
  ``header_timeout`` seconds of its first byte (or of the connection), else
  408 and the connection closes: slow or silent clients hold no slot;
* a body deadline: the body within ``body_timeout`` seconds of the headers;
* a connection cap: past ``max_connections`` open connections a new one is
  answered 503 and closed;
* errors of the HTTP layer (a negative or non-numeric Content-Length, a
  malformed request line) in the one JSON error shape.

The socket is bound here, so any address the user names works
(``::1``, ``127.1``, ``0.0.0.0``, a host name) and ``--port 0`` reports the
port it got.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import sys
from http import HTTPStatus
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import ServeOptions
from .middleware import SECURITY_HEADERS

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def resolve(host: str) -> list[tuple[int, str]]:
    """(family, address) for each address ``host`` names (``127.1`` -> 127.0.0.1)."""
    infos = socket.getaddrinfo(host or None, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    return list(dict.fromkeys((family, sockaddr[0]) for family, _, _, _, sockaddr in infos))


def is_loopback(host: str) -> bool:
    """Every address the host names is a loopback one."""
    addresses = resolve(host)
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for _, a in addresses)


def allowed_hosts(host: str, extra: tuple[str, ...] = ()) -> frozenset[str] | None:
    """The Host names a loopback server answers (DNS rebinding guard); None (any) elsewhere,
    where a token is needed anyway, unless names are given."""
    names = {n.strip().lower().strip("[]") for n in extra if n.strip()}
    if is_loopback(host):
        return frozenset(LOOPBACK_NAMES | {host.lower().strip("[]")} | {a for _, a in resolve(host)} | names)
    return frozenset(names | {host.lower().strip("[]")}) if names else None


def error_bytes(status: int, code: str, message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": {"status": status, "code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"connection", b"close"),
               *((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items())]
    return headers, body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body deadlines and a connection cap."""

    options: ServeOptions = ServeOptions()  # set per server by :func:`protocol_for`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        if len(self.connections) > self.options.max_connections:
            self._answer(503, "busy", "too many open connections: try again shortly")
            return
        self._arm(self.options.header_timeout, "headers")

    def data_received(self, data: bytes) -> None:
        waiting = self.conn.their_state is h11.IDLE
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.IDLE and self._deadline is None:
            self._arm(self.options.header_timeout, "headers")  # a new request began to arrive
        elif state is h11.SEND_BODY and waiting:
            self._arm(self.options.body_timeout, "body")
        elif state not in (h11.IDLE, h11.SEND_BODY):
            self._disarm()

    def on_response_complete(self) -> None:
        if self.conn.their_state is not h11.SEND_BODY:  # a body still coming keeps its deadline
            self._disarm()  # idle from now on: uvicorn's keep-alive timeout applies
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self._answer(400, "bad-request", f"{msg} (a malformed request line, header or Content-Length)")

    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, what, seconds)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def _expired(self, what: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # answered already (a 401 with its body unread): just close
            return
        if self.cycle is not None:
            self.cycle.disconnected = True  # the route sees a disconnect; it writes nothing more
            self.cycle.message_event.set()
        self._answer(408, "timeout", f"the request's {what} did not arrive within {seconds:g} s")

    def _answer(self, status: int, code: str, message: str) -> None:
        """Write one JSON error straight to the socket and close it."""
        headers, body = error_bytes(status, code, message)
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
        head += [k + b": " + v + b"\r\n" for k, v in headers]
        head.append(f"content-length: {len(body)}\r\n\r\n".encode())
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def protocol_for(options: ServeOptions) -> type[GuardedH11Protocol]:
    return type("ServerProtocol", (GuardedH11Protocol,), {"options": options})


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on the first address ``host`` names."""
    family, address = resolve(host)[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind((address, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    address, port = sock.getsockname()[:2]
    shown = f"[{address}]" if ":" in address else address
    return f"http://{shown}:{port}/"


def server_for(app: Any, options: ServeOptions) -> tuple[uvicorn.Server, socket.socket]:
    """A uvicorn server of ``app`` with the guarded protocol, and its bound socket
    (``server.run(sockets=[sock])`` serves; ``server.should_exit = True`` stops it)."""
    sock = bind(options.host, options.port)
    config = uvicorn.Config(
        app, http=protocol_for(options), lifespan="off", timeout_keep_alive=int(max(1, options.keep_alive)),
        h11_max_incomplete_event_size=64 * 1024, log_level="warning", access_log=False, server_header=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config), sock


def run(app: Any, options: ServeOptions, announce: Any = None) -> None:
    """Serve ``app`` until interrupted; ``announce(url)`` once the socket is bound."""
    server, sock = server_for(app, options)
    if announce is not None:
        announce(url_of(sock, options.host))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        sys.stderr.flush()
