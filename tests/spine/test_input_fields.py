"""An input record's own id comes back as ``external_id`` and its other fields under
``input_fields``, in every output format (JSONL, CSV, Parquet, the store, show)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

TEXTS = [
    "The harbour authority of Port Velden said on Monday that the grain terminal will reopen next week after repairs.",
    "A new ferry line between Velden and Ostholm starts in June, the transport ministry announced on Tuesday.",
]


def _feed(tmp_path: Path) -> Path:
    feed = tmp_path / "feed.jsonl"
    rows = [
        {"id": "case-0017", "text": TEXTS[0], "title": "Terminal reopens", "desk": "ports", "score": 0.25, "tags": ["a", "b"]},
        {"id": 42, "text": TEXTS[1], "Batch": {"week": 23}},
    ]
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return feed


def _run(capsys, *argv) -> tuple[int, str]:
    from propwatch.cli import main

    code = main(list(argv))
    return code, capsys.readouterr().out


def test_reader_keeps_the_id_and_the_other_fields(tmp_path):
    from propwatch.ingest.readers import read_csv, read_jsonl, Limits

    docs = list(read_jsonl(_feed(tmp_path), Limits()))
    assert docs[0].external_id == "case-0017" and docs[1].external_id == "42"
    assert docs[0].input_fields == {"title": "Terminal reopens", "desk": "ports", "score": 0.25, "tags": ["a", "b"]}
    assert docs[1].input_fields == {"Batch": {"week": 23}}
    table = tmp_path / "in.csv"
    table.write_text("id,text,region\nr1," + TEXTS[0] + ",north\n", "utf-8")
    (doc,) = list(read_csv(table, Limits()))
    assert doc.external_id == "r1" and doc.input_fields == {"region": "north"}


def test_jsonl_id_comes_back_in_jsonl_csv_parquet_and_show(tmp_path, spine_toml, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    feed = _feed(tmp_path)
    code, out = _run(capsys, "analyze", str(feed), "--format", "jsonl", "--config", str(spine_toml), "--quiet")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    records = sorted(records, key=lambda r: r["external_id"] != "case-0017")
    assert [r["external_id"] for r in records] == ["case-0017", "42"]
    assert records[0]["input_fields"]["desk"] == "ports" and records[1]["input_fields"] == {"Batch": {"week": 23}}

    code, out = _run(capsys, "analyze", str(feed), "--format", "csv", "--config", str(spine_toml), "--quiet")
    rows = list(csv.DictReader(io.StringIO(out)))
    by_id = {r["external_id"]: r for r in rows}  # (a rerun writes its records as the stages finish)
    assert sorted(by_id) == ["42", "case-0017"] and json.loads(by_id["case-0017"]["input_fields"])["tags"] == ["a", "b"]

    target = tmp_path / "stories.parquet"
    code, _ = _run(capsys, "export", "--format", "parquet", "--output", str(target), "--config", str(spine_toml))
    table = pq.read_table(target)
    assert sorted(table.column("external_id").to_pylist()) == ["42", "case-0017"]
    from propwatch.arrow import from_arrow

    back = {d.external_id: d for d in from_arrow(table)}
    assert back["case-0017"].input_fields["score"] == 0.25 and back["42"].input_fields == {"Batch": {"week": 23}}

    folder = tmp_path / "tables"
    _run(capsys, "export", "--format", "csv", "--output", str(folder) + "/", "--config", str(spine_toml))
    with (folder / "stories.csv").open(encoding="utf-8") as fh:
        flat = list(csv.DictReader(fh))
    flat = {r["external_id"]: r for r in flat}
    assert sorted(flat) == ["42", "case-0017"] and json.loads(flat["42"]["input_fields"]) == {"Batch": {"week": 23}}

    code, out = _run(capsys, "show", records[0]["id"], "--config", str(spine_toml))
    assert code == 0 and "input id case-0017" in out and '"desk": "ports"' in out


def test_documents_round_trip_with_input_fields():
    from propwatch.arrow import from_arrow, to_arrow
    from propwatch.records import Document, document_from_dict, document_to_dict

    doc = Document(text="One.", source="x", external_id="e1", input_fields={"k": [1, 2], "n": None})
    assert document_from_dict(json.loads(json.dumps(document_to_dict(doc)))) == doc
    assert from_arrow(to_arrow([doc]))[0] == doc
