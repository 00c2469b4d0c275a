"""propwatch: shows disinformation analysts where and how news articles push a story.

The public API::

    from propwatch import Pipeline, Store, load_config, Document
    pipeline = Pipeline(load_config())
    summary = pipeline.analyze(["articles/"])
    for doc in pipeline.store.iter_documents():
        print(doc.title, doc.outlet, len(doc.layer("sentences")))
"""

from __future__ import annotations

from .config import Config, load_config
from .errors import (
    ConfigError,
    InputError,
    MissingExtraError,
    NotFoundError,
    PipelineError,
    PropwatchError,
    StoreError,
    UnknownStageError,
)
from .pipeline import Outcome, Pipeline, RunSummary
from .records import CleaningStep, Document, Rejection, Sentence, Span, layer_record
from .registry import backends, stages
from .stages.base import LayerStage, Stage, register_stage
from .store import Store

__version__ = "0.1.0"

__all__ = [
    "CleaningStep",
    "Config",
    "ConfigError",
    "Document",
    "InputError",
    "LayerStage",
    "MissingExtraError",
    "NotFoundError",
    "Outcome",
    "Pipeline",
    "PipelineError",
    "PropwatchError",
    "Rejection",
    "RunSummary",
    "Sentence",
    "Span",
    "Stage",
    "Store",
    "StoreError",
    "UnknownStageError",
    "backends",
    "layer_record",
    "load_config",
    "register_stage",
    "stages",
]
