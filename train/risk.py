"""Train the article risk model: logistic regression over the factors, outlet-disjoint CV, Platt calibration.

    nice -n 10 python train/risk_data.py layers       # once: the pipeline's layers of the labelled articles
    python train/risk.py [--out propwatch/models/risk/risk.json] [--l2 1.0] [--folds 5]

Reads the cached layers (train/risk_data.py) of the SemEval-2019
hyperpartisan and Horne & Adali 2017 articles, measures the factors of
propwatch/assessment/factors.py (with the [factors] settings of
data/assessment.toml), and

1. runs outlet-disjoint K-fold cross-validation (every outlet's articles in
   one fold; see train/risk_data.py for how outlets are named), giving an
   out-of-fold score for every article;
2. fits Platt scaling (a, c) on the out-of-fold logits;
3. fits the model on all articles and folds the calibration into it
   (weights * a, intercept * a + c): the shipped weights are in calibrated
   log-odds, so each reason's contribution adds up to the score.

It prints the outlet-disjoint ROC AUC per corpus, the cross-corpus figures
(trained on one corpus, scored on the other) and a reliability table, and
writes them beside the model (metrics.json). Numpy only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

from risk_data import labelled_documents  # noqa: E402

from propwatch.assessment import factors as F  # noqa: E402
from propwatch.assessment.stage import load_weights  # noqa: E402

OUT = ROOT / "propwatch" / "models" / "risk" / "risk.json"


# ---------------------------------------------------------------- data

def dataset(limit_hp: int = 300):
    """(X, y, groups, corpus names, ids, old scores) over the cached articles."""
    settings = load_weights().get("factors", {})
    rows, labels, groups, names, ids, old = [], [], [], [], [], []
    for corpus, a, doc in labelled_documents(limit_hp):
        measured = F.measure(doc, settings)
        rows.append(F.vector(measured))
        labels.append(a.label)
        groups.append(f"{corpus}:{a.group}")
        names.append(corpus)
        ids.append(a.id)
        prior = doc.layer("assessment")
        old.append(float(getattr(prior[0], "score", 0.0) or 0.0) if prior else float("nan"))
    return (np.array(rows, dtype=float), np.array(labels, dtype=int), np.array(groups), np.array(names),
            ids, np.array(old))


# ---------------------------------------------------------------- model

def clip_values(X: np.ndarray, q: float = 99.0) -> np.ndarray:
    """Per factor, the q-th percentile of its non-zero values (1.0 when it never applies)."""
    out = []
    for j in range(X.shape[1]):
        nz = X[:, j][X[:, j] > 0]
        out.append(float(np.percentile(nz, q)) if len(nz) else 1.0)
    return np.array(out)


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by Newton's method; features scaled by their std for the
    penalty, weights returned in the original units. Intercept not penalised."""
    std = X.std(axis=0)
    std[std == 0] = 1.0
    Z = np.hstack([np.ones((len(X), 1)), X / std])
    w = np.zeros(Z.shape[1])
    penalty = np.full(Z.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(Z @ w)))
        grad = Z.T @ (p - y) + penalty * w
        H = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(H, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[1:] / std, float(w[0])


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Calibration p = sigmoid(a z + c) fitted on out-of-fold logits."""
    w, b = fit_logistic(z[:, None], y, l2=0.0)
    return float(w[0]), b


def fold_of(groups: np.ndarray, k: int) -> np.ndarray:
    """Outlet-disjoint folds: groups dealt, largest first, to the fold with fewest articles
    (ties by a hash of the name, so the split is stable)."""
    sizes = defaultdict(int)
    for g in groups:
        sizes[g] += 1
    order = sorted(sizes, key=lambda g: (-sizes[g], hashlib.sha1(g.encode()).hexdigest()))
    load = [0] * k
    assign = {}
    for g in order:
        f = min(range(k), key=lambda i: (load[i], i))
        assign[g] = f
        load[f] += sizes[g]
    return np.array([assign[g] for g in groups])


# The direction each factor is defined in: +1 raises the risk, -1 lowers it. A weight the data
# would give the other sign is set to 0 (the factor drops out) rather than shown backwards.
SIGNS = {name: (-1 if name == "named_sources" else 1) for name in F.LEARNED}


def fit_signed(X: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[np.ndarray, float]:
    """fit_logistic with each weight held to its SIGNS direction (active set: a factor with the
    wrong sign is dropped and the rest refitted, until none is left)."""
    signs = np.array([SIGNS[n] for n in F.LEARNED], dtype=float)
    active = np.ones(X.shape[1], dtype=bool)
    active &= X.std(axis=0) > 0
    while True:
        w = np.zeros(X.shape[1])
        if active.any():
            wa, b = fit_logistic(X[:, active], y, l2)
            w[active] = wa
        else:
            b = float(np.log((y.mean() + 1e-9) / (1 - y.mean() + 1e-9)))
        wrong = active & (w * signs < 0)
        if not wrong.any():
            return w, b
        active[np.argmin(np.where(wrong, w * signs, np.inf))] = False


def reference(X: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """The typical training article: the mean of each (clipped) factor."""
    return np.minimum(X, clip).mean(axis=0)


def logits(X: np.ndarray, w: np.ndarray, b: float, clip: np.ndarray) -> np.ndarray:
    return b + np.minimum(X, clip) @ w


def calibrated(X, w, b, clip, a, c, cap, ref):
    """Scores as the stage computes them: contributions measured from the typical article,
    calibrated, each capped."""
    contrib = np.clip((np.minimum(X, clip) - ref) * (w * a), -cap, cap)
    base = (b + ref @ w) * a + c
    return 1.0 / (1.0 + np.exp(-(base + contrib.sum(axis=1))))


# ---------------------------------------------------------------- metrics

def roc_auc(scores, labels) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=int)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if not pos or not neg:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and sorted_s[j] == sorted_s[i]:
            j += 1
        ranks[order[i:j]] = (i + j + 1) / 2
        i = j
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def bootstrap_auc(scores, labels, n: int = 500, seed: int = 7) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    s, y = np.asarray(scores), np.asarray(labels)
    vals = []
    for _ in range(n):
        idx = rng.integers(0, len(s), len(s))
        v = roc_auc(s[idx], y[idx])
        if not math.isnan(v):
            vals.append(v)
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def reliability(p, y, bins: int = 5) -> list[dict]:
    """Equal-width bins of the predicted probability: count, mean predicted, observed rate."""
    p, y = np.asarray(p), np.asarray(y)
    rows = []
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        m = (p >= lo) & ((p < hi) if i < bins - 1 else (p <= hi))
        if m.any():
            rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "predicted": float(p[m].mean()),
                         "observed": float(y[m].mean())})
    return rows


def ece(p, y, bins: int = 5) -> float:
    rows = reliability(p, y, bins)
    n = sum(r["n"] for r in rows)
    return sum(r["n"] * abs(r["predicted"] - r["observed"]) for r in rows) / max(1, n)


# ---------------------------------------------------------------- the run

def cross_validate(X, y, groups, k: int, l2: float, cap: float):
    """Out-of-fold logits and calibrated scores (outlet-disjoint), Platt (a, c)."""
    folds = fold_of(groups, k)
    z = np.zeros(len(y))
    models = {}
    for f in range(k):
        tr, te = folds != f, folds == f
        clip = clip_values(X[tr])
        w, b = fit_signed(np.minimum(X[tr], clip), y[tr], l2)
        z[te] = logits(X[te], w, b, clip)
        models[f] = (w, b, clip, reference(X[tr], clip))
    a, c = platt(z, y)
    p = np.zeros(len(y))
    for f, (w, b, clip, ref) in models.items():
        te = folds == f
        p[te] = calibrated(X[te], w, b, clip, a, c, cap, ref)
    return z, p, (a, c), folds


def run(args) -> dict:
    X, y, groups, names, ids, old = dataset(args.limit_hp)
    if not len(y):
        raise SystemExit("no cached layers: run `nice -n 10 python train/risk_data.py layers` first")
    cap = float(load_weights().get("caps", {}).get("factor", 1.5))
    z, p, (a, c), folds = cross_validate(X, y, groups, args.folds, args.l2, cap)
    metrics: dict = {"articles": int(len(y)), "positives": int(y.sum()), "folds": args.folds, "l2": args.l2,
                     "platt": {"a": a, "c": c}, "corpora": {}, "cross_corpus": {}, "factor_auc": {}}
    print(f"{len(y)} articles ({int(y.sum())} positive), {len(set(groups))} outlet groups, {args.folds} outlet-disjoint folds")
    print(f"Platt on out-of-fold logits: a={a:.3f} c={c:.3f}")
    for corpus in sorted(set(names)):
        m = names == corpus
        auc = roc_auc(p[m], y[m])
        lo, hi = bootstrap_auc(p[m], y[m])
        old_auc = roc_auc(old[m], y[m]) if not np.isnan(old[m]).any() else float("nan")
        metrics["corpora"][corpus] = {"n": int(m.sum()), "positives": int(y[m].sum()), "groups": len(set(groups[m])),
                                      "auc": auc, "auc_95ci": [lo, hi], "old_score_auc": old_auc,
                                      "ece": ece(p[m], y[m]), "reliability": reliability(p[m], y[m])}
        print(f"  {corpus:<14} n={int(m.sum())} pos={int(y[m].sum())}  outlet-disjoint ROC AUC {auc:.3f} "
              f"[{lo:.3f}, {hi:.3f}]  (hand-set noisy-or: {old_auc:.3f})  ECE {ece(p[m], y[m]):.3f}")
    auc_all = roc_auc(p, y)
    metrics["pooled"] = {"auc": auc_all, "ece": ece(p, y), "reliability": reliability(p, y)}
    print(f"  pooled         outlet-disjoint ROC AUC {auc_all:.3f}  ECE {ece(p, y):.3f}")
    print("  reliability (pooled, out-of-fold):  bin  n  predicted  observed")
    for r in reliability(p, y):
        print(f"    {r['bin']}  {r['n']:>4}  {r['predicted']:.3f}  {r['observed']:.3f}")
    for src in sorted(set(names)):
        for dst in sorted(set(names)):
            if src == dst:
                continue
            tr, te = names == src, names == dst
            clip = clip_values(X[tr])
            w, b = fit_signed(np.minimum(X[tr], clip), y[tr], args.l2)
            auc = roc_auc(logits(X[te], w, b, clip), y[te])
            metrics["cross_corpus"][f"{src}->{dst}"] = auc
            print(f"  trained on {src}, scored on {dst}: ROC AUC {auc:.3f}")
    for j, name in enumerate(F.LEARNED):
        metrics["factor_auc"][name] = {c_: roc_auc(X[names == c_, j], y[names == c_]) for c_ in sorted(set(names))}
        metrics["factor_auc"][name]["applies"] = int((X[:, j] > 0).sum())
    clip = clip_values(X)
    w, b = fit_signed(np.minimum(X, clip), y, args.l2)
    ref = reference(X, clip)
    model = {
        "name": "risk-lr-1",
        "kind": "sign-constrained logistic regression over propwatch/assessment/factors.py, "
                "Platt-calibrated on outlet-disjoint out-of-fold scores (folded in)",
        "intercept": round(float((b + ref @ w) * a + c), 4),
        "weights": {n: round(float(wi * a), 4) for n, wi in zip(F.LEARNED, w)},
        "clip": {n: round(float(ci), 4) for n, ci in zip(F.LEARNED, clip)},
        "reference": {n: round(float(r), 4) for n, r in zip(F.LEARNED, ref)},
        "trained_on": {corpus: int((names == corpus).sum()) for corpus in sorted(set(names))},
        "command": "python train/risk_data.py layers && python train/risk.py",
    }
    print("  shipped weights (calibrated log-odds per unit; clip):")
    for n in F.LEARNED:
        au = metrics["factor_auc"][n]
        print(f"    {n:<20} {model['weights'][n]:+8.3f}  clip {model['clip'][n]:<8g} applies {au['applies']:>4}  "
              + "  ".join(f"AUC {k}={v:.3f}" for k, v in au.items() if k != "applies"))
    print(f"    intercept            {model['intercept']:+8.3f}  (the typical training article: "
          f"{1 / (1 + math.exp(-model['intercept'])):.3f})")
    metrics["ids"] = len(ids)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(model, indent=2) + "\n", "utf-8")
        (out.parent / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
        print(f"wrote {out} and {out.parent / 'metrics.json'}")
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(OUT), help="model file ('' = do not write)")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty on the std-scaled weights")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit-hp", type=int, default=300, help="hyperpartisan articles (as cached)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
