"""Fetch an article by URL, refusing private addresses.

The host name is resolved once; every address it resolves to must be a
public one (no loopback, private, link-local, multicast, reserved or
unspecified ranges), and the connection goes to the checked address, so a
DNS answer cannot change between the check and the request. Redirects are
followed by hand, each one checked the same way. Sizes and time are capped:
``timeout`` bounds each wait on the server, ``deadline`` the whole fetch
(every hop, the headers and the body), so a server that trickles one byte
a second is cut off. Only ``http`` and ``https`` are fetched; any other
scheme is refused with a reason that says so.
Tests and users on a lab network can allow private addresses in config
(``ingest.allow_private_addresses``).

:func:`request` gives the final response whatever its status (the watcher
needs 304s, 429s and their headers); :func:`fetch` is the reader's view:
a 200 body or a rejection.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from ..records import Rejection

USER_AGENT = "propwatch/0.1 (+https://propwatch.example/bot)"
MAX_REDIRECTS = 5
ACCEPT = "text/html,text/plain;q=0.9,*/*;q=0.1"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_CHUNK = 65536


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    timeout: float = 20.0  # seconds of each wait on the server (connect, each read)
    max_bytes: int = 10 * 2**20
    deadline: float = 60.0  # seconds for the whole fetch, redirects and body included
    user_agent: str = USER_AGENT
    # non-public addresses allowed one by one while allow_private is false (a test's own server)
    allowed_addresses: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Fetched:
    url: str
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Response:
    """The final answer to a request: the URL it came from after redirects, its status,
    headers (names lower-case) and body (empty for anything but 2xx)."""

    url: str
    status: int
    reason: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    redirects: tuple[str, ...] = ()  # the URLs redirected from, in order

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched (a scheme other than http(s), no host), or None."""
    match = _SCHEME.match(url)
    if not match:
        return f"not a URL (no scheme): {url[:200]}"
    scheme = match.group(1).lower()
    if scheme not in ("http", "https"):
        return f"refused scheme {scheme}:// (only http:// and https:// URLs are fetched): {url[:200]}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError as exc:
        return f"malformed URL ({exc}): {url[:200]}"
    if not parts.hostname:
        return f"URL has no host: {url[:200]}"
    return None


def resolve_checked(host: str, port: int, policy: FetchPolicy) -> str | Rejection:
    """The address to connect to, or why the host is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return Rejection(host, "fetch-failed", f"cannot resolve host: {exc.strerror}")
    addresses = [info[4][0] for info in infos]
    if not addresses:
        return Rejection(host, "fetch-failed", "host has no address")
    if not policy.allow_private:
        private = [a for a in addresses if not is_public_address(a) and a not in policy.allowed_addresses]
        if private:
            return Rejection(host, "private-address", f"refused: {host} resolves to non-public address {private[0]}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


class _Deadline:
    """Seconds left of one fetch; each wait gets the smaller of that and the timeout."""

    def __init__(self, policy: FetchPolicy):
        self.policy = policy
        self.ends = time.monotonic() + policy.deadline

    def left(self) -> float:
        return self.ends - time.monotonic()

    def wait(self) -> float:
        left = self.left()
        if left <= 0:
            raise TimeoutError(f"the fetch ran past its deadline ({self.policy.deadline:g} s)")
        return min(self.policy.timeout, left)


def request(url: str, policy: FetchPolicy | None = None, headers: Mapping[str, str] | None = None,
            method: str = "GET", body: bytes | None = None) -> Response | Rejection:
    """``method`` ``url`` following checked redirects (GET only); the final response, any status.

    Every hop's host is resolved and checked before connecting; the body of a 2xx
    answer is read up to ``policy.max_bytes``, all within ``policy.deadline``.
    """
    policy = policy or FetchPolicy()
    deadline = _Deadline(policy)
    sent = {"User-Agent": policy.user_agent, "Accept": ACCEPT, **(headers or {})}
    current = url
    hops: list[str] = []
    for _ in range(MAX_REDIRECTS + 1):
        problem = url_problem(current)
        if problem:
            return Rejection(url, "bad-url", problem if current == url else f"redirected to {problem}")
        parts = urlsplit(current)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        address = resolve_checked(parts.hostname, port, policy)
        if isinstance(address, Rejection):
            return Rejection(url, address.kind, address.reason)
        cls = _PinnedHTTPSConnection if parts.scheme.lower() == "https" else _PinnedHTTPConnection
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn = None
        try:
            conn = cls(parts.hostname, address, port, deadline.wait())
            conn.request(method, path, body=body, headers=sent)
            sock = conn.sock  # kept: http.client drops conn.sock when the answer will close
            sock.settimeout(deadline.wait())
            response = conn.getresponse()
            if method == "GET" and response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    return Rejection(url, "fetch-failed", f"redirect {response.status} without a Location")
                hops.append(current)
                current = urljoin(current, location)
                continue
            got = {k.lower(): v for k, v in response.getheaders()}
            if not 200 <= response.status < 300:
                return Response(current, response.status, response.reason, got, b"", tuple(hops))
            declared = got.get("content-length", "")
            if declared.isdigit() and int(declared) > policy.max_bytes:
                return Rejection(url, "too-large", f"{int(declared)} bytes exceeds ingest.max_record_mb")
            data = _read_body(sock, response, policy, deadline)
            if data is None:
                return Rejection(url, "too-large", "response exceeds ingest.max_record_mb")
            return Response(current, response.status, response.reason, got, data, tuple(hops))
        except TimeoutError:
            if deadline.left() <= 0.05:  # the last wait was cut to what was left of the deadline
                reason = f"the fetch ran past its deadline ({policy.deadline:g} s)"
            else:
                reason = f"no answer within {policy.timeout:g} s"
            return Rejection(url, "fetch-failed", f"timeout: {reason}")
        except (OSError, http.client.HTTPException) as exc:
            return Rejection(url, "fetch-failed", f"{type(exc).__name__}: {exc}")
        finally:
            if conn is not None:
                conn.close()
    return Rejection(url, "fetch-failed", f"more than {MAX_REDIRECTS} redirects")


def _read_body(sock, response, policy: FetchPolicy, deadline: _Deadline) -> bytes | None:
    """The body in chunks, each read bounded by what is left of the deadline; None when too large."""
    chunks: list[bytes] = []
    size = 0
    while True:
        sock.settimeout(deadline.wait())
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_bytes:
            return None
        chunks.append(chunk)


def fetch(url: str, policy: FetchPolicy | None = None) -> Fetched | Rejection:
    """GET ``url`` (following checked redirects) or say why not."""
    got = request(url, policy)
    if isinstance(got, Rejection):
        return got
    if got.status != 200:
        return Rejection(url, "fetch-failed", f"HTTP {got.status} {got.reason}")
    return Fetched(got.url, got.body, got.header("content-type"))
