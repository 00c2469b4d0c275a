"""Stance (FNC-1 headline-body) on two validation splits, side by side.

    python eval/stance.py                       # shipped model on the topic split + a by-body model
    python eval/stance.py --body-model DIR      # the by-body model to show (trained if DIR is missing:
                                                #   python train/stance.py --split body --out DIR)
    python eval/stance.py --models A B          # any models; each is scored on the split it was trained on

Splits (ids only, eval/splits/; see train/stance.py for how they are made):

- ``topic``: validation topics (stories) whose headlines and bodies the model never saw;
  val = related pairs inside those topics + unrelated pairs (inside, plus drawn ones up to
  FNC-1's 73 % share). This is the figure that says what the model does on new stories.
- ``body``: the old split: new bodies, but the headlines (and stories) are shared with
  training; it overestimates.

Each model is scored on the val part of the split named in its ``model.json`` (a model is never
scored on pairs it was trained on), with its class scales (tuned on that split's tune part).
Rows: per-class F1, macro-F1, accuracy, FNC-1 score (relative to the best possible). The line
"val, related only" scores the three related classes on the related pairs alone.
Reads ../shared/data/fnc1-train/ (no licence stated; research use). Prints figures only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "fnc1-train"


def _train_module():
    spec = importlib.util.spec_from_file_location("train_stance", ROOT / "train" / "stance.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def score(model_dir: Path, T, bodies, pairs, parts_cache) -> dict:
    S = T.S
    meta = json.loads((model_dir / "model.json").read_text("utf-8"))
    split = meta.get("split", "body")
    if split not in parts_cache:
        parts_cache[split] = T.read_split(split, pairs)
    val = parts_cache[split]["val"]
    model = S.StanceModel.load(model_dir)
    embedder = T.CachedEmbedder() if model.uses_embeddings else None
    t0 = time.process_time()
    X = T.featurize(val, bodies, model.tfidf, embedder)
    p = model.proba(X) * model.priors
    cpu = time.process_time() - t0
    gold = [x[2] for x in val]
    pred = [S.LABELS[i] for i in p.argmax(1)]
    name = str(model_dir.relative_to(ROOT)) if model_dir.is_relative_to(ROOT) else str(model_dir)
    out = {"model": name, "split": split, "pairs": len(val), **T.report(gold, pred),
           "cpu_s_per_1000_emb_cached": round(1000 * cpu / max(len(val), 1), 1)}
    rel = [i for i, g in enumerate(gold) if g != "unrelated"]
    from sklearn.metrics import f1_score

    rp = p[rel][:, :3].argmax(1)
    out["related_only_macro_f1"] = round(float(f1_score([S.LABELS.index(gold[i]) for i in rel], rp,
                                                        labels=[0, 1, 2], average="macro")), 4)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", type=Path, help="model directories (default: shipped + --body-model)")
    ap.add_argument("--body-model", type=Path, default=Path("/tmp/propwatch_stance_body"))
    args = ap.parse_args()
    if not (DATA / "train_stances.csv").exists():
        print(f"{DATA}: not found (FNC-1 training data); nothing to evaluate", file=sys.stderr)
        return 2
    T = _train_module()
    models = args.models
    if not models:
        models = [T.OUT, args.body_model]
        if not (args.body_model / "model.json").exists():
            print(f"training the by-body model into {args.body_model} (same recipe, split body) ...", flush=True)
            subprocess.run([sys.executable, str(ROOT / "train" / "stance.py"), "--split", "body", "--out",
                            str(args.body_model)], check=True)
    bodies, pairs = T.load()
    cache: dict = {}
    rows = [score(m, T, bodies, pairs, cache) for m in models]
    cols = ["split", "pairs", "accuracy", "f1_agree", "f1_disagree", "f1_discuss", "f1_unrelated", "macro_f1",
            "fnc_score", "related_only_macro_f1", "cpu_s_per_1000_emb_cached"]
    print("| model | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for r in rows:
        print(f"| {r['model']} | " + " | ".join(str(r[c]) for c in cols) + " |")
    print("\nmacro-F1 / disagree F1:", "; ".join(f"{r['split']}: {r['macro_f1']:.3f} / {r['f1_disagree']:.3f}"
                                              for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
