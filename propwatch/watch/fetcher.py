"""A polite fetcher: robots.txt, one request per host per interval, conditional GET, backoff.

Every request goes through :func:`propwatch.ingest.fetch.request`, so each
hop (the first and every redirect) is checked against the SSRF guard and the
whole fetch runs within ``ingest.fetch_deadline``. On top of that, per host:

- **robots.txt** is fetched once per process and honoured for the watcher's
  User-Agent (RFC 9309: a 4xx answer allows everything, a 5xx answer or no
  answer disallows everything until the next process asks again); its
  ``Crawl-delay`` raises the host's interval;
- **a rate limit**: two requests to one host are at least
  ``watch.per_host_interval`` seconds apart (the fetcher sleeps);
- **conditional GET**: the ETag and Last-Modified of the last answer are
  sent back; a 304 (or the same body again) is ``unchanged``;
- **backoff**: a 5xx, a timeout or a connection error leaves the host alone
  for ``backoff_base`` seconds, doubled with each error in a row up to
  ``backoff_max``; a 429 or 503 with ``Retry-After`` for that long. The
  backoff is kept in the store, so a restart honours it.

Each request sent is logged (host, URL, status, time) for the politeness
figures (:meth:`propwatch.watch.state.WatchState.max_requests_per_minute`).
"""

from __future__ import annotations

import hashlib
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ..ingest.fetch import FetchPolicy, Response, request, url_problem
from ..records import Rejection
from ..store import now
from .sources import WatchSettings
from .state import HostState, Validators, WatchState

BACKOFF_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Got:
    """What one polite GET came to.

    ``outcome``: ``ok`` (a new body), ``unchanged`` (304, or the same body as
    last time), ``failed`` (an error answer or none; ``reason`` says which),
    ``refused`` (robots.txt, a bad URL or a private address: not asked), or
    ``deferred`` (the host is backed off: not asked this time).
    """

    url: str
    outcome: str
    response: Response | None = None
    reason: str = ""
    validators: Validators = Validators()

    @property
    def body(self) -> bytes:
        return self.response.body if self.response is not None else b""


