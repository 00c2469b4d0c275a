"""Write output records as JSON, JSON Lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from ..bidi import show_bidi

FORMATS = ("jsonl", "json", "csv")

# Scalar columns of the CSV form; each layer becomes a count and a column summarising its items.
CSV_COLUMNS = (
    "id", "source", "source_record", "story_index", "title", "outlet", "outlet_evidence", "url",
    "published", "language", "language_score", "flags", "near_duplicate_of", "external_id", "text",
)


class RecordWriter:
    """Streams records to ``stream`` in one of :data:`FORMATS`."""

    def __init__(self, stream: TextIO, fmt: str = "jsonl"):
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        self.stream = stream
        self.fmt = fmt
        self.count = 0
        self._csv: csv.DictWriter | None = None

    def write(self, record: dict[str, Any]) -> None:
        if self.fmt == "jsonl":
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif self.fmt == "json":
            self.stream.write("[\n" if self.count == 0 else ",\n")
            self.stream.write(json.dumps(record, ensure_ascii=False, indent=2))
        else:
            row = _csv_row(record)
            if self._csv is None:
                self._csv = csv.DictWriter(self.stream, fieldnames=list(row), extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow(row)
        self.count += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.stream.write("[]\n" if self.count == 0 else "\n]\n")
        self.stream.flush()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading ';
    bidirectional overrides in it are shown as ``<U+202E>`` (:mod:`propwatch.bidi`)."""
    if not isinstance(value, str):
        return value
    value = show_bidi(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    return {k: spreadsheet_safe(v) for k, v in _csv_fields(record).items()}


def _csv_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A record as flat cells: lists joined with ``"; "``, each layer a count and a summary
    of its items (never a JSON array in a cell), the risk in its own columns."""
    row: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        value = record.get(column)
        row[column] = JOIN.join(map(str, value)) if isinstance(value, list) else value
    # the input record's other fields, one JSON object (empty when it had none)
    fields = record.get("input_fields")
    row["input_fields"] = json.dumps(fields, ensure_ascii=False, sort_keys=True) if fields else ""
    row["credits"] = JOIN.join(map(str, record.get("credits") or []))
    assessment = record.get("assessment") or []
    row["risk_score"] = assessment[0].get("score") if assessment else None
    row["risk_label"] = assessment[0].get("label") if assessment else None
    for key, value in record.items():
        if key in CSV_COLUMNS or key in ("cleaning", "outlet_info", "credits", "input_fields"):
            continue
        if isinstance(value, list):
            row[f"{key}_count"] = len(value)
            if key not in SUMMARY_LESS:
                row[key] = JOIN.join(dict.fromkeys(item_cell(key, item) for item in value))
    return row


JOIN = "; "
# layers whose items are not summarised in a cell: the sentences are the text again,
# the assessment has its own columns
SUMMARY_LESS = ("sentences", "assessment")


def item_cell(layer: str, item: Any) -> str:
    """One layer item in a few words (``Loaded_Language: traitors``, ``Tomas Varga: ...``)."""
    if not isinstance(item, dict):
        return str(item)
    text = item.get("text") or ""
    if layer == "techniques":
        return f"{item.get('technique', '')}: {text}"
    if layer == "quotes":
        return f"{(item.get('speaker') or {}).get('name') or 'unknown'}: {text}"
    if layer == "entities":
        return item.get("name") or text
    if layer == "debunk_matches":
        return f"{item.get('debunk_claim') or item.get('debunk_id', '')} ({item.get('relation', 'match')})"
    if layer == "stances":
        return f"{item.get('stance', '')}: {item.get('target_claim') or item.get('target', '')}"
    if text:
        return text
    return ", ".join(f"{k}={v}" for k, v in item.items()
                     if isinstance(v, (str, int, float)) and not isinstance(v, bool) and k not in ("start", "end", "text"))


def write_all(records: Iterable[dict[str, Any]], stream: TextIO, fmt: str = "jsonl") -> int:
    writer = RecordWriter(stream, fmt)
    for record in records:
        writer.write(record)
    writer.close()
    return writer.count
