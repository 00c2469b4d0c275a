"""Sentence embeddings: one protocol, one way to get a backend, every backend.

Every backend has one method, ``embed(texts) -> (n, d) float32`` with
L2-normalized rows, so a dot product is a cosine, plus ``dim`` and a
``name`` that identifies its vectors (stored vectors are keyed by it).
Backends register in :data:`propwatch.registry.backends`:

- ``embeddings_onnx`` (the default): all-MiniLM-L6-v2 exported to ONNX and
  int8-quantized, shipped in ``propwatch/models/minilm/``; onnxruntime +
  tokenizers, mean pooling, max 256 tokens; no torch, no download.
- ``embeddings_claims``: the same MiniLM fine-tuned as a claim matcher
  (``propwatch/models/claim_matcher/``); the debunk retrieval embedder.
- ``embeddings_st``: any sentence-transformers model named in config
  (needs the ``embeddings`` extra; may download that model).
- ``embeddings_fake``: deterministic hashing trick over word unigrams and
  bigrams; for tests and demos, no model at all.
- ``embeddings_hash``: deterministic hashing of character 3-5-grams; the
  lexical stand-in of debunk retrieval when no model is installed.

:func:`get_embedder` gives a process-wide cached instance by registry name,
or by one of the short names the debunk settings and CLI use (``auto``,
``claims``, ``backend``, ``hash``; see :data:`SHORT_NAMES`)::

    emb = get_embedder()                     # the shipped MiniLM
    vecs = emb.embed(["Turkey buys oil.", "Oil is bought by Turkey."])
    float(vecs[0] @ vecs[1])
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import zlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .errors import MissingExtraError
from .registry import backends

DEFAULT_BACKEND = "embeddings_onnx"
MAX_LENGTH = 256

#: Short names (debunk settings, ``propwatch debunks search --embedder``) -> registry
#: names tried in order; the first whose model is installed is used.
SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "auto": ("embeddings_claims", "embeddings_onnx", "embeddings_hash"),
    "claims": ("embeddings_claims",),
    "backend": ("embeddings_onnx",),
    "hash": ("embeddings_hash",),
}


@runtime_checkable
class Embedder(Protocol):
    """A sentence embedder: ``embed(texts)`` gives L2-normalized float32 rows.

    ``name`` identifies the vectors it makes (a model and its file), so
    that vectors stored under one name are never read for another model.
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


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

    @property
    def name(self) -> str:
        return f"{type(self).__name__}-{self.file}"

    def installed(self) -> bool:
        """Whether the model file is there (the shipped one is, unless stripped)."""
        return (self.model_dir / self.file).exists()

    def _load(self) -> None:
        from .backends.onnx import load_tokenizer, onnx_session

        tok = load_tokenizer(self.model_dir / "tokenizer.json")
        tok.enable_truncation(max_length=self.max_length)
        sess = onnx_session(self.model_dir / self.file, self.threads)
        self._input_names = {i.name for i in sess.get_inputs()}
        self._tokenizer, self._session = tok, sess

    def embed(self, texts: Sequence[str]) -> np.ndarray:
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

    @property
    def name(self) -> str:
        return f"{type(self).__name__}-{self.model_name}"

    def _load(self) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingExtraError(
                "sentence-transformers", "embeddings", "the sentence-transformers embeddings backend"
            ) from None
        self._model = SentenceTransformer(self.model_name, device=self.device)
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def embed(self, texts: Sequence[str]) -> np.ndarray:
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
        self.name = f"{type(self).__name__}-{self.dim}"

    @staticmethod
    @functools.lru_cache(maxsize=65536)
    def _slot(feature: str, dim: int) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
        return h % dim, (1.0 if (h >> 63) & 1 else -1.0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w.casefold() for w in _TOKEN.findall(text)]
            feats = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
            for f in feats:
                slot, sign = self._slot(f, self.dim)
                out[row, slot] += sign
        return l2_normalize(out)


@backends.register("embeddings_hash", version=1)
class CharHashingEmbeddings:
    """Deterministic fake: signed hashing of character 3-, 4- and 5-grams (1,024 dimensions).

    A lexical stand-in that keeps hybrid debunk retrieval working without a
    model (spelling variants and inflections still meet); not semantic. The
    text is normalised as the debunk index normalises it (URLs, handles).
    """

    def __init__(self, dim: int = 1024):
        self.dim = int(dim)
        self.name = f"hash-crc-char345-{self.dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from .debunks.text import normalize

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            t = " " + re.sub(r"\s+", " ", normalize(text).casefold()) + " "
            for n in (3, 4, 5):
                for k in range(len(t) - n + 1):
                    h = zlib.crc32(t[k:k + n].encode())
                    out[i, h % self.dim] += 1.0 if h & 0x80000000 else -1.0
        return l2_normalize(out)


FAKES = (HashingEmbeddings, CharHashingEmbeddings)


def is_fake(embedder: Any) -> bool:
    """True for the hashing fakes (no model: lexical, not semantic)."""
    return isinstance(embedder, FAKES)


_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()


def _cached(name: str, options: dict[str, Any]) -> Embedder:
    key = (name, tuple(sorted((k, repr(v)) for k, v in options.items())))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = backends.get(name)(**options)
        return _CACHE[key]


def installed(name: str | None = None, **options: Any) -> bool:
    """Whether :func:`get_embedder` with these arguments finds an installed model."""
    name = name or DEFAULT_BACKEND
    return any(getattr(_cached(c, options), "installed", lambda: True)() for c in SHORT_NAMES.get(name, (name,)))


def get_embedder(name: str | None = None, **options: Any) -> Embedder:
    """The embedder registered as ``name`` (default :data:`DEFAULT_BACKEND`), cached per process.

    ``name`` may also be a short name of :data:`SHORT_NAMES`: ``auto`` takes
    the claim matcher, else the shipped MiniLM, else the character-hashing
    fake. A named model whose file is missing raises
    :class:`~propwatch.errors.MissingExtraError`. ``options`` go to the
    backend's constructor (e.g. ``model=...`` for ``embeddings_st``,
    ``dim=...`` for the fakes).
    """
    name = name or DEFAULT_BACKEND
    candidates = SHORT_NAMES.get(name, (name,))
    for cand in candidates:
        emb = _cached(cand, options)
        installed = getattr(emb, "installed", None)
        if installed is None or installed():
            return emb
    model_dir = getattr(emb, "model_dir", "")
    raise MissingExtraError("propwatch models", "models", f"the embeddings model {model_dir}")


__all__ = [
    "DEFAULT_BACKEND",
    "SHORT_NAMES",
    "CharHashingEmbeddings",
    "ClaimMatcherEmbeddings",
    "Embedder",
    "HashingEmbeddings",
    "OnnxEmbeddings",
    "SentenceTransformerEmbeddings",
    "get_embedder",
    "installed",
    "is_fake",
    "l2_normalize",
]
