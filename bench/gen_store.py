"""A generated store of many stories, for bench/pipeline.py (streaming) and bench/api.py.

    python bench/gen_store.py --store /tmp/bench-20k.duckdb [--stories 20000] [--limit 20]

Not a bench itself: the two benches import it (``sys.path`` insert of
bench/) and call :func:`ensure_store`. How a store is made:

1. templates: real articles (the seeds in ../shared/seeds and a sample of
   the PTC articles in ../shared/data/ptc-train; research corpora, read in
   place, never copied into the project) analysed by the default pipeline;
   bench/pipeline.py passes the ones it has just analysed;
2. N variants, each one template's clean text plus a generated paragraph
   (unique per story, so every variant has its own content id), with one of
   a few generated outlets, titles, URLs and dates;
3. each variant carries its template's analysed layers (sentences,
   entities, quotes, claims, techniques, ...; their char offsets stay valid:
   the template text is the variant's prefix), so the stories weigh what
   analysed stories weigh. The variants are written straight through the
   store's batch writer (fast: no stages, no MinHash); where the store has no
   ``write_batch(new_docs, layers, sources)`` (a changed store API) they go
   through ``Pipeline.analyze`` with the ingest stages instead, say so, and
   keep the ingest layers only.

An existing ``--store`` file with enough stories is reused as it is.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEEDS = ROOT.parent / "shared" / "seeds"
PTC = ROOT.parent / "shared" / "data" / "ptc-train" / "articles"

from propwatch import Pipeline, load_config  # noqa: E402

INGEST_STAGES = ["clean", "split", "metadata", "language", "sentences"]
# Opening a store for writing generated variants runs no stage.
GENERATE_STAGES: list[str] = []
OUTLETS = ["Harbour Herald", "Border Wire", "Capital Courier", "Evening Ledger",
           "Daily Bench", "River Times", "Northern Post", "Plains Gazette"]
WORDS = (
    "government minister border militia report officials said according documents oil grain trade "
    "security forces village city army troops crossing attack statement spokesman week ministry "
    "sources claims evidence photos video investigation agency deal prices market exports talks "
    "region province capital president parliament court police protest election campaign"
).split()


def real_articles(limit: int, seed: int = 7, skip: int = 0) -> list[Path]:
    """The seed articles, then a fixed sample of PTC training articles: ``limit`` files in all.

    ``skip`` leaves out the first ``skip`` files of the same order (for a
    warm-up article that is not among the measured ones).
    """
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    ptc = sorted(PTC.glob("article*.txt")) if PTC.is_dir() else []
    random.Random(seed).shuffle(ptc)
    files = seeds + ptc
    if not files:
        raise SystemExit(f"no real articles: neither {SEEDS} nor {PTC} is there")
    return files[skip:skip + limit]


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc; else the peak)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return peak_rss_mb()


def peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def open_pipeline(store_path: str | Path, stages: Sequence[str] | None = None, **overrides: Any) -> Pipeline:
    config = {"store.path": str(store_path)}
    if stages is not None:
        config["pipeline.stages"] = list(stages)
    config.update(overrides)
    return Pipeline(load_config(overrides=config))


def close_pipeline(pipeline: Pipeline) -> None:
    """Close the stages and the store file (so that another process may open it)."""
    pipeline.close()
    try:
        pipeline.store.close()
    except Exception:  # noqa: BLE001 - already closed
        pass


def store_count(store) -> int:
    count = getattr(store, "count", None)
    if callable(count):
        return int(count())
    return sum(1 for _ in store.iter_documents(batch_size=1000))


def analyse_templates(limit: int, tmp: Path, log: Callable[[str], None] = print) -> list:
    """Real articles through the default pipeline; their stored Documents (with layers)."""
    pipeline = open_pipeline(tmp / "templates.duckdb")
    try:
        started = time.perf_counter()
        summary = pipeline.analyze(real_articles(limit))
        log(f"templates        {len(summary.doc_ids)} stories from {limit} real articles analysed in {time.perf_counter() - started:.0f} s")
        wanted = set(summary.doc_ids)
        docs = [d for d in pipeline.store.iter_documents(batch_size=200) if d.id in wanted]
    finally:
        close_pipeline(pipeline)
    return docs


def _paragraph(rng: random.Random, words: int, serial: int) -> str:
    sents, count = [], 0
    while count < words:
        k = rng.randint(8, 20)
        sents.append(" ".join(rng.choices(WORDS, k=k)).capitalize() + ".")
        count += k
    return f"Bench desk note {serial}: " + " ".join(sents)


def _serialized(layers: dict) -> dict:
    """The template's layers as the store is handed them by the pipeline: the records
    themselves (a store with typed tables writes them there; plain dicts would land in
    its JSON fallback and make an unrepresentative store)."""
    return {name: tuple(records) for name, records in layers.items()}


def _variants(stories: int, templates: Sequence, seed: int):
    """(serial, template index, feed record) for each generated story."""
    rng = random.Random(seed)
    for i in range(stories):
        k = i % len(templates)
        t = templates[k]
        outlet = OUTLETS[rng.randrange(len(OUTLETS))]
        extra = max(60, min(300, len(t.text.split()) // 2))
        yield i, k, {
            "id": f"bench-{i}",
            "url": f"https://{outlet.lower().replace(' ', '')}.example/news/{i}",
            "outlet": outlet,
            "title": f"{(t.title or 'Story')[:120]} ({i})",
            "published": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "text": t.text + "\n\n" + _paragraph(rng, extra, i),
        }


def _direct_writer(store):
    """The store's batch writer when it takes (new_docs, layers, sources), else None."""
    writer = getattr(store, "write_batch", None)
    if writer is None:
        return None
    try:
        params = list(inspect.signature(writer).parameters)
    except (TypeError, ValueError):
        return None
    return writer if params[:3] == ["new_docs", "layers", "sources"] else None


