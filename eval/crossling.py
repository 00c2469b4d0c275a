"""Cross-lingual claim matching: a Russian claim finds its English EUvsDisinfo case (issue 16).

    python eval/crossling.py                      # every embedder, both halves
    python eval/crossling.py --embedders embeddings_multilingual --show 5

Queries: ``eval/data/crossling/renderings.tsv``, forty Russian sentences we
wrote, each stating in our own words the claim of one EUvsDisinfo case (the
row number of ``../shared/data/euvsdisinfo-cases/cases-2015-2017.csv``, data
rows counted from 0). The cases were drawn before any embedder ran on them
(``random.Random(16).sample`` of the cases an outlet published in Russian;
see the folder's README). Candidates: every distinct case summary of that
file (2,626). The one relevant candidate of a query is its case; a second
case stating the same claim counts as a miss, so the figures are lower
bounds.

Prints per half (``tune``: queries 1-20, ``val``: 21-40) and together:
success@1, success@10, MRR and MAP@5 (with one relevant case, MAP@5 is the
reciprocal rank when it is in the top 5, else 0), and the score margin the
cross-lingual narrative pass needs (:mod:`propwatch.narratives_crossling`):
for each query, the cosine to its case and to the best other case.

Skips (exit 0) when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "eval" / "data" / "crossling" / "renderings.tsv"
CASES = ROOT.parent / "shared" / "data" / "euvsdisinfo-cases" / "cases-2015-2017.csv"
EMBEDDERS = ("embeddings_multilingual", "embeddings_onnx", "embeddings_claims", "embeddings_hash")


def load_queries() -> list[tuple[int, str]]:
    rows = []
    for line in QUERIES.read_text("utf-8").splitlines():
        if line.strip():
            row, text = line.split("\t", 1)
            rows.append((int(row), text.strip()))
    return rows


def load_candidates() -> tuple[list[int], list[str]]:
    """(data row, summary) of each distinct case summary, first row kept."""
    with CASES.open(encoding="utf-8", newline="") as f:
        seen, rows, texts = set(), [], []
        for i, r in enumerate(csv.DictReader(f)):
            s = (r.get("summary") or "").strip()
            if s and s not in seen:
                seen.add(s)
                rows.append(i)
                texts.append(s)
    return rows, texts


def ranks(q: np.ndarray, c: np.ndarray, gold: list[int]) -> tuple[list[int], list[float], list[float]]:
    """1-based rank of each query's case, its cosine, and the best other cosine."""
    sims = q @ c.T
    out, pos, neg = [], [], []
    for i, g in enumerate(gold):
        s = sims[i]
        out.append(int((s > s[g]).sum()) + 1)
        pos.append(float(s[g]))
        other = np.delete(s, g)
        neg.append(float(other.max()))
    return out, pos, neg


def figures(r: list[int]) -> dict[str, float]:
    a = np.asarray(r)
    return {
        "success@1": float((a == 1).mean()),
        "success@10": float((a <= 10).mean()),
        "MRR": float((1.0 / a).mean()),
        "MAP@5": float(np.where(a <= 5, 1.0 / a, 0.0).mean()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedders", nargs="*", default=list(EMBEDDERS))
    ap.add_argument("--show", type=int, default=0, help="print the top N cases of the first queries missed")
    args = ap.parse_args(argv)
    if not CASES.exists():
        print(f"skip: {CASES} not found")
        return 0
    sys.path.insert(0, str(ROOT))
    from propwatch.embeddings import get_embedder, installed

    queries = load_queries()
    rows, texts = load_candidates()
    where = {r: i for i, r in enumerate(rows)}
    gold = [where[r] for r, _ in queries]
    halves = {"tune": slice(0, 20), "val": slice(20, 40), "all": slice(0, len(queries))}
    print(f"{len(queries)} Russian queries, {len(texts)} English candidates")
    print(f"{'embedder':<26} {'half':<5} {'n':>3} {'success@1':>9} {'success@10':>10} {'MRR':>6} {'MAP@5':>6}  cos case / best other (median)")
    for name in args.embedders:
        if not installed(name):
            print(f"{name:<26} not installed")
            continue
        emb = get_embedder(name)
        c = emb.embed(texts)
        q = emb.embed([t for _, t in queries])
        r, pos, neg = ranks(q, c, gold)
        for half, sl in halves.items():
            f = figures(r[sl])
            print(f"{name:<26} {half:<5} {len(r[sl]):>3} {f['success@1']:>9.3f} {f['success@10']:>10.3f} "
                  f"{f['MRR']:>6.3f} {f['MAP@5']:>6.3f}  {np.median(pos[sl]):.3f} / {np.median(neg[sl]):.3f}")
        if args.show:
            sims = q @ c.T
            for i in [i for i, x in enumerate(r) if x > 1][: args.show]:
                print(f"  q{i + 1} (case rank {r[i]}): {queries[i][1]}")
                for j in np.argsort(-sims[i])[:3]:
                    print(f"     {sims[i, j]:.3f} row {rows[j]}{' *' if j == gold[i] else ''}: {texts[j][:120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
