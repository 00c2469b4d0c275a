"""Narrative linking cost per new claim with many claims stored (synthetic vectors).

    python bench/narratives.py                          # 100k stored claims, exact and HNSW index
    python bench/narratives.py --stored 100000 1000000 --index exact

Stored claims are random unit vectors in clusters of 5 (so that candidates,
the core rule and the filters all run) with short invented texts; they are
restored into a :class:`Linker` (as an incremental run restores the store),
then ``--new`` claims are linked and the time per new claim is printed. The
restore time (index build) is printed apart: an incremental run pays it once
per run, or loads a saved HNSW graph instead.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = ("minister border oil fighters pipeline army rebels talks sanctions ceasefire aid convoy report "
         "officials smuggling deal vote court protest election").split()


def synthetic(n: int, dim: int, seed: int, start: int = 0):
    from propwatch.narratives import ClaimItem

    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(n // 5, 1), dim)).astype(np.float32)
    vecs = centers[rng.integers(0, len(centers), n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    items = []
    for i in range(start, start + n):
        w = rng.choice(WORDS, 6)
        text = f"The {w[0]} says the {w[1]} {w[2]} will {w[3]} the {w[4]} {w[5]} claim {i}"
        items.append(ClaimItem(key=f"d{i // 8}:{i % 8 * 100}-{i % 8 * 100 + 80}", doc_id=f"d{i // 8}", text=text,
                               normalized=text, outlet=f"outlet{i % 40}", published=f"2016-{1 + i % 12:02d}-{1 + i % 28:02d}"))
    return items, vecs


def main(argv=None) -> int:
    from propwatch.narratives import LinkParams, Linker
    from propwatch.narratives.linker import narrative_id_for

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, nargs="+", default=[100_000])
    ap.add_argument("--new", type=int, default=500)
    ap.add_argument("--index", nargs="+", default=["exact", "hnsw"], choices=["exact", "hnsw"])
    ap.add_argument("--dim", type=int, default=384)
    args = ap.parse_args(argv)
    for n in args.stored:
        items, vecs = synthetic(n, args.dim, seed=1)
        new_items, new_vecs = synthetic(args.new, args.dim, seed=2, start=n + 8)
        for kind in args.index:
            linker = Linker(dim=args.dim, params=LinkParams(index=kind))
            t0 = time.perf_counter()
            linker.restore(items, vecs, [narrative_id_for(it.key) for it in items])
            restore_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            linker.add(new_items, new_vecs)
            per = (time.perf_counter() - t0) / args.new
            print(f"stored {n:>9,} index {kind:5s}: {1000 * per:.2f} ms per new claim ({args.new} linked); "
                  f"restore {restore_s:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
