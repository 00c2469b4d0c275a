"""What stages get in ``setup``: settings, files and models, loaded once per process.

A :class:`Resources` is made by a driver (the local pipeline, a Ray actor,
the server) and handed to every stage's ``setup``. It holds the config and
the store path (for the files a stage reads, such as the debunk database)
and a cache of loaded models keyed by what they are, so two stages that
need the same model (the claims stage and the debunk matcher both embed
text) share one copy, and a model loads once per process. It pickles as its
settings alone: a worker rebuilds the models from them.

>>> res = Resources()
>>> res.get("answer", lambda: 42)
42
>>> res.get("answer", lambda: 0)      # cached
42
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .config import Config


class Resources:
    """Config, store path and a per-process model cache for stage ``setup``."""

    def __init__(self, config: Config | None = None, store_path: str | None = None, store: Any = None):
        self.config = config
        self.store_path = store_path
        # the driver's own open store, when it runs in this process (never pickled)
        self._store = store
        self._cache: dict[Any, Any] = {}
        self._lock = threading.RLock()

    @contextmanager
    def reading(self, path: str | None = None) -> Iterator[Any]:
        """A store to read files from (the debunk database): the driver's own when
        ``path`` is its store, else ``path`` opened read-only and closed after; None
        when there is no such file. Nothing is ever created."""
        path = path or self.store_path
        own = self._store
        if own is not None and (path is None or str(own.path) == str(path)):
            yield own
            return
        if not path or path == ":memory:" or not Path(path).is_file():
            yield None
            return
        from .store import Store

        store = Store(path, read_only=True)
        try:
            yield store
        finally:
            store.close()

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        """The object cached under ``key``, made with ``load()`` the first time."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load()
            return self._cache[key]

    def loaded(self) -> list[Any]:
        """Keys of what is loaded (for tests and diagnostics)."""
        return list(self._cache)

    def spacy(self, model: str = "auto") -> Any:
        """A spaCy pipeline by package name or path (``auto``: the small English model)."""
        from .who.nlp import load_pipeline

        return self.get(("spacy", model), lambda: load_pipeline(model))

    def embedder(self, name: str | None = None) -> Any:
        """An embeddings backend by registry name (None or "": the default)."""
        from .embeddings import get_embedder

        return self.get(("embedder", name or ""), lambda: get_embedder(name or None))

    def close(self) -> None:
        """Drop every loaded model (a later ``get`` loads again)."""
        with self._lock:
            for obj in self._cache.values():
                close = getattr(obj, "close", None)
                if callable(close):
                    close()
            self._cache.clear()

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config, "store_path": self.store_path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"], state["store_path"])


__all__ = ["Resources"]
