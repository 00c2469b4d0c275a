"""Claim-to-claim similarity: dense cosine fused with BM25 and entity overlap.

The same scorer serves two uses: ranking known claims for a query claim
(measured on CLEF-2020 Task 2 by ``eval/linking.py``) and deciding whether
two claims in the corpus assert the same thing (narrative linking).

Fusion is a weighted sum of scores that each lie in [0, 1]::

    score = w_dense * cosine + w_lex * bm25 / max_bm25(query) + w_ent * jaccard(entities)

The weights were tuned on the CLEF train split (``eval/linking.py --tune``)
and are the defaults of :class:`FusionWeights`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import lexicon
from ..debunks.bm25 import BM25 as _BM25

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

# data/words/: the stop words, and negations (two claims that differ by a "not" are still
# one proposition asserted and denied: the linker's verifier and stance tell them apart)
STOPWORDS = lexicon.words("stopwords") | lexicon.words("negations")


def tokens(text: str) -> list[str]:
    """Lowercased word tokens without stop words, with a light plural strip."""
    out = []
    for w in _WORD.findall(text.casefold()):
        w = w.replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        if w in STOPWORDS or len(w) < 2 and not w.isdigit():
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


class BM25(_BM25):
    """Okapi BM25 (the debunk index's) with this module's claim tokenizer."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75):
        super().__init__(docs, k1=k1, b=b, tokenize=tokens)


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the fused score (see the module docstring)."""

    dense: float = 1.0
    lexical: float = 0.3
    entities: float = 0.15


def normalized_bm25(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores


def fused(dense: np.ndarray, bm25: np.ndarray, weights: FusionWeights, ent: np.ndarray | None = None) -> np.ndarray:
    out = weights.dense * dense + weights.lexical * normalized_bm25(bm25)
    if ent is not None:
        out = out + weights.entities * ent
    return out


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def token_overlap(a: str, b: str) -> float:
    """Overlap coefficient of content words: |A & B| / min(|A|, |B|)."""
    ta, tb = set(tokens(a)), set(tokens(b))
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / min(len(ta), len(tb))


def idf_overlap(a: str, b: str, idf: dict[str, float] | None = None, default_idf: float = 3.0) -> float:
    """IDF-weighted overlap coefficient (rare shared words count more)."""
    ta, tb = set(tokens(a)), set(tokens(b))
    if not ta or not tb:
        return 0.0
    w = (lambda t: idf.get(t, default_idf)) if idf else (lambda t: 1.0)
    inter = sum(w(t) for t in ta & tb)
    return inter / min(sum(w(t) for t in ta), sum(w(t) for t in tb))


def log_idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


__all__ = ["BM25", "FusionWeights", "fused", "idf_overlap", "jaccard", "tokens", "token_overlap"]
