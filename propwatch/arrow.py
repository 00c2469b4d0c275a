"""Documents as Arrow tables: typed columns, one LIST<STRUCT> column per layer.

>>> from propwatch.records import Document
>>> table = to_arrow([Document(text="One.", source="x")])
>>> from_arrow(table)[0].text
'One.'

The schema is generated from the record types (:data:`propwatch.records.LAYER_RECORDS`
and the document's own fields), so a plugin's layer gets its column with no
wiring. Fields typed ``Mapping`` (free-form settings, counts by kind) are
JSON strings. The round trip is lossless: ``from_arrow(to_arrow(docs)) == docs``.
It is the format of Parquet shards (Ray Data) and of typed exports.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from .records import (
    DOCUMENT_FIELDS,
    LAYER_RECORDS,
    Document,
    Layers,
    _field_types,
    record_from_dict,
    record_to_dict,
)

_JSON = "json"


def _pa():
    try:
        import pyarrow as pa
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        from .errors import MissingExtraError

        raise MissingExtraError("pyarrow is not installed: pip install pyarrow") from exc
    return pa


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def arrow_type(hint: Any):
    """The Arrow type of a record field's type hint."""
    pa = _pa()
    hint = _strip_optional(hint)
    origin = typing.get_origin(hint)
    if hint is str:
        return pa.string()
    if hint is bool:
        return pa.bool_()
    if hint is int:
        return pa.int64()
    if hint is float:
        return pa.float64()
    if dataclasses.is_dataclass(hint):
        return struct_type(hint)
    if origin in (tuple, list) or hint in (tuple, list):
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        if origin is tuple and len(args) > 1 and Ellipsis not in typing.get_args(hint):
            # a fixed pair such as (name, count): a struct of its positions
            return pa.struct([pa.field(f"f{i}", arrow_type(a)) for i, a in enumerate(args)])
        return pa.list_(arrow_type(args[0]) if args else pa.string())
    # Mapping[...], dict, Any: free-form, kept as JSON text
    return pa.string()


def _is_json(hint: Any) -> bool:
    hint = _strip_optional(hint)
    origin = typing.get_origin(hint)
    return not (hint in (str, bool, int, float) or dataclasses.is_dataclass(hint)
                or origin in (tuple, list) or hint in (tuple, list))


@functools.lru_cache(maxsize=None)
def struct_type(cls: type):
    pa = _pa()
    hints = _field_types(cls)
    return pa.struct([pa.field(f.name, arrow_type(hints[f.name])) for f in dataclasses.fields(cls)])


def schema(layers: Sequence[str] | None = None):
    """The Arrow schema of documents with ``layers`` (default: every registered layer)."""
    pa = _pa()
    from .registry import load_builtin_components

    load_builtin_components()
    hints = _field_types(Document)
    fields = [pa.field("id", pa.string())]
    fields += [pa.field(name, arrow_type(hints[name])) for name in DOCUMENT_FIELDS]
    names = sorted(LAYER_RECORDS) if layers is None else list(layers)
    fields += [pa.field(f"layer_{name}", pa.list_(struct_type(LAYER_RECORDS[name]))) for name in names]
    return pa.schema(fields)


def _encode(hint: Any, value: Any) -> Any:
    """A plain value (from record_to_dict) in the shape of its Arrow type."""
    if value is None:
        return None
    hint_ = _strip_optional(hint)
    if _is_json(hint):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if dataclasses.is_dataclass(hint_):
        hints = _field_types(hint_)
        return {k: _encode(hints[k], v) for k, v in value.items()}
    origin = typing.get_origin(hint_)
    if origin in (tuple, list):
        args = typing.get_args(hint_)
        if origin is tuple and len(args) > 1 and Ellipsis not in args:
            return {f"f{i}": _encode(a, v) for i, (a, v) in enumerate(zip(args, value))}
        inner = args[0] if args else str
        return [_encode(inner, v) for v in value]
    return value


