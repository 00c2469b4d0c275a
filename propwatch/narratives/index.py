"""Nearest-neighbour search over claim vectors (cosine on L2-normalized rows).

Two implementations behind one small interface (``add``, ``search``):

- :class:`HnswIndex` (usearch, when installed): HNSW graph, ~log N per
  query, so linking N claims costs ~N log N, not N^2. Vectors are added in
  one thread, in the linker's canonical order, so the graph -- and the
  neighbours it returns -- are the same on every run for the same input.
- :class:`ExactIndex` (numpy only): a matrix product per query batch, in
  blocks of ``block`` rows. Cost per query is N x d multiply-adds (d = 384:
  ~0.4 ms per 1,000 stored claims on one core), so linking N claims is
  quadratic; it is the reference, the fallback when usearch is absent, and
  it is what small corpora use (below ``exact_below`` claims it is both
  exact and fast).

:func:`make_index` picks one; ``bench/claims.py`` measures both.
"""

from __future__ import annotations

import numpy as np


class ExactIndex:
    """Brute force, exact, deterministic (ties broken by insertion order)."""

    kind = "exact"

    def __init__(self, dim: int, block: int = 65536):
        self.dim = dim
        self.block = block
        self._blocks: list[np.ndarray] = []
        self._pending: list[np.ndarray] = []
        self.n = 0

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        self._pending.append(vectors)
        self.n += len(vectors)

    def _matrix(self) -> np.ndarray:
        if self._pending:
            self._blocks.append(np.concatenate(self._pending))
            self._pending = []
            if len(self._blocks) > 1:
                self._blocks = [np.concatenate(self._blocks)]
        return self._blocks[0] if self._blocks else np.zeros((0, self.dim), np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, similarities), each (q, k'); k' = min(k, n); sorted best first."""
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        mat = self._matrix()
        k = min(k, len(mat))
        if k == 0 or len(queries) == 0:
            return np.zeros((len(queries), 0), np.int64), np.zeros((len(queries), 0), np.float32)
        ids = np.zeros((len(queries), k), np.int64)
        sims = np.zeros((len(queries), k), np.float32)
        for a in range(0, len(queries), 256):
            s = queries[a:a + 256] @ mat.T
            part = np.argpartition(-s, k - 1, axis=1)[:, :k] if k < s.shape[1] else np.tile(np.arange(s.shape[1]), (len(s), 1))
            ps = np.take_along_axis(s, part, axis=1)
            # sort by (-similarity, id) for a deterministic order
            order = np.lexsort((part, -ps), axis=1)
            ids[a:a + 256] = np.take_along_axis(part, order, axis=1)
            sims[a:a + 256] = np.take_along_axis(ps, order, axis=1)
        return ids, sims


class HnswIndex:
    """usearch HNSW (cosine); single-threaded adds in a fixed order for determinism."""

    kind = "hnsw"

    def __init__(self, dim: int, connectivity: int = 16, expansion_add: int = 64, expansion_search: int = 64):
        Index = _import_usearch().Index

        self.dim = dim
        self._index = Index(ndim=dim, metric="cos", dtype="f32", connectivity=connectivity,
                            expansion_add=expansion_add, expansion_search=expansion_search)
        self.n = 0

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim))
        if len(vectors) == 0:
            return
        keys = np.arange(self.n, self.n + len(vectors), dtype=np.uint64)
        self._index.add(keys, vectors, threads=1)
        self.n += len(vectors)

    def save(self, path: str) -> None:
        self._index.save(path)

    def load(self, path: str, expected: int) -> bool:
        """Load a saved graph if it holds exactly ``expected`` vectors (else keep this one empty)."""
        probe = type(self._index)(ndim=self.dim, metric="cos", dtype="f32")
        probe.load(path)
        if len(probe) != expected:
            return False
        self._index, self.n = probe, expected
        return True

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(np.asarray(queries, dtype=np.float32).reshape(-1, self.dim))
        k = min(k, self.n)
        if k == 0 or len(queries) == 0:
            return np.zeros((len(queries), 0), np.int64), np.zeros((len(queries), 0), np.float32)
        res = self._index.search(queries, k, threads=1)
        keys = np.asarray(res.keys, dtype=np.int64).reshape(len(queries), -1)
        dist = np.asarray(res.distances, dtype=np.float32).reshape(len(queries), -1)
        sims = 1.0 - dist
        counts = np.asarray(res.counts).reshape(-1) if hasattr(res, "counts") else np.full(len(queries), k)
        for i, c in enumerate(counts):
            keys[i, c:] = -1
            sims[i, c:] = -np.inf
        return keys, sims


def _import_usearch():
    """Import usearch, with onnxruntime loaded first.

    usearch's compiled module, once loaded, makes a later ``import
    onnxruntime`` crash the process (segfault; usearch 2.26 and
    onnxruntime 1.32 on Linux x86-64); the other order is fine.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    import usearch.index

    return usearch.index


def usearch_available() -> bool:
    try:
        _import_usearch()
    except ImportError:
        return False
    return True


def make_index(dim: int, kind: str = "auto"):
    """``auto``: HNSW when usearch is installed, else exact; or ``exact`` / ``hnsw``."""
    if kind == "exact" or (kind == "auto" and not usearch_available()):
        return ExactIndex(dim)
    if kind == "hnsw" and not usearch_available():
        from ..errors import MissingExtraError

        raise MissingExtraError("usearch", "narratives", "the HNSW claim index")
    return HnswIndex(dim)


__all__ = ["ExactIndex", "HnswIndex", "make_index", "usearch_available"]
