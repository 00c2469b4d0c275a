"""Dense vectors for debunk retrieval: the shared embeddings backend, or a fake.

``get_embedder("auto")`` uses the project's embeddings backend
(:mod:`propwatch.backends.embeddings`, the shipped ONNX MiniLM-L6) when its
model file is installed, else the deterministic hashing embedder below.
Vectors are cached in the store under the embedder's ``name``.
The hashing embedder here (character 3-5-grams hashed into 1,024 dimensions)
is a lexical stand-in: it serves tests and keeps hybrid retrieval working
without the model, but it is not semantic.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .text import normalize


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""


class HashingEmbedder:
    """Character n-gram hashing vectors (deterministic, no model)."""

    def __init__(self, dims: int = 1024):
        self.dims = dims
        self.name = f"hash-crc-char345-{dims}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, text in enumerate(texts):
            t = " " + re.sub(r"\s+", " ", normalize(text).casefold()) + " "
            for n in (3, 4, 5):
                for k in range(len(t) - n + 1):
                    h = zlib.crc32(t[k:k + n].encode())
                    out[i, h % self.dims] += 1.0 if h & 0x80000000 else -1.0
            norm = np.linalg.norm(out[i])
            if norm > 0:
                out[i] /= norm
        return out


class BackendEmbedder:
    """Adapter over the shared embeddings backend (whatever its method is called)."""

    def __init__(self, backend: object, name: str):
        self.backend = backend
        self.name = name

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        fn = getattr(self.backend, "embed", None) or getattr(self.backend, "encode", None) or self.backend
        vecs = np.asarray(fn(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)


def get_embedder(kind: str = "auto") -> Embedder:
    """The embedder for debunk retrieval.

    ``"claims"``: the fine-tuned claim matcher (``embeddings_claims``); ``"backend"``:
    the shared MiniLM (``embeddings_onnx``); any other registered embeddings backend
    by name; ``"hash"``: the fake. A named model whose file is missing is an error;
    ``"auto"`` takes the claim matcher, else the shared MiniLM, else the fake.
    """
    if kind == "hash":
        return HashingEmbedder()
    from ..backends import embeddings as shared
    from ..errors import MissingExtraError

    names = {"auto": ("embeddings_claims", "embeddings_onnx"), "claims": ("embeddings_claims",), "backend": ("embeddings_onnx",)}
    for name in names.get(kind, (kind,)):
        backend = shared.get_embedder(name)
        model_dir = getattr(backend, "model_dir", None)
        if model_dir is not None and not (model_dir / getattr(backend, "file", "")).exists():
            if kind != "auto":
                raise MissingExtraError("propwatch models", "models", f"the embeddings model {model_dir}")
            continue
        label = f"{type(backend).__name__}-{getattr(backend, 'file', '')}".rstrip("-")
        return BackendEmbedder(backend, label)
    return HashingEmbedder()