def generate(store_path: str | Path, stories: int, templates: Sequence, seed: int = 11,
             log: Callable[[str], None] = print) -> dict[str, Any]:
    """Make ``stories`` variants of ``templates`` in a new store file; figures about it.

    Fast path (the store has ``write_batch(new_docs, layers, sources)``): the
    variants are written directly as Documents with the template's layers
    (no stages, no MinHash: nothing is flagged near-duplicate). Otherwise they
    go through ``Pipeline.analyze`` with the ingest stages and keep the
    layers those make.
    """
    templates = [t for t in templates if t.text.strip()]
    if not templates:
        raise SystemExit("no template stories to copy")
    started = time.perf_counter()
    pipeline = open_pipeline(store_path, GENERATE_STAGES, **{"pipeline.update_narratives": False})
    try:
        writer = _direct_writer(pipeline.store)
        if writer is not None:
            layers = [_serialized(getattr(t, "layers", {}) or {}) for t in templates]
            source = f"bench/gen_store.py:{Path(store_path).name}"
            docs, rows, sources = [], [], []
            fields = {f.name for f in dataclasses.fields(templates[0])}
            for i, k, rec in _variants(stories, templates, seed):
                t = templates[k]
                changes = {
                    "text": rec["text"], "source": source, "story_index": 0, "source_record": f"line {i + 1}",
                    "url": rec["url"], "title": rec["title"], "outlet": rec["outlet"], "outlet_evidence": "input field",
                    "published": rec["published"], "flags": (), "meta": {"input_id": rec["id"]}, "layers": {},
                    "near_duplicate_of": None, "near_duplicate_similarity": None,
                }
                doc = t.replace(**{key: value for key, value in changes.items() if key in fields})
                docs.append(doc)
                sources.append((doc.id, source, 0, f"line {i + 1}"))
                rows.extend((doc.id, name, f"bench-copy.{name}", "bench-copy", records) for name, records in layers[k].items())
                if len(docs) >= 1000:
                    writer(docs, rows, sources)
                    docs, rows, sources = [], [], []
            if docs:
                writer(docs, rows, sources)
            how = "written directly with the template's layers (store.write_batch)"
        else:
            close_pipeline(pipeline)
            with tempfile.TemporaryDirectory() as tmp:
                feed = Path(tmp) / "feed.jsonl"
                with feed.open("w", encoding="utf-8") as fh:
                    for _, _, rec in _variants(stories, templates, seed):
                        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                pipeline = open_pipeline(store_path, INGEST_STAGES, **{"pipeline.update_narratives": False})
                summary = pipeline.analyze([feed])
            how = (f"through the ingest stages only (no write_batch(new_docs, layers, sources) on this store, so the "
                   f"template layers are NOT copied; {summary.near_duplicates} near-duplicates, {len(summary.rejected)} rejected)")
        total = store_count(pipeline.store)
    finally:
        close_pipeline(pipeline)
    seconds = time.perf_counter() - started
    log(f"generated store  {total:,} stories from {len(templates)} templates in {seconds:.0f} s, {how}")
    return {"stories": total, "templates": len(templates), "seconds": round(seconds, 1), "direct": writer is not None}


def ensure_store(store_path: str | Path, stories: int, templates: Sequence | None = None, limit: int = 20,
                 log: Callable[[str], None] = print) -> dict[str, Any]:
    """Reuse ``store_path`` when it holds >= ``stories`` stories, else generate it there."""
    path = Path(store_path)
    if path.exists():
        pipeline = open_pipeline(path, INGEST_STAGES, **{"pipeline.update_narratives": False})
        try:
            have = store_count(pipeline.store)
        finally:
            close_pipeline(pipeline)
        if have >= stories:
            log(f"store            reusing {path} ({have:,} stories)")
            return {"stories": have, "reused": True}
        raise SystemExit(f"{path} holds {have:,} stories, fewer than {stories:,}: remove it or name another --store")
    path.parent.mkdir(parents=True, exist_ok=True)
    if templates is None:
        with tempfile.TemporaryDirectory() as tmp:
            templates = analyse_templates(limit, Path(tmp), log=log)
    return generate(path, stories, templates, log=log)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, help="DuckDB file to make (reused when it already holds enough stories)")
    ap.add_argument("--stories", type=int, default=20000)
    ap.add_argument("--limit", type=int, default=20, help="real articles analysed as templates")
    args = ap.parse_args(argv)
    ensure_store(args.store, args.stories, limit=args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
