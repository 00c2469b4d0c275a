"""Strings the store can hold: no lone surrogates.

Python strings may hold lone surrogate code points that no UTF-8 encoder
accepts: a JSON record's ``"\\udfff"``, or the bytes of a file name that is
not valid UTF-8 (decoded with ``surrogateescape``). DuckDB refuses them, and
before this module one such string aborted the whole run at the store
write. Every string of a document, a rejection and a run's inputs passes
through :func:`storable` first: each lone surrogate becomes U+FFFD and the
document is flagged ``replaced-surrogates``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from .records import Document, Rejection

_SURROGATE = re.compile("[\ud800-\udfff]")
FLAG = "replaced-surrogates"


def storable(value: str) -> str:
    """``value`` with every lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)}
        changed = {k: v for k, v in changes.items() if v is not getattr(value, k)}
        return dataclasses.replace(value, **changed) if changed else value
    if isinstance(value, Mapping):
        return {storable(k) if isinstance(k, str) else k: _clean(v) for k, v in value.items()}
    if isinstance(value, tuple):
        out = tuple(_clean(v) for v in value)
        return value if all(a is b for a, b in zip(out, value)) else out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_has_surrogate(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, Mapping):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_surrogate(v) for v in value)
    return False


def storable_document(doc: Document) -> Document:
    """``doc`` with every string field storable, flagged when anything was replaced
    (layers are made later, from the storable text)."""
    names = [f.name for f in dataclasses.fields(doc) if f.name not in ("layers", "artefacts")]
    if not any(_has_surrogate(getattr(doc, n)) for n in names):
        return doc
    changes = {n: _clean(getattr(doc, n)) for n in names}
    return doc.replace(**changes).with_flag(FLAG)


def storable_rejection(rej: Rejection) -> Rejection:
    if not _has_surrogate(rej):
        return rej
    return _clean(rej)


__all__ = ["FLAG", "storable", "storable_document", "storable_rejection"]
