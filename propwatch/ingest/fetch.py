"""Fetch an article by URL, refusing private addresses.

The host name is resolved once; every address it resolves to must be a
public one (no loopback, private, link-local, multicast, reserved or
unspecified ranges), and the connection goes to the checked address, so a
DNS answer cannot change between the check and the request. Redirects are
followed by hand, each one checked the same way. Sizes and time are capped.
Tests and users on a lab network can allow private addresses in config
(``ingest.allow_private_addresses``).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..records import Rejection

USER_AGENT = "propwatch/0.1 (+https://propwatch.example/bot)"
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    timeout: float = 20.0
    max_bytes: int = 10 * 2**20


@dataclass(frozen=True)
class Fetched:
    url: str
    body: bytes
    content_type: str


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


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
        private = [a for a in addresses if not is_public_address(a)]
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


def fetch(url: str, policy: FetchPolicy | None = None) -> Fetched | Rejection:
    """GET ``url`` (following checked redirects) or say why not."""
    policy = policy or FetchPolicy()
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Rejection(url, "bad-url", f"only http(s) URLs with a host can be fetched: {current}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve_checked(parts.hostname, port, policy)
        if isinstance(address, Rejection):
            return Rejection(url, address.kind, address.reason)
        cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
        conn = cls(parts.hostname, address, port, policy.timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain;q=0.9,*/*;q=0.1"})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                conn.close()
                if not location:
                    return Rejection(url, "fetch-failed", f"redirect {response.status} without a Location")
                current = urljoin(current, location)
                continue
            if response.status != 200:
                return Rejection(url, "fetch-failed", f"HTTP {response.status} {response.reason}")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                return Rejection(url, "too-large", f"{int(declared)} bytes exceeds ingest.max_record_mb")
            body = response.read(policy.max_bytes + 1)
            if len(body) > policy.max_bytes:
                return Rejection(url, "too-large", "response exceeds ingest.max_record_mb")
            return Fetched(current, body, response.getheader("Content-Type", ""))
        except (OSError, http.client.HTTPException) as exc:
            return Rejection(url, "fetch-failed", f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()
    return Rejection(url, "fetch-failed", f"more than {MAX_REDIRECTS} redirects")
