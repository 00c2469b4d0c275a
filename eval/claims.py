"""Evaluate the shipped check-worthiness model.

    python eval/claims.py                 # ClaimBuster validation blocks + the news set
    python eval/claims.py --ct19          # also CheckThat! 2019 debate lines (slow: 16k sentences)
    python eval/claims.py --backend checkworthiness_linear   # the linear model alone
    python eval/claims.py --backend checkworthiness_fake

Prints F1, precision, recall (at the model's tuned threshold) and average
precision on:
- ClaimBuster validation: the id blocks ``train/claims.py`` held out (by
  source; never used for fitting or choosing);
- tests/cases/claims/news.jsonl: news-style sentences written for propwatch;
- CT19 (optional): CheckThat! 2019 Task 1 training debates, a different
  labelling (what fact-checkers picked), reported for reference.
Reads ../shared/data/claimbuster/ (GPL-3.0 repository; Arslan et al.,
"A Benchmark Dataset of Check-worthy Factual Claims", ICWSM 2020).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))
DATA = ROOT.parent / "shared" / "data" / "claimbuster"
NEWS = ROOT / "tests" / "cases" / "claims" / "news.jsonl"

from claims import average_precision, prf  # noqa: E402  (train/claims.py)
from propwatch.registry import backends  # noqa: E402


def report(name, y, scores, threshold):
    y, scores = np.asarray(y), np.asarray(scores)
    f1, p, r = prf(y, (scores >= threshold).astype(int))
    print(f"{name:<34} n={len(y):<6} pos={int(y.sum()):<5} F1 {f1:.4f}  P {p:.4f}  R {r:.4f}  AP {average_precision(y, scores):.4f}")
    return f1, p, r


def split_baseline() -> None:
    """How much harder is the by-source split? The same TF-IDF + logistic regression (word 1-2
    grams, balanced classes, best threshold on the test part) on both splits."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from claims import load_claimbuster, split_of  # train/claims.py

    rows = load_claimbuster()
    texts, y = [r["text"] for r in rows], np.asarray([r["label"] for r in rows])
    by_source = [i for i, r in enumerate(rows) if split_of(r["id"]) != "val"], [i for i, r in enumerate(rows) if split_of(r["id"]) == "val"]
    order = np.random.default_rng(0).permutation(len(rows))
    cut = int(0.8 * len(rows))
    for name, (train, test) in (("by source (ours)", by_source), ("random 80/20", (list(order[:cut]), list(order[cut:])))):
        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        clf = LogisticRegression(C=4, max_iter=3000, class_weight="balanced")
        clf.fit(vec.fit_transform([texts[i] for i in train]), y[train])
        scores = clf.predict_proba(vec.transform([texts[i] for i in test]))[:, 1]
        best = max(np.linspace(0.2, 0.8, 25), key=lambda t: prf(y[test], (scores >= t).astype(int))[0])
        report(f"TF-IDF+LR, {name}", y[test], scores, best)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="checkworthiness_onnx")
    ap.add_argument("--ct19", action="store_true")
    ap.add_argument("--split-baseline", action="store_true",
                    help="TF-IDF + logistic regression on our by-source split and on a random 80/20 split (scikit-learn)")
    args = ap.parse_args()
    if args.split_baseline:
        return split_baseline()
    scorer = backends.get(args.backend)()
    th = float(getattr(scorer, "threshold", 0.5))
    print(f"backend {args.backend}, threshold {th:.2f}")
    t0 = time.time()
    if DATA.exists():
        from claims import load_claimbuster, split_of  # train/claims.py

        rows = [r for r in load_claimbuster() if split_of(r["id"]) == "val"]
        report("ClaimBuster validation (by source)", [r["label"] for r in rows], scorer.score([r["text"] for r in rows]), th)
        if args.ct19:
            with (DATA / "CT19-T1-Training.csv").open(encoding="utf-8") as fh:
                ct = list(csv.DictReader(fh))
            report("CheckThat! 2019 debates (all)", [int(r["label"]) for r in ct], scorer.score([r["text"] for r in ct]), th)
    else:
        print(f"(no data at {DATA}: ClaimBuster figures skipped)")
    news = [json.loads(line) for line in NEWS.read_text("utf-8").splitlines() if line.strip()]
    report("news set (tests/cases/claims)", [r["label"] for r in news], scorer.score([r["text"] for r in news]), th)
    print(f"({time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
