"""Check-worthiness scorer: MiniLM sentence embedding + TF-IDF n-grams -> logistic regression.

The shipped model (``propwatch/models/checkworthiness/``) is two files:
``vocab.json`` (the n-gram vocabulary with its idf) and ``weights.npz``
(one weight vector over [embedding, tf-idf], a bias, the embedding scale and
the decision threshold). Scoring is numpy only; the embedding comes from an
embeddings backend (:mod:`propwatch.embeddings`). ``train/claims.py``
fits it with scikit-learn and writes both files; :func:`featurize` here is the
one transform that training and scoring share, so they cannot drift.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..mathutil import sigmoid
from ..registry import backends
from ..settings import BackendName, BackendSettings, Field

_TOKEN = re.compile(r"(?u)\b\w\w+\b|%|\$|€|£")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def ngram_tokens(text: str) -> list[str]:
    """Lowercased word unigrams and bigrams; every number becomes ``0``."""
    words = _TOKEN.findall(_DIGITS.sub(" 00 ", text.casefold()))
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def tfidf_rows(texts: list[str], vocab: dict[str, int], idf: np.ndarray):
    """Sublinear-tf, idf-weighted, L2-normalized rows as (indptr, indices, data)."""
    indptr, indices, data = [0], [], []
    for text in texts:
        counts: dict[int, int] = {}
        for tok in ngram_tokens(text):
            j = vocab.get(tok)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[cols]
        norm = np.linalg.norm(vals)
        if norm > 0:
            vals = vals / norm
        order = np.argsort(cols)
        indices.extend(cols[order].tolist())
        data.extend(vals[order].tolist())
        indptr.append(len(indices))
    return np.asarray(indptr), np.asarray(indices, dtype=np.int64), np.asarray(data)


def model_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/checkworthiness")))


@dataclass(frozen=True)
class LinearModel:
    vocab: dict[str, int]
    idf: np.ndarray
    w_emb: np.ndarray
    w_tfidf: np.ndarray
    bias: float
    emb_scale: float
    threshold: float
    embedder: str

    @classmethod
    def load(cls, path: Path | None = None) -> "LinearModel":
        path = Path(path) if path else model_dir()
        meta = json.loads((path / "vocab.json").read_text("utf-8"))
        arr = np.load(path / "weights.npz")
        return cls(
            vocab={t: i for i, t in enumerate(meta["terms"])},
            idf=arr["idf"],
            w_emb=arr["w_emb"],
            w_tfidf=arr["w_tfidf"],
            bias=float(arr["bias"]),
            emb_scale=float(arr["emb_scale"]),
            threshold=float(arr["threshold"]),
            embedder=meta.get("embedder", "embeddings_onnx"),
        )

    def decision(self, texts: list[str], emb: np.ndarray) -> np.ndarray:
        indptr, indices, data = tfidf_rows(texts, self.vocab, self.idf)
        lex = np.add.reduceat(np.append(data * self.w_tfidf[indices], 0.0), indptr[:-1]) if len(texts) else np.zeros(0)
        lex[np.diff(indptr) == 0] = 0.0
        return emb.astype(np.float64) @ self.w_emb * self.emb_scale + lex + self.bias


class LinearCheckworthinessSettings(BackendSettings):
    model_path: str | None = Field(None, description="Model directory (vocab.json, weights.npz; None: the shipped one).")
    embedder: BackendName("embeddings") | None = Field(
        None, description="Embeddings backend (None: the one the model was trained with)."
    )


@backends.register("checkworthiness_linear", version=1)
class LinearCheckworthiness:
    """The shipped scorer: ``score(texts) -> probabilities in [0, 1]``."""

    settings_model = LinearCheckworthinessSettings

    def __init__(self, model_path: str | None = None, embedder: str | None = None):
        self.model_path = model_path
        self.embedder_name = embedder
        self._model: LinearModel | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> LinearModel:
        with self._lock:
            if self._model is None:
                self._model = LinearModel.load(Path(self.model_path) if self.model_path else None)
        return self._model

    @property
    def threshold(self) -> float:
        return self.model.threshold

    def score(self, texts: list[str]) -> np.ndarray:
        from ..embeddings import get_embedder

        if not texts:
            return np.zeros(0)
        m = self.model
        emb = get_embedder(self.embedder_name or m.embedder).embed(list(texts))
        return sigmoid(m.decision(list(texts), emb))


class OnnxCheckworthinessSettings(BackendSettings):
    model_path: str | None = Field(None, description="Model directory with finetuned.json (None: the shipped one).")
    file: str = Field("model.int8.onnx", description="ONNX file in it.")
    threads: int = Field(0, ge=0, description="onnxruntime intra-op threads (0: the default).")
    embedder: BackendName("embeddings") | None = Field(
        None, description="Embeddings backend of the linear model it is averaged with (None: as trained)."
    )


@backends.register("checkworthiness_onnx", version=1)
class OnnxCheckworthiness:
    """A fine-tuned sentence classifier (MiniLM-L6 + one logit, int8 ONNX), alone or averaged
    with the linear model, as ``finetuned.json`` in the model directory says (``mode``:
    ``finetuned`` | ``ensemble``; ``threshold``). onnxruntime + tokenizers, no torch.

    One sentence per run, as in the embeddings backend: dynamic int8 activation scales
    would otherwise make a score depend on the other sentences of the batch.
    """

    settings_model = OnnxCheckworthinessSettings

    def __init__(self, model_path: str | None = None, file: str = "model.int8.onnx", threads: int = 0, embedder: str | None = None):
        self.path = Path(model_path) if model_path else model_dir()
        meta_path = self.path / "finetuned.json"
        if not meta_path.is_file():
            from ..errors import ConfigError

            raise ConfigError(f"stages.claims.model: {self.path} has no finetuned.json (train it: python train/claims.py)")
        self.meta = json.loads(meta_path.read_text("utf-8"))
        self.threshold = float(self.meta["threshold"])
        self.mode = self.meta.get("mode", "finetuned")
        self.file = file
        self.threads = int(threads)
        self.linear = LinearCheckworthiness(str(self.path), embedder) if self.mode == "ensemble" else None
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        from ..backends.onnx import load_tokenizer, onnx_session

        tok = load_tokenizer(self.path / "tokenizer.json")
        tok.enable_truncation(max_length=int(self.meta.get("max_length", 96)))
        self._session = onnx_session(self.path / self.file, self.threads)
        self._tokenizer = tok

    def score(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        with self._lock:
            if self._session is None:
                self._load()
        out = np.zeros(len(texts))
        for i, enc in enumerate(self._tokenizer.encode_batch([str(t) for t in texts])):
            ids = np.asarray([enc.ids], np.int64)
            logit = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
            out[i] = float(sigmoid(np.float64(logit.reshape(-1)[0])))
        if self.linear is not None:
            out = (out + self.linear.score(list(texts))) / 2
        return out


_NUMBER = re.compile(r"\d")
_FACT_CUES = re.compile(
    r"\b(percent|per cent|million|billion|thousand|dollars?|barrels?|tons?|killed|died|bought|sold|"
    r"increased|decreased|rose|fell|doubled|tripled|voted|signed|banned|paid|spent|cost|supplied|"
    r"crossed|smuggled|funded|financed|armed|trained|attacked|bombed|seized|arrested|accused|"
    r"confirmed|revealed|documents?|evidence|report(?:ed|s)?|data|statistics|per barrel|since|"
    r"according to|more than|less than|largest|highest|lowest|first|only)\b",
    re.IGNORECASE,
)
_OPINION = re.compile(
    r"\b(i think|i believe|i hope|we hope|thank you|thanks|welcome|good evening|let me|we will|we'll|"
    r"should|must|would like|wonderful|great|terrible|please|congratulations)\b|\?$",
    re.IGNORECASE,
)


class RuleCheckworthinessSettings(BackendSettings):
    """No settings: a few rules (numbers, fact cues, opinion openers)."""


@backends.register("checkworthiness_fake", version=1)
class RuleCheckworthiness:
    """Deterministic fake for tests: numbers and factual cue words raise the score."""

    settings_model = RuleCheckworthinessSettings

    threshold = 0.5

    def score(self, texts: list[str]) -> np.ndarray:
        out = []
        for t in texts:
            s = 0.2 + 0.3 * bool(_NUMBER.search(t)) + 0.15 * min(len(_FACT_CUES.findall(t)), 3)
            s -= 0.35 * bool(_OPINION.search(t.strip()))
            s -= 0.2 * (len(t.split()) < 5)
            out.append(min(max(s, 0.0), 1.0))
        return np.asarray(out)


__all__ = ["LinearCheckworthiness", "LinearModel", "OnnxCheckworthiness", "RuleCheckworthiness", "ngram_tokens", "tfidf_rows"]
