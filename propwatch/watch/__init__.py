"""Watching outlets: feeds and sitemaps polled politely, new stories analysed, alerts raised.

    propwatch watch sources.toml            # poll every outlet when it is due, until stopped
    propwatch watch sources.toml --once     # one poll of every outlet, then exit (cron, tests)
    propwatch watch sources.toml --status   # per outlet: last poll, items new/seen/failed, errors

Modules: :mod:`~propwatch.watch.sources` (the sources file),
:mod:`~propwatch.watch.fetcher` (robots.txt, per-host rate limit, conditional
GET, backoff, over the SSRF-guarded :func:`propwatch.ingest.fetch.request`),
:mod:`~propwatch.watch.discover` (items of RSS/Atom feeds, sitemaps, news
sitemaps and sitemap indexes), :mod:`~propwatch.watch.state` (what a restart
resumes from, in the store), :mod:`~propwatch.watch.watcher` (one poll: fetch,
extract, analyse, store, link), :mod:`~propwatch.watch.alerts` (the rules and
the ``alerts`` table) and :mod:`~propwatch.watch.delivery` (JSONL log, webhook).
"""
