"""propwatch watch --once and --status, in process, on the spine stages: feeds and a sitemap index."""

from __future__ import annotations

import json

import pytest

from propwatch.cli import main
from propwatch.store import Store

from texts import SPINE_STAGES
from watch.outlets import STORIES
from watch.site import Page, Site, article, news_sitemap, rss, sitemap_index


@pytest.fixture
def sites():
    with Site() as ledger, Site() as daily:
        yield ledger, daily


def serve(ledger: Site, daily: Site, ledger_keys: list[str], daily_keys: list[str]) -> None:
    for site, keys in ((ledger, ledger_keys), (daily, daily_keys)):
        for key in keys:
            site.routes[f"/{key}"] = Page(article(*STORIES[key]))
    ledger.routes["/rss"] = Page(rss("Ledger", [(ledger.url(f"/{k}"), STORIES[k][0], "Mon, 30 Nov 2026 10:00:00 GMT")
                                                for k in ledger_keys]), content_type="application/rss+xml",
                                 etag=f'"{len(ledger_keys)}"')
    daily.routes["/sitemap-index.xml"] = Page(sitemap_index([daily.url("/news.xml")]), content_type="application/xml")
    daily.routes["/news.xml"] = Page(news_sitemap([(daily.url(f"/{k}"), STORIES[k][0], "2026-12-01", "en") for k in daily_keys]),
                                     content_type="application/xml")


@pytest.fixture
def files(tmp_path, sites):
    ledger, daily = sites
    config = tmp_path / "propwatch.toml"
    stages = ", ".join(f'"{s}"' for s in SPINE_STAGES)
    config.write_text(f'[store]\npath = "{tmp_path / "w.duckdb"}"\n\n[pipeline]\nstages = [{stages}]\n\n'
                      "[ingest]\nallow_private_addresses = true\nfetch_timeout = 2.0\n", "utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text("[watch]\nper_host_interval = 0.0\n\n"
                       f'[[outlets]]\nname = "Coastal Ledger"\nfeeds = ["{ledger.url("/rss")}"]\n\n'
                       f'[[outlets]]\nname = "Nordland Daily"\nsitemaps = ["{daily.url("/sitemap-index.xml")}"]\n'
                       'language = "en"\n', "utf-8")
    return config, sources


def test_watch_once_twice_then_status(files, sites, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    config, sources = files
    ledger, daily = sites
    serve(ledger, daily, ["ledger/fire", "ledger/bridge"], ["daily/schools"])
    assert main(["watch", str(sources), "--once", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "Coastal Ledger: 2 new, 0 seen, 0 failed" in err and "Nordland Daily: 1 new, 0 seen, 0 failed" in err

    serve(ledger, daily, ["ledger/storm", "ledger/fire", "ledger/bridge"], ["daily/ferry", "daily/schools"])
    assert main(["watch", str(sources), "--once", "--config", str(config), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(s["source"], s["new"], s["seen"]) for s in out[0]["sources"]] == [("Coastal Ledger", 1, 2), ("Nordland Daily", 1, 1)]
    assert all(len(site.hits_of(f"/{k}")) == 1 for site, ks in ((ledger, ["ledger/fire", "ledger/storm"]), (daily, ["daily/schools"]))
               for k in ks)

    with Store(config.parent / "w.duckdb", read_only=True) as store:
        docs = store.load(layers=[])
        assert sorted((d.outlet, d.title) for d in docs) == sorted(
            [("Coastal Ledger", STORIES[k][0]) for k in ("ledger/fire", "ledger/bridge", "ledger/storm")]
            + [("Nordland Daily", STORIES[k][0]) for k in ("daily/schools", "daily/ferry")])
        assert all(d.url and d.url.startswith("http://127.0.0.1:") for d in docs)
        assert any("Velden" in d.text for d in docs)

    assert main(["watch", str(sources), "--status", "--config", str(config), "--format", "json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["polls"], s["stored"], s["items_new"], s["items_seen"]) for s in status] == [
        ("Coastal Ledger", 2, 3, 1, 2), ("Nordland Daily", 2, 2, 1, 1)]
    assert main(["watch", str(sources), "--status", "--config", str(config)]) == 0
    table = capsys.readouterr().out
    assert "Coastal Ledger" in table and "1/2/0" in table and "Nordland Daily" in table


def test_a_failing_feed_gives_exit_2_and_its_reason(files, sites, capsys):
    config, sources = files
    ledger, daily = sites
    serve(ledger, daily, ["ledger/fire"], ["daily/schools"])
    daily.routes["/news.xml"] = Page("<html>maintenance</html>", content_type="text/html")
    assert main(["watch", str(sources), "--once", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "Coastal Ledger: 1 new" in err and "broken-sitemap: not a sitemap (root element <html>" in err
    assert main(["watch", str(sources), "--status", "--config", str(config), "--format", "json"]) == 0
    daily_status = json.loads(capsys.readouterr().out)[1]
    assert daily_status["last_error"].endswith("not a sitemap (root element <html>, not <urlset> or <sitemapindex>)")
    assert daily_status["errors"][0]["kind"] == "broken-sitemap"


def test_a_bad_sources_file_is_one_error_naming_it(tmp_path, capsys):
    bad = tmp_path / "sources.toml"
    bad.write_text('[[outlets]]\nname = "X"\nfeeds = ["file:///etc/passwd"]\n', "utf-8")
    assert main(["watch", str(bad), "--once"]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "outlets[0].feeds[0]: refused scheme file://" in err
