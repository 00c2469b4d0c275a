"""Okapi BM25 over a small in-memory collection (numpy + a sparse matrix).

Debunk databases hold thousands to tens of thousands of short claims; the
index is built in well under a second and kept in memory.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from .text import tokens as default_tokens


class BM25:
    """BM25 with ``k1``/``b``; ``scores(query)`` gives one score per document."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75, tokenize=default_tokens):
        self.k1, self.b, self.tokenize = k1, b, tokenize
        self.vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(docs), dtype=np.float64)
        for i, doc in enumerate(docs):
            counts = Counter(tokenize(doc))
            lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                j = self.vocab.setdefault(term, len(self.vocab))
                rows.append(i)
                cols.append(j)
                tfs.append(tf)
        self.n_docs = len(docs)
        n_terms = len(self.vocab)
        avgdl = float(lengths.mean()) if len(docs) else 1.0
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=n_terms).astype(np.float64)
        self.idf = np.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))
        tf = np.asarray(tfs, dtype=np.float64)
        r = np.asarray(rows, dtype=np.int64)
        norm = k1 * (1.0 - b + b * lengths[r] / max(avgdl, 1e-9))
        weights = tf * (k1 + 1.0) / (tf + norm)
        # postings per term: column-sorted arrays (a CSC matrix without scipy)
        c = np.asarray(cols, dtype=np.int64)
        order = np.argsort(c, kind="stable")
        self._doc = r[order]
        self._w = weights[order]
        self._ptr = np.concatenate([[0], np.cumsum(np.bincount(c, minlength=n_terms))]).astype(np.int64)

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.n_docs, dtype=np.float64)
        for term, qtf in Counter(self.tokenize(query)).items():
            j = self.vocab.get(term)
            if j is None:
                continue
            lo, hi = self._ptr[j], self._ptr[j + 1]
            np.add.at(out, self._doc[lo:hi], self.idf[j] * self._w[lo:hi])
        return out

    def max_score(self, query: str) -> float:
        """An upper bound of the score of ``query``: the sum of its term idfs times (k1+1)."""
        total = 0.0
        for term in set(self.tokenize(query)):
            j = self.vocab.get(term)
            if j is not None:
                total += self.idf[j] * (self.k1 + 1.0)
        return total if total > 0 else math.inf
