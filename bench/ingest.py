"""Ingest throughput: stories/s and peak memory on generated scraped pages.

    python bench/ingest.py [--articles 3000] [--stages clean,split,metadata,language,sentences]

Generates pages with scrape furniture (counters, share widgets, captions,
footers) and a glued front page every 20 pages, writes them as .txt files
and one JSONL feed, runs `analyze` into a fresh store, and prints the
figures. Nothing is timed in the tests; this is where speed is measured.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from propwatch import Pipeline, load_config  # noqa: E402

WORDS = (
    "government minister border militia report officials said according documents oil grain trade "
    "security forces village city army troops crossing attack statement spokesman week ministry "
    "sources claims evidence photos video investigation agency deal prices market exports talks "
    "region province capital president parliament court police protest election campaign"
).split()
NAMES = ["Anna Brekke", "Ivo Marin", "Selim Kaya", "Olga Petrenko", "Tomas Weil", "Lena Hart"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        return f"“{' '.join(words)},” {rng.choice(NAMES)} said."
    return " ".join(words) + "."


def article(rng: random.Random, i: int) -> str:
    title = " ".join(w.capitalize() for w in rng.sample(WORDS, 7)) + f" {i}"
    paras = [" ".join(sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(4, 9))]
    return title + "\n\n" + "\n\n".join(paras)


def page(rng: random.Random, i: int) -> str:
    text = article(rng, i)
    title = text.split("\n", 1)[0]
    return (
        f"Accessibility links\n\nBreaking News\n\n{title}\n\n{title} | Daily Bench\n\n"
        f"Trucks at the border crossing at dawn (AFP photo)\n\n{text.split(chr(10) * 2, 1)[1]}\n\n"
        f"SHARE THIS ARTICLE\nViews: {rng.randint(10, 9999)}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--stages", default="clean,split,metadata,language,sentences")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        n_files = args.articles // 2
        words = 0
        for i in range(n_files):
            if i % 20 == 0:  # a glued front page: headline, photo caption, body; three times
                parts = [article(rng, i * 100 + k).split("\n\n", 1) for k in range(3)]
                body = "\n\n".join(f"{t}\n\nSoldiers near the checkpoint at dusk, seen from the road\n\n{b}" for t, b in parts)
            else:
                body = page(rng, i)
            words += len(body.split())
            (folder / f"{i:05d}.txt").write_text(body, "utf-8")
        with (folder / "feed.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(args.articles - n_files):
                text = article(rng, 10**6 + i)
                words += len(text.split())
                fh.write(json.dumps({"id": f"f{i}", "url": f"https://www.rt.com/news/{i}", "text": text}) + "\n")
        config = load_config(overrides={
            "store.path": str(Path(tmp) / "bench.duckdb"),
            "pipeline.stages": args.stages.split(","),
            "pipeline.batch_size": args.batch_size,
        })
        pipeline = Pipeline(config)
        start = time.perf_counter()
        summary = pipeline.analyze([folder])
        seconds = time.perf_counter() - start
        second = pipeline.analyze([folder])
        rerun = second.seconds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"stages           {args.stages}")
    print(f"inputs           {n_files} text pages + {args.articles - n_files} JSONL records ({words:,} words)")
    print(f"stories stored   {summary.new} (rejected {len(summary.rejected)}, near-duplicates {summary.near_duplicates})")
    print(f"time             {seconds:.1f} s")
    print(f"throughput       {summary.stories / seconds:.0f} stories/s, {words / seconds:,.0f} words/s")
    print(f"rerun            {rerun:.1f} s ({second.unchanged} already stored, {second.new} new)")
    print(f"peak memory      {peak_mb:.0f} MB (max RSS)")
    print("time per stage   " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(summary.stage_seconds.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
