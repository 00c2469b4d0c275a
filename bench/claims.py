"""Speed of claims + embeddings + linking, and how linking cost grows with the corpus.

    python bench/claims.py                     # stories: 40 (scaled to 1,000); linking at 10k and 100k
    python bench/claims.py --stories 200 --sizes 10000 100000 300000
    python bench/claims.py --skip-stories      # linking scaling only

1. Per-story pipeline cost: sentences -> claims (check-worthiness: MiniLM
   embedding + linear model) -> narrative linking (embedding of normalized
   claims + index search + scoring), on invented news-like stories built
   from tests/cases/claims/*.jsonl, reported per 1,000 stories.
2. Linking scaling: a corpus of N synthetic claim vectors (384-d, clustered
   like paraphrases), then one batch of 1,000 new claims linked into it,
   with the exact (numpy) and the HNSW (usearch) index. The time per new
   claim stays ~flat with HNSW (log N) and grows linearly with exact search
   (so exact linking of a whole corpus is quadratic). Also the cost of
   building the HNSW graph (first run, or --rebuild) and of reloading the
   saved graph (every later incremental run).
Prints figures only. Runs on whatever cores it is given (numbers here are
from a 2-core shared machine).
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
CASES = ROOT / "tests" / "cases" / "claims"

from propwatch.narratives.index import usearch_available  # noqa: E402
from propwatch.narratives.linker import ClaimItem, Linker, LinkParams  # noqa: E402


def invented_stories(n: int, seed: int = 0):
    from propwatch.records import Document

    sents = [json.loads(x)["text"] for x in (CASES / "news.jsonl").read_text().splitlines() if x.strip()]
    for x in (CASES / "narrative_stories.jsonl").read_text().splitlines():
        if x.strip():
            sents.extend(s.strip() + "." for s in json.loads(x)["text"].split(". ") if s.strip())
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        k = rng.randint(12, 28)
        text = " ".join(rng.choice(sents) for _ in range(k))
        docs.append(Document(text=f"Story {i}. " + text, source=f"bench-{i}", outlet=f"Outlet {i % 7}",
                             published=f"2020-01-{1 + i % 28:02d}"))
    return docs


def bench_stories(n: int) -> None:
    from propwatch.registry import stages
    from propwatch.store import Store
    from propwatch.narratives import update_narratives

    docs = invented_stories(n)
    sent_stage = stages.get("sentences")()
    claim_stage = stages.get("claims")()
    from propwatch.embeddings import get_embedder

    get_embedder().embed(["warm up"])
    t0 = time.perf_counter()
    docs = sent_stage(docs)
    t1 = time.perf_counter()
    docs = claim_stage(docs)
    t2 = time.perf_counter()
    n_sent = sum(len(d.layer("sentences")) for d in docs)
    n_claims = sum(len(d.layer("claims")) for d in docs)
    with Store(":memory:") as st:
        st.write_batch(docs, [(d.id, "claims", "claims.v1", "b", d.layer("claims")) for d in docs],
                       [(d.id, d.source, 0, None) for d in docs])
        t3 = time.perf_counter()
        update_narratives(st)
        t4 = time.perf_counter()
    scale = 1000 / n
    print(f"stories: {n} invented ({n_sent} sentences, {n_claims} claims)")
    print(f"  sentences            {(t1 - t0) * scale:8.1f} s per 1,000 stories")
    print(f"  claims (score)       {(t2 - t1) * scale:8.1f} s per 1,000 stories  ({n_sent / (t2 - t1):.0f} sentences/s)")
    print(f"  narratives (embed + link + store) {(t4 - t3) * scale:8.1f} s per 1,000 stories  ({n_claims / (t4 - t3):.0f} claims/s)")


def clustered(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(n // 4, 1), dim)).astype(np.float32)
    v = centres[rng.integers(0, len(centres), n)] + 0.35 * rng.normal(size=(n, dim)).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def items(n: int, offset: int = 0) -> list[ClaimItem]:
    return [ClaimItem(key=f"d{(offset + i) // 10}:{i}-{i + 1}", doc_id=f"d{(offset + i) // 10}", text="",
                      normalized=f"claim {offset + i}", published=f"2021-{1 + (offset + i) % 12:02d}-01")
            for i in range(n)]


def bench_linking(sizes: list[int], batch: int = 1000, dim: int = 384) -> None:
    kinds = ["exact"] + (["hnsw"] if usearch_available() else [])
    print(f"linking: a batch of {batch} new claims into a corpus of N (dim {dim}); index kinds: {', '.join(kinds)}")
    for n in sizes:
        corpus = clustered(n, dim, seed=1)
        new = clustered(batch, dim, seed=2)
        for kind in kinds:
            lk = Linker(dim=dim, params=LinkParams(index=kind))
            t0 = time.perf_counter()
            lk.restore(items(n), corpus, [f"n{i}" for i in range(n)])
            t1 = time.perf_counter()
            lk.add(items(batch, offset=n), new)
            t2 = time.perf_counter()
            print(f"  N={n:>7}  {kind:<5}  load/build index {t1 - t0:7.1f} s   link {batch}: {t2 - t1:6.2f} s "
                  f"({(t2 - t1) / batch * 1000:.2f} ms per claim)")
            if kind == "hnsw":
                import os
                import tempfile

                with tempfile.TemporaryDirectory() as tmp:
                    f = os.path.join(tmp, "claims.usearch")
                    lk.save_index(f)
                    lk2 = Linker(dim=dim, params=LinkParams(index=kind))
                    t3 = time.perf_counter()
                    lk2.restore(items(n + batch), np.concatenate([corpus, new]), [f"n{i}" for i in range(n + batch)], index_file=f)
                    print(f"  N={n:>7}  hnsw   reload saved graph + claims {time.perf_counter() - t3:7.1f} s (what an incremental run pays)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=40)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--skip-stories", action="store_true")
    ap.add_argument("--skip-linking", action="store_true")
    args = ap.parse_args()
    if not args.skip_stories:
        bench_stories(args.stories)
    if not args.skip_linking:
        bench_linking(args.sizes)


if __name__ == "__main__":
    main()
