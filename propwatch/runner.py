"""The runner: stages over a batch of documents, with declared inputs enforced.

>>> from propwatch.runner import run
>>> from propwatch.registry import stages
>>> from propwatch.records import Document
>>> docs = run([stages.get("sentences")()], [Document(text="One. Two.", source="x")])
>>> [s.text for s in docs[0].layer("sentences")]
['One.', 'Two.']

``run`` is pure: documents in, documents out, no store. Drivers (the local
pipeline with its DuckDB store, a Ray Data job, the server) decide which
documents need which stage and keep the results; they share this code.

What the runner guarantees for a layer stage:

- it sees a view of each document holding only the layers it declares
  (``requires`` + ``optional``); reading another raises
  :class:`~propwatch.errors.UndeclaredLayerError`;
- only the layers it ``assigns`` are taken from what it returns; the rest of
  the document is the runner's;
- per-document artefacts (a spaCy parse) live in ``Document.artefacts`` for
  the batch and are dropped when the batch ends, so a parse is made once per
  document and batch whichever stages need it;
- a stage that fails on one document rejects that document only;
- a stage sees only the stories of the languages it supports
  (:mod:`propwatch.languages`); the others get its layers empty, and the
  ``coverage`` stage records that they were not analysed.

:func:`fingerprint` is the key a driver stores a layer under: the document,
the stage's name, version and settings, its state (a database version) and
the fingerprints and values of everything it declares it reads.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import UndeclaredLayerError
from .languages import analysis_language, routes, undetermined_language
from .records import DOCUMENT_FIELDS, Document, Layers, Rejection
from .stages.base import Stage

# Document fields whose value a stage may declare it reads; ``text`` is covered by the id.
FIELD_READS = frozenset(DOCUMENT_FIELDS) - {"text", "markup", "cleaning", "source", "source_record", "story_index"}


class DeclaredLayers(Layers):
    """The layers a stage may read; asking for any other raises."""

    __slots__ = ("_allowed", "_stage")

    def __init__(self, data: Mapping[str, Any], allowed: Iterable[str], stage: str):
        allowed = frozenset(allowed)
        super().__init__({k: v for k, v in data.items() if k in allowed})
        self._allowed = allowed
        self._stage = stage

    def _check(self, name: str) -> None:
        if name not in self._allowed:
            raise UndeclaredLayerError(
                f"stage {self._stage} read layer {name!r}, which it does not declare "
                f"(requires/optional: {', '.join(sorted(self._allowed)) or 'none'})"
            )

    def __getitem__(self, name: str) -> tuple:
        self._check(name)
        return self._data[name]

    def get(self, name: str, default: Any = None) -> Any:
        self._check(name)
        return self._data.get(name, default)

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self._check(name)
        return name in self._data

    def __getstate__(self):
        return (self._data, self._allowed, self._stage)

    def __setstate__(self, state) -> None:
        self._data, self._allowed, self._stage = state


def view(doc: Document, stage: Stage) -> Document:
    """``doc`` as ``stage`` may see it: only its declared layers (artefacts shared)."""
    return doc.replace(layers=DeclaredLayers(doc.layers, stage.reads, stage.ref))


def own_layers(doc: Document) -> dict[str, tuple]:
    """Every layer a stage's output document holds, bypassing the view's checks."""
    return dict(doc.layers._data)  # noqa: SLF001 - the runner owns the view


def fingerprint(doc: Document, stage: Stage, input_fps: Mapping[str, str], state: str = "",
                language: str | None = None) -> str:
    """The key of ``stage``'s output for ``doc``: everything that output depends on.

    ``input_fps`` maps each layer the document holds to the fingerprint it was
    stored under; a declared layer that is absent counts as absent, so making it
    later recomputes the stage. For a stage that declares its languages, the
    story's analysis ``language`` counts too, unless it is English (the one
    language every stage analysed before routing: English layers stored then
    stay valid).
    """
    parts = [doc.id, stage.ref, stage.config_hash, state]
    if stage.supported_languages() is not None or stage.language_dependent:
        if language is None:
            language = analysis_language(doc)
        if language != "en":
            parts.append(f"language={language}")
    for name in stage.reads:
        if name in FIELD_READS:
            parts.append(f"{name}={getattr(doc, name)!r}")
        else:
            parts.append(f"{name}:{input_fps.get(name, '')}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


@dataclass
class Runner:
    """Stages set up once with ``resources``, run over batches."""

    stages: Sequence[Stage]
    resources: Any = None
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def setup(self, stage: Stage) -> None:
        """Set ``stage`` up once (its models load here)."""
        if self.resources is None:
            from .resources import Resources

            self.resources = Resources()
        stage.ensure_setup(self.resources)

    @property
    def undetermined_language(self) -> str:
        """The language a story of undetermined language is analysed in (config)."""
        return undetermined_language(getattr(self.resources, "config", None))

    def analysis_language(self, doc: Document) -> str:
        return analysis_language(doc, self.undetermined_language)

    def run_stage(self, stage: Stage, docs: Sequence[Document]) -> tuple[list[Document], list[Rejection]]:
        """One stage over ``docs``: the documents with its layers added (or, for an
        ingest stage, what it made of them) and the rejections of those it failed on."""
        if not docs:
            return [], []
        self.setup(stage)
        started = time.perf_counter()
        try:
            if stage.kind == "ingest":
                out, rejected = apply(stage, list(docs))
                # each story of a split page gets artefacts of its own
                return [d.replace(layers=Layers(own_layers(d)), artefacts={}) for d in out], rejected
            by_id = {d.id: d for d in docs}
            undetermined = self.undetermined_language
            routed = [d for d in docs if routes(stage, d, undetermined)]
            out, rejected = apply(stage, [view(d, stage) for d in routed])
            merged = []
            skipped = {d.id for d in docs} - {d.id for d in routed}
            for result in out:
                full = by_id[result.id]
                made = own_layers(result)
                layers = dict(full.layers)
                for name in stage.assigns:
                    if name in made:
                        layers[name] = made[name]
                merged.append(full.with_layers(layers))
            for doc in docs:
                if doc.id in skipped:  # not analysed in its language: empty layers
                    merged.append(doc.with_layers({**doc.layers, **{name: () for name in stage.assigns}}))
            order = {d.id: i for i, d in enumerate(docs)}
            merged.sort(key=lambda d: order[d.id])
            return merged, rejected
        finally:
            self.stage_seconds[stage.ref] = self.stage_seconds.get(stage.ref, 0.0) + time.perf_counter() - started

    def run(self, docs: Sequence[Document]) -> tuple[list[Document], list[Rejection]]:
        """Every stage in order over one batch; artefacts are dropped at the end."""
        docs, rejected = list(docs), []
        try:
            for stage in self.stages:
                docs, failed = self.run_stage(stage, docs)
                rejected.extend(failed)
        finally:
            for doc in docs:
                doc.artefacts.clear()
        return docs, rejected

    def close(self) -> None:
        for stage in self.stages:
            stage.close()
            stage.__dict__.pop("_is_set_up", None)  # a later run sets it up again


def run(
    stages: Sequence[Stage],
    docs: Sequence[Document],
    resources: Any = None,
    on_rejection: Callable[[Rejection], None] | None = None,
) -> list[Document]:
    """Run ``stages`` over ``docs`` (one batch) and return the documents they produced."""
    runner = Runner(stages, resources)
    out, rejected = runner.run(docs)
    for rejection in rejected:
        if on_rejection:
            on_rejection(rejection)
    return out


def apply(stage: Stage, docs: list[Document]) -> tuple[list[Document], list[Rejection]]:
    """Run a stage on a batch; when it fails, isolate the documents that fail."""
    if not docs:
        return [], []
    try:
        return _split_outcomes(stage(docs))
    except Exception:  # noqa: BLE001 - one bad document must not stop the batch
        if len(docs) == 1:
            return [], [_stage_rejection(stage, docs[0])]
    kept: list[Document] = []
    failed: list[Rejection] = []
    for doc in docs:
        ok, bad = apply(stage, [doc])
        kept.extend(ok)
        failed.extend(bad)
    return kept, failed


def _stage_rejection(stage: Stage, doc: Document) -> Rejection:
    exc = sys.exc_info()[1]
    return Rejection(doc.source, "stage-error", f"{stage.ref} failed on story {doc.story_index}: {type(exc).__name__}: {exc}")


def _split_outcomes(items: Iterable[Any]) -> tuple[list[Document], list[Rejection]]:
    docs, rejections = [], []
    for item in items:
        (rejections if isinstance(item, Rejection) else docs).append(item)
    return docs, rejections


__all__ = ["DeclaredLayers", "Runner", "apply", "fingerprint", "run", "view"]
