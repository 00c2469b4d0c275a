"""A cross-encoder that reads a query and a candidate debunk together and scores the pair.

MiniLM-L6 fine-tuned on CLEF-2020 CheckThat! Task 2 train
(``train/cross_encoder.py``), exported to ONNX, shipped in
``propwatch/models/claim_crossencoder/``. The input is ``[CLS] query [SEP]
title. claim [SEP]`` (the query normalised as the index normalises it, at most
``max_length`` word pieces), the output one logit per pair.

:class:`DebunkIndex <propwatch.debunks.search.DebunkIndex>` scores the top
``candidates`` of the tree reranker with it and turns the logit (and, when the
model says so, the tree's probability) into a match probability::

    p = sigmoid(w_cross * logit + w_tree * logit(tree probability) + bias)

with the weights, ``candidates`` and the decision ``threshold`` chosen on
held-out train queries and stored in ``model.json``. A missing model directory
means no cross-encoder: retrieval stays as it was.

Compute is split as ``build_inputs -> backend -> parse_outputs`` so the
parsing and the mixing can be tested without a model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..mathutil import logit, sigmoid
from .text import normalize

MODEL_FILES = ("model.int8.onnx", "model.fp16.onnx", "model.onnx")


def default_model_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/claim_crossencoder")))


@dataclass(frozen=True)
class Mix:
    """How a cross-encoder logit (and the tree's probability) become a match probability."""

    w_cross: float = 1.0
    w_tree: float = 0.0
    bias: float = 0.0

    def probability(self, cross_logits: np.ndarray, tree_prob: np.ndarray | None) -> np.ndarray:
        z = self.w_cross * np.asarray(cross_logits, dtype=np.float64) + self.bias
        if self.w_tree and tree_prob is not None:
            z = z + self.w_tree * logit(tree_prob)
        return sigmoid(z)


def build_inputs(tokenizer, query: str, docs: Sequence[str], max_length: int) -> dict[str, np.ndarray]:
    """Token ids, mask and segment ids of the (query, doc) pairs, padded to the longest."""
    encs = tokenizer.encode_batch([(normalize(query), normalize(d)) for d in docs])
    width = max((len(e.ids) for e in encs), default=0)
    ids = np.zeros((len(encs), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for i, e in enumerate(encs):
        n = len(e.ids)
        ids[i, :n], mask[i, :n], types[i, :n] = e.ids, e.attention_mask, e.type_ids
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def parse_outputs(outputs: Sequence[np.ndarray]) -> np.ndarray:
    """The logits (one per pair) from the session's outputs."""
    return np.asarray(outputs[0], dtype=np.float64).reshape(-1)


@dataclass
class CrossEncoder:
    """An ONNX cross-encoder with its settings (``model.json``)."""

    model_dir: Path
    file: str
    candidates: int = 10
    threshold: float = 0.5
    mix: Mix = field(default_factory=Mix)
    embedder: str = ""  # when w_tree != 0: the tree reranker's embedder the weights assume
    max_length: int = 128
    threads: int = 0
    _session: Any = None
    _tokenizer: Any = None

    @classmethod
    def load(cls, model_dir: str | Path | None = None, threads: int = 0) -> "CrossEncoder | None":
        """The model in ``model_dir`` (default: the shipped one), or ``None`` when it is not there."""
        d = Path(model_dir) if model_dir else default_model_dir()
        meta_path = d / "model.json"
        if not meta_path.exists() or not (d / "tokenizer.json").exists():
            return None
        meta = json.loads(meta_path.read_text("utf-8"))
        file = meta.get("file") or next((f for f in MODEL_FILES if (d / f).exists()), "")
        if not file or not (d / file).exists():
            return None
        mix = meta.get("mix", {})
        return cls(
            model_dir=d, file=file, candidates=int(meta.get("candidates", 10)), threshold=float(meta.get("threshold", 0.5)),
            mix=Mix(float(mix.get("w_cross", 1.0)), float(mix.get("w_tree", 0.0)), float(mix.get("bias", 0.0))),
            embedder=str(meta.get("embedder", "")), max_length=int(meta.get("max_length", 128)), threads=threads,
        )

    @property
    def name(self) -> str:
        return f"{self.model_dir.name}/{self.file}"

    def _load(self) -> None:
        if self._session is None:
            from ..backends.onnx import load_tokenizer, onnx_session

            tok = load_tokenizer(self.model_dir / "tokenizer.json")
            tok.enable_truncation(self.max_length)
            self._tokenizer = tok
            self._session = onnx_session(self.model_dir / self.file, threads=self.threads)

    def logits(self, query: str, docs: Sequence[str]) -> np.ndarray:
        """One logit per (query, doc) pair."""
        if not docs:
            return np.zeros(0, dtype=np.float64)
        self._load()
        feeds = build_inputs(self._tokenizer, query, docs, self.max_length)
        names = {i.name for i in self._session.get_inputs()}
        return parse_outputs(self._session.run(None, {k: v for k, v in feeds.items() if k in names}))

    def probabilities(self, query: str, docs: Sequence[str], tree_prob: np.ndarray | None) -> np.ndarray:
        return self.mix.probability(self.logits(query, docs), tree_prob)


__all__ = ["CrossEncoder", "Mix", "build_inputs", "default_model_dir", "parse_outputs"]
