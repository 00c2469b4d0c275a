"""What the watcher remembers, in the store (migration ``0301_watch``), so a restart resumes.

- ``watch_resources``: every feed, sitemap and item page fetched, with its
  validators (ETag, Last-Modified) for the next conditional GET and a hash
  of the body, so an unchanged feed is not parsed again;
- ``watch_items``: every item URL a feed or sitemap listed, its status
  (``stored``, ``retry``, ``failed``), the stories it gave and why it failed;
  a URL stored once is never fetched again;
- ``watch_sources``: per outlet the last poll, the next one, and the counts
  of new, seen and failed items of its last poll, with the last error;
- ``watch_errors``: every error with its URL and reason;
- ``watch_hosts``: per host the errors in a row and when it may be asked again
  (backoff, ``Retry-After``);
- ``watch_requests``: one row per request sent (the politeness log).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..store import Store, now
from ..storable import storable

ERRORS_KEPT = 200  # per source, the newest
REASON_CHARS = 500


@dataclass(frozen=True)
class Validators:
    """What the last fetch of a URL said about its content."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class HostState:
    failures: int = 0
    retry_at: datetime | None = None
    last_status: str | None = None


@dataclass(frozen=True)
class SourceStatus:
    """One outlet's line in ``propwatch watch --status`` and on ``/watch``."""

    name: str
    polls: int
    last_poll: str | None
    last_ok: str | None
    next_poll: str | None
    items_new: int
    items_seen: int
    items_failed: int
    last_error: str | None
    stored: int  # item pages stored over all polls
    failing: int  # item pages that failed for good
    errors: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _short(text: str | None) -> str | None:
    return None if text is None else storable(str(text))[:REASON_CHARS]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


