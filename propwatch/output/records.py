"""Documents as output records (one per story) and their JSON Schema.

The record shape is published by ``propwatch schema``; JSON, JSONL and CSV
output all follow it. Every layer is a list of objects with ``start``,
``end``, ``text`` and the layer's own fields; layers whose stage did not
run are empty lists.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from ..ingest.metadata import outlet_info
from ..records import LAYER_RECORDS, Document, record_to_dict

SCHEMA_ID = "https://propwatch.example/schema/story-1.json"

# Layers every record carries, in this order (empty until their stage runs);
# any other layer a plugin adds follows them.
STANDARD_LAYERS = (
    "sentences",
    "entities",
    "quotes",
    "sourcing",
    "sourcing_summary",
    "claims",
    "techniques",
    "debunk_matches",
    "denials",
    "stances",
    "assessment",
)


def document_record(doc: Document, layers: Sequence[str] | None = None) -> dict[str, Any]:
    """The output record of one story."""
    record: dict[str, Any] = {
        "id": doc.id,
        "external_id": doc.external_id,
        "source": doc.source,
        "source_record": doc.source_record,
        "story_index": doc.story_index,
        "title": doc.title,
        "outlet": doc.outlet,
        "outlet_evidence": doc.outlet_evidence,
        "outlet_info": outlet_info(doc.outlet) or None,
        "url": doc.url,
        "published": doc.published,
        "language": doc.language,
        "language_score": doc.language_score,
        "flags": list(doc.flags),
        "near_duplicate_of": doc.near_duplicate_of,
        "credits": list(doc.signals.credits),
        "text": doc.text,
        "cleaning": [step.to_dict() for step in doc.cleaning],
        "input_fields": dict(doc.input_fields) if doc.input_fields else None,
    }
    names = list(STANDARD_LAYERS) + sorted(set(doc.layers) - set(STANDARD_LAYERS))
    for name in names:
        if layers and name not in layers:
            continue
        record[name] = [_plain(r) for r in doc.layer(name)]
    return record


def _plain(record: Any) -> dict[str, Any]:
    return record_to_dict(record)


# ------------------------------------------------------------------ schema

_SPAN = {
    "type": "object",
    "required": ["start", "end", "text"],
    "properties": {
        "start": {"type": "integer", "minimum": 0, "description": "offset of the first character in `text`"},
        "end": {"type": "integer", "minimum": 0, "description": "offset after the last character"},
        "text": {"type": "string", "description": "the covered text: text[start:end]"},
    },
}


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one output record, from the record types."""
    from ..registry import _load_builtin_components

    _load_builtin_components()
    nullable_str = {"type": ["string", "null"]}
    props: dict[str, Any] = {
        "id": {"type": "string", "description": "content hash of the normalized story text"},
        "external_id": {**nullable_str, "description": "the input record's own id (JSONL/JSON/CSV field 'id')"},
        "source": {"type": "string", "description": "file, URL or <stdin> the story came from"},
        "source_record": {**nullable_str, "description": "line or record inside the source"},
        "story_index": {"type": "integer", "minimum": 0, "description": "position of the story on its page"},
        "title": nullable_str,
        "outlet": nullable_str,
        "outlet_evidence": {**nullable_str, "description": "how the outlet was found"},
        "outlet_info": {
            "type": ["object", "null"],
            "properties": {"country": {"type": "string"}, "affiliation": {"type": "string"}, "note": {"type": "string"}},
        },
        "url": nullable_str,
        "published": {**nullable_str, "description": "ISO date"},
        "language": {"type": "string", "description": "ISO 639-1 code, 'und' when unknown"},
        "language_score": {"type": "number"},
        "flags": {"type": "array", "items": {"type": "string"}},
        "near_duplicate_of": nullable_str,
        "credits": {"type": "array", "items": {"type": "string"}},
        "text": {"type": "string", "description": "clean story text; every span offset points into it"},
        "input_fields": {
            "type": ["object", "null"],
            "description": "the input record's other fields (all but its text and id), as given",
        },
        "cleaning": {
            "type": "array",
            "description": "the cleaning steps; replaying them on the raw input gives `text`",
            "items": {
                "type": "object",
                "required": ["op", "params"],
                "properties": {"op": {"type": "string"}, "params": {"type": "object"}, "note": {"type": "string"}},
            },
        },
    }
    names = list(STANDARD_LAYERS) + sorted(set(LAYER_RECORDS) - set(STANDARD_LAYERS))
    for name in names:
        cls = LAYER_RECORDS.get(name)
        item = _dataclass_schema(cls) if cls else _SPAN
        props[name] = {"type": "array", "items": item}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "propwatch story",
        "type": "object",
        "required": ["id", "source", "story_index", "text", "cleaning", *STANDARD_LAYERS],
        "properties": props,
    }


def _dataclass_schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props = {}
    required = []
    for f in dataclasses.fields(cls):
        props[f.name] = _type_schema(hints.get(f.name, Any))
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    out: dict[str, Any] = {"type": "object", "properties": props, "required": required}
    if cls.__doc__:
        out["description"] = " ".join(cls.__doc__.split())
    return out


def _type_schema(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return {}
    if origin in (typing.Union, types.UnionType):
        parts = [_type_schema(a) for a in args if a is not type(None)]
        schema = parts[0] if len(parts) == 1 else {"anyOf": parts}
        if type(None) in args:
            if "type" in schema and isinstance(schema["type"], str):
                return {**schema, "type": [schema["type"], "null"]}
            return {"anyOf": [schema, {"type": "null"}]}
        return schema
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (tuple, list, Sequence) or hint in (tuple, list):
        inner = args[0] if args else Any
        return {"type": "array", "items": _type_schema(inner)}
    if origin in (dict, Mapping) or hint in (dict,):
        return {"type": "object"}
    if dataclasses.is_dataclass(hint):
        return _dataclass_schema(hint)
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if hint in simple:
        return {"type": simple[hint]}
    return {}
