"""Sources file, polite fetcher and its state: a real local HTTP server, a real DuckDB store."""

from __future__ import annotations

import time

import pytest

from propwatch.errors import ConfigError
from propwatch.ingest.fetch import FetchPolicy, fetch, request
from propwatch.ingest.readers import Limits, iter_inputs
from propwatch.store import Store
from propwatch.watch.fetcher import PoliteFetcher, host_of
from propwatch.watch.sources import WatchSettings, load_sources
from propwatch.watch.state import Validators, WatchState

from watch.site import Page, Site

LOCAL = FetchPolicy(allow_private=True, timeout=2.0, deadline=3.0)


@pytest.fixture(scope="module")
def server():
    with Site() as s:
        yield s


@pytest.fixture
def site(server):
    server.routes.clear()
    server.hits.clear()
    return server


@pytest.fixture
def state(tmp_path):
    store = Store(tmp_path / "watch.duckdb")
    yield WatchState(store)
    store.close()


def fetcher(state, **settings) -> PoliteFetcher:
    return PoliteFetcher(WatchSettings(**{"per_host_interval": 0.0, "backoff_base": 0.2, **settings}), LOCAL, state)


# ---------------------------------------------------------------- sources file


def test_sources_file_is_read_and_every_problem_is_named(tmp_path):
    good = tmp_path / "sources.toml"
    good.write_text('[watch]\nper_host_interval = 2.5\n\n[alerts]\nlog = "alerts.jsonl"\n\n'
                    '[[outlets]]\nname = "Coastal Ledger"\nfeeds = ["https://ledger.example/rss"]\nlanguage = "en"\n\n'
                    '[[outlets]]\nname = "Nordland Daily"\nsitemaps = ["https://daily.example/news.xml"]\ninterval = 5\n', "utf-8")
    sources = load_sources(good)
    assert [o.name for o in sources.outlets] == ["Coastal Ledger", "Nordland Daily"]
    assert sources.watch.per_host_interval == 2.5 and sources.outlets[1].interval == 5
    assert sources.resolve(sources.alerts.log) == tmp_path / "alerts.jsonl"

    bad = tmp_path / "bad.toml"
    bad.write_text('[watch]\nper_host_intervall = 1\n\n[[outlets]]\nname = "A"\nfeeds = ["file:///etc/passwd"]\n\n'
                   '[[outlets]]\nname = "A"\ninterval = "often"\n', "utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(bad)
    text = str(err.value)
    assert "watch.per_host_intervall: unknown setting" in text
    assert "outlets[1].interval: expected a number" in text
    assert all(p.startswith(f"{bad}: ") for p in err.value.problems)
    bad.write_text('[[outlets]]\nname = "A"\nfeeds = ["gopher://x.example/1"]\n\n[[outlets]]\nname = "A"\n', "utf-8")
    problems = pytest.raises(ConfigError, load_sources, bad).value.problems
    assert any("outlets[0].feeds[0]: refused scheme gopher://" in p for p in problems)
    assert any("outlets[1]: needs at least one of feeds or sitemaps" in p for p in problems)
    assert any("outlets[1].name: 'A' is also outlets[0]" in p for p in problems)
    with pytest.raises(ConfigError, match="not valid TOML"):
        bad.write_text("[[outlets]\n", "utf-8")
        load_sources(bad)
    with pytest.raises(ConfigError, match="no such sources file"):
        load_sources(tmp_path / "missing.toml")


# ---------------------------------------------------------------- fetch items of issue 20


def test_a_trickling_server_is_cut_off_at_the_deadline(site):
    site.routes["/slow"] = Page("x" * 100, trickle=0.05)  # each byte well within the read timeout
    started = time.monotonic()
    got = fetch(site.url("/slow"), FetchPolicy(allow_private=True, timeout=1.0, deadline=0.5))
    assert time.monotonic() - started < 1.2
    assert got.kind == "fetch-failed" and "deadline (0.5 s)" in got.reason
    site.routes["/late"] = Page("late", delay=0.6)
    got = fetch(site.url("/late"), FetchPolicy(allow_private=True, timeout=0.3, deadline=5))
    assert got.kind == "fetch-failed" and "no answer within 0.3 s" in got.reason


def test_refused_schemes_are_named_on_the_command_line_and_in_url_lists(tmp_path):
    got = list(iter_inputs(["file:///etc/passwd", "gopher://example.org/1"], Limits()))
    assert [g.kind for g in got] == ["bad-url", "bad-url"]
    assert got[0].source == "file:///etc/passwd" and "refused scheme file://" in got[0].reason
    assert "refused scheme gopher://" in got[1].reason
    listing = tmp_path / "list.urls"
    listing.write_text("ftp://example.org/x\n", "utf-8")
    [rej] = list(iter_inputs([listing], Limits()))
    assert rej.kind == "bad-url" and rej.line == 1 and "refused scheme ftp://" in rej.reason


def test_every_redirect_hop_is_checked(site):
    site.routes["/to-metadata"] = Page(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    site.routes["/to-file"] = Page(status=302, headers={"Location": "file:///etc/passwd"})
    only_this_server = FetchPolicy(timeout=2.0, deadline=3.0, allowed_addresses=frozenset({"127.0.0.1"}))
    assert request(site.url("/missing"), only_this_server).status == 404
    got = request(site.url("/to-metadata"), only_this_server)
    assert got.kind == "private-address" and "169.254.169.254" in got.reason
    got = request(site.url("/to-file"), only_this_server)
    assert got.kind == "bad-url" and got.reason.startswith("redirected to refused scheme file://")


# ---------------------------------------------------------------- polite fetcher


def test_conditional_get_and_unchanged_content(site, state):
    site.routes["/feed"] = Page("<rss/>", content_type="application/rss+xml", etag='"v1"')
    f = fetcher(state)
    first = f.get(site.url("/feed"))
    assert first.outcome == "ok" and first.validators.etag == '"v1"' and first.validators.last_modified
    again = f.get(site.url("/feed"), first.validators)
    assert again.outcome == "unchanged" and again.reason == "HTTP 304 Not Modified"
    assert site.hits_of("/feed")[-1].if_none_match == '"v1"' and site.hits_of("/feed")[-1].if_modified_since
    site.routes["/plain"] = Page("same body")  # no validators: the body's hash says it is the same
    one = f.get(site.url("/plain"))
    assert f.get(site.url("/plain"), one.validators).outcome == "unchanged"
    assert all(h.user_agent.startswith("propwatch-watch/") for h in site.hits)


def test_robots_txt_is_honoured_and_its_crawl_delay_kept(site, state):
    site.routes["/robots.txt"] = Page("User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n", content_type="text/plain")
    site.routes["/private/a"] = Page("secret")
    site.routes["/public/a"] = Page("fine")
    site.routes["/public/b"] = Page("fine too")
    f = fetcher(state)
    refused = f.get(site.url("/private/a"))
    assert refused.outcome == "refused" and "disallowed by" in refused.reason and "robots.txt" in refused.reason
    assert not site.hits_of("/private/a")
    assert f.get(site.url("/public/a")).outcome == "ok" and f.get(site.url("/public/b")).outcome == "ok"
    assert len(site.hits_of("/robots.txt")) == 1  # once per process
    a, b = site.hits_of("/public/a")[0], site.hits_of("/public/b")[0]
    assert b.at - a.at >= 0.28  # Crawl-delay 0.3 s over an interval of 0


def test_robots_5xx_disallows_and_4xx_allows(site, state):
    site.routes["/robots.txt"] = Page("down", status=503)
    site.routes["/a"] = Page("a")
    got = fetcher(state).get(site.url("/a"))
    assert got.outcome == "refused" and "HTTP 503" in got.reason and not site.hits_of("/a")
    del site.routes["/robots.txt"]  # now a 404: no rules
    assert fetcher(state).get(site.url("/a")).outcome == "ok"


def test_per_host_rate_limit(site, state):
    for i in range(4):
        site.routes[f"/p{i}"] = Page(f"page {i}")
    f = fetcher(state, per_host_interval=0.15)
    for i in range(4):
        assert f.get(site.url(f"/p{i}")).outcome == "ok"
    times = [site.hits_of(f"/p{i}")[0].at for i in range(4)]
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.14
    f.flush_log()
    assert sum(state.max_requests_per_minute().values()) == 5  # robots.txt and the four pages, one host


def test_backoff_on_errors_and_retry_after(site, state):
    site.routes["/boom"] = Page("oops", status=500)
    f = fetcher(state, backoff_base=0.3)
    host = host_of(site.url("/boom"))
    got = f.get(site.url("/boom"))
    assert got.outcome == "failed" and got.reason.startswith("HTTP 500")
    assert state.host(host).failures == 1
    deferred = f.get(site.url("/boom"))
    assert deferred.outcome == "deferred" and "backed off" in deferred.reason and len(site.hits_of("/boom")) == 1
    # a new process on the same store honours the backoff too
    assert fetcher(state).get(site.url("/boom")).outcome == "deferred"
    time.sleep(0.35)
    site.routes["/boom"] = Page("fine now")
    assert f.get(site.url("/boom")).outcome == "ok" and state.host(host).failures == 0

    site.routes["/busy"] = Page("slow down", status=429, headers={"Retry-After": "2"})
    got = f.get(site.url("/busy"))
    assert got.outcome == "failed" and "Retry-After 2 s" in got.reason
    held = state.host(host)
    assert held.failures == 1 and 1.5 < (held.retry_at - __import__("propwatch.store", fromlist=["now"]).now()).total_seconds() <= 2.1
    assert f.get(site.url("/busy")).outcome == "deferred"


def test_refused_hosts_are_never_asked(state):
    f = PoliteFetcher(WatchSettings(), FetchPolicy(), state)  # private addresses refused
    got = f.get("http://127.0.0.1:9/feed")
    assert got.outcome == "refused" and "private-address" in got.reason
    assert f.get("ftp://example.org/feed").outcome == "refused"


def test_validators_and_items_survive_a_restart(tmp_path):
    path = tmp_path / "state.duckdb"
    with Store(path) as store:
        st = WatchState(store)
        st.remember("https://a.example/rss", "A", "feed", "ok", Validators('"e1"', "Mon, 30 Nov 2026 10:00:00 GMT", "h1"))
        st.record_items([("https://a.example/1", "A", "stored", ["d1", "d2"], None, 1, "One", "2026-11-30"),
                         ("https://a.example/2", "A", "retry", [], "HTTP 500", 1, "Two", None)])
    with Store(path) as store:
        st = WatchState(store)
        assert st.validators("https://a.example/rss") == Validators('"e1"', "Mon, 30 Nov 2026 10:00:00 GMT", "h1")
        assert st.validators("https://a.example/rss").headers() == {
            "If-None-Match": '"e1"', "If-Modified-Since": "Mon, 30 Nov 2026 10:00:00 GMT"}
        assert st.known_items(["https://a.example/1", "https://a.example/2", "https://a.example/3"]) == {
            "https://a.example/1": ("stored", 1), "https://a.example/2": ("retry", 1)}
        assert st.item_docs("A") == ["d1", "d2"]
