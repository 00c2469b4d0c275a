"""Hybrid retrieval of known (debunked) claims: BM25 + dense cosine, fused.

First ``fused = w_dense * cosine + w_bm25 * bm25 / bm25_max(query)``, where
``bm25_max`` is the score a document matching every query term at
saturation would get, so both parts lie in about [0, 1] and one threshold
means the same for every query. Then, when the shipped reranker
(:mod:`.rerank`) matches the embedder, the top candidates are reordered by
its match probability, which becomes the score. Then, when the shipped
cross-encoder (:mod:`.crossencoder`, ``propwatch/models/claim_crossencoder/``)
was tuned on this embedder, it reads the query with each of the first
``cross_candidates`` (10) and its probability, mixed with the tree's, reorders
them and becomes the score (threshold 0.41). Weights and thresholds were
tuned on the CLEF-2020 CheckThat! Task 2 training queries
(``eval/debunks.py --tune``); see :data:`DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from ..embeddings import Embedder, get_embedder
from .bm25 import BM25
from .crossencoder import CrossEncoder
from .importers import Debunk
from .rerank import Reranker, candidate_features

DEFAULTS = {
    "w_dense": 0.3,
    "w_bm25": 0.7,
    "threshold": 0.22,  # on the fused score; the reranker has its own (a probability)
    "candidates": 30,
    "embedder": "auto",  # the claim matcher, else the shipped MiniLM, else the hashing fake
}


@dataclass(frozen=True)
class Match:
    """One retrieved debunk for a query, with its scores."""

    debunk: Debunk
    score: float  # the reranker's match probability, or the fused score without a reranker
    bm25: float
    dense: float
    rank: int
    fused: float = 0.0

    def to_dict(self) -> dict:
        d = self.debunk
        return {
            "debunk_id": d.id, "rank": self.rank, "score": round(self.score, 4),
            "fused": round(self.fused, 4), "bm25": round(self.bm25, 4), "dense": round(self.dense, 4),
            "claim": d.claim, "verdict": d.verdict, "explanation": d.explanation, "url": d.url,
            "date": d.date, "claimant": d.claimant, "reviewer": d.reviewer,
            "database": d.database, "attribution": d.attribution,
        }


def document_text(d: Debunk) -> str:
    """What is indexed for one debunk: its claim and title."""
    return d.claim if not d.title or d.title in d.claim else f"{d.title}. {d.claim}"


class DebunkIndex:
    """An in-memory hybrid index over a list of debunks."""

    def __init__(
        self,
        debunks: Sequence[Debunk],
        embedder: Embedder | None = None,
        vectors: np.ndarray | None = None,
        w_dense: float = DEFAULTS["w_dense"],
        w_bm25: float = DEFAULTS["w_bm25"],
        threshold: float = DEFAULTS["threshold"],
        candidates: int = DEFAULTS["candidates"],
        reranker: "Reranker | str | None" = "auto",
        cross_encoder: "CrossEncoder | str | None" = "auto",
        cross_candidates: int | None = None,
        cross_min_fused: float = 0.0,
    ):
        self.debunks = list(debunks)
        self.texts = [document_text(d) for d in self.debunks]
        self.bm25 = BM25(self.texts)
        self.embedder = embedder if embedder is not None else get_embedder(DEFAULTS["embedder"])
        self.w_dense, self.w_bm25, self.threshold, self.candidates = w_dense, w_bm25, threshold, candidates
        if vectors is None and self.w_dense > 0 and self.debunks:
            vectors = self.embedder.embed(self.texts)
        self.vectors = vectors
        if reranker == "auto":
            reranker = Reranker.load()
        # the reranker's features assume the embedder and fusion it was trained with
        if isinstance(reranker, Reranker) and reranker.embedder == self.embedder.name and self.w_dense > 0:
            self.reranker: Reranker | None = reranker
            self.threshold = reranker.threshold if threshold == DEFAULTS["threshold"] else threshold
        else:
            self.reranker = None
        if cross_encoder == "auto":
            cross_encoder = CrossEncoder.load()
        self.cross_encoder: CrossEncoder | None = None
        # its candidates, mix and threshold were tuned on one retriever: used only with that embedder
        # (and, when the mix reads the tree's probability, with the tree)
        if isinstance(cross_encoder, CrossEncoder) and cross_encoder.embedder in ("", self.embedder.name) and (
                self.reranker is not None or not cross_encoder.mix.w_tree):
            self.cross_encoder = cross_encoder
            self.threshold = cross_encoder.threshold if threshold == DEFAULTS["threshold"] else threshold
        self.cross_min_fused = cross_min_fused
        self.cross_candidates = int(cross_candidates) if cross_candidates and cross_candidates > 0 else (
            self.cross_encoder.candidates if self.cross_encoder is not None else 0)

    @classmethod
    def from_db(cls, db, embedder: Embedder | None = None, **options) -> "DebunkIndex":
        """Build from a :class:`~propwatch.debunks.db.DebunkDB`, caching vectors in it."""
        debunks = db.all()
        embedder = embedder if embedder is not None else get_embedder(DEFAULTS["embedder"])
        vectors = None
        if options.get("w_dense", DEFAULTS["w_dense"]) > 0 and debunks:
            cached = db.vectors(embedder.name, [d.id for d in debunks])
            missing = [d for d in debunks if d.id not in cached]
            if missing:
                fresh = embedder.embed([document_text(d) for d in missing])
                new = {d.id: v for d, v in zip(missing, fresh)}
                db.save_vectors(embedder.name, new)
                cached.update(new)
            vectors = np.stack([cached[d.id] for d in debunks]).astype(np.float32)
        return cls(debunks, embedder=embedder, vectors=vectors, **options)

    def __len__(self) -> int:
        return len(self.debunks)

    def score_all(self, queries: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(fused, bm25_normalised, dense) matrices of shape (queries, debunks)."""
        n = len(self.debunks)
        bm = np.zeros((len(queries), n), dtype=np.float32)
        for i, q in enumerate(queries):
            bm[i] = self.bm25.scores(q) / self.bm25.max_score(q)
        dense = np.zeros_like(bm)
        if self.vectors is not None and self.w_dense > 0 and n:
            dense = self.embedder.embed(list(queries)) @ self.vectors.T
        return self.w_dense * dense + self.w_bm25 * bm, bm, dense

    def search(self, query: str, k: int = 10, min_score: float | None = None) -> list[Match]:
        return self.search_many([query], k=k, min_score=min_score)[0]

    def search_many(
        self, queries: Sequence[str], k: int = 10, min_score: float | None = None, batch: int = 64,
        exclude: Sequence[Collection[str]] | None = None,
    ) -> list[list[Match]]:
        """Top ``k`` per query; ``exclude`` gives debunk ids to leave out per query (evaluation)."""
        out: list[list[Match]] = []
        position = {d.id: j for j, d in enumerate(self.debunks)} if exclude is not None else {}
        for lo in range(0, len(queries), batch):
            chunk = queries[lo:lo + batch]
            fused, bm, dense = self.score_all(chunk)
            for row in range(fused.shape[0]):
                if exclude is not None:
                    gone = [position[i] for i in exclude[lo + row] if i in position]
                    fused[row, gone] = -np.inf
                if self.reranker is not None:
                    cands = np.argsort(-fused[row], kind="stable")[: max(self.reranker.candidates, k)]
                    X = candidate_features(chunk[row], [self.texts[j] for j in cands], fused[row, cands], bm[row, cands], dense[row, cands])
                    prob = self.reranker.probabilities(X)
                    order = np.argsort(-prob, kind="stable")
                    top, scores = cands[order], prob[order]
                else:
                    top = np.argsort(-fused[row], kind="stable")[: max(k, self.cross_candidates)]
                    scores = fused[row, top]
                if self.cross_encoder is not None:
                    top, scores = self._cross_rerank(chunk[row], top, scores, fused[row])
                top, scores = top[:k], scores[:k]
                matches = [
                    Match(self.debunks[j], float(sc), float(bm[row, j]), float(dense[row, j]), rank + 1, float(fused[row, j]))
                    for rank, (j, sc) in enumerate(zip(top, scores)) if np.isfinite(fused[row, j])
                ]
                if min_score is not None:
                    matches = [m for m in matches if m.score >= min_score]
                out.append(matches)
        return out

    def _cross_rerank(self, query: str, top: np.ndarray, scores: np.ndarray, fused: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first ``cross_candidates`` (with ``fused >= cross_min_fused``) reordered by the
        cross-encoder's match probability; the rest follow in their order, their scores capped at
        the lowest of those (scores stay monotone)."""
        finite = np.isfinite(fused[top])  # excluded debunks (evaluation) are not scored
        top, scores = top[finite], scores[finite]
        # candidates under the fused floor are not scored (a caller that drops them anyway saves the cost)
        eligible = np.flatnonzero(fused[top] >= self.cross_min_fused)[: self.cross_candidates]
        if len(eligible) == 0:
            return top, scores
        rest = np.setdiff1d(np.arange(len(top)), eligible)  # sorted: keeps their order
        head = top[eligible]
        tree = scores[eligible] if self.reranker is not None else None
        prob = self.cross_encoder.probabilities(query, [self.texts[j] for j in head], tree)
        order = np.argsort(-prob, kind="stable")
        tail = np.minimum(scores[rest], prob.min())
        return np.concatenate([head[order], top[rest]]), np.concatenate([prob[order], tail])

    def is_match(self, match: Match) -> bool:
        return match.score >= self.threshold


__all__ = ["DEFAULTS", "DebunkIndex", "Match", "document_text"]
