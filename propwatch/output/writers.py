"""Write output records as JSON, JSON Lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

FORMATS = ("jsonl", "json", "csv")

# Scalar columns of the CSV form; each layer becomes a count and a JSON column.
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
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading '."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    return {k: spreadsheet_safe(v) for k, v in _csv_fields(record).items()}


def _csv_fields(record: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        value = record.get(column)
        row[column] = ";".join(value) if isinstance(value, list) else value
    # the input record's other fields, one JSON object (empty when it had none)
    fields = record.get("input_fields")
    row["input_fields"] = json.dumps(fields, ensure_ascii=False, sort_keys=True) if fields else ""
    for key, value in record.items():
        if key in CSV_COLUMNS or key in ("cleaning", "outlet_info", "credits", "input_fields"):
            continue
        if isinstance(value, list):
            row[f"{key}_count"] = len(value)
            row[key] = json.dumps(value, ensure_ascii=False)
    return row


def write_all(records: Iterable[dict[str, Any]], stream: TextIO, fmt: str = "jsonl") -> int:
    writer = RecordWriter(stream, fmt)
    for record in records:
        writer.write(record)
    writer.close()
    return writer.count
