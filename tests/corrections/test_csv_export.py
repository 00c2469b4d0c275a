"""`propwatch export --format csv` and the record CSV: lists joined, counts in their own columns,
no JSON array in any cell, no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

from corrections.built import built_folder
from propwatch.cli import main
from propwatch.output.writers import RecordWriter
from propwatch.store import Store


def test_the_record_csv_of_the_store_has_no_json_arrays(tmp_path_factory, capsys):
    path = built_folder(tmp_path_factory) / "pages.duckdb"
    assert main(["export", "--format", "csv", "--store", str(path)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    with Store(path, read_only=True) as st:
        docs = {d.id: d for d in st.load()}
    assert len(rows) == len(docs) == 4
    for row in rows:
        doc = docs[row["id"]]
        assert not any(value.lstrip().startswith(("[", "{\"text")) for key, value in row.items() if key != "input_fields")
        assert row["quotes_count"] == str(len(doc.layer("quotes")))
        assert row["quotes"] == "; ".join(f"{q.speaker.name or 'unknown'}: {q.text}" for q in doc.layer("quotes"))
        assert row["techniques"] == "; ".join(f"{t.technique}: {t.text}" for t in doc.layer("techniques"))
        assert row["claims"] == "; ".join(c.text for c in doc.layer("claims"))
        assert float(row["risk_score"]) == doc.layer("assessment")[0].score and row["risk_label"]
        assert row["entities"] == "; ".join(dict.fromkeys(e.name or e.text for e in doc.layer("entities")))
        assert "sentences" not in row and row["sentences_count"] == str(len(doc.layer("sentences")))
    s1 = next(r for r in rows if r["external_id"] == "s1")
    assert s1["techniques"] == "Loaded_Language: disgraceful; Name_Calling,Labeling: traitors"


def test_record_cells_are_safe_from_formulas_and_lists_are_joined():
    record = {
        "id": "abc", "title": "=HYPERLINK(\"http://x\")", "flags": ["near-duplicate", "glued"], "credits": ["AP", "=1+1"],
        "outlet": "+Outlet", "text": "@SUM(A1)", "input_fields": {"tags": ["a"]},
        "quotes": [{"start": 0, "end": 3, "text": "abc", "speaker": {"name": "=cmd|' /C calc'!A0"}}],
        "techniques": [], "sourcing_summary": [{"start": 0, "end": 0, "text": "", "quotes": 1, "direct": 0}],
        "assessment": [{"score": 0.5, "label": "medium"}],
    }
    out = io.StringIO()
    writer = RecordWriter(out, "csv")
    writer.write(record)
    writer.close()
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["title"] == "'=HYPERLINK(\"http://x\")" and row["outlet"] == "'+Outlet" and row["text"] == "'@SUM(A1)"
    assert row["flags"] == "near-duplicate; glued" and row["credits"] == "AP; =1+1"
    assert row["quotes"] == "'=cmd|' /C calc'!A0: abc" and row["quotes_count"] == "1"
    assert row["techniques"] == "" and row["techniques_count"] == "0"
    assert row["sourcing_summary"] == "quotes=1, direct=0"
    assert (row["risk_score"], row["risk_label"]) == ("0.5", "medium") and "assessment" not in row
