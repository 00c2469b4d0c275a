"""Retrieval of verified claims on CLEF-2020 CheckThat! Task 2 (tweets -> verified claims).

    python eval/debunks.py                      # dev: MAP@1, MAP@5, recall@10: bm25, dense, fused, fused+reranker
    python eval/debunks.py --tune               # grid-search fusion weight and threshold on train
    python eval/debunks.py --split train --embedder hash
    python eval/debunks.py --cross-k 10,20,30   # also the cross-encoder over other numbers of candidates (reported, not chosen)
    python eval/debunks.py --euvsdisinfo        # proxy for news claims: EUvsDisinfo case titles -> their summaries

Reads ../shared/data/clef2020-claim-retrieval/ (research use; Shaar et al.,
"Overview of CheckThat! 2020 Task 2", CLEF 2020). Prints figures only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "clef2020-claim-retrieval"

from propwatch.debunks.importers import Debunk  # noqa: E402
from propwatch.debunks.search import DebunkIndex  # noqa: E402
from propwatch.embeddings import get_embedder  # noqa: E402


def load_tsv(path: Path) -> list[list[str]]:
    csv.field_size_limit(10**8)
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL))
    return rows[1:]


def load(split: str):
    claims = [Debunk(claim=r[1], title=r[2] if len(r) > 2 else None, id=r[0]) for r in load_tsv(DATA / "verified_claims.docs.tsv")]
    queries = {r[0]: r[1] for r in load_tsv(DATA / split / "tweets.queries.tsv")}
    qrels: dict[str, set[str]] = {}
    for line in (DATA / split / "tweet-vclaim-pairs.qrels").read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] != "0":
            qrels.setdefault(parts[0], set()).add(parts[2])
    qids = [q for q in queries if q in qrels]
    return claims, [queries[q] for q in qids], [qrels[q] for q in qids]


def metrics(ranked: list[list[str]], gold: list[set[str]]) -> dict[str, float]:
    def ap_at(k: int) -> float:
        total = 0.0
        for r, g in zip(ranked, gold):
            hits, s = 0, 0.0
            for i, d in enumerate(r[:k]):
                if d in g:
                    hits += 1
                    s += hits / (i + 1)
            total += s / min(len(g), k)
        return total / len(gold)

    recall10 = float(np.mean([len(set(r[:10]) & g) / len(g) for r, g in zip(ranked, gold)]))
    return {"MAP@1": ap_at(1), "MAP@5": ap_at(5), "recall@10": recall10}


def rank(fused: np.ndarray, ids: list[str], k: int = 10) -> list[list[str]]:
    top = np.argsort(-fused, axis=1, kind="stable")[:, :k]
    return [[ids[j] for j in row] for row in top]


def threshold_sweep(fused: np.ndarray, ids: list[str], gold: list[set[str]]) -> tuple[float, float]:
    """Best F1 of 'has a known match' when the gold claim is (positives) or is not (negatives) in the database."""
    pos, neg = [], []
    index = {d: i for i, d in enumerate(ids)}
    for row, g in zip(fused, gold):
        top = int(np.argmax(row))
        if ids[top] in g:
            pos.append(row[top])
        masked = row.copy()
        masked[[index[d] for d in g if d in index]] = -np.inf
        neg.append(masked.max())
    pos, neg = np.asarray(pos), np.asarray(neg)
    best = (0.0, 0.0)
    for t in np.linspace(0.1, 0.95, 86):
        tp = (pos >= t).sum()
        fp = (neg >= t).sum()
        fn = len(gold) - tp
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        if f1 > best[0]:
            best = (float(f1), float(t))
    return best


def vectors_cache(embedder) -> Path:
    """Where the verified claims' vectors are cached: keyed by the embedder's name and its
    vector for a probe text, so a retrained model never reads another's vectors."""
    probe = hashlib.sha256(np.round(embedder.embed(["cache probe"]), 4).tobytes()).hexdigest()[:12]
    return Path("/tmp") / f"clef_vclaims_{embedder.name}_{probe}.npy"


EUVS = ROOT.parent / "shared" / "data" / "euvsdisinfo-cases" / "cases-2015-2017.csv"


