"""Sentence embeddings: one protocol, three backends.

Every backend has one method, ``embed(texts) -> (n, d) float32`` with
L2-normalized rows, so a dot product is a cosine. Backends register in
:data:`propwatch.registry.backends`:

- ``embeddings_onnx`` (default): all-MiniLM-L6-v2 exported to ONNX and
  int8-quantized, shipped in ``propwatch/models/minilm/``; onnxruntime +
  tokenizers, mean pooling, max 256 tokens; no torch, no download.
- ``embeddings_st``: any sentence-transformers model named in config
  (needs the ``embeddings`` extra; may download that model).
- ``embeddings_fake``: deterministic hashing trick over word unigrams and
  bigrams; for tests and demos, no model at all.

Use :func:`get_embedder` to get a process-wide cached instance::

    emb = get_embedder()                     # the shipped MiniLM
    vecs = emb.embed(["Turkey buys oil.", "Oil is bought by Turkey."])
    float(vecs[0] @ vecs[1])
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import MissingExtraError
from ..registry import backends

DEFAULT_BACKEND = "embeddings_onnx"
MAX_LENGTH = 256


@runtime_checkable
class Embedder(Protocol):
    """A sentence embedder: ``embed(texts)`` gives L2-normalized float32 rows."""

    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32, copy=False)


def shipped_model_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/minilm")))


@backends.register("embeddings_onnx", version=1)
class OnnxEmbeddings:
    """MiniLM-L6 on onnxruntime; the model loads on first use, once per instance.

    ``file`` picks the ONNX file in ``model_dir`` (``model.int8.onnx`` is
    shipped; ``model.fp32.onnx`` exists only after a local export).

    ``batch_size`` is 1 by default on purpose: dynamic int8 quantization
    picks one activation scale per input tensor, so in a padded batch a
    sentence's vector would depend on its neighbours (cosine down to 0.97).
    One sentence per call makes every vector a function of its text alone
    (deterministic, incremental) and, without padding, is no slower on CPU.
    """

    dim = 384

    def __init__(
        self,
        model_dir: str | None = None,
        file: str = "model.int8.onnx",
        batch_size: int = 1,
        max_length: int = MAX_LENGTH,
        threads: int = 0,
    ):
        self.model_dir = Path(model_dir) if model_dir else shipped_model_dir()
        self.file = file
        self.batch_size = int(batch_size)
        self.max_length = int(max_length)
        self.threads = int(threads)
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        from .onnx import load_tokenizer, onnx_session

        tok = load_tokenizer(self.model_dir / "tokenizer.json")
        tok.enable_truncation(max_length=self.max_length)
        sess = onnx_session(self.model_dir / self.file, self.threads)
        self._input_names = {i.name for i in sess.get_inputs()}
        self._tokenizer, self._session = tok, sess

    def embed(self, texts: list[str]) -> np.ndarray:
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._session is None:
                self._load()
        encs = self._tokenizer.encode_batch(texts)
        # Sort by length so each batch pads little; put rows back in order.
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = pooled
        return l2_normalize(out)


def claim_matcher_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/claim_matcher")))


@backends.register("embeddings_claims", version=1)
class ClaimMatcherEmbeddings(OnnxEmbeddings):
    """MiniLM-L6 fine-tuned to put a claim and its restatements close together
    (``propwatch/models/claim_matcher/``, ``train/claim_matcher.py``); the embedder
    of debunk retrieval and narrative linking. Same interface and runtime as
    ``embeddings_onnx``."""

    def __init__(self, model_dir: str | None = None, **options: Any):
        super().__init__(model_dir=model_dir or str(claim_matcher_dir()), **options)


@backends.register("embeddings_st", version=1)
class SentenceTransformerEmbeddings:
    """Any sentence-transformers model (``model`` in config); torch at run time."""

    def __init__(self, model: str = "sentence-transformers/all-MiniLM-L6-v2", batch_size: int = 32, device: str | None = None):
        self.model_name = model
        self.batch_size = int(batch_size)
        self.device = device
        self._model = None
        self.dim = 0

    def _load(self) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingExtraError(
                "sentence-transformers", "embeddings", "the sentence-transformers embeddings backend"
            ) from None
        self._model = SentenceTransformer(self.model_name, device=self.device)
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, normalize_embeddings=True
        )
        return l2_normalize(vecs)


_TOKEN = re.compile(r"\w+", re.UNICODE)


@backends.register("embeddings_fake", version=1)
class HashingEmbeddings:
    """Deterministic fake: signed hashing of lowercased words and word bigrams.

    Texts that share words get a high cosine, texts that share none get
    about zero; the same text always gives the same vector (across
    processes: the hash is blake2b, not Python's salted ``hash``).
    """

    def __init__(self, dim: int = 256):
        self.dim = int(dim)

    @staticmethod
    @functools.lru_cache(maxsize=65536)
    def _slot(feature: str, dim: int) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
        return h % dim, (1.0 if (h >> 63) & 1 else -1.0)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w.casefold() for w in _TOKEN.findall(text)]
            feats = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
            for f in feats:
                slot, sign = self._slot(f, self.dim)
                out[row, slot] += sign
        return l2_normalize(out)


_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(name: str | None = None, **options: Any) -> Embedder:
    """The embedder registered as ``name`` (default MiniLM ONNX), cached per process.

    ``options`` go to the backend's constructor (e.g. ``model=...`` for
    ``embeddings_st``, ``dim=...`` for ``embeddings_fake``).
    """
    name = name or DEFAULT_BACKEND
    key = (name, tuple(sorted((k, repr(v)) for k, v in options.items())))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = backends.get(name)(**options)
        return _CACHE[key]


__all__ = [
    "DEFAULT_BACKEND",
    "Embedder",
    "HashingEmbeddings",
    "ClaimMatcherEmbeddings",
    "OnnxEmbeddings",
    "SentenceTransformerEmbeddings",
    "get_embedder",
    "l2_normalize",
]
