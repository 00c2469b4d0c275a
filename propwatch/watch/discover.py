"""The items of a feed or a sitemap: RSS, Atom, sitemaps, news sitemaps, sitemap indexes.

Feeds are parsed by feedparser (RSS 0.9x-2.0, RSS 1.0, Atom); a feed it
cannot make sense of and that gives no entry is a ``broken`` answer with
feedparser's reason. Sitemaps are parsed with lxml, entities and network
access off: ``<urlset>`` gives one item per ``<url>`` (a news sitemap's
``<news:title>``, ``<news:publication_date>`` and ``<news:language>`` with
it), ``<sitemapindex>`` the child sitemaps to read next. A gzipped sitemap
is unpacked up to a size cap.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin

from ..ingest.fetch import url_problem

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_UNPACKED = 50 * 2**20  # the sitemap protocol's own limit


@dataclass(frozen=True)
class Item:
    """One story a feed or sitemap lists."""

    url: str
    title: str | None = None
    published: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Listing:
    """What one feed or sitemap gave: items, child sitemaps, and why it gave nothing when broken."""

    items: tuple[Item, ...] = ()
    sitemaps: tuple[str, ...] = ()
    broken: str | None = None
    skipped: int = 0  # entries without a fetchable link


def _clean(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    return text or None


def _fetchable(url: str | None, base: str) -> str | None:
    if not url:
        return None
    absolute = urljoin(base, url.strip())
    return None if url_problem(absolute) else absolute.split("#", 1)[0]


def parse_feed(body: bytes, url: str, content_type: str = "") -> Listing:
    """The entries of an RSS or Atom feed, each with its link, title, date and language."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-type": content_type or "application/xml",
                                                                  "content-location": url})
    entries = parsed.get("entries") or []
    feed_language = _clean((parsed.get("feed") or {}).get("language"))
    items, skipped = [], 0
    for entry in entries:
        link = _fetchable(entry.get("link") or entry.get("id"), url)
        if link is None:
            skipped += 1
            continue
        # the plain dict's get: feedparser's own maps a missing published_parsed to updated_parsed with a warning
        published = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        stamp = None
        if published:
            stamp = "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(published[:6])
        items.append(Item(link, _clean(entry.get("title")), stamp, _language(entry.get("language") or feed_language)))
    if not items and (parsed.get("bozo") or not parsed.get("version")):
        why = parsed.get("bozo_exception")
        return Listing(broken=f"not a readable feed: {type(why).__name__}: {why}" if why else "not a feed (no RSS or Atom root)",
                       skipped=skipped)
    return Listing(tuple(items), skipped=skipped)


def _language(value: str | None) -> str | None:
    """``en-GB`` -> ``en``; None when there is none."""
    value = _clean(value)
    return value.split("-")[0].split("_")[0].lower() if value else None


def unpack(body: bytes) -> bytes | None:
    """A gzipped body unpacked (None when over :data:`MAX_UNPACKED`); others as they are."""
    if body[:2] != b"\x1f\x8b":
        return body
    out = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = out.decompress(body, MAX_UNPACKED + 1)
    return None if len(data) > MAX_UNPACKED else data


def parse_sitemap(body: bytes, url: str) -> Listing:
    """A sitemap's URLs (with a news sitemap's title, date and language) or an index's sitemaps."""
    from lxml import etree

    data = unpack(body)
    if data is None:
        return Listing(broken=f"unpacked sitemap exceeds {MAX_UNPACKED // 2**20} MB")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.parse(io.BytesIO(data), parser).getroot()
    except etree.XMLSyntaxError as exc:
        return Listing(broken=f"not a readable sitemap: {exc}")
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        locs = [_fetchable(_text(el, "loc"), url) for el in root if _local(el) == "sitemap"]
        return Listing(sitemaps=tuple(dict.fromkeys(loc for loc in locs if loc)), skipped=locs.count(None))
    if tag != "urlset":
        return Listing(broken=f"not a sitemap (root element <{tag}>, not <urlset> or <sitemapindex>)")
    items, skipped = [], 0
    for el in root:
        if _local(el) != "url":
            continue
        loc = _fetchable(_text(el, "loc"), url)
        if loc is None:
            skipped += 1
            continue
        news = el.find(f"{{{NEWS_NS}}}news")
        title = published = language = None
        if news is not None:
            title = _clean(news.findtext(f"{{{NEWS_NS}}}title"))
            published = _clean(news.findtext(f"{{{NEWS_NS}}}publication_date"))
            language = _language(news.findtext(f"{{{NEWS_NS}}}publication/{{{NEWS_NS}}}language"))
        published = published or _clean(_text(el, "lastmod"))
        items.append(Item(loc, title, published, language))
    return Listing(tuple(items), skipped=skipped)


def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _text(el, name: str) -> str | None:
    for child in el:
        if _local(child) == name:
            return (child.text or "").strip() or None
    return None


__all__ = ["Item", "Listing", "parse_feed", "parse_sitemap", "unpack"]
