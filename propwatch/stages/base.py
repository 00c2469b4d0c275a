"""The stage protocol.

A stage has a versioned ``name``, declares what it ``requires``, what it
reads when present (``optional``) and what it ``assigns`` (document fields
such as ``text`` or ``language``, or layer names such as ``sentences``), and
works on a batch of documents::

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

The runner (:mod:`propwatch.runner`) enforces the declarations: a layer
stage sees only the layers in ``requires`` and ``optional`` (reading any
other raises :class:`~propwatch.errors.UndeclaredLayerError`), and only the
layers it ``assigns`` are kept from what it returns. The fingerprint of a
stored layer covers everything the stage declared, so a rerun never serves
a layer computed from inputs that have changed since.

Lifecycle: ``Stage(config)`` is cheap and picklable; ``setup(resources)``
loads models and files once per process (see :class:`propwatch.resources.Resources`);
then batches; ``close()`` at the end.
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
    # The languages the stage analyses (ISO 639-1); None: any. The runner gives a
    # layer stage only the stories of its languages (see propwatch.languages).
    languages: ClassVar[tuple[str, ...] | None] = None
    # A stage that analyses every language but differently per language (sentences:
    # razdel for Russian) sets this, so that the story's language counts in its fingerprint.
    language_dependent: ClassVar[bool] = False

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

    def supported_languages(self) -> tuple[str, ...] | None:
        """The languages this stage analyses with its settings and backend (None: any);
        a stage whose backend decides overrides this."""
        return self.languages

    def supports(self, language: str) -> bool:
        langs = self.supported_languages()
        return langs is None or language in langs

    @property
    def reads(self) -> tuple[str, ...]:
        """Everything the stage may read: ``requires`` then ``optional``."""
        return tuple(dict.fromkeys((*self.requires, *self.optional)))

    def ensure_setup(self, resources=None) -> None:
        """``setup`` once: with the driver's ``resources`` (the runner calls this), or
        with default ones when a script calls the stage directly."""
        if not self.__dict__.get("_is_set_up", False):
            if resources is None:
                from ..resources import Resources

                resources = Resources()
            self.setup(resources)
            self._is_set_up = True

    def __getstate__(self) -> dict[str, Any]:
        """A stage pickles as its settings: what ``setup`` loaded is loaded again where it lands."""
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])

    def setup(self, resources) -> None:
        """Load models and files from ``resources`` (once per process, before the first batch).

        A stage must not open the store or keep module-level state: whatever it
        needs comes from here, so it runs the same in a fresh process or a Ray worker.
        """

    def state_key(self) -> str:
        """What the output depends on besides the documents and settings (a database
        version, say; known after ``setup``); it is part of the fingerprint, so a change
        recomputes the layer."""
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
        self.ensure_setup()
        docs = list(docs)
        return self.set_annotations(docs, self.predict(docs))


def register_stage(name: str, version: int = 1):
    """Register a stage class under ``name.vN`` and set its name and version."""
    from ..registry import stages

    return stages.named(name, version)
