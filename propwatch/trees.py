"""Gradient-boosted tree ensembles exported from scikit-learn, evaluated in numpy.

One model format for every shipped tree model (the stance classifier in
``propwatch/models/stance/``, the debunk reranker in
``propwatch/models/debunk_rerank/``): a ``trees.npz`` of flat node arrays
written by the ``train/`` scripts, read here without scikit-learn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .mathutil import sigmoid, softmax


class TreeEnsemble:
    """Gradient-boosted trees as flat node arrays (one tree per iteration and class)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.feature = arrays["feature"]
        self.threshold = arrays["threshold"]
        self.left = arrays["left"]
        self.right = arrays["right"]
        self.is_leaf = arrays["is_leaf"].astype(bool)
        self.value = arrays["value"]
        self.missing_left = arrays["missing_left"].astype(bool)
        self.roots = arrays["roots"]  # (iterations, classes): offset of each tree's node 0
        self.baseline = arrays["baseline"]  # (classes,)

    @classmethod
    def load(cls, path: str | Path) -> "TreeEnsemble":
        """The ensemble in a ``trees.npz`` file."""
        with np.load(path, allow_pickle=False) as z:
            return cls({k: z[k] for k in z.files})

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Summed leaf values plus the baseline: ``(n, classes)`` scores before the link function."""
        n = X.shape[0]
        out = np.tile(self.baseline, (n, 1)).astype(np.float64)
        rows = np.arange(n)
        for it in range(self.roots.shape[0]):
            for k in range(self.roots.shape[1]):
                base = self.roots[it, k]
                node = np.zeros(n, dtype=np.int64)
                active = ~self.is_leaf[base + node]
                while active.any():
                    idx = base + node[active]
                    x = X[rows[active], self.feature[idx]]
                    go_left = np.where(np.isnan(x), self.missing_left[idx], x <= self.threshold[idx])
                    node[active] = np.where(go_left, self.left[idx], self.right[idx])
                    active = ~self.is_leaf[base + node]
                out[:, k] += self.value[base + node]
        return out

    def proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of a multi-class model (softmax over the raw scores)."""
        return softmax(self.raw(X))

    def binary_proba(self, X: np.ndarray) -> np.ndarray:
        """P(positive) of a binary model (sigmoid of its one raw score)."""
        return sigmoid(self.raw(X)[:, 0])


__all__ = ["TreeEnsemble"]
