"""Ids per real actor: how many entity ids the entities stage gives one actor inside a story.

    python eval/entity_ids.py

Gold: ``eval/data/real-actors.jsonl`` (issue 14), actors of real articles from the quote gold
(``eval/data/real-quotes-tune.jsonl`` articles; texts read from ``../shared/data`` as eval/quotes.py
reads them) with the surfaces the story uses for each; written by reading the articles. For each actor,
the entity mentions whose text is one of its surfaces are collected; the figure is the mean number of
distinct ids over actors with at least one mention (1.0 = one id per actor), and the share of actors
with exactly one id, and the share of mentions whose type is the actor's type.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))
sys.path.insert(0, str(ROOT))

import quotes as Q  # noqa: E402

GOLD = ROOT / "eval" / "data" / "real-actors.jsonl"


def main() -> int:
    if not Q.PTC_ARTICLES.is_dir():
        print(f"skipped: {Q.PTC_ARTICLES} not found")
        return 0
    rows = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
    keys = sorted({r["article"] for r in rows})
    docs = dict(zip(keys, Q.analyse([Q.real_text(k) for k in keys])))
    counts, typed, total = [], 0, 0
    for r in rows:
        ms = [e for e in docs[r["article"]].layer("entities") if e.text in r["surfaces"]]
        if not ms:
            print(f"  {r['article']} {r['actor']}: no mention")
            continue
        ids = {e.entity_id for e in ms}
        counts.append(len(ids))
        total += len(ms)
        typed += sum(1 for e in ms if e.label == r["type"])
        if len(ids) > 1:
            print(f"  {r['article']} {r['actor']}: {len(ids)} ids {sorted(ids)}")
    print(f"actors {len(counts)}  mean ids per actor {sum(counts) / len(counts):.3f}  "
          f"one id {sum(c == 1 for c in counts) / len(counts):.3f}  right type {typed / total:.3f} ({total} mentions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
