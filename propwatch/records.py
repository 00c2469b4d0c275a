"""Typed, frozen records: the document and one record type per layer.

Every span of every layer is a pair of character offsets into
``Document.text`` with the covered text alongside, so that
``doc.text[span.start:span.end] == span.text`` always holds. Layers are
data; the stages in :mod:`propwatch.stages` make them.

A stage that adds a new layer registers its record type with
:func:`layer_record`, so the store, the JSON output and the JSON Schema
all know it without further wiring.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

# ---------------------------------------------------------------- spans


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of ``Document.text``: ``text == doc.text[start:end]``."""

    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and isinstance(self.end, int)):
            raise TypeError(f"span offsets must be int, got {self.start!r}, {self.end!r}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span offsets {self.start}..{self.end}")
        if len(self.text) != self.end - self.start:
            raise ValueError(
                f"span text has {len(self.text)} chars but offsets cover {self.end - self.start}"
            )

    @classmethod
    def of(cls, text: str, start: int, end: int, **fields: Any):
        """Build the record from offsets into ``text`` (its covered text is sliced)."""
        return cls(start=start, end=end, text=text[start:end], **fields)


LAYER_RECORDS: dict[str, type] = {}
"""Layer name -> record type; filled by :func:`layer_record`."""

R = TypeVar("R", bound=type)


def layer_record(layer: str):
    """Class decorator: declare ``cls`` as the record type of ``layer``."""

    def register(cls: R) -> R:
        if layer in LAYER_RECORDS and LAYER_RECORDS[layer] is not cls:
            raise ValueError(f"layer {layer!r} already has record type {LAYER_RECORDS[layer]}")
        LAYER_RECORDS[layer] = cls
        cls.layer_name = layer
        return cls

    return register


@layer_record("sentences")
@dataclass(frozen=True, slots=True)
class Sentence(Span):
    """One sentence; ``paragraph`` counts paragraphs from 0."""

    layer_name: ClassVar[str]
    paragraph: int = 0


# ---------------------------------------------------------------- cleaning


@dataclass(frozen=True, slots=True)
class CleaningStep:
    """One step that cleaning applied; replaying the steps rebuilds the text.

    ``op`` names a function in :mod:`propwatch.ingest.clean`; ``params``
    holds exactly what it needs to redo the step; ``note`` says why, for
    the analyst.
    """

    op: str
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "params": dict(self.params), "note": self.note}


# ---------------------------------------------------------------- outcomes


REASON_LIMIT = 500
"""The most characters of a rejection's reason kept; the rest is counted, not stored."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input that could not become a document, with the reason."""

    source: str
    kind: str
    reason: str
    line: int | None = None

    def __post_init__(self) -> None:
        # A reason quotes its input (column names, a record's start); cap it so one
        # hostile input cannot make a reason of megabytes to store and print.
        if len(self.reason) > REASON_LIMIT:
            cut = self.reason[:REASON_LIMIT]
            object.__setattr__(self, "reason", f"{cut}… ({len(self.reason) - REASON_LIMIT:,} more characters)")

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.kind}: {self.reason}"


# ---------------------------------------------------------------- document

_WS = re.compile(r"\s+")