def host_of(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def retry_after(value: str, at: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number of seconds or an HTTP date)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return max(0.0, (when - at).total_seconds())


def crawl_delay(lines: list[str], user_agent: str) -> float | None:
    """The ``Crawl-delay`` (seconds, decimals allowed) of the group naming our agent, else of ``*``."""
    token = user_agent.split("/")[0].strip().lower()
    found: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
        else:
            in_rules = True
            if key == "crawl-delay":
                try:
                    delay = float(value)
                except ValueError:
                    continue
                for agent in agents:
                    found.setdefault("*" if agent == "*" else ("us" if agent and agent in token else agent), delay)
    return found.get("us", found.get("*"))


class PoliteFetcher:
    """GETs for one watcher process; ``clock`` and ``sleep`` are the rate limit's (monotonic)."""

    def __init__(self, settings: WatchSettings, policy: FetchPolicy, state: WatchState,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.policy = replace(policy, user_agent=settings.user_agent)
        self.state = state
        self.clock = clock
        self.sleep = sleep
        self._next_at: dict[str, float] = {}
        self._interval: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | str] = {}
        self.log: list[tuple[str, str, str, datetime]] = []  # every request sent (host, url, status, when)
        self._unflushed = 0

    # ------------------------------------------------------------ the one entry point

    def get(self, url: str, validators: Validators = Validators(), accept: str | None = None) -> Got:
        problem = url_problem(url)
        if problem:
            return Got(url, "refused", reason=problem)
        host = host_of(url)
        held = self.state.host(host)
        if held.retry_at is not None and held.retry_at > now():
            return Got(url, "deferred", reason=f"host {host} is backed off until {held.retry_at:%Y-%m-%d %H:%M:%S} UTC "
                                                f"after {held.failures} error(s) (last: {held.last_status})")
        if self.settings.respect_robots:
            verdict = self._robots_allow(url, host)
            if verdict is not None:
                return Got(url, "refused", reason=verdict)
        headers = validators.headers()
        if accept:
            headers["Accept"] = accept
        got = self._send(url, host, headers)
        return self._judge(url, host, held, got, validators)

    # ------------------------------------------------------------ politeness

    def _send(self, url: str, host: str, headers: dict[str, str]) -> Response | Rejection:
        wait = self._next_at.get(host, 0.0) - self.clock()
        if wait > 0:
            self.sleep(wait)
        try:
            got = request(url, self.policy, headers)
        finally:
            self._next_at[host] = self.clock() + self._interval.get(host, self.settings.per_host_interval)
        status = str(got.status) if isinstance(got, Response) else got.kind
        self.log.append((host, url, status, now()))
        self._unflushed += 1
        return got

    def flush_log(self) -> None:
        """Write the requests sent since the last flush to the store's request log."""
        if self._unflushed:
            self.state.log_requests(self.log[-self._unflushed:])
            self._unflushed = 0

    def _robots_allow(self, url: str, host: str) -> str | None:
        """None when robots.txt allows ``url``, else why not."""
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return None
        origin = f"{parts.scheme.lower()}://{parts.netloc}"
        rules = self._robots.get(origin)
        if rules is None:
            rules = self._robots[origin] = self._fetch_robots(origin, host)
        if isinstance(rules, str):
            return rules
        if not rules.can_fetch(self.settings.user_agent, url):
            return f"disallowed by {origin}/robots.txt for {self.settings.user_agent.split('/')[0]}"
        return None

    def _fetch_robots(self, origin: str, host: str) -> urllib.robotparser.RobotFileParser | str:
        got = self._send(f"{origin}/robots.txt", host, {"Accept": "text/plain"})
        rules = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        if isinstance(got, Rejection):
            return f"robots.txt of {origin} could not be fetched ({got.kind}: {got.reason}): nothing is fetched from it"
        if got.status >= 500:
            return f"robots.txt of {origin} answered HTTP {got.status}: nothing is fetched from it"
        if 200 <= got.status < 300:
            lines = got.body.decode("utf-8", errors="replace").splitlines()
            rules.parse(lines)
            delay = crawl_delay(lines, self.settings.user_agent)
            if delay:
                self._interval[host] = max(self.settings.per_host_interval, min(float(delay), 60.0))
        else:  # 4xx: no rules, everything allowed
            rules.parse([])
        return rules

    # ------------------------------------------------------------ outcome

    def _judge(self, url: str, host: str, held: HostState, got: Response | Rejection, validators: Validators) -> Got:
        if isinstance(got, Rejection):
            if got.kind in ("bad-url", "private-address", "too-large"):
                return Got(url, "refused" if got.kind != "too-large" else "failed", reason=f"{got.kind}: {got.reason}")
            self._back_off(host, held, f"{got.kind}: {got.reason}", None)
            return Got(url, "failed", reason=f"{got.kind}: {got.reason}")
        if got.status in BACKOFF_STATUSES:
            wait = retry_after(got.header("retry-after"), now()) if got.status in (429, 503) else None
            label = f"HTTP {got.status} {got.reason}".strip()
            self._back_off(host, held, label, wait)
            return Got(url, "failed", got, f"{label}" + (f" (Retry-After {wait:g} s)" if wait is not None else ""))
        if held.failures:
            self.state.set_host(host, HostState(0, None, str(got.status)))
        if got.status == 304:
            return Got(url, "unchanged", got, "HTTP 304 Not Modified", validators)
        if not 200 <= got.status < 300:
            return Got(url, "failed", got, f"HTTP {got.status} {got.reason}".strip())
        fresh = Validators(got.header("etag") or None, got.header("last-modified") or None,
                           hashlib.sha256(got.body).hexdigest()[:32])
        if validators.body_hash and fresh.body_hash == validators.body_hash:
            return Got(url, "unchanged", got, "same content as the last fetch", fresh)
        return Got(url, "ok", got, "", fresh)

    def _back_off(self, host: str, held: HostState, why: str, wait: float | None) -> None:
        failures = held.failures + 1
        if wait is None:
            wait = self.settings.backoff_base * 2 ** (failures - 1)
        wait = min(wait, self.settings.backoff_max)
        self.state.set_host(host, HostState(failures, now() + timedelta(seconds=wait), why))


__all__ = ["Got", "PoliteFetcher", "host_of", "retry_after"]
