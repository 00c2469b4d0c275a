"""Train the stance model shipped in propwatch/models/stance/ (FNC-1 headline-body stance).

    pip install 'propwatch[train]'        # scikit-learn (training only)
    python train/stance.py                # writes propwatch/models/stance/ and prints validation scores
    python train/stance.py --sample 0.2   # quicker, for development

Data: ../shared/data/fnc1-train/ (train_bodies.csv, train_stances.csv).
Validation: 20 % of the bodies (all their pairs) held out, seed 13.
Scores printed: accuracy, macro-F1, per-class F1 (disagree included), FNC-1 weighted score
(relative to the maximum possible on the split). Then per-class probability scales (for
macro-F1) are tuned on half A of the validation bodies and reported on half B:

    python train/stance.py --calibrate-only   # redo only that step on the shipped model
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "fnc1-train"
OUT = ROOT / "propwatch" / "models" / "stance"

import importlib  # noqa: E402

S = importlib.import_module("propwatch.debunks.stance")


def load():
    csv.field_size_limit(10**8)
    with (DATA / "train_bodies.csv").open(encoding="utf-8") as fh:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(fh)}
    with (DATA / "train_stances.csv").open(encoding="utf-8") as fh:
        pairs = [(r["Headline"], r["Body ID"], r["Stance"]) for r in csv.DictReader(fh)]
    return bodies, pairs


def split_by_body(pairs, bodies, frac=0.2, seed=13):
    ids = sorted(bodies)
    rng = np.random.default_rng(seed)
    val = set(rng.choice(ids, size=int(len(ids) * frac), replace=False).tolist())
    return [p for p in pairs if p[1] not in val], [p for p in pairs if p[1] in val]


def fit_idf(texts):
    df = Counter()
    for t in texts:
        df.update(set(S.content(S.words(t))))
    n = len(texts)
    idf = {w: round(math.log((1 + n) / (1 + c)) + 1, 4) for w, c in df.items() if c >= 2}
    return idf, round(math.log((1 + n) / 2) + 1, 4)


class CachedEmbedder:
    """The shared MiniLM with an on-disk cache (training reruns embed nothing twice)."""

    def __init__(self, path=Path("/tmp/propwatch_stance_embeddings.npz")):
        from propwatch.embeddings import get_embedder

        self.inner = get_embedder("backend")
        self.path = path
        self.cache = dict(np.load(path, allow_pickle=False)) if path.exists() else {}
        self.dirty = False

    def embed(self, texts):
        import hashlib

        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        missing = [t for t, k in zip(texts, keys) if k not in self.cache]
        if missing:
            for t, v in zip(missing, self.inner.embed(missing)):
                self.cache[hashlib.sha1(t.encode()).hexdigest()] = v
            self.dirty = True
        return np.stack([self.cache[k] for k in keys])

    def save(self):
        if self.dirty:
            np.savez(self.path, **self.cache)


def featurize(pairs, bodies, tfidf, embedder=None):
    heads = {h: S.prepare(h, tfidf, embedder) for h in {p[0] for p in pairs}}
    prepped = {b: S.prepare(bodies[b], tfidf, embedder) for b in {p[1] for p in pairs}}
    rows = []
    for h, b, _ in pairs:
        row = S.pair_features(heads[h], prepped[b])
        if embedder is not None:
            row += S.embedding_features(heads[h], prepped[b])
        rows.append(row)
    return np.asarray(rows, dtype=np.float64)


def fnc_score(gold, pred):
    score = best = 0.0
    for g, p in zip(gold, pred):
        best += 0.25 if g == "unrelated" else 1.0
        if g == p:
            score += 0.25
            if g != "unrelated":
                score += 0.5
        if g != "unrelated" and p != "unrelated":
            score += 0.25
    return score / best


def report(gold, pred):
    from sklearn.metrics import accuracy_score, f1_score

    f1s = f1_score(gold, pred, labels=list(S.LABELS), average=None)
    return {
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(np.mean(f1s)), 4),
        **{f"f1_{lab}": round(float(f), 4) for lab, f in zip(S.LABELS, f1s)},
        "fnc_score": round(fnc_score(gold, pred), 4),
    }


def export_trees(clf):
    """HistGradientBoostingClassifier -> flat numpy arrays (see propwatch.trees.TreeEnsemble)."""
    feats, thr, left, right, leaf, value, miss, roots = [], [], [], [], [], [], [], []
    offset = 0
    for it in clf._predictors:
        row = []
        for tree in it:
            nodes = tree.nodes
            if np.any(nodes["is_categorical"]):
                raise SystemExit("categorical splits are not supported")
            row.append(offset)
            feats.append(nodes["feature_idx"].astype(np.int32))
            thr.append(nodes["num_threshold"].astype(np.float64))
            left.append(nodes["left"].astype(np.int32))
            right.append(nodes["right"].astype(np.int32))
            leaf.append(nodes["is_leaf"].astype(np.uint8))
            value.append(nodes["value"].astype(np.float64))
            miss.append(nodes["missing_go_to_left"].astype(np.uint8))
            offset += len(nodes)
        roots.append(row)
    base = np.asarray(clf._baseline_prediction, dtype=np.float64).ravel()
    return {
        "feature": np.concatenate(feats), "threshold": np.concatenate(thr), "left": np.concatenate(left),
        "right": np.concatenate(right), "is_leaf": np.concatenate(leaf), "value": np.concatenate(value),
        "missing_left": np.concatenate(miss), "roots": np.asarray(roots, dtype=np.int64), "baseline": base,
    }


def calibrate(model, val, bodies):
    """Per-class probability scales for macro-F1, tuned on half of the validation bodies (A),
    reported on the other half (B); returns (scales, scores on B before, scores on B after)."""
    from sklearn.metrics import f1_score

    ids = sorted({p[1] for p in val})
    rng = np.random.default_rng(21)
    half = set(rng.choice(ids, size=len(ids) // 2, replace=False).tolist())
    part_a = [p for p in val if p[1] in half]
    part_b = [p for p in val if p[1] not in half]
    embedder = CachedEmbedder() if model.uses_embeddings else None
    pa = model.trees.proba(featurize(part_a, bodies, model.tfidf, embedder))
    pb = model.trees.proba(featurize(part_b, bodies, model.tfidf, embedder))
    ya = [p[2] for p in part_a]
    scale = np.ones(4)

    def macro(prob, gold, sc):
        pred = [S.LABELS[i] for i in (prob * sc).argmax(1)]
        return f1_score(gold, pred, labels=list(S.LABELS), average="macro")

    grid = [0.5, 0.75, 1.0, 1.5, 2, 3, 4, 6, 8, 12]
    for _ in range(2):
        for k in range(3):  # agree, disagree, discuss; unrelated stays 1
            best = max(grid, key=lambda g: macro(pa, ya, np.where(np.arange(4) == k, g, scale)))
            scale[k] = best
    gold_b = [p[2] for p in part_b]
    before = report(gold_b, [S.LABELS[i] for i in pb.argmax(1)])
    after = report(gold_b, [S.LABELS[i] for i in (pb * scale).argmax(1)])
    return scale, before, after


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=float, default=1.0, help="fraction of training pairs (development)")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--calibrate-only", action="store_true", help="only (re)tune class scales of the model in --out")
    ap.add_argument("--embeddings", action=argparse.BooleanOptionalAction, default=True,
                    help="add MiniLM cosine features (the shared embeddings backend)")
    args = ap.parse_args()
    if args.calibrate_only:
        bodies, pairs = load()
        _, val = split_by_body(pairs, bodies)
        return finish_calibration(args.out, val, bodies)
    from sklearn.ensemble import HistGradientBoostingClassifier

    t0 = time.time()
    bodies, pairs = load()
    train, val = split_by_body(pairs, bodies)
    if args.sample < 1:
        rng = np.random.default_rng(1)
        train = [train[i] for i in sorted(rng.choice(len(train), int(len(train) * args.sample), replace=False))]
    train_bodies = {p[1] for p in train}
    idf, default = fit_idf([bodies[b] for b in train_bodies] + sorted({p[0] for p in train}))
    tfidf = S.TfIdf(idf, default)
    embedder = CachedEmbedder() if args.embeddings else None
    Xtr = featurize(train, bodies, tfidf, embedder)
    Xva = featurize(val, bodies, tfidf, embedder)
    if embedder is not None:
        embedder.save()
    ytr = np.asarray([S.LABELS.index(p[2]) for p in train])
    print(f"features: train {Xtr.shape}, val {Xva.shape} in {time.time() - t0:.0f} s", flush=True)
    counts = np.bincount(ytr, minlength=4)
    weights = (len(ytr) / (4 * counts)) ** 0.5  # soften the imbalance: helps disagree without wrecking unrelated
    clf = HistGradientBoostingClassifier(
        max_iter=args.iterations, learning_rate=0.08, max_leaf_nodes=31, min_samples_leaf=30,
        l2_regularization=1.0, random_state=7, early_stopping=False,
    )
    clf.fit(Xtr, ytr, sample_weight=weights[ytr])
    gold = [p[2] for p in val]
    proba = clf.predict_proba(Xva)
    plain = report(gold, [S.LABELS[i] for i in proba.argmax(1)])
    print("val (argmax):", json.dumps(plain), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    arrays = export_trees(clf)
    np.savez_compressed(args.out / "trees.npz", **arrays)
    (args.out / "idf.json").write_text(json.dumps({"idf": idf, "default": default}, ensure_ascii=False, sort_keys=True), "utf-8")
    meta = {
        "labels": list(S.LABELS), "features": S.feature_names() + (S.EMBEDDING_FEATURES if args.embeddings else []),
        "class_scale": [1.0, 1.0, 1.0, 1.0], "embedder": embedder.inner.name if embedder is not None else None,
        "trained_on": "FNC-1 train_stances.csv, 80 % of bodies (seed 13)", "validation": plain,
        "iterations": args.iterations, "sample": args.sample,
    }
    (args.out / "model.json").write_text(json.dumps(meta, indent=2), "utf-8")
    # the numpy evaluator must give scikit-learn's probabilities
    model = S.StanceModel.load(args.out)
    mine = model.trees.proba(Xva[:500])
    err = float(np.abs(mine - proba[:500]).max())
    print(f"numpy vs scikit-learn max |diff| = {err:.2e}; total {time.time() - t0:.0f} s")
    if err > 1e-6:
        raise SystemExit("exported trees disagree with scikit-learn")
    finish_calibration(args.out, val, bodies)


def finish_calibration(out, val, bodies):
    model = S.StanceModel.load(out)
    scale, before, after = calibrate(model, val, bodies)
    meta = json.loads((out / "model.json").read_text("utf-8"))
    meta["class_scale"] = [float(x) for x in scale]
    meta["validation_half_b_before_scaling"] = before
    meta["validation_half_b"] = after
    (out / "model.json").write_text(json.dumps(meta, indent=2), "utf-8")
    print("class scales (tuned on val half A):", dict(zip(S.LABELS, meta["class_scale"])))
    print("val half B, argmax:        ", json.dumps(before))
    print("val half B, scaled (shipped):", json.dumps(after))


if __name__ == "__main__":
    main()