def content_id(text: str) -> str:
    """The document id: a hash of the normalized content.

    Case, Unicode compatibility forms and white space do not change it, so
    the same story ingested twice, or from two files, gets one id.
    """
    norm = _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class HtmlInfo:
    """What the HTML page said of itself (trafilatura's metadata)."""

    title: str | None = None
    sitename: str | None = None
    date: str | None = None
    url: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class PageSignals:
    """What reading and cleaning saw around the story text.

    The ingest stages read these (``split`` the marked headlines,
    ``metadata`` the outlet and date hints); they are stored with the
    story, so an excerpt can be traced to its page.
    """

    title_suffixes: tuple[str, ...] = ()
    footer_outlets: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    page_dates: tuple[str, ...] = ()
    story_headlines: tuple[str, ...] = ()
    # in-text attributions counted over the whole glued page ("told Sputnik": 3)
    page_attribution: tuple[tuple[str, int], ...] = ()
    page_stories: int = 1
    html: HtmlInfo | None = None
    # from the input record: its own id, its declared language; a WARC record's crawl date
    input_id: str | None = None
    declared_language: str | None = None
    crawl_date: str | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any] | None) -> "PageSignals":
        """Signals from their plain form, or from the untyped ``meta`` mapping of
        stores written before the signals were typed (unknown keys are dropped)."""
        meta = dict(meta or {})
        attribution = meta.get("page_attribution") or ()
        if isinstance(attribution, Mapping):
            attribution = list(attribution.items())
        html = meta.get("html")
        return cls(
            title_suffixes=tuple(meta.get("title_suffixes") or ()),
            footer_outlets=tuple(meta.get("footer_outlets") or ()),
            credits=tuple(meta.get("credits") or ()),
            page_dates=tuple(meta.get("page_dates") or ()),
            story_headlines=tuple(meta.get("story_headlines") or ()),
            page_attribution=tuple((str(k), int(v)) for k, v in attribution),
            page_stories=int(meta.get("page_stories") or 1),
            html=HtmlInfo(**{k: html.get(k) for k in ("title", "sitename", "date", "url", "author")}) if html else None,
            input_id=meta.get("input_id"),
            declared_language=meta.get("declared_language"),
            crawl_date=meta.get("crawl_date"),
        )


class Layers(Mapping):
    """A document's layers, read-only: layer name -> tuple of records (picklable)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None):
        self._data = {k: tuple(v) for k, v in (data or {}).items()}

    def __getitem__(self, name: str) -> tuple:
        return self._data[name]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Layers({', '.join(f'{k}={len(v)}' for k, v in self._data.items())})"

    def __getstate__(self):
        return self._data

    def __setstate__(self, state) -> None:
        self._data = state


@dataclass(frozen=True)
class Document:
    """One story: its clean text, metadata and layers.

    Before the ``clean`` stage, ``text`` holds the decoded input (``markup``
    says whether it is HTML); after it, the clean story text that every
    layer's offsets point into. Documents pickle, and
    :func:`document_to_dict` / :func:`document_from_dict` (and
    :mod:`propwatch.arrow` for Arrow tables) round-trip them losslessly.

    ``artefacts`` holds what the runner computes for the stages of one
    batch (a spaCy parse); it is never stored, pickled or compared.
    """

    text: str
    source: str
    story_index: int = 0
    markup: str = "text"  # "text" or "html" before cleaning; "text" after
    source_record: str | None = None  # line/record id inside the source file
    title: str | None = None
    outlet: str | None = None
    outlet_evidence: str | None = None
    url: str | None = None
    published: str | None = None
    language: str = "und"
    language_score: float = 0.0
    cleaning: tuple[CleaningStep, ...] = ()
    flags: tuple[str, ...] = ()
    signals: PageSignals = field(default_factory=PageSignals)
    near_duplicate_of: str | None = None
    near_duplicate_similarity: float | None = None
    # the input record's own id (JSONL/JSON/CSV "id") and its other non-text fields, as given,
    # so results join back to the analyst's dataset
    external_id: str | None = None
    input_fields: Mapping[str, Any] | None = None
    layers: Layers = field(default_factory=Layers)
    artefacts: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.layers, Layers):
            object.__setattr__(self, "layers", Layers(self.layers))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["artefacts"] = {}
        state.pop("id", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @functools.cached_property
    def id(self) -> str:
        return content_id(self.text)

    @property
    def meta(self) -> Mapping[str, Any]:
        """Read-only view of :attr:`signals` and the near-duplicate fields as one mapping
        (kept for code written against the old untyped ``meta``)."""
        out = {k: v for k, v in _plain(self.signals).items() if v not in (None, [], ())}
        if self.near_duplicate_of:
            out["near_duplicate_of"] = self.near_duplicate_of
            out["near_duplicate_similarity"] = self.near_duplicate_similarity
        return MappingProxyType(out)

    def layer(self, name: str) -> tuple:
        """The records of layer ``name`` (empty when the stage has not run)."""
        return self.layers.get(name, ())

    def with_layer(self, name: str, records) -> "Document":
        layers = dict(self.layers)
        layers[name] = tuple(records)
        return dataclasses.replace(self, layers=Layers(layers))

    def with_layers(self, layers: Mapping[str, Any]) -> "Document":
        """This document with ``layers`` in place of its own."""
        return dataclasses.replace(self, layers=Layers(layers))

    def replace(self, **changes: Any) -> "Document":
        return dataclasses.replace(self, **changes)

    def with_flag(self, flag: str) -> "Document":
        if flag in self.flags:
            return self
        return dataclasses.replace(self, flags=self.flags + (flag,))


# Document fields that are not layers, as stored and exported (``artefacts`` is transient).
DOCUMENT_FIELDS = (
    "text", "source", "story_index", "markup", "source_record", "title", "outlet", "outlet_evidence",
    "url", "published", "language", "language_score", "cleaning", "flags", "signals",
    "near_duplicate_of", "near_duplicate_similarity", "external_id", "input_fields",
)


def document_to_dict(doc: Document) -> dict[str, Any]:
    """A document as plain data: its fields, ``id`` and every layer's records as dicts."""
    out: dict[str, Any] = {"id": doc.id}
    for name in DOCUMENT_FIELDS:
        out[name] = _plain(getattr(doc, name))
    out["layers"] = {name: [record_to_dict(r) for r in records] for name, records in doc.layers.items()}
    return out


