"""Train the speaker ranker shipped in propwatch/models/speakers/ (issue 14).

    pip install 'propwatch[train]'      # scikit-learn; the real articles in ../shared/data
    nice -n 10 python train/speakers.py              # cross-validated figures, writes the model
    nice -n 10 python train/speakers.py --dry-run    # figures only

Training quotes: the real-news quote gold of the training splits
(``real-tune``, ``real-tune2`` and the PTC splits ``ptc*`` of
``eval/quotes.py``); ``real-val`` is never read here. Each quote the rules
find and the gold matches gives one group of candidates
(``propwatch.who.ranker.speaker_candidates``), labelled right when
``eval/quotes.py``'s ``same_speaker`` accepts the candidate. A logistic
regression over the standardized features is fitted; C and the two
thresholds (named: person, organization, media; other: anonymous, document)
are chosen on out-of-fold probabilities (5 folds by article): the highest
speaker accuracy with named-speaker precision at least 0.95.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

import quotes as ev  # noqa: E402  (eval/quotes.py)

from propwatch.records import Document  # noqa: E402
from propwatch.registry import stages  # noqa: E402
from propwatch.who.ranker import FEATURES, MODEL_DIR, NAMED  # noqa: E402

TRAIN_SPLITS = ("real-tune", "real-tune2", "ptc", "ptc-heldout", "ptc-final", "ptc-final2", "ptc-final3")
NAMED_PRECISION = 0.95
VERSION = "speakers.v1"


class Recorder:
    """Stands in for the ranker inside the quotes stage: keeps the candidates, leaves the rules' pick."""

    def __init__(self):
        self.seen: dict[tuple[int, int, int], list] = {}
        self.current = 0  # the document being read (find_quotes sees only its text)

    def choose(self, candidates, quote=None):
        self.seen[(self.current, quote.start, quote.end)] = candidates
        return quote.speaker, 1.0


def collect(split: str, recorder: Recorder, start_id: int):
    """Rows (features, label, quote id, article) of one split."""
    rows = ev.load(split)
    docs = [Document(text=r["text"], source=r["id"], outlet=None) for r in rows]
    for name in ("sentences", "entities"):
        docs = stages.get(name)()(docs)
    quotes_stage = stages.get("quotes")({"speaker_ranker": False})
    quotes_stage.ensure_setup()
    quotes_stage._ranker = recorder
    for i in range(len(docs)):
        recorder.current = start_id * 1000 + i
        docs[i] = quotes_stage([docs[i]])[0]
    out = []
    qid = start_id
    for i, (row, doc) in enumerate(zip(rows, docs)):
        text = row["text"]
        gold = [(g["start"] if "start" in g else text.find(g["content"]), None, g) for g in row["quotes"]]
        gold = [(s, s + len(g["content"]), g) for s, _, g in gold]
        preds = list(doc.layer("quotes"))
        for gi, pi in ev.match(gold, preds):
            q = preds[pi]
            cands = recorder.seen.get((start_id * 1000 + i, q.start, q.end), [])
            g = gold[gi][2]
            rule_ok = ev.same_speaker(g, q)
            labels = [ev.same_speaker(g, SimpleNamespace(speaker=SimpleNamespace(name=c.guess.name, kind=c.guess.kind)))
                      for c in cands]
            out.append({"qid": qid, "article": f"{split}:{row['id']}", "cands": cands, "labels": labels,
                        "gold_none": g.get("speaker") is None, "rule_ok": rule_ok,
                        "rule_named": bool(q.speaker.name) and q.speaker.kind in NAMED})
            qid += 1
    return out


def matrix(quotes):
    X, y, groups, arts = [], [], [], []
    for q in quotes:
        for c, lab in zip(q["cands"], q["labels"]):
            X.append([c.features.get(f, 0.0) for f in FEATURES])
            y.append(int(lab))
            groups.append(q["qid"])
            arts.append(q["article"])
    return np.asarray(X, float), np.asarray(y), np.asarray(groups), np.asarray(arts)


def decide(quotes, probs, t_named, t_other):
    """Speaker accuracy and named precision of the ranker's choices at the two thresholds."""
    ok = named = named_ok = 0
    for q in quotes:
        p = probs.get(q["qid"], [])
        best = int(np.argmax(p)) if len(p) else -1
        speaks = best >= 0 and p[best] >= (t_named if q["cands"][best].guess.kind in NAMED else t_other)
        if speaks:
            right = q["labels"][best]
            ok += right
            if q["cands"][best].guess.kind in NAMED:
                named += 1
                named_ok += right
        else:
            ok += q["gold_none"]
    return ok / len(quotes), (named_ok / named if named else 1.0), named, named_ok, ok


