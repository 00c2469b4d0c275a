"""Small numeric helpers shared by the model-backed parts (one copy of each).

    >>> float(sigmoid(0.0))
    0.5
    >>> round(float(logit(sigmoid(2.0))), 6)
    2.0
"""

from __future__ import annotations

import numpy as np

#: |x| above this saturates: exp(40) still fits a float32, and 1/(1+e^40) is ~4e-18.
_CLIP = 40.0


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    """The logistic function, elementwise; float32 in gives float32 out, else float64."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return 1.0 / (1.0 + np.exp(-np.clip(x, -_CLIP, _CLIP)))


def logit(p: np.ndarray | float, eps: float = 1e-4) -> np.ndarray:
    """The inverse of :func:`sigmoid`, with ``p`` clipped to ``[eps, 1 - eps]``."""
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1.0 - eps)
    return np.log(p / (1.0 - p))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` (the last by default); float32 in gives float32 out, else float64."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


__all__ = ["logit", "sigmoid", "softmax"]