def document_from_dict(data: Mapping[str, Any]) -> Document:
    """Rebuild a document from :func:`document_to_dict` output (lossless for registered layers).

    A layer whose record type is not registered raises :class:`UnknownLayerError`:
    a record is never handed on as a bare dict.
    """
    hints = _field_types(Document)
    kwargs = {name: _rebuild(hints[name], data[name]) for name in DOCUMENT_FIELDS if name in data}
    layers = {name: decode_records(name, items) for name, items in (data.get("layers") or {}).items()}
    return Document(**kwargs, layers=Layers(layers))


def decode_records(layer: str, items: Sequence[Mapping[str, Any]]) -> tuple:
    """Plain dicts of ``layer`` back into its record type."""
    from .registry import load_builtin_components

    load_builtin_components()
    cls = LAYER_RECORDS.get(layer)
    if cls is None:
        from .errors import UnknownLayerError

        raise UnknownLayerError(
            f"no record type registered for layer {layer!r}; import the plugin that defines it (config 'plugins')"
        )
    return tuple(record_from_dict(cls, item) for item in items)


def record_to_dict(record: Any) -> dict[str, Any]:
    """A layer record as plain JSON-ready data (nested records included)."""
    if hasattr(record, "to_dict"):
        return record.to_dict()
    out = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        out[f.name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return record_to_dict(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def record_from_dict(cls: type, data: Mapping[str, Any]) -> Any:
    """Rebuild a record of type ``cls`` from :func:`record_to_dict` output."""
    if hasattr(cls, "from_dict"):
        return cls.from_dict(data)
    hints = _field_types(cls)
    kwargs = {}
    for f in _fields(cls):
        if f.name not in data:
            continue
        kwargs[f.name] = _rebuild(hints.get(f.name), data[f.name])
    return cls(**kwargs)


@functools.lru_cache(maxsize=None)
def _field_types(cls: type) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(cls)


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> tuple:
    return dataclasses.fields(cls)


def _rebuild(hint: Any, value: Any) -> Any:
    import typing

    if value is None or hint is None:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        return record_from_dict(hint, value)
    if origin is tuple and isinstance(value, list):
        inner = args[0] if args else None
        return tuple(_rebuild(inner, v) for v in value)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in args:
            if dataclasses.is_dataclass(arg) and isinstance(value, Mapping):
                return record_from_dict(arg, value)
        return value
    return value


__all__ = [
    "LAYER_RECORDS",
    "CleaningStep",
    "DOCUMENT_FIELDS",
    "Document",
    "HtmlInfo",
    "Layers",
    "PageSignals",
    "Rejection",
    "Sentence",
    "Span",
    "content_id",
    "decode_records",
    "document_from_dict",
    "document_to_dict",
    "layer_record",
    "record_from_dict",
    "record_to_dict",
]