def _decode(hint: Any, value: Any) -> Any:
    """The inverse of :func:`_encode`: plain data ready for record_from_dict."""
    if value is None:
        return None
    hint_ = _strip_optional(hint)
    if _is_json(hint):
        return json.loads(value)
    if dataclasses.is_dataclass(hint_):
        hints = _field_types(hint_)
        return {k: _decode(hints[k], v) for k, v in value.items()}
    origin = typing.get_origin(hint_)
    if origin in (tuple, list):
        args = typing.get_args(hint_)
        if origin is tuple and len(args) > 1 and Ellipsis not in args:
            return [_decode(a, value[f"f{i}"]) for i, a in enumerate(args)]
        inner = args[0] if args else str
        return [_decode(inner, v) for v in value]
    return value


def to_rows(docs: Sequence[Document], layers: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Documents as rows of :func:`schema` (plain Python values)."""
    from .registry import load_builtin_components

    load_builtin_components()
    hints = _field_types(Document)
    names = sorted(LAYER_RECORDS) if layers is None else list(layers)
    rows = []
    for doc in docs:
        row: dict[str, Any] = {"id": doc.id}
        for name in DOCUMENT_FIELDS:
            value = getattr(doc, name)
            plain = record_to_dict(value) if dataclasses.is_dataclass(value) else _plain_value(value)
            row[name] = _encode(hints[name], plain)
        for name in names:
            cls = LAYER_RECORDS[name]
            if name in doc.layers:
                row[f"layer_{name}"] = [_encode(cls, record_to_dict(r)) for r in doc.layer(name)]
            else:
                row[f"layer_{name}"] = None  # not computed (an empty list is "computed, nothing found")
        rows.append(row)
    return rows


def _plain_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [record_to_dict(v) if dataclasses.is_dataclass(v) else _plain_value(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


def to_arrow(docs: Sequence[Document], layers: Sequence[str] | None = None):
    """An Arrow table of ``docs`` with the typed :func:`schema`."""
    pa = _pa()
    names = _layers_of(docs) if layers is None else list(layers)
    return pa.Table.from_pylist(to_rows(docs, names), schema=schema(names))


def _layers_of(docs: Sequence[Document]) -> list[str]:
    from .registry import load_builtin_components

    load_builtin_components()
    found = {name for doc in docs for name in doc.layers}
    unknown = found - set(LAYER_RECORDS)
    if unknown:
        from .errors import UnknownLayerError

        raise UnknownLayerError(f"no record type registered for layer(s) {', '.join(sorted(unknown))}")
    return sorted(found | set(LAYER_RECORDS))


def from_rows(rows: Sequence[Mapping[str, Any]]) -> list[Document]:
    """Documents back from :func:`to_rows` rows (or ``Table.to_pylist()``)."""
    hints = _field_types(Document)
    out = []
    for row in rows:
        kwargs = {}
        for name in DOCUMENT_FIELDS:
            if name in row:
                kwargs[name] = _decode(hints[name], row[name])
        doc_fields = {f.name: f for f in dataclasses.fields(Document)}
        values = {}
        for name, plain in kwargs.items():
            hint = hints[name]
            target = _strip_optional(hint)
            if dataclasses.is_dataclass(target) and plain is not None:
                values[name] = record_from_dict(target, plain)
            else:
                from .records import _rebuild

                values[name] = _rebuild(hint, plain)
        layers = {}
        for key, items in row.items():
            if not key.startswith("layer_") or items is None:
                continue
            name = key[len("layer_"):]
            cls = LAYER_RECORDS[name]
            layers[name] = tuple(record_from_dict(cls, _decode(cls, item)) for item in items)
        del doc_fields
        out.append(Document(**values, layers=Layers(layers)))
    return out


def from_arrow(table) -> list[Document]:
    """Documents back from an Arrow table written by :func:`to_arrow`."""
    return from_rows(table.to_pylist())


__all__ = ["arrow_type", "from_arrow", "from_rows", "schema", "struct_type", "to_arrow", "to_rows"]