def fit(X, y, C):
    from sklearn.linear_model import LogisticRegression

    mu = X.mean(0)
    sd = X.std(0)
    sd[sd == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit((X - mu) / sd, y)
    return lr, mu, sd


def oof(quotes, X, y, groups, arts, C, folds=5):
    names = sorted(set(arts))
    rng = np.random.default_rng(14)
    order = rng.permutation(len(names))
    fold_of = {names[j]: k % folds for k, j in enumerate(order)}
    f = np.asarray([fold_of[a] for a in arts])
    p = np.zeros(len(y))
    for k in range(folds):
        tr, te = f != k, f == k
        lr, mu, sd = fit(X[tr], y[tr], C)
        p[te] = lr.predict_proba((X[te] - mu) / sd)[:, 1]
    return {g: p[groups == g] for g in np.unique(groups)}


def choose_thresholds(quotes, probs):
    grid = [i / 100 for i in range(5, 96, 5)]
    best = None
    for tn in grid:
        for to in grid:
            acc, prec, named, named_ok, _ = decide(quotes, probs, tn, to)
            if prec >= NAMED_PRECISION and (best is None or acc > best[0] + 1e-9):
                best = (acc, prec, tn, to, named, named_ok)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    args = ap.parse_args(argv)
    if not ev.PTC_ARTICLES.is_dir():
        print(f"skipped: {ev.PTC_ARTICLES} not found")
        return 1
    recorder = Recorder()
    quotes = []
    for split in TRAIN_SPLITS:
        quotes += collect(split, recorder, len(quotes))
    X, y, groups, arts = matrix(quotes)
    n = len(quotes)
    oracle = sum(any(q["labels"]) or q["gold_none"] for q in quotes) / n
    rule_acc = sum(q["rule_ok"] for q in quotes) / n
    rn = [q for q in quotes if q["rule_named"]]
    rule_prec = sum(q["rule_ok"] for q in rn) / len(rn)
    print(f"{n} matched quotes, {len(y)} candidates ({y.sum()} right), {len(set(arts))} articles")
    print(f"rules: speaker accuracy {rule_acc:.3f}, named precision {rule_prec:.3f}; candidates hold the right "
          f"speaker for {oracle:.3f}")
    results = {}
    for C in (0.03, 0.1, 0.3, 1.0, 3.0):
        probs = oof(quotes, X, y, groups, arts, C)
        top1 = decide(quotes, probs, 0.0, 0.0)
        best = choose_thresholds(quotes, probs)
        results[C] = (best, top1, probs)
        print(f"C={C}: out-of-fold top-1 accuracy {top1[0]:.3f} (named P {top1[1]:.3f}); at thresholds "
              f"named {best[2]:.2f} other {best[3]:.2f}: accuracy {best[0]:.3f}, named P {best[1]:.3f} "
              f"({best[5]}/{best[4]})")
    C = max(results, key=lambda c: (results[c][0][0], -c))
    best, top1, _ = results[C]
    lr, mu, sd = fit(X, y, C)
    model = {
        "version": VERSION, "features": list(FEATURES), "mean": mu.round(6).tolist(), "scale": sd.round(6).tolist(),
        "coef": lr.coef_[0].round(6).tolist(), "intercept": round(float(lr.intercept_[0]), 6),
        "threshold_named": best[2], "threshold_other": best[3], "C": C,
        "trained_on": list(TRAIN_SPLITS),
    }
    metrics = {
        "matched_quotes": n, "candidates": int(len(y)), "articles": len(set(arts)), "oracle": round(oracle, 4),
        "rules_speaker_accuracy": round(rule_acc, 4), "rules_named_precision": round(rule_prec, 4),
        "oof_top1_accuracy": round(top1[0], 4), "oof_speaker_accuracy": round(best[0], 4),
        "oof_named_precision": round(best[1], 4), "oof_named": best[4], "oof_named_correct": best[5], "C": C,
    }
    print(json.dumps(metrics))
    if not args.dry_run:
        MODEL_DIR.mkdir(parents=True, exist_ok=True)
        (MODEL_DIR / "model.json").write_text(json.dumps(model, indent=1) + "\n", "utf-8")
        (MODEL_DIR / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", "utf-8")
        print(f"wrote {MODEL_DIR / 'model.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
