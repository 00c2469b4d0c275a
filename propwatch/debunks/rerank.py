"""A learned reranker over the fused top candidates (gradient-boosted trees, numpy at run time).

For each (query, candidate) among the top ``candidates`` of the fused
score it computes rank and score-gap features of both retrievers plus
word, number and name overlaps, and scores them with a tree ensemble
trained on CLEF-2020 CheckThat! Task 2 train (``train/debunk_rerank.py``).
The output is a match probability, so the decision threshold is a
probability. The reranker is used only with the embedder it was trained
with (``embedder`` in ``model.json``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..trees import TreeEnsemble
from .text import tokens, words

_NUM = re.compile(r"\d+(?:[.,]\d+)?")
_NAME = re.compile(r"\b[A-Z][a-zA-Z]+")

FEATURES = (
    "fused", "bm25", "dense", "rank_fused", "rank_bm25", "rank_dense", "gap_fused", "gap_bm25", "gap_dense",
    "query_tokens", "doc_tokens", "doc_in_query", "query_in_doc", "numbers_shared", "numbers_doc_only",
    "names_shared", "trigram_jaccard",
)


def _ranks(x: np.ndarray) -> np.ndarray:
    r = np.empty(len(x))
    r[np.argsort(-x, kind="stable")] = np.arange(len(x))
    return r


def candidate_features(query: str, docs: list[str], fused: np.ndarray, bm25: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate document."""
    qt = set(tokens(query))
    qn = set(_NUM.findall(query))
    qnames = {w.casefold() for w in _NAME.findall(query)}
    qs = " ".join(words(query))
    qg = {qs[i:i + 3] for i in range(len(qs) - 2)}
    rows = []
    rf, rb, rd = _ranks(fused), _ranks(bm25), _ranks(dense)
    for i, doc in enumerate(docs):
        dt = set(tokens(doc))
        dn = set(_NUM.findall(doc))
        dnames = {w.casefold() for w in _NAME.findall(doc)}
        ds = " ".join(words(doc))
        dg = {ds[k:k + 3] for k in range(len(ds) - 2)}
        rows.append([
            fused[i], bm25[i], dense[i], rf[i], rb[i], rd[i],
            fused.max() - fused[i], bm25.max() - bm25[i], dense.max() - dense[i],
            len(qt), len(dt), len(dt & qt) / max(len(dt), 1), len(dt & qt) / max(len(qt), 1),
            len(qn & dn), len(dn - qn), len(qnames & dnames), len(qg & dg) / max(len(qg | dg), 1),
        ])
    return np.asarray(rows, dtype=np.float64)


def default_model_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/debunk_rerank")))


@dataclass
class Reranker:
    trees: TreeEnsemble
    embedder: str
    candidates: int
    threshold: float

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> "Reranker | None":
        d = Path(model_dir) if model_dir else default_model_dir()
        if not (d / "model.json").exists():
            return None
        meta = json.loads((d / "model.json").read_text("utf-8"))
        return cls(TreeEnsemble.load(d / "trees.npz"), meta["embedder"], int(meta["candidates"]), float(meta["threshold"]))

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        return self.trees.binary_proba(X)
