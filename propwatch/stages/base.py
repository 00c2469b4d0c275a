"""The stage protocol.

A stage has a versioned ``name``, declares what it ``requires`` and what it
``assigns`` (document fields such as ``text`` or ``language``, or layer
names such as ``sentences``), and works on a batch of documents::

    @stages.register("sentences", version=1)
    class SentenceStage(LayerStage):
        requires = ("text",)
        assigns = ("sentences",)
        layer = "sentences"

        def predict(self, docs):          # compute: records per document
            ...
        # set_annotations (write) is inherited: attaches the layer

Stages share nothing but the documents. ``kind = "ingest"`` marks the
stages that may change ``text`` or split one document into several; they
run before the document ids are final, on every run. ``kind = "layer"``
stages only add layers; their outputs are stored under a fingerprint and
skipped on a re-run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..records import Document

if TYPE_CHECKING:
    from pydantic import BaseModel

# Fields every document carries from its reader.
READER_FIELDS = ("raw", "source", "url", "title", "outlet", "published", "language")


class Stage:
    """Base class of every stage; subclasses set the class attributes."""

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    kind: ClassVar[str] = "layer"  # "ingest" or "layer"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ()
    # Layers the stage reads when an earlier stage made them, and does without
    # otherwise; they count in the fingerprint but are not required.
    optional: ClassVar[tuple[str, ...]] = ()
    # The stage's settings ([stages.NAME]): a propwatch.settings.StageSettings model;
    # ``defaults`` is derived from it. A stage without one keeps a plain ``defaults`` dict.
    settings_model: ClassVar[type[BaseModel] | None] = None
    defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "settings_model" in cls.__dict__ and cls.settings_model is not None:
            from ..settings import defaults_of

            cls.defaults = defaults_of(cls.settings_model)
        elif "defaults" in cls.__dict__:
            cls.settings_model = None  # a plain dict of its own: its types are checked instead

    def __init__(self, config: Mapping[str, Any] | None = None):
        # self.settings: the validated model (ConfigError on a bad value); self.config:
        # the same as a plain dict, which the fingerprint hashes
        self.settings: BaseModel | None = None
        if self.settings_model is not None:
            from ..settings import stage_settings

            self.settings = stage_settings(type(self), config)
            self.config: dict[str, Any] = self.settings.model_dump()
        else:
            self.config = dict(config or {})

    @property
    def ref(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def config_hash(self) -> str:
        blob = json.dumps(self.config, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def __call__(self, docs: Sequence[Document]) -> list[Document]:
        raise NotImplementedError

    def bind_store(self, store) -> None:
        """Called with the pipeline's store before the first batch; stages that read
        corpus-level data (a debunk database) keep it, the others ignore it."""

    def state_key(self) -> str:
        """What the output depends on besides the documents and settings (a database
        version, say); it is part of the fingerprint, so a change recomputes the layer."""
        return ""

    def close(self) -> None:
        """Release models or files; called once when the pipeline ends."""


class LayerStage(Stage):
    """A stage that adds one layer: ``predict`` computes, ``set_annotations`` writes."""

    layer: ClassVar[str] = ""

    def predict(self, docs: Sequence[Document]) -> list[list[Any]]:
        raise NotImplementedError

    def set_annotations(self, docs: Sequence[Document], predictions: list[list[Any]]) -> list[Document]:
        return [doc.with_layer(self.layer, recs) for doc, recs in zip(docs, predictions)]

    def __call__(self, docs: Sequence[Document]) -> list[Document]:
        docs = list(docs)
        return self.set_annotations(docs, self.predict(docs))


def register_stage(name: str, version: int = 1):
    """Register a stage class under ``name.vN`` and set its name and version."""
    from ..registry import stages

    def add(cls):
        cls.name = name
        cls.version = version
        return stages.register(name, version)(cls)

    return add
