"""Claim matching on CLEF-2020 CheckThat! Task 2 (tweets -> verified claims).

    python eval/linking.py                       # dev: MAP@5, recall@k of dense, BM25, hybrid
    python eval/linking.py --tune                # grid-search the fusion weights on train
    python eval/linking.py --rerank              # + a logistic re-ranker over the hybrid's top 30, fit on train
    python eval/linking.py --file model.fp32.onnx   # the unquantized export (if present)
    python eval/linking.py --embedder embeddings_fake

Measures the scorer of :mod:`propwatch.narratives.matching` that narrative
linking uses. Reads ../shared/data/clef2020-claim-retrieval/ (research use;
Shaar et al., "Overview of CheckThat! 2020 Task 2", CLEF 2020); verified
claim embeddings are cached in eval/_cache/. Prints figures only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "clef2020-claim-retrieval"
CACHE = ROOT / "eval" / "_cache"

from propwatch.embeddings import get_embedder  # noqa: E402
from propwatch.narratives.matching import BM25, FusionWeights, normalized_bm25  # noqa: E402

_URL = re.compile(r"(https?://\S+|pic\.twitter\.com/\S+)")


def clean_tweet(text: str) -> str:
    return _URL.sub(" ", text).strip()


def load_tsv(path: Path) -> list[list[str]]:
    csv.field_size_limit(10**8)
    with path.open(encoding="utf-8") as fh:
        return list(csv.reader(fh, delimiter="\t"))[1:]


def load(split: str):
    rows = load_tsv(DATA / "verified_claims.docs.tsv")
    ids = [r[0] for r in rows]
    claims = [r[1] for r in rows]
    titles = [r[2] if len(r) > 2 else "" for r in rows]
    queries = {r[0]: clean_tweet(r[1]) for r in load_tsv(DATA / split / "tweets.queries.tsv")}
    qrels: dict[str, set[str]] = {}
    for line in (DATA / split / "tweet-vclaim-pairs.qrels").read_text().splitlines():
        p = line.split()
        if len(p) == 4 and p[3] != "0":
            qrels.setdefault(p[0], set()).add(p[2])
    qids = [q for q in queries if q in qrels]
    return ids, claims, titles, [queries[q] for q in qids], [qrels[q] for q in qids]


def embed_cached(emb, texts: list[str], tag: str) -> np.ndarray:
    CACHE.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(("\n".join(texts) + tag).encode()).hexdigest()[:16]
    path = CACHE / f"{tag}-{key}.npy"
    if path.exists():
        return np.load(path)
    vecs = emb.embed(texts)
    np.save(path, vecs)
    return vecs


def map_at(ranked: np.ndarray, ids: list[str], gold: list[set[str]], k: int) -> float:
    total = 0.0
    for row, g in zip(ranked, gold):
        hits, s = 0, 0.0
        for i, d in enumerate(row[:k]):
            if ids[d] in g:
                hits += 1
                s += hits / (i + 1)
        total += s / min(len(g), k)
    return total / len(gold)


def recall_at(ranked: np.ndarray, ids: list[str], gold: list[set[str]], k: int) -> float:
    return float(np.mean([len({ids[d] for d in row[:k]} & g) / len(g) for row, g in zip(ranked, gold)]))


def score_matrix(dense_c, dense_t, bm, title_w: float, w: FusionWeights) -> np.ndarray:
    return w.dense * (dense_c + title_w * dense_t) / (1 + title_w) + w.lexical * bm


def rank(scores: np.ndarray, k: int = 20) -> np.ndarray:
    # stable, deterministic: ties broken by document index
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def prepare(split: str, emb, tag: str):
    ids, claims, titles, queries, gold = load(split)
    vc = embed_cached(emb, claims, f"{tag}-claims")
    vt = embed_cached(emb, [t or c for t, c in zip(titles, claims)], f"{tag}-titles")
    vq = embed_cached(emb, queries, f"{tag}-{split}-queries")
    bm25 = BM25([f"{c} {t}" for c, t in zip(claims, titles)])
    bm = np.stack([normalized_bm25(bm25.scores(q)) for q in queries])
    return ids, gold, vq @ vc.T, vq @ vt.T, bm


def report(name: str, scores: np.ndarray, ids, gold) -> None:
    r = rank(scores)
    print(
        f"{name:<28} MAP@1 {map_at(r, ids, gold, 1):.4f}  MAP@5 {map_at(r, ids, gold, 5):.4f}  "
        f"R@1 {recall_at(r, ids, gold, 1):.4f}  R@5 {recall_at(r, ids, gold, 5):.4f}  "
        f"R@10 {recall_at(r, ids, gold, 10):.4f}  R@20 {recall_at(r, ids, gold, 20):.4f}"
    )


def candidate_features(dc, dt, bm, claims, titles, queries, top: int = 30):
    """Per query: the top candidates of the hybrid and one feature row each (for the LR re-ranker)."""
    from propwatch.narratives.matching import tokens

    hybrid = score_matrix(dc, dt, bm, TITLE_W, FusionWeights())
    cand = rank(hybrid, top)
    d_rank = np.argsort(np.argsort(-dc, axis=1, kind="stable"), axis=1, kind="stable")
    b_rank = np.argsort(np.argsort(-bm, axis=1, kind="stable"), axis=1, kind="stable")
    feats = []
    for q, row in enumerate(cand):
        qt = set(tokens(queries[q]))
        top_d, top_h = dc[q, row].max(), hybrid[q, row].max()
        f = []
        for r, d in enumerate(row):
            ct = set(tokens(claims[d] + " " + titles[d]))
            inter = len(qt & ct)
            f.append([
                dc[q, d], dt[q, d], bm[q, d], hybrid[q, d], dc[q, d] - top_d, hybrid[q, d] - top_h,
                1.0 / (1 + d_rank[q, d]), 1.0 / (1 + b_rank[q, d]), 1.0 / (1 + r),
                inter / max(len(ct), 1), inter / max(len(qt), 1),
            ])
        feats.append(np.asarray(f))
    return cand, feats


def rerank_eval(emb, tag: str) -> None:
    """Fit a logistic re-ranker on train candidates, report it on dev."""
    from sklearn.linear_model import LogisticRegression

    data = {}
    for split in ("train", "dev"):
        ids, claims, titles, queries, gold = load(split)
        _, _, dc, dt, bm = prepare(split, emb, tag)
        cand, feats = candidate_features(dc, dt, bm, claims, titles, queries)
        data[split] = (ids, gold, cand, feats)
    ids, gold, cand, feats = data["train"]
    X = np.concatenate(feats)
    y = np.concatenate([[ids[d] in g for d in row] for row, g in zip(cand, gold)]).astype(int)
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    ids, gold, cand, feats = data["dev"]
    reranked = []
    for row, f in zip(cand, feats):
        s = clf.decision_function(f)
        reranked.append(row[np.argsort(-s, kind="stable")])
    r = np.asarray(reranked)
    print(
        f"{'hybrid + LR re-rank (top 30)':<28} MAP@1 {map_at(r, ids, gold, 1):.4f}  MAP@5 {map_at(r, ids, gold, 5):.4f}  "
        f"R@1 {recall_at(r, ids, gold, 1):.4f}  R@5 {recall_at(r, ids, gold, 5):.4f}  "
        f"R@10 {recall_at(r, ids, gold, 10):.4f}  R@20 {recall_at(r, ids, gold, 20):.4f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", choices=["train", "dev"])
    ap.add_argument("--embedder", default="embeddings_onnx")
    ap.add_argument("--file", default="model.int8.onnx", help="ONNX file (embeddings_onnx only)")
    ap.add_argument("--tune", action="store_true", help="grid-search fusion weights on train")
    ap.add_argument("--rerank", action="store_true", help="also a logistic re-ranker fit on train (needs scikit-learn)")
    args = ap.parse_args()
    if not DATA.exists():
        sys.exit(f"no data at {DATA}")
    opts = {"file": args.file} if args.embedder == "embeddings_onnx" else {}
    emb = get_embedder(args.embedder, **opts)
    tag = f"{args.embedder}-{args.file}" if args.embedder == "embeddings_onnx" else args.embedder
    t0 = time.time()
    if args.tune:
        ids, gold, dc, dt, bm = prepare("train", emb, tag)
        best = None
        for title_w in (0.0, 0.25, 0.5, 1.0):
            for lex in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0):
                s = score_matrix(dc, dt, bm, title_w, FusionWeights(dense=1.0, lexical=lex))
                m = map_at(rank(s), ids, gold, 5)
                if best is None or m > best[0]:
                    best = (m, title_w, lex)
                print(f"title_w {title_w:.2f} lexical {lex:.2f}  train MAP@5 {m:.4f}")
        print(f"best on train: MAP@5 {best[0]:.4f} title_w {best[1]} lexical {best[2]}")
        return
    ids, gold, dc, dt, bm = prepare(args.split, emb, tag)
    print(f"{args.split}: {len(gold)} queries, {len(ids)} verified claims, embedder {tag}")
    w = FusionWeights()
    report("BM25", bm, ids, gold)
    report("dense (claim)", dc, ids, gold)
    report(f"dense (claim+title {TITLE_W})", score_matrix(dc, dt, bm, TITLE_W, FusionWeights(lexical=0.0)), ids, gold)
    report(f"hybrid (lexical {w.lexical})", score_matrix(dc, dt, bm, TITLE_W, w), ids, gold)
    if args.rerank and args.split == "dev":
        rerank_eval(emb, tag)
    print(f"({time.time() - t0:.1f} s)")


TITLE_W = 0.0  # tuned on train with --tune

if __name__ == "__main__":
    main()
