"""How well the article risk score separates labelled articles, and how well it is calibrated.

    nice -n 10 python train/risk_data.py layers        # once: cache the layers (/tmp/propwatch-risk)
    python eval/assessment.py [--folds 5] [--bins 5] [--seeds]

Over the article-level corpora of ../shared/data/article-labels (SemEval-2019
Task 4 hyperpartisan by article: 300 sampled; Horne & Adali 2017 fake vs
real, satire left out) it prints, per corpus:

- the **outlet-disjoint** ROC AUC of the learned score (out-of-fold: each
  article scored by a model that saw none of its outlet's articles; outlets
  as train/risk_data.py names them), with a bootstrap 95% interval, beside
  the hand-set noisy-or score the stage had before (assessment v1, cached);
- the cross-corpus AUC (trained on one corpus, scored on the other);
- a reliability table (bins of the calibrated out-of-fold score: predicted
  vs observed rate) and the expected calibration error;
- the shipped model's score through the stage itself (``assess``), in
  sample (the shipped model saw these articles: an upper bound, not a
  measure), as a check that the stage computes what train/risk.py fitted.

``--seeds`` also analyses ../shared/seeds and ranks the five by risk.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

from risk import (bootstrap_auc, cross_validate, dataset, ece, fit_signed, clip_values, logits,  # noqa: E402
                  reliability, roc_auc)
from risk_data import DATA, labelled_documents  # noqa: E402


def table(p, y, bins: int) -> None:
    print("    bin        n   predicted  observed")
    for r in reliability(p, y, bins):
        print(f"    {r['bin']}  {r['n']:>5}   {r['predicted']:.3f}      {r['observed']:.3f}")


def stage_scores(limit_hp: int) -> tuple[list[float], list[int], list[str]]:
    from propwatch.assessment.stage import assess, load_weights

    weights = load_weights()
    scores, labels, names = [], [], []
    for corpus, a, d in labelled_documents(limit_hp):
        r = assess(d, weights, languages=None)
        if r.score is None:
            continue
        scores.append(r.score)
        labels.append(a.label)
        names.append(corpus)
    return scores, labels, names


def seeds(cached: str = "") -> None:
    """Rank the seed stories by risk: analyse ../shared/seeds (default pipeline) in a throwaway
    store, or re-assess the stories of ``cached`` (a store that holds their layers) with the
    current model and settings."""
    from propwatch.assessment.stage import assess, load_weights
    from propwatch.store import Store

    folder = ROOT.parent / "shared" / "seeds"
    if not cached and not folder.is_dir():
        print(f"\n{folder} is not present")
        return

    def rank(store: str) -> None:
        with Store(store, read_only=True) as st:
            docs = list(st.iter_documents())
        rows = []
        for d in docs:
            a = assess(d, load_weights()) if cached else (d.layer("assessment") or [None])[0]
            rows.append((a.score if a and a.score is not None else float("nan"), a, d))
        print(f"\nseeds by risk (highest first; {'re-assessed from ' + cached if cached else 'analysed now'}):")
        for score, a, d in sorted(rows, key=lambda r: -r[0]):
            top = "; ".join(f"{r.factor} {r.weight:+.2f}" for r in (a.reasons[:5] if a else ()))
            print(f"  {score:.3f} {(a.label if a else '-'):<12} {(d.outlet or '?'):<15} "
                  f"{Path(d.source).name} #{d.story_index + 1}  {top}")
        worst = {}
        for score, _, d in rows:
            name = Path(d.source).name
            worst[name] = max(worst.get(name, float("-inf")), score)
        print("  per seed file (highest story): " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(worst.items(), key=lambda kv: kv[1])))

    if cached:
        rank(cached)
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "propwatch", "analyze", str(folder)],
                       check=True, capture_output=True, cwd=tmp)  # the default store, in the working directory
        rank(str(Path(tmp) / "propwatch.duckdb"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--bins", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--limit-hp", type=int, default=300)
    parser.add_argument("--seeds", action="store_true", help="also rank ../shared/seeds by risk")
    parser.add_argument("--seeds-store", default="", help="re-assess the seed stories of this store instead of analysing them")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is not present")
    from propwatch.assessment.stage import load_weights

    X, y, groups, names, _, old = dataset(args.limit_hp)
    if not len(y):
        raise SystemExit("no cached layers: run `nice -n 10 python train/risk_data.py layers` first")
    cap = float(load_weights().get("caps", {}).get("factor", 2.0))
    _, p, (a, c), _ = cross_validate(X, y, groups, args.folds, args.l2, cap)
    print(f"{len(y)} articles, {len(set(groups))} outlet groups, {args.folds} outlet-disjoint folds; "
          f"Platt a={a:.3f} c={c:.3f}")
    for corpus in sorted(set(names)):
        m = names == corpus
        lo, hi = bootstrap_auc(p[m], y[m])
        print(f"\n{corpus}: {int(m.sum())} articles, {int(y[m].sum())} positive, {len(set(groups[m]))} outlet groups")
        print(f"  outlet-disjoint ROC AUC (out-of-fold)   {roc_auc(p[m], y[m]):.3f}  95% CI [{lo:.3f}, {hi:.3f}]")
        if not np.isnan(old[m]).any():
            print(f"  hand-set noisy-or (assessment v1)       {roc_auc(old[m], y[m]):.3f}")
        for other in sorted(set(names) - {corpus}):
            tr = names == other
            clip = clip_values(X[tr])
            w, b = fit_signed(np.minimum(X[tr], clip), y[tr], args.l2)
            print(f"  trained on {other} only (no shared outlet) {roc_auc(logits(X[m], w, b, clip), y[m]):.3f}")
        print(f"  expected calibration error              {ece(p[m], y[m], args.bins):.3f}")
        table(p[m], y[m], args.bins)
    print(f"\npooled: outlet-disjoint ROC AUC {roc_auc(p, y):.3f}, ECE {ece(p, y, args.bins):.3f}")
    table(p, y, args.bins)
    scores, labels, snames = stage_scores(args.limit_hp)
    snames = np.array(snames)
    print("\nshipped model through the stage, in sample (it was trained on these: an upper bound):")
    for corpus in sorted(set(snames)):
        m = snames == corpus
        print(f"  {corpus:<14} ROC AUC {roc_auc(np.array(scores)[m], np.array(labels)[m]):.3f}")
    if args.seeds or args.seeds_store:
        seeds(args.seeds_store)


if __name__ == "__main__":
    main()
