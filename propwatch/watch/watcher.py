"""One poll of the outlets: listings fetched, new items fetched, analysed, stored and linked.

For each outlet, every feed and sitemap is fetched conditionally (a 304 or
the same body again is not parsed); a sitemap index's children are followed
``watch.max_sitemap_depth`` levels down. Each item URL is looked up in
``watch_items``: one stored (or failed for good) before is *seen* and not
fetched again; the others are fetched (robots.txt, rate limit, backoff as
:mod:`propwatch.watch.fetcher` says), extracted by the pipeline's ingest
stages (trafilatura for HTML), analysed by its layer stages and committed in
batches of ``watch.batch_size``, each item's outcome written beside it, so a
process killed mid-poll loses at most one batch and the next one resumes.
A page that could not be fetched is tried again on the next polls, up to
``watch.max_attempts``. After the poll the new claims are linked into
narratives and the alert rules run (:mod:`propwatch.watch.alerts`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..config import Config
from ..ingest.fetch import FetchPolicy
from ..ingest.readers import fetched_document
from ..pipeline import Pipeline
from ..records import Document, Rejection
from ..storable import storable
from ..store import Store, now
from .discover import Item, Listing, parse_feed, parse_sitemap
from .fetcher import Got, PoliteFetcher
from .sources import OutletSource, Sources
from .state import Validators, WatchState

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"


@dataclass
class SourcePoll:
    """What one poll of one outlet did."""

    source: str
    new: int = 0  # item pages fetched and stored now
    seen: int = 0  # listed items stored (or failed for good) before: not fetched
    failed: int = 0  # item pages that failed now
    waiting: int = 0  # items left for a later poll (over max_items_per_poll, host backed off)
    unchanged: int = 0  # feeds and sitemaps that had not changed
    doc_ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PollSummary:
    polls: list[SourcePoll]
    narratives: dict[str, int] = field(default_factory=dict)
    alerts: list[Any] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new(self) -> int:
        return sum(p.new for p in self.polls)

    def to_dict(self) -> dict[str, Any]:
        return {"sources": [p.to_dict() for p in self.polls], "narratives": self.narratives,
                "alerts": [a.to_dict() for a in self.alerts], "new": self.new, "seconds": round(self.seconds, 3)}


class Watcher:
    """Polls the outlets of a sources file into the store of ``config``."""

    def __init__(self, sources: Sources, config: Config, store: Store | None = None,
                 pipeline: Pipeline | None = None, sleep: Callable[[float], None] = time.sleep):
        self.sources = sources
        self.config = config
        self.store = store if store is not None else Store.from_config(config)
        self.pipeline = pipeline or Pipeline(config, store=self.store)
        self.state = WatchState(self.store)
        policy = FetchPolicy(
            allow_private=bool(config.get("ingest.allow_private_addresses", False)),
            timeout=float(config.get("ingest.fetch_timeout", 20.0)),
            deadline=float(config.get("ingest.fetch_deadline", 60.0)),
            max_bytes=int(float(config.get("ingest.max_record_mb", 10)) * 2**20),
        )
        self.fetcher = PoliteFetcher(sources.watch, policy, self.state, sleep=sleep)
        self.sleep = sleep
        self.links = any("claims" in s.assigns for s in self.pipeline.stages)

    # ------------------------------------------------------------ polls

    def due(self, at: datetime | None = None) -> list[OutletSource]:
        """The enabled outlets whose next poll has come (never polled: due)."""
        at = at or now()
        nexts = self.state.next_polls()
        return [o for o in self.sources.enabled if nexts.get(o.name) is None or nexts[o.name] <= at]

    def poll(self, outlets: Sequence[OutletSource] | None = None) -> PollSummary:
        """Poll ``outlets`` (every enabled one when None), link the new claims, raise the alerts."""
        from .alerts import evaluate
        from .delivery import deliver

        started = time.perf_counter()
        outlets = list(self.sources.enabled if outlets is None else outlets)
        run_id = uuid.uuid4().hex[:12]
        self.store.start_run(run_id, [storable(f"watch:{self.sources.path}")])
        polls = [self.poll_source(outlet, run_id) for outlet in outlets]
        self.fetcher.flush_log()
        summary = PollSummary(polls)
        new_ids = [i for p in polls for i in p.doc_ids]
        if self.links and new_ids:
            from ..corpus import NarrativeLinking

            summary.narratives = NarrativeLinking(self.config).run(self.store)
        summary.alerts = evaluate(self.store, self.sources.alerts, new_ids)
        deliver(self.store, self.sources, self.fetcher.policy)
        summary.seconds = time.perf_counter() - started
        self.store.finish_run(run_id, {"watch": [p.to_dict() for p in polls], "alerts": len(summary.alerts)})
        self.store.release()
        return summary

    def run(self, stop: Callable[[], bool], on_poll: Callable[[PollSummary], None] | None = None,
            idle: float = 30.0) -> None:
        """Poll the outlets as they fall due until ``stop()`` is true; the store is let go between polls."""
        while not stop():
            outlets = self.due()
            if outlets:
                with self.store.writing():
                    summary = self.poll(outlets)
                if on_poll:
                    on_poll(summary)
                continue
            nexts = [t for t in self.state.next_polls().values() if t is not None]
            self.store.release()
            wait = min([(t - now()).total_seconds() for t in nexts] + [idle])
            self.sleep(max(0.5, min(wait, idle)))

    # ------------------------------------------------------------ one outlet

    def poll_source(self, outlet: OutletSource, run_id: str) -> SourcePoll:
        poll = SourcePoll(outlet.name)
        listed: dict[str, Item] = {}
        for url in outlet.feeds:
            for item in self._listing(outlet, url, "feed", poll, 0):
                listed.setdefault(item.url, item)
        for url in outlet.sitemaps:
            for item in self._listing(outlet, url, "sitemap", poll, 0):
                listed.setdefault(item.url, item)
        retry = self._retry_items(outlet.name)
        for url in retry:
            listed.setdefault(url, Item(url))
        known = self.state.known_items(list(listed))
        todo: list[tuple[Item, int]] = []
        for url, item in listed.items():
            status, attempts = known.get(storable(url), ("", 0))
            if status in ("stored", "failed"):
                poll.seen += 1
            elif len(todo) < self.sources.watch.max_items_per_poll:
                todo.append((item, attempts))
            else:
                poll.waiting += 1
        size = self.sources.watch.batch_size
        for i in range(0, len(todo), size):
            self._fetch_batch(outlet, todo[i:i + size], poll, run_id)
        interval = timedelta(minutes=outlet.interval)
        error = poll.errors[-1] if poll.errors else None
        self.state.finish_poll(outlet.name, poll.new, poll.seen, poll.failed, error, now() + interval)
        return poll

    def _retry_items(self, source: str) -> list[str]:
        rows = self.store.con.execute(
            "SELECT url FROM watch_items WHERE source = ? AND status = 'retry' ORDER BY first_seen", [source]).fetchall()
        return [r[0] for r in rows]

    def _listing(self, outlet: OutletSource, url: str, kind: str, poll: SourcePoll, depth: int) -> list[Item]:
        """The items of one feed or sitemap (a sitemap index: of its children), fetched conditionally."""
        known = self.state.validators(url)
        got = self.fetcher.get(url, known, FEED_ACCEPT if kind == "feed" else SITEMAP_ACCEPT)
        if got.outcome == "unchanged":
            poll.unchanged += 1
            self.state.remember(url, outlet.name, kind, "unchanged", got.validators)
            # a sitemap index that has not changed still has children that may have
            return self._children(outlet, self.state.children(url), poll, depth) if kind == "sitemap" else []
        if got.outcome != "ok":
            self._error(outlet, poll, url, f"{kind}-{got.outcome}", got.reason)
            return []
        content_type = got.response.header("content-type") if got.response else ""
        listing: Listing = parse_feed(got.body, got.response.url, content_type) if kind == "feed" \
            else parse_sitemap(got.body, got.response.url)
        if listing.broken:
            self._error(outlet, poll, url, f"broken-{kind}", listing.broken)
            self.state.remember(url, outlet.name, kind, "broken", Validators())  # read again in full next time
            return []
        self.state.remember(url, outlet.name, kind, "ok", got.validators,
                            children=listing.sitemaps if kind == "sitemap" else None)
        return list(listing.items) + self._children(outlet, listing.sitemaps, poll, depth)

    def _children(self, outlet: OutletSource, sitemaps: Sequence[str], poll: SourcePoll, depth: int) -> list[Item]:
        items: list[Item] = []
        for child in sitemaps:
            if depth >= self.sources.watch.max_sitemap_depth:
                self._error(outlet, poll, child, "sitemap-depth",
                            f"sitemap index nested deeper than watch.max_sitemap_depth ({self.sources.watch.max_sitemap_depth})")
                continue
            items.extend(self._listing(outlet, child, "sitemap", poll, depth + 1))
        return items

    def _error(self, outlet: OutletSource, poll: SourcePoll, url: str, kind: str, reason: str) -> None:
        poll.errors.append(f"{url}: {kind}: {reason}")
        if not kind.endswith("-deferred"):
            self.state.error(outlet.name, url, kind, reason)

    def _fetch_batch(self, outlet: OutletSource, todo: Sequence[tuple[Item, int]], poll: SourcePoll, run_id: str) -> None:
        """Fetch the pages of ``todo``, analyse what came back as one batch, and record every item."""
        rows = []
        docs: list[Document] = []
        fetched: dict[str, tuple[Item, int]] = {}
        for item, attempts in todo:
            got = self.fetcher.get(item.url)
            if got.outcome == "ok":
                doc = self._document(outlet, item, got)
                if isinstance(doc, Rejection):
                    rows.append(self._failed(outlet, poll, item, attempts + 1, f"{doc.kind}: {doc.reason}", final=True))
                    continue
                docs.append(doc)
                fetched[storable(item.url)] = (item, attempts + 1)
            elif got.outcome == "deferred":
                poll.waiting += 1
                rows.append((item.url, outlet.name, "retry", [], got.reason, attempts, item.title, item.published))
            else:
                final = got.outcome == "refused" or attempts + 1 >= self.sources.watch.max_attempts
                rows.append(self._failed(outlet, poll, item, attempts + 1, f"{got.outcome}: {got.reason}", final))
        if docs:
            outcomes, rejected, _ = self.pipeline.process_batch(docs, run_id)
            by_source = self._stored_sources(list(fetched))
            why = {}
            for rej in rejected:
                why.setdefault(rej.source, f"{rej.kind}: {rej.reason}")
            for url, (item, attempts) in fetched.items():
                ids = by_source.get(url, [])
                if ids:
                    poll.new += 1
                    poll.doc_ids.extend(ids)
                    rows.append((item.url, outlet.name, "stored", ids, None, attempts, item.title, item.published))
                else:
                    rows.append(self._failed(outlet, poll, item, attempts, why.get(url, "no story was stored"), final=True))
        self.state.record_items(rows)

    def _failed(self, outlet: OutletSource, poll: SourcePoll, item: Item, attempts: int, reason: str, final: bool) -> tuple:
        poll.failed += 1
        self._error(outlet, poll, item.url, "item", reason)
        return (item.url, outlet.name, "failed" if final else "retry", [], reason, attempts, item.title, item.published)

    def _stored_sources(self, urls: Sequence[str]) -> dict[str, list[str]]:
        """source URL -> the ids of the stories stored from it (a page split into stories gives several)."""
        rows = self.store.con.execute(
            "SELECT source, doc_id FROM document_sources WHERE source IN (SELECT unnest(?)) ORDER BY source, story_index",
            [list(urls)]).fetchall()
        out: dict[str, list[str]] = {}
        for source, doc_id in rows:
            out.setdefault(source, [])
            if doc_id not in out[source]:
                out[source].append(doc_id)
        return out

    def _document(self, outlet: OutletSource, item: Item, got: Got) -> Document | Rejection:
        response = got.response
        doc = fetched_document(got.body, storable(item.url), response.url, response.header("content-type"))
        if isinstance(doc, Rejection):
            return doc
        language = outlet.language or item.language
        signals = doc.signals
        if language:
            from dataclasses import replace

            signals = replace(signals, declared_language=language)
        return doc.replace(outlet=outlet.name, outlet_evidence="watch sources file", title=item.title or doc.title,
                           published=item.published or doc.published, signals=signals)

    def close(self) -> None:
        self.pipeline.close()
        self.store.close()


__all__ = ["PollSummary", "SourcePoll", "Watcher"]
