"""Narrative linking cost per new claim with many claims stored (synthetic vectors).

    python bench/narratives.py                          # 100k stored claims, exact and HNSW index
    python bench/narratives.py --stored 100000 1000000 --index exact
    python bench/narratives.py --stored 1000000 --index hnsw --build-threads 2
    python bench/narratives.py --check 20000            # incremental runs give the one-batch result

Stored claims are random unit vectors in clusters of 5 (so that candidates,
the core rule and the filters all run) with short invented texts; they are
restored into a :class:`Linker` (as an incremental run restores the store),
then ``--new`` claims are linked and the time per new claim is printed. The
restore time is printed apart: an incremental run pays it once per run (the
claims read back and their word sets made again, and for HNSW the graph,
unless a saved graph is loaded). ``--build-threads`` builds the HNSW graph
with that many threads, saves it and restores from the file, as an
incremental run reuses the graph it saved (the shipped linker adds with one
thread, in canonical order, for a graph that is the same on every run).
Memory: the process's resident memory after the restore, and per stored claim.

``--check N`` links N claims once in one batch and once in ``--chunks`` runs,
each restoring the results of the runs before it, and says whether every
claim lands in the same narrative.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
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
    cluster = rng.integers(0, len(centers), n)
    vecs = np.empty((n, dim), np.float32)
    for a in range(0, n, 100_000):  # in blocks: no n x dim float64 temporaries
        b = min(n, a + 100_000)
        vecs[a:b] = centers[cluster[a:b]] + 0.6 * rng.standard_normal((b - a, dim), np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    del centers
    items = []
    for i in range(start, start + n):
        # the words of the claim's cluster, one of them swapped for a random word, and a word of its own
        c = int(cluster[i - start])
        w = [WORDS[(c * 7 + k * 3) % len(WORDS)] for k in range(6)]
        w[int(rng.integers(0, 6))] = str(rng.choice(WORDS))
        text = f"The {w[0]} says the {w[1]} {w[2]} will {w[3]} the {w[4]} {w[5]} claim {_tag(c)}"
        items.append(ClaimItem(key=f"d{i // 8}:{i % 8 * 100}-{i % 8 * 100 + 80}", doc_id=f"d{i // 8}", text=text,
                               normalized=text, outlet=f"outlet{i % 40}", published=f"2016-{1 + i % 12:02d}-{1 + i % 28:02d}"))
    return items, vecs


def _tag(i: int) -> str:
    """A word for a number, in letters (a figure would make every pair fail the numbers check)."""
    out = ""
    while True:
        i, r = divmod(i, 26)
        out += chr(97 + r)
        if not i:
            return "q" + out


def rss_mb() -> float:
    """Resident memory of this process now (Linux), in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def build_graph(vecs: np.ndarray, threads: int, path: str) -> float:
    """Build the HNSW graph the linker would (same metric and parameters) with ``threads``, save it."""
    from propwatch.narratives.index import HnswIndex

    t0 = time.perf_counter()
    index = HnswIndex(vecs.shape[1])
    index._index.add(np.arange(len(vecs), dtype=np.uint64), vecs, threads=threads)
    index.n = len(vecs)
    index.save(path)
    return time.perf_counter() - t0


def bench(n: int, kind: str, args) -> None:
    from propwatch.narratives import LinkParams, Linker
    from propwatch.narratives.linker import narrative_id_for

    items, vecs = synthetic(n + args.new, args.dim, seed=1)  # the new claims fall in the stored claims' clusters
    new_items, new_vecs = items[n:], vecs[n:].copy()
    items, vecs = items[:n], vecs[:n]
    graph, build_s = None, 0.0
    if kind == "hnsw" and args.build_threads > 1:
        graph = os.path.join(tempfile.mkdtemp(prefix="pw-bench-"), "claims.usearch")
        build_s = build_graph(vecs, args.build_threads, graph)
    gc.collect()
    before = rss_mb()
    linker = Linker(dim=args.dim, params=LinkParams(index=kind))
    t0 = time.perf_counter()
    linker.restore(items, vecs, [narrative_id_for(it.key) for it in items], index_file=graph)
    restore_s = time.perf_counter() - t0
    del vecs
    gc.collect()
    mem = rss_mb()
    graph_mb = linker.index._index.memory_usage / 2**20 if kind == "hnsw" else n * args.dim * 4 / 2**20
    t0 = time.perf_counter()
    linker.add(new_items, new_vecs)
    per = (time.perf_counter() - t0) / args.new
    built = f"; graph built in {build_s:.0f} s with {args.build_threads} threads and loaded" if graph else ""
    print(f"stored {n:>9,} index {kind:5s}: {1000 * per:.2f} ms per new claim ({args.new} linked); "
          f"restore {restore_s:.1f} s{built}; resident {mem:,.0f} MiB, {1024 * (mem - before) / n:.1f} KiB "
          f"per stored claim (the index {graph_mb:,.0f} MiB)", flush=True)
    if graph:
        os.remove(graph)


def check(n: int, chunks: int, args) -> bool:
    """One batch against ``chunks`` incremental runs (each restores the runs before it)."""
    from propwatch.narratives import LinkParams, Linker

    items, vecs = synthetic(n, args.dim, seed=3)
    order = sorted(range(n), key=lambda i: items[i].sort_key())  # stories arrive in canonical order
    items, vecs = [items[i] for i in order], vecs[order]
    params = LinkParams(index=args.index[0], block=args.block)
    once = Linker(dim=args.dim, params=params)
    once.add(items, vecs)
    batch = dict(zip((it.key for it in once.items), once.narrative_of))
    done: list = []
    nids: list[str] = []
    step = -(-n // chunks)
    for a in range(0, n, step):
        run = Linker(dim=args.dim, params=params)
        if done:
            run.restore(done, vecs[:len(done)], nids)
        out = run.add(items[a:a + step], vecs[a:a + step])
        done += items[a:a + step]
        nids += [o.narrative_id for o in out]
        nids = [run.narrative_of[run.keys[it.key]] for it in done]  # merges may move earlier claims
    same = sum(batch[it.key] == nid for it, nid in zip(done, nids))
    multi = sum(1 for m in once.members.values() if len(m) > 1)
    print(f"check {n:,} claims ({multi:,} narratives of 2+ claims), one batch vs {chunks} incremental runs, "
          f"index {params.index}, block {params.block}: {same:,} of {n:,} claims in the same narrative"
          f" -> {'same' if same == n else 'DIFFERENT'}", flush=True)
    return same == n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, nargs="+", default=[100_000])
    ap.add_argument("--new", type=int, default=500)
    ap.add_argument("--index", nargs="+", default=["exact", "hnsw"], choices=["exact", "hnsw"])
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--build-threads", type=int, default=1, help="HNSW: build the graph with this many threads")
    ap.add_argument("--check", type=int, default=0, metavar="N", help="incremental against one batch, N claims")
    ap.add_argument("--chunks", type=int, default=4)
    ap.add_argument("--block", type=int, default=2048, help="--check: the linker's block size")
    args = ap.parse_args(argv)
    if args.check:
        return 0 if check(args.check, args.chunks, args) else 1
    for n in args.stored:
        for kind in args.index:
            bench(n, kind, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
