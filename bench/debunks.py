"""Speed of debunk matching and stance on this machine (cost per 1,000 claims).

    python bench/debunks.py            # EUvsDisinfo cases as the database if ../shared/data is there, else generated claims

Prints seconds per 1,000 claims for: hybrid search (fused + reranker + the
cross-encoder when installed, and without the cross-encoder), stance of 1,000 (claim, story) pairs, and denials over 1,000
sentences. Figures depend on the cores free at the time.
"""

from __future__ import annotations

import importlib
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "euvsdisinfo-cases" / "cases-2015-2017.csv"

from propwatch.debunks.importers import Debunk, read_debunks  # noqa: E402
from propwatch.debunks.search import DebunkIndex  # noqa: E402
from propwatch.records import Document, Sentence  # noqa: E402

WORDS = "harbour navy fire grain minister election ballots vaccine bridge river dam oil border troops report claim".split()


def fake_claims(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "." for _ in range(n)]


def main() -> None:
    if DATA.exists():
        _, items = read_debunks(DATA)
        debunks = [d for _, _, d in items if isinstance(d, Debunk)]
    else:
        debunks = [Debunk(claim=c) for c in fake_claims(3000, seed=2)]
    queries = fake_claims(1000) if not DATA.exists() else [d.claim for d in debunks[:1000]]
    t = time.perf_counter()
    index = DebunkIndex(debunks)
    print(f"index of {len(debunks)} debunks ({index.embedder.name}, reranker {'on' if index.reranker else 'off'}): {time.perf_counter() - t:.1f} s (vectors are cached in the store after the first time)")
    t = time.perf_counter()
    index.search_many(queries, k=5)
    cross = f"cross-encoder over the top {index.cross_candidates}" if index.cross_encoder else "no cross-encoder"
    print(f"search ({cross}): {time.perf_counter() - t:.1f} s per 1,000 claims")
    if index.cross_encoder is not None:
        plain = DebunkIndex(debunks, embedder=index.embedder, vectors=index.vectors, cross_encoder=None)
        t = time.perf_counter()
        plain.search_many(queries, k=5)
        print(f"search without the cross-encoder: {time.perf_counter() - t:.1f} s per 1,000 claims")
    stance = importlib.import_module("propwatch.debunks.stance")
    model = stance.StanceModel.load()
    stories = [" ".join(fake_claims(25, seed=100 + i)) for i in range(len(queries))]
    t = time.perf_counter()
    model.predict(list(zip(queries, stories)))
    print(f"stance: {time.perf_counter() - t:.1f} s per 1,000 (claim, 25-sentence story) pairs")
    denials = importlib.import_module("propwatch.debunks.denials")
    sents = fake_claims(1000, seed=4)
    text = " ".join(sents)
    spans, pos = [], 0
    for s in sents:
        spans.append(Sentence.of(text, pos, pos + len(s)))
        pos += len(s) + 1
    doc = Document(text=text, source="bench").with_layer("sentences", spans)
    t = time.perf_counter()
    denials.find_denials(doc)
    print(f"denials: {time.perf_counter() - t:.2f} s per 1,000 sentences")


if __name__ == "__main__":
    main()