def euvsdisinfo_proxy(embedder, limit: int = 300) -> None:
    """A proxy closer to news claims than tweets: each case title that is not part of its summary
    (a short claim in an outlet's words) is a query; its own summary, among all the summaries
    (titles left out of the index), is the answer. EUvsDisinfo database (EEAS East StratCom)."""
    if not EUVS.exists():
        sys.exit(f"no data at {EUVS}")
    csv.field_size_limit(10**8)
    with EUVS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    seen: set[str] = set()
    docs, queries, gold = [], [], []
    for r in rows:
        summary, title = (r.get("summary") or "").strip(), (r.get("title") or "").strip()
        if not summary or summary in seen:
            continue
        seen.add(summary)
        docs.append(Debunk(claim=summary, id=f"c{len(docs)}"))
        if title and title.lower() not in summary.lower() and not title.startswith("Last Week"):
            queries.append(title)
            gold.append({docs[-1].id})
    queries, gold = queries[:limit], gold[:limit]
    vectors = embedder.embed([d.claim for d in docs])
    print(f"EUvsDisinfo proxy: {len(queries)} titles, {len(docs)} summaries, embedder {embedder.name}")
    for name, cross in (("fused+reranker", None), ("fused+reranker+cross-encoder", "auto")):
        index = DebunkIndex(docs, embedder=embedder, vectors=vectors, cross_encoder=cross)
        started = time.perf_counter()
        results = index.search_many(queries, k=10)
        per_query = (time.perf_counter() - started) / len(queries)
        m = metrics([[x.debunk.id for x in r] for r in results], gold)
        print(f"  {name:30s} MAP@1 {m['MAP@1']:.4f}  MAP@5 {m['MAP@5']:.4f}  recall@10 {m['recall@10']:.4f}  "
              f"{per_query * 1000:.0f} ms per query (reranker {'on' if index.reranker else 'off'}, "
              f"cross-encoder {'on' if getattr(index, 'cross_encoder', None) else 'off'})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", choices=["train", "dev"])
    ap.add_argument("--embedder", default="auto", choices=["auto", "claims", "backend", "hash"])
    ap.add_argument("--tune", action="store_true", help="grid-search w_dense and the threshold on train")
    ap.add_argument("--cross-k", default="", help="comma-separated numbers of cross-encoder candidates to report besides the shipped one")
    ap.add_argument("--euvsdisinfo", action="store_true", help="titles of EUvsDisinfo cases searched among the case summaries")
    args = ap.parse_args()
    if args.euvsdisinfo:
        return euvsdisinfo_proxy(get_embedder(args.embedder))
    if not DATA.exists():
        sys.exit(f"no data at {DATA}")
    split = "train" if args.tune else args.split
    claims, queries, gold = load(split)
    ids = [c.id for c in claims]
    embedder = get_embedder(args.embedder)
    started = time.perf_counter()
    cache = vectors_cache(embedder)
    vectors = np.load(cache) if cache.exists() else None
    index = DebunkIndex(claims, embedder=embedder, vectors=vectors, w_dense=1.0, w_bm25=0.0, reranker=None)
    if vectors is None:
        np.save(cache, index.vectors)
    built = time.perf_counter() - started
    started = time.perf_counter()
    _, bm, dense = index.score_all(queries)
    per_query = (time.perf_counter() - started) / len(queries)
    print(f"{split}: {len(queries)} queries, {len(claims)} verified claims, embedder {embedder.name}; "
          f"index {built:.1f} s, {per_query * 1000:.1f} ms per query (cost per 1,000 claims: {per_query * 1000:.1f} s)")
    from propwatch.debunks.search import DEFAULTS

    grid = [0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0] if args.tune else [0.0, 1.0, DEFAULTS["w_dense"]]
    for w in grid:
        fused = w * dense + (1 - w) * bm
        m = metrics(rank(fused, ids), gold)
        f1, t = threshold_sweep(fused, ids, gold)
        name = "bm25" if w == 0 else "dense" if w == 1 else f"fused w_dense={w:.2f}"
        print(f"  {name:22s} MAP@1 {m['MAP@1']:.4f}  MAP@5 {m['MAP@5']:.4f}  recall@10 {m['recall@10']:.4f}  "
              f"match F1 {f1:.3f} at threshold {t:.2f}")
    if not args.tune:
        reranked(claims, embedder, index.vectors, queries, gold, cross_encoder=None)
        full = reranked(claims, embedder, index.vectors, queries, gold)
        for k in [int(x) for x in args.cross_k.split(",") if x.strip()]:
            if full.cross_encoder is not None and k != full.cross_candidates:
                reranked(claims, embedder, index.vectors, queries, gold, cross_candidates=k)


def reranked(claims, embedder, vectors, queries, gold, **options) -> DebunkIndex:
    """The library's full path (fusion, then the shipped reranker when it fits the embedder,
    then the cross-encoder when installed, unless ``cross_encoder=None``)."""
    from propwatch.debunks.search import DEFAULTS

    index = DebunkIndex(claims, embedder=embedder, vectors=vectors, w_dense=DEFAULTS["w_dense"], w_bm25=DEFAULTS["w_bm25"], **options)
    if index.cross_encoder is None and options.get("cross_encoder", "auto") == "auto":
        return index  # no cross-encoder installed: the line above (without it) is the full path
    started = time.perf_counter()
    results = index.search_many(queries, k=30)
    per_query = (time.perf_counter() - started) / len(queries)
    ranked = [[m.debunk.id for m in r] for r in results]
    m = metrics(ranked, gold)
    t = index.threshold
    removed = index.search_many(queries, k=1, exclude=gold)  # the same queries when their claim is not in the database
    tp = sum(1 for r, g in zip(results, gold) if r and r[0].debunk.id in g and r[0].score >= t)
    fp = sum(1 for r in removed if r and r[0].score >= t)
    f1 = 2 * tp / max(2 * tp + fp + (len(gold) - tp), 1)
    name = "fused+reranker" if index.reranker is not None else "fused (no reranker)"
    if index.cross_encoder is not None:
        name += f"+cross k={index.cross_candidates}"
    print(f"  {name:22s} MAP@1 {m['MAP@1']:.4f}  MAP@5 {m['MAP@5']:.4f}  recall@10 {m['recall@10']:.4f}  "
          f"match F1 {f1:.3f} at the shipped threshold {t:.2f}; {per_query * 1000:.1f} ms per query "
          f"(cost per 1,000 claims: {per_query * 1000:.1f} s)")
    return index


if __name__ == "__main__":
    main()
