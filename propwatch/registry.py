"""One registry of named, versioned components.

Stages register as ``name`` + ``version`` and are found as ``"name"`` (the
newest version) or ``"name.vN"``. Backends (model slots such as
``techniques`` or ``embeddings``) register the same way in their own
table. A snapshot test pins every registered name, so a renamed or
re-versioned component is a visible change.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from .errors import UnknownStageError

_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)(?:\.v(?P<version>\d+))?$")


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[tuple[str, int], Any] = {}

    def register(self, name: str, version: int = 1) -> Callable[[Any], Any]:
        if not _NAME.match(name) or "." in name:
            raise ValueError(f"bad {self.kind} name {name!r}")

        def add(obj: Any) -> Any:
            key = (name, version)
            if key in self._items and self._items[key] is not obj:
                raise ValueError(f"{self.kind} {name}.v{version} is already registered")
            self._items[key] = obj
            return obj

        return add

    def named(self, name: str, version: int = 1) -> Callable[[Any], Any]:
        """Class decorator: set ``cls.name`` and ``cls.version``, then register it."""
        register = self.register(name, version)

        def add(cls: Any) -> Any:
            cls.name = name
            cls.version = version
            return register(cls)

        return add

    def get(self, ref: str) -> Any:
        load_builtin_components()
        m = _NAME.match(ref.strip())
        if not m:
            raise UnknownStageError(f"bad {self.kind} name {ref!r}: use 'name' or 'name.vN'")
        name, version = m["name"], m["version"]
        if version is not None:
            key = (name, int(version))
            if key in self._items:
                return self._items[key]
        else:
            versions = [v for (n, v) in self._items if n == name]
            if versions:
                return self._items[(name, max(versions))]
        known = ", ".join(self.names()) or "none"
        raise UnknownStageError(f"no {self.kind} named {ref!r}; known: {known}")

    def names(self) -> list[str]:
        load_builtin_components()
        return sorted(f"{n}.v{v}" for (n, v) in self._items)


stages = Registry("stage")
backends = Registry("backend")
corpus_steps = Registry("corpus step")

# Modules whose import registers the built-in components. A plugin adds its
# own with the ``plugins`` config key (a list of importable module names).
BUILTIN_MODULES = [
    "propwatch.ingest.stages",
    "propwatch.ingest.sentences",
    "propwatch.languages",
    "propwatch.assessment.stage",
    "propwatch.who.entities_stage",
    "propwatch.who.quotes_stage",
    "propwatch.who.sourcing_stage",
    "propwatch.debunks.stage",
    "propwatch.debunks.denials",
    "propwatch.debunks.stance",
    "propwatch.embeddings",
    "propwatch.crossling",
    "propwatch.claims.stage",
    "propwatch.techniques.stage",
    "propwatch.corpus",
]

_loaded = False


def load_builtin_components() -> None:
    """Import the built-in stage and backend modules (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def load_plugins(modules: list[str]) -> None:
    """Import plugin modules so that their components register themselves."""
    for module in modules:
        importlib.import_module(module)


_load_builtin_components = load_builtin_components  # the old private name, still used by some callers