class WatchState:
    """The watcher's tables in one store; every write is its own small transaction."""

    def __init__(self, store: Store):
        self.store = store

    @property
    def con(self):
        return self.store.con

    # ------------------------------------------------------------ resources

    def validators(self, url: str) -> Validators:
        row = self.con.execute(
            "SELECT etag, last_modified, body_hash FROM watch_resources WHERE url = ?", [storable(url)]).fetchone()
        return Validators(*row) if row else Validators()

    def remember(self, url: str, source: str, kind: str, status: str, validators: Validators,
                 children: Sequence[str] | None = None) -> None:
        """What a fetch of ``url`` said; ``children``: the sitemaps a sitemap index listed (None: keep them)."""
        with self.store.transaction():
            parent = self.con.execute("SELECT parent FROM watch_resources WHERE url = ?", [storable(url)]).fetchone()
            self.con.execute(
                "INSERT OR REPLACE INTO watch_resources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [storable(url), source, kind, _short(validators.etag), _short(validators.last_modified),
                 validators.body_hash, status, now(), parent[0] if parent else None])
            if children is not None:
                self.con.execute("UPDATE watch_resources SET parent = NULL WHERE parent = ?", [storable(url)])
                for child in children:
                    self.con.execute(
                        "INSERT INTO watch_resources VALUES (?, ?, 'sitemap', NULL, NULL, NULL, 'listed', ?, ?) "
                        "ON CONFLICT (url) DO UPDATE SET parent = excluded.parent",
                        [storable(child), source, now(), storable(url)])

    def children(self, url: str) -> list[str]:
        """The sitemaps the sitemap index ``url`` listed when it was last read."""
        return [r[0] for r in self.con.execute(
            "SELECT url FROM watch_resources WHERE parent = ? ORDER BY url", [storable(url)]).fetchall()]

    # ------------------------------------------------------------ items

    def known_items(self, urls: Sequence[str]) -> dict[str, tuple[str, int]]:
        """url -> (status, attempts) of the URLs already listed once."""
        if not urls:
            return {}
        rows = self.con.execute(
            "SELECT url, status, attempts FROM watch_items WHERE url IN (SELECT unnest(?))",
            [[storable(u) for u in urls]]).fetchall()
        return {u: (s, a) for u, s, a in rows}

    def record_items(self, rows: Sequence[tuple[str, str, str, Sequence[str], str | None, int, str | None, str | None]]) -> None:
        """(url, source, status, doc ids, reason, attempts, title, published) per item, one transaction."""
        if not rows:
            return
        stamp = now()
        with self.store.transaction():
            firsts = dict(self.con.execute(
                "SELECT url, first_seen FROM watch_items WHERE url IN (SELECT unnest(?))",
                [[storable(r[0]) for r in rows]]).fetchall())
            self.store.insert_rows(
                "watch_items", "url, source, status, doc_ids, reason, attempts, title, published, first_seen, updated_at",
                [(storable(u), src, status, json.dumps(list(ids)), _short(reason), attempts, _short(title), _short(published),
                  firsts.get(storable(u), stamp), stamp)
                 for u, src, status, ids, reason, attempts, title, published in rows],
                replace=True)

    def item_docs(self, source: str | None = None) -> list[str]:
        """Story ids the watcher stored (of one source)."""
        q = "SELECT doc_ids FROM watch_items WHERE status = 'stored'"
        rows = self.con.execute(q + (" AND source = ?" if source else ""), [source] if source else []).fetchall()
        return [i for (ids,) in rows for i in json.loads(ids or "[]")]

    # ------------------------------------------------------------ errors and hosts

    def error(self, source: str, url: str, kind: str, reason: str) -> None:
        with self.store.transaction():
            self.con.execute("INSERT INTO watch_errors VALUES (?, ?, ?, ?, ?)",
                             [source, storable(url), kind, _short(reason), now()])
            self.con.execute(
                """DELETE FROM watch_errors WHERE source = ? AND happened_at < (
                       SELECT min(happened_at) FROM (SELECT happened_at FROM watch_errors WHERE source = ?
                                                     ORDER BY happened_at DESC LIMIT ?))""",
                [source, source, ERRORS_KEPT])

    def host(self, host: str) -> HostState:
        row = self.con.execute("SELECT failures, retry_at, last_status FROM watch_hosts WHERE host = ?", [host]).fetchone()
        return HostState(*row) if row else HostState()

    def set_host(self, host: str, state: HostState) -> None:
        with self.store.transaction():
            self.con.execute("INSERT OR REPLACE INTO watch_hosts VALUES (?, ?, ?, ?, ?)",
                             [host, state.failures, state.retry_at, _short(state.last_status), now()])

    def log_requests(self, rows: Sequence[tuple[str, str, str, datetime]]) -> None:
        """(host, url, status, when) of requests sent; older than a week are dropped."""
        if not rows:
            return
        with self.store.transaction():
            self.store.insert_rows("watch_requests", "host, url, status, happened_at",
                                   [(h, storable(u), s, at) for h, u, s, at in rows])
            self.con.execute("DELETE FROM watch_requests WHERE happened_at < ?", [now() - timedelta(days=7)])

    def max_requests_per_minute(self) -> dict[str, int]:
        """Per host, the most requests sent within any 60 seconds of the log."""
        rows = self.con.execute(
            """SELECT a.host, max(c) FROM (
                   SELECT r.host, r.happened_at, (SELECT count(*) FROM watch_requests q WHERE q.host = r.host
                       AND q.happened_at >= r.happened_at AND q.happened_at < r.happened_at + INTERVAL 60 SECOND) AS c
                   FROM watch_requests r) a GROUP BY a.host ORDER BY a.host""").fetchall()
        return {h: int(c) for h, c in rows}

    # ------------------------------------------------------------ sources

    def finish_poll(self, source: str, new: int, seen: int, failed: int, error: str | None, next_poll: datetime) -> None:
        stamp = now()
        with self.store.transaction():
            row = self.con.execute("SELECT polls, last_ok FROM watch_sources WHERE name = ?", [source]).fetchone()
            polls, last_ok = (row[0], row[1]) if row else (0, None)
            self.con.execute(
                "INSERT OR REPLACE INTO watch_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source, polls + 1, stamp, stamp if error is None else last_ok, next_poll, new, seen, failed, _short(error)])

    def next_polls(self) -> dict[str, datetime | None]:
        return dict(self.con.execute("SELECT name, next_poll FROM watch_sources").fetchall())

    def status(self, names: Sequence[str] | None = None, errors: int = 5) -> list[SourceStatus]:
        """Per source (those named, in that order; else every one polled), its status and latest errors."""
        rows = {r[0]: r for r in self.con.execute(
            "SELECT name, polls, last_poll, last_ok, next_poll, items_new, items_seen, items_failed, last_error "
            "FROM watch_sources").fetchall()}
        counts = {(s, st): n for s, st, n in self.con.execute(
            "SELECT source, status, count(*) FROM watch_items GROUP BY ALL").fetchall()}
        out = []
        for name in (names if names is not None else sorted(rows)):
            r = rows.get(name) or (name, 0, None, None, None, 0, 0, 0, None)
            errs = self.con.execute(
                "SELECT happened_at, url, kind, reason FROM watch_errors WHERE source = ? ORDER BY happened_at DESC LIMIT ?",
                [name, errors]).fetchall()
            out.append(SourceStatus(
                name=name, polls=r[1], last_poll=_iso(r[2]), last_ok=_iso(r[3]), next_poll=_iso(r[4]),
                items_new=r[5], items_seen=r[6], items_failed=r[7], last_error=r[8],
                stored=counts.get((name, "stored"), 0), failing=counts.get((name, "failed"), 0),
                errors=tuple({"at": _iso(at), "url": u, "kind": k, "reason": why} for at, u, k, why in errs)))
        return out


__all__ = ["HostState", "SourceStatus", "Validators", "WatchState"]
