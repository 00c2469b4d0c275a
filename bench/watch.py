"""Watch throughput and politeness against local outlets: items per minute, requests per host per minute.

    python bench/watch.py [--outlets 3] [--items 40] [--interval 0.0] [--stages default|spine|all-fake]

Starts one local HTTP server per outlet (its own host:port), each serving an
RSS feed of generated articles, and runs one ``watch --once`` poll into a
fresh store (every item is new), then a second poll (every feed answers 304,
nothing is fetched). Prints items per minute of the first poll, the second
poll's seconds, and from the request log the most requests one host got in
any 60 seconds. ``--interval`` is ``watch.per_host_interval``: at 1.0 a host
gets at most 60 requests a minute, and since one outlet's items are fetched
one after another the poll is bound by it. Nothing is timed in the tests.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# this file is bench/watch.py: its folder must not shadow the tests' watch package (tests/watch/site.py)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from propwatch import load_config  # noqa: E402
from propwatch.watch.sources import load_sources  # noqa: E402
from propwatch.watch.watcher import Watcher  # noqa: E402
from watch.site import Page, Site, article, rss  # noqa: E402

WORDS = (
    "government minister border militia report officials said according documents oil grain trade "
    "security forces village city army troops crossing attack statement spokesman week ministry "
    "sources claims evidence photos video investigation agency deal prices market exports talks "
    "region province capital president parliament court police protest election campaign"
).split()
STAGES = {
    "spine": ["clean", "split", "metadata", "language", "sentences"],
    "all-fake": None,  # every stage, the fakes for the models (tests/texts.py)
    "default": None,  # pipeline.stages of the packaged defaults, real models
}


def paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(3, 6)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def config_for(stages: str, store: Path):
    overrides = {"store.path": str(store), "ingest.allow_private_addresses": True}
    if stages == "spine":
        overrides["pipeline.stages"] = STAGES["spine"]
    elif stages == "all-fake":
        from texts import ALL_STAGES, FAST

        overrides.update({"pipeline.stages": ALL_STAGES, **FAST, "narratives.embedder": "embeddings_fake"})
    return load_config(overrides=overrides)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=3)
    parser.add_argument("--items", type=int, default=40, help="articles per outlet")
    parser.add_argument("--interval", type=float, default=0.0, help="watch.per_host_interval (seconds)")
    parser.add_argument("--stages", choices=sorted(STAGES), default="all-fake")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="pw-watch-bench-"))
    sites = [Site().__enter__() for _ in range(args.outlets)]
    try:
        outlets = []
        for n, site in enumerate(sites):
            items = []
            for i in range(args.items):
                path = f"/news/{i}"
                title = f"Outlet {n} story {i}: " + " ".join(rng.choice(WORDS) for _ in range(5))
                site.routes[path] = Page(article(title, [paragraph(rng) for _ in range(rng.randint(3, 7))]))
                items.append((site.url(path), title, "Tue, 01 Dec 2026 10:00:00 GMT"))
            site.routes["/rss"] = Page(rss(f"Outlet {n}", items), content_type="application/rss+xml", etag='"v1"')
            outlets.append(f'[[outlets]]\nname = "Outlet {n}"\nfeeds = ["{site.url("/rss")}"]\nlanguage = "en"\n')
        sources = folder / "sources.toml"
        sources.write_text(f"[watch]\nper_host_interval = {args.interval}\nmax_items_per_poll = {args.items}\n\n"
                           + "\n".join(outlets), "utf-8")
        config = config_for(args.stages, folder / "bench.duckdb")
        started = time.perf_counter()
        watcher = Watcher(load_sources(sources), config)
        setup = time.perf_counter() - started
        with watcher.store.writing():
            first = watcher.poll()
            again_started = time.perf_counter()
            second = watcher.poll()
            again = time.perf_counter() - again_started
            per_host = watcher.state.max_requests_per_minute()
        watcher.close()
        new = first.new
        figures = {
            "outlets": args.outlets, "items": args.outlets * args.items, "stages": args.stages,
            "per_host_interval": args.interval, "new": new, "failed": sum(p.failed for p in first.polls),
            "setup_seconds": round(setup, 2), "first_poll_seconds": round(first.seconds, 2),
            "items_per_minute": round(60 * new / first.seconds, 1) if first.seconds else None,
            "second_poll_seconds": round(again, 3), "second_poll_new": second.new,
            "second_poll_unchanged_feeds": sum(p.unchanged for p in second.polls),
            "max_requests_per_host_per_minute": max(per_host.values()) if per_host else 0,
            "requests_per_host": {h: len(site.hits) for h, site in zip(per_host, sites)},
        }
        print(json.dumps(figures, indent=1))
    finally:
        for site in sites:
            site.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
