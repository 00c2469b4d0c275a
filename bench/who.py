"""Speed of the who-stages: entities + quotes (+ sourcing) per 1,000 words,
next to spaCy's own parse of the same text.

    python bench/who.py            # the seed articles in ../shared/seeds, else the quote cases
    python bench/who.py --repeat 5 FILE...

Prints milliseconds per 1,000 words (median over the repeats) for the
spaCy parse alone and for the rules each stage adds on top of it; the
stages share one parse per story (cached in propwatch.who.nlp).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def texts_from(paths: list[str]) -> list[str]:
    if paths:
        return [Path(p).read_text("utf-8") for p in paths]
    seeds = ROOT.parent / "shared" / "seeds"
    if seeds.is_dir():
        return [p.read_text("utf-8") for p in sorted(seeds.glob("*.txt"))]
    cases = ROOT / "tests" / "cases" / "quotes"
    return [json.loads(line)["text"] for f in sorted(cases.glob("*.jsonl"))
            for line in f.read_text("utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="who-stages speed per 1,000 words")
    ap.add_argument("files", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", default="auto")
    args = ap.parse_args(argv)

    from propwatch.records import Document
    from propwatch.registry import stages
    from propwatch.who import nlp as who_nlp
    from propwatch.who.aliases import load_table
    from propwatch.who.entities import find_mentions
    from propwatch.who.quotes import find_quotes

    texts = texts_from(args.files)
    words = sum(len(t.split()) for t in texts)
    pipeline = who_nlp.load_pipeline(args.model)
    table = load_table()
    docs = stages.get("sentences")()([Document(text=t, source=f"b{i}") for i, t in enumerate(texts)])
    timings: dict[str, list[float]] = {k: [] for k in ("spacy parse", "entities rules", "quotes rules",
                                                       "sourcing", "entities+quotes stages (parse included)")}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        parses = list(pipeline.pipe(texts, batch_size=16))
        t1 = time.perf_counter()
        mentions = [find_mentions(t, p, table) for t, p in zip(texts, parses)]
        t2 = time.perf_counter()
        for t, p, m in zip(texts, parses, mentions):
            find_quotes(t, p, m, [(s.start_char, s.end_char) for s in p.sents])
        t3 = time.perf_counter()
        timings["spacy parse"].append(t1 - t0)
        timings["entities rules"].append(t2 - t1)
        timings["quotes rules"].append(t3 - t2)
        who_nlp._PARSES.clear()  # the stages parse afresh
        t4 = time.perf_counter()
        out = stages.get("quotes")()(stages.get("entities")()(docs))
        t5 = time.perf_counter()
        stages.get("sourcing")()(out)
        t6 = time.perf_counter()
        timings["entities+quotes stages (parse included)"].append(t5 - t4)
        timings["sourcing"].append(t6 - t5)
    print(f"{len(texts)} texts, {words} words, model {pipeline.meta.get('name')} {pipeline.meta.get('version')}, "
          f"pipes {','.join(pipeline.pipe_names)}; median of {args.repeat}")
    print(f"{'step':44} {'ms / 1,000 words':>18}")
    for name, values in timings.items():
        print(f"{name:44} {1000 * statistics.median(values) / words * 1000:18.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
