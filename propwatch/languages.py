"""Language routing: each story runs the stages of its language.

A stage declares the languages it analyses (``Stage.languages``, ISO 639-1
codes; ``None``: any language; a stage whose backend decides overrides
:meth:`~propwatch.stages.base.Stage.supported_languages`). The runner hands
a layer stage only the stories of its languages; for the others the
stage's layers are stored empty and the ``coverage`` stage records, per
layer, that it was **not analysed** and why. An empty layer then never
reads as "nothing found": the report, the CLI and the API show the
difference, and the assessment says "not assessed".

A story whose language could not be identified (``und``: too little text,
or too uncertain) is analysed as ``[pipeline] undetermined_language``
(default ``"en"``); set it to ``""`` to leave such stories unanalysed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .records import Document, Span, layer_record
from .settings import StageSettings
from .stages.base import LayerStage, Stage, register_stage

UNDETERMINED = ("", "und", None)


def analysis_language(doc: Document, undetermined: str = "en") -> str:
    """The language ``doc`` is analysed in: its own, or ``undetermined`` when unknown."""
    return undetermined if doc.language in UNDETERMINED else doc.language


def undetermined_language(config: Any) -> str:
    """``[pipeline] undetermined_language`` of ``config`` (``"en"`` when unset)."""
    if config is None:
        return "en"
    value = config.get("pipeline.undetermined_language", "en")
    return "" if value is None else str(value)


def routes(stage: Stage, doc: Document, undetermined: str = "en") -> bool:
    """Whether ``stage`` analyses ``doc`` (its language is one the stage supports)."""
    return stage.supports(analysis_language(doc, undetermined))


@layer_record("coverage")
@dataclass(frozen=True, slots=True)
class NotAnalysed(Span):
    """A layer the pipeline did not analyse for this story, and why (an empty span at 0).

    ``reason`` is ``"language"``: the stage making ``layer`` does not support
    the story's ``language`` (``supported`` lists what it does).
    """

    layer_name: ClassVar[str]
    layer: str = ""
    stage: str = ""
    reason: str = "language"
    language: str = ""
    supported: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        langs = ", ".join(self.supported) or "none"
        return f"{self.layer}: not analysed: language {self.language or 'und'} ({self.stage} supports {langs})"


def not_analysed_layers(doc: Document) -> dict[str, NotAnalysed]:
    """Layer name -> its :class:`NotAnalysed` record, for the layers of ``doc`` not analysed."""
    return {r.layer: r for r in doc.layers.get("coverage", ())}


class CoverageSettings(StageSettings):
    """``coverage`` has no settings (it reads ``[pipeline] stages`` and ``undetermined_language``)."""


@register_stage("coverage", version=1)
class CoverageStage(LayerStage):
    """Which layers the pipeline's stages do not analyse in this story's language.

    It reads the configured stage list (``[pipeline] stages``) and each stage's
    supported languages; a story in a language a stage does not support gets one
    record per layer that stage assigns. It runs right after the ingest stages
    so that later stages (the assessment) can read it.
    """

    requires = ("language",)
    assigns = ("coverage",)
    layer = "coverage"
    settings_model = CoverageSettings

    def setup(self, resources) -> None:
        from .registry import stages as registry

        config = getattr(resources, "config", None)
        self._undetermined = undetermined_language(config)
        refs = list(config.get("pipeline.stages", []) if config is not None else [])
        plan: list[tuple[str, tuple[str, ...], tuple[str, ...] | None]] = []
        for ref in refs:
            cls = registry.get(ref)
            if cls.kind != "layer" or cls is type(self):
                continue
            stage = cls(config.stage_config(cls.name)) if config is not None else cls()
            langs = stage.supported_languages()
            plan.append((stage.ref, tuple(stage.assigns), None if langs is None else tuple(langs)))
        self._plan = plan

    def state_key(self) -> str:
        blob = json.dumps([self._undetermined, self._plan])
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def predict(self, docs: Sequence[Document]) -> list[list[NotAnalysed]]:
        out = []
        for doc in docs:
            language = analysis_language(doc, self._undetermined)
            records = []
            for ref, assigns, langs in self._plan:
                if langs is None or (language and language in langs):
                    continue
                for layer in assigns:
                    records.append(NotAnalysed(
                        start=0, end=0, text="", layer=layer, stage=ref,
                        language=doc.language or "und", supported=langs,
                    ))
            out.append(records)
        return out


__all__ = ["CoverageStage", "NotAnalysed", "analysis_language", "not_analysed_layers", "routes", "undetermined_language"]
