"""watch --once, poll after poll, against two local outlets whose feeds change between polls.

The outlets are two real HTTP servers (tests/watch/site.py) serving invented
stories (tests/watch/outlets.py); the store is a DuckDB file; every stage
runs (with the fakes for the models). The server errors on the way (a 500,
a page slower than the fetch timeout, a broken feed, a 429 with Retry-After)
each cost only what they touch, and a new Watcher (a new Pipeline on the
same store) resumes where the first stopped.
"""

from __future__ import annotations

import json
import time

import pytest

from propwatch.store import Store
from propwatch.watch.alerts import list_alerts
from propwatch.watch.sources import load_sources
from propwatch.watch.watcher import Watcher

from watch.outlets import STORIES, publish, sources_file, watch_config
from watch.site import Page, Site, article


@pytest.fixture
def sites():
    with Site() as ledger, Site() as daily:
        yield ledger, daily


def counts(summary):
    return {p.source: (p.new, p.seen, p.failed) for p in summary.polls}


@pytest.mark.slow  # about 20 s: five polls, two pipelines with every stage, a slow page and a Retry-After waited out
def test_watch_once_takes_only_new_items_survives_errors_and_a_restart_and_raises_alerts(tmp_path, sites):
    ledger, daily = sites
    daily.routes["/hook"] = Page("ok", content_type="text/plain")
    config = watch_config(tmp_path)
    sources = load_sources(sources_file(tmp_path, ledger, daily, webhook=daily.url("/hook")))

    # poll 1: the Ledger's two stories; the Daily's feed answers 500
    publish(ledger, daily, ["ledger/fire", "ledger/bridge"], [])
    daily.routes["/daily/atom.xml"] = Page("internal error", status=500, content_type="text/plain")
    first = Watcher(sources, config)
    one = first.poll()
    assert counts(one) == {"Coastal Ledger": (2, 0, 0), "Nordland Daily": (0, 0, 0)}
    assert "HTTP 500" in one.polls[1].errors[0]
    assert [a.kind for a in one.alerts] == ["debunk"]  # the Ledger carries the known false claim

    # poll 2: the Ledger's feed has not changed (304); the Daily lists a page slower than the fetch timeout
    time.sleep(0.35)  # the Daily's host is backed off 0.3 s after its 500
    daily.routes["/daily/schools"] = Page("<html>late</html>", delay=1.3)
    publish(ledger, daily, ["ledger/fire", "ledger/bridge"], ["daily/schools"])
    two = first.poll()
    assert counts(two) == {"Coastal Ledger": (0, 0, 0), "Nordland Daily": (0, 0, 1)}
    assert two.polls[0].unchanged == 1 and ledger.hits_of("/ledger/rss.xml")[-1].status == 304
    assert "no answer within 1 s" in two.polls[1].errors[0]
    first.close()

    # poll 3, a new process: the Ledger has a new story; the Daily's feed is broken, its slow page is retried
    time.sleep(0.35)
    restarted = Watcher(load_sources(sources.path), watch_config(tmp_path))
    publish(ledger, daily, ["ledger/storm", "ledger/fire", "ledger/bridge"], ["daily/schools"])
    daily.routes["/daily/schools"] = Page(article(*STORIES["daily/schools"]))
    daily.routes["/daily/atom.xml"] = Page('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>cut',
                                           content_type="application/atom+xml")
    three = restarted.poll()
    assert counts(three) == {"Coastal Ledger": (1, 2, 0), "Nordland Daily": (1, 0, 0)}
    assert "broken-feed" in three.polls[1].errors[0]

    # poll 4: the Daily carries the Ledger's claim (a paraphrase), and a page answers 429
    daily.routes["/daily/ferry"] = Page("slow down", status=429, headers={"Retry-After": "1"})
    publish(ledger, daily, ["ledger/storm", "ledger/fire", "ledger/bridge"], ["daily/fire", "daily/ferry", "daily/schools"])
    four = restarted.poll()
    assert counts(four) == {"Coastal Ledger": (0, 0, 0), "Nordland Daily": (1, 1, 1)}
    assert "HTTP 429" in four.polls[1].errors[0] and "Retry-After 1 s" in four.polls[1].errors[0]
    kinds = sorted(a.kind for a in four.alerts)
    assert kinds == ["debunk", "narrative-outlets"]
    spread = next(a for a in four.alerts if a.kind == "narrative-outlets")
    assert spread.details["outlets"] == ["Coastal Ledger", "Nordland Daily"]
    assert "Port Velden" in spread.details["label"] and len(spread.details["doc_ids"]) == 2

    # poll 5: after the Retry-After the 429 page comes in; nothing else is fetched again, no alert twice
    time.sleep(1.05)
    del daily.routes["/daily/ferry"]
    publish(ledger, daily, ["ledger/storm", "ledger/fire", "ledger/bridge"], ["daily/fire", "daily/ferry", "daily/schools"])
    five = restarted.poll()
    assert counts(five)["Nordland Daily"] == (1, 0, 0) and five.polls[0].unchanged == 1 and not five.alerts
    restarted.close()

    # every story page was fetched once, but those that failed and were tried again
    pages = {h.path: 0 for site in sites for h in site.hits if h.path.count("/") == 2 and not h.path.endswith(".xml")}
    for site in sites:
        for h in site.hits:
            if h.path in pages:
                pages[h.path] += 1
    assert pages == {"/ledger/fire": 1, "/ledger/bridge": 1, "/ledger/storm": 1,
                     "/daily/schools": 2, "/daily/fire": 1, "/daily/ferry": 2}

    with Store(tmp_path / "watch.duckdb", read_only=True) as store:
        outlets = sorted(d.outlet for d in store.load(layers=[]))
        assert outlets == ["Coastal Ledger"] * 3 + ["Nordland Daily"] * 3
        alerts, total = list_alerts(store)
        assert total == 3 and sorted(a.kind for a in alerts) == ["debunk", "debunk", "narrative-outlets"]
        from propwatch.watch.state import WatchState

        status = {s.name: s for s in WatchState(store).status()}
        assert status["Nordland Daily"].stored == 3 and status["Nordland Daily"].last_error is None
        reasons = " ".join(e["reason"] for e in WatchState(store).status(errors=20)[1].errors)
        assert all(r in reasons for r in ("HTTP 500", "no answer within 1 s", "not a readable feed", "HTTP 429"))
        spacing = _min_spacing(store)
    assert spacing >= 0.045  # watch.per_host_interval = 0.05 s, for every pair of requests to one host

    # delivered: one JSONL line and one webhook POST per alert
    logged = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text("utf-8").splitlines()]
    assert sorted(a["kind"] for a in logged) == ["debunk", "debunk", "narrative-outlets"]
    posted = [json.loads(body) for body in daily.posts]
    assert sorted(p["id"] for p in posted) == sorted(a["id"] for a in logged)


def _min_spacing(store) -> float:
    rows = store.con.execute(
        "SELECT host, happened_at FROM watch_requests ORDER BY host, happened_at").fetchall()
    gaps = [(b[1] - a[1]).total_seconds() for a, b in zip(rows, rows[1:]) if a[0] == b[0]]
    return min(gaps)
