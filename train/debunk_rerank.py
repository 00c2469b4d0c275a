"""Train the debunk reranker shipped in propwatch/models/debunk_rerank/ (CLEF-2020 CheckThat! Task 2).

    pip install 'propwatch[train]'
    python train/debunk_rerank.py        # fits on train queries, prints dev MAP@1/5, recall@10, writes the model

Candidates are the top 30 of the fused BM25 + MiniLM score
(propwatch.debunks.search.DEFAULTS); the threshold on the match
probability is chosen on a held-out fifth of the train queries
(F1 of "has a known match", negatives = the same queries with their gold
claim removed from the database). Training rows include those gold-removed
queries too (all negatives), so the probability is absolute, not relative to
the other candidates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))
sys.path.insert(0, str(ROOT / "train"))

import debunks as ev  # noqa: E402  (eval/debunks.py)
from stance import export_trees  # noqa: E402  (train/stance.py)

from propwatch.debunks.rerank import FEATURES, candidate_features  # noqa: E402
from propwatch.debunks.search import DEFAULTS, DebunkIndex  # noqa: E402
from propwatch.embeddings import get_embedder  # noqa: E402

OUT = ROOT / "propwatch" / "models" / "debunk_rerank"
N = 30


def build(split, index, ids):
    """Rows for each query twice: as is (group qi), and with its gold claims removed from the
    database (group -1 - qi, all negatives), so that the probability means "this is the same
    claim" in an open world and not "this is the best of the candidates"."""
    _, queries, gold = ev.load(split)
    fused, bm, dense = index.score_all(queries)
    position = {d: j for j, d in enumerate(ids)}
    X, y, groups, cands = [], [], [], []
    for qi, q in enumerate(queries):
        for removed in (False, True):
            f = fused[qi].copy()
            if removed:
                f[[position[d] for d in gold[qi] if d in position]] = -np.inf
            top = np.argsort(-f, kind="stable")[:N]
            X.append(candidate_features(q, [index.texts[j] for j in top], f[top], bm[qi, top], dense[qi, top]))
            y.extend(int(ids[j] in gold[qi]) for j in top)
            groups.extend([-1 - qi if removed else qi] * len(top))
            if not removed:
                cands.append(top)
    return np.vstack(X), np.asarray(y), np.asarray(groups), cands, gold


def evaluate(proba, groups, cands, gold, ids):
    ranked = []
    for qi, top in enumerate(cands):  # groups >= 0: the queries as they are
        p = proba[groups == qi]
        ranked.append([ids[top[j]] for j in np.argsort(-p, kind="stable")])
    return ev.metrics(ranked, gold)


def sweep(proba, y, groups, qids):
    """F1 of 'has a match': positives = top-1 correct; negatives = top-1 with the gold removed."""
    pos, neg = [], []
    n_queries = len(qids)
    for qi in qids:
        p, yy = proba[groups == qi], y[groups == qi]
        if len(p) and yy[np.argmax(p)] == 1:
            pos.append(p.max())
        p_removed = proba[groups == -1 - qi]
        neg.append(p_removed.max() if len(p_removed) else 0.0)
    pos, neg = np.asarray(pos), np.asarray(neg)
    best = (0.0, 0.5)
    for t in np.linspace(0.02, 0.98, 97):
        tp, fp = (pos >= t).sum(), (neg >= t).sum()
        f1 = 2 * tp / max(2 * tp + fp + (n_queries - tp), 1)
        if f1 > best[0]:
            best = (float(f1), float(t))
    return best


def fit(X, y, seed=7):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20,
                                          l2_regularization=1.0, random_state=seed, early_stopping=False).fit(X, y)


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedder", default="auto", help="auto | claims | backend: the dense part the reranker is trained with")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    claims, _, _ = ev.load("train")
    ids = [c.id for c in claims]
    embedder = get_embedder(args.embedder)
    cache = ev.vectors_cache(embedder)
    vectors = np.load(cache) if cache.exists() else None
    index = DebunkIndex(claims, embedder=embedder, vectors=vectors, w_dense=DEFAULTS["w_dense"], w_bm25=DEFAULTS["w_bm25"])
    if vectors is None:
        np.save(cache, index.vectors)
    Xtr, ytr, gtr, ctr, goldtr = build("train", index, ids)
    Xdv, ydv, gdv, cdv, golddv = build("dev", index, ids)
    print(f"train rows {Xtr.shape}, positives in top {N}: {ytr.sum()} of {len(goldtr)} queries")
    # threshold on a held-out fifth of the train queries
    rng = np.random.default_rng(3)
    hold = set(rng.choice(len(goldtr), len(goldtr) // 5, replace=False).tolist())
    qid = np.where(gtr >= 0, gtr, -1 - gtr)
    mask = np.asarray([q in hold for q in qid])
    part = fit(Xtr[~mask], ytr[~mask])
    f1, threshold = sweep(part.predict_proba(Xtr[mask])[:, 1], ytr[mask], gtr[mask], sorted(hold))
    print(f"threshold {threshold:.2f} (held-out train F1 {f1:.3f})")
    clf = fit(Xtr, ytr)
    base = evaluate(Xdv[:, 0], gdv, cdv, golddv, ids)
    rer = evaluate(clf.predict_proba(Xdv)[:, 1], gdv, cdv, golddv, ids)
    dev_f1 = sweep(clf.predict_proba(Xdv)[:, 1], ydv, gdv, list(range(len(golddv))))
    print("dev fused    ", {k: round(v, 4) for k, v in base.items()})
    print("dev reranked ", {k: round(v, 4) for k, v in rer.items()}, f"match F1 at {threshold:.2f}: see eval/debunks.py; best dev F1 {dev_f1[0]:.3f} at {dev_f1[1]:.2f}")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "trees.npz", **export_trees(clf))
    meta = {"features": list(FEATURES), "embedder": embedder.name, "candidates": N, "threshold": round(threshold, 3),
            "fusion": {"w_dense": DEFAULTS["w_dense"], "w_bm25": DEFAULTS["w_bm25"]},
            "dev": {k: round(v, 4) for k, v in rer.items()}, "dev_fused": {k: round(v, 4) for k, v in base.items()}}
    (out / "model.json").write_text(json.dumps(meta, indent=2), "utf-8")


if __name__ == "__main__":
    main()
