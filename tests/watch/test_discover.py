"""Items of feeds and sitemaps: RSS, Atom, news sitemaps, sitemap indexes, gzip, broken input."""

from __future__ import annotations

import gzip

from propwatch.watch.discover import parse_feed, parse_sitemap

from watch.site import atom, news_sitemap, rss, sitemap_index


def test_rss_and_atom_items_with_links_titles_dates():
    got = parse_feed(rss("Ledger", [("https://l.example/a", "Fire  at the\nharbour", "Mon, 30 Nov 2026 10:00:00 GMT"),
                                    ("/b", "Relative", ""), ("javascript:alert(1)", "Script", "")]).encode(),
                     "https://l.example/rss.xml", "application/rss+xml")
    assert [(i.url, i.title, i.published) for i in got.items] == [
        ("https://l.example/a", "Fire at the harbour", "2026-11-30T10:00:00Z"), ("https://l.example/b", "Relative", None)]
    assert got.skipped == 1 and got.broken is None
    got = parse_feed(atom("Daily", [("https://d.example/x#top", "X", "2026-12-01T08:30:00+02:00")]).encode(), "https://d.example/atom")
    assert [(i.url, i.published) for i in got.items] == [("https://d.example/x", "2026-12-01T06:30:00Z")]
    with_language = rss("L", [("https://l.example/a", "A", "")]).replace("<channel>", "<channel><language>de-AT</language>")
    assert parse_feed(with_language.encode(), "https://l.example/rss").items[0].language == "de"


def test_broken_and_empty_feeds_say_why():
    assert parse_feed(b"<html><body>Not a feed</body></html>", "https://x.example/rss").broken.startswith("not a feed")
    cut = parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>cut', "https://x.example/rss")
    assert cut.broken.startswith("not a readable feed:") and not cut.items
    empty = parse_feed(rss("Quiet", []).encode(), "https://x.example/rss")
    assert empty.broken is None and empty.items == ()


def test_news_sitemap_index_and_gzip():
    body = news_sitemap([("https://n.example/1", "One", "2026-12-01T09:00:00Z", "en-GB"), ("ftp://n.example/2", "Two", "", "en")])
    got = parse_sitemap(body.encode(), "https://n.example/news.xml")
    assert [(i.url, i.title, i.published, i.language) for i in got.items] == [
        ("https://n.example/1", "One", "2026-12-01T09:00:00Z", "en")]
    assert got.skipped == 1
    assert parse_sitemap(gzip.compress(body.encode()), "https://n.example/news.xml.gz").items == got.items
    index = parse_sitemap(sitemap_index(["https://n.example/a.xml", "/b.xml", "/b.xml"]).encode(), "https://n.example/index.xml")
    assert index.sitemaps == ("https://n.example/a.xml", "https://n.example/b.xml") and not index.items
    plain = parse_sitemap(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://n.example/p</loc>'
                          b"<lastmod>2026-11-02</lastmod></url></urlset>", "https://n.example/s.xml")
    assert [(i.url, i.published) for i in plain.items] == [("https://n.example/p", "2026-11-02")]


def test_bad_sitemaps_say_why_and_entities_are_not_expanded():
    assert parse_sitemap(b"<urlset><url>", "https://n.example/s").broken.startswith("not a readable sitemap")
    assert "root element <html>" in parse_sitemap(b"<html/>", "https://n.example/s").broken
    bomb = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY file SYSTEM "file:///etc/passwd">]>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://n.example/&b;&file;</loc></url></urlset>')
    got = parse_sitemap(bomb, "https://n.example/s")
    assert got.broken or all("aaaa" not in i.url and "root:" not in i.url for i in got.items)
