"""CLI: narratives, narrative, checkworthiness (exact output shapes)."""

from __future__ import annotations

import json

import pytest

from propwatch.embeddings import shipped_model_dir
from propwatch.cli import main
from propwatch.store import Store

from claims.helpers import analyzed, narrative_rows, write  # noqa: F401


def test_checkworthiness_lines_and_csv_column(tmp_path, capsys):
    f = tmp_path / "s.txt"
    f.write_text("Thank you and good evening.\n\nThe army sold 4,000 rifles to the rebels in 2014.\n")
    assert main(["checkworthiness", str(f), "--backend", "checkworthiness_fake"]) == 0
    assert capsys.readouterr().out == (
        "0.0000\tThank you and good evening.\n0.6500\tThe army sold 4,000 rifles to the rebels in 2014.\n")
    c = tmp_path / "s.csv"
    c.write_text('id,text\n1,"The army sold 4,000 rifles to the rebels in 2014."\n')
    assert main(["checkworthiness", str(c), "--column", "text", "-f", "jsonl", "--backend", "checkworthiness_fake"]) == 0
    assert json.loads(capsys.readouterr().out) == {"score": 0.65, "sentence": "The army sold 4,000 rifles to the rebels in 2014."}
    assert main(["checkworthiness", str(c), "--column", "body", "--backend", "checkworthiness_fake"]) == 1
    assert "no column 'body'" in capsys.readouterr().err


@pytest.mark.skipif(not (shipped_model_dir() / "model.int8.onnx").exists(), reason="MiniLM model not shipped")
def test_narratives_and_narrative(tmp_path, capsys, narrative_rows):
    path = tmp_path / "pw.duckdb"
    with Store(path) as st:
        write(st, analyzed(narrative_rows))
    assert main(["narratives", "--store", str(path), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 3 and all(n["n_stories"] >= 2 for n in listed)
    top = listed[0]
    assert set(top) >= {"id", "label", "outlets", "sources", "first_seen", "last_seen", "per_day", "n_claims"}
    assert main(["narrative", top["id"], "--store", str(path), "--format", "json"]) == 0
    one = json.loads(capsys.readouterr().out)
    stance = one["stance_by_outlet"]
    assert stance and {"outlet", "supports", "denies", "discusses"} <= set(stance[0])
    assert sum(r["supports"] + r["denies"] + r["discusses"] for r in stance) >= 1
    assert one["id"] == top["id"] and len(one["claims"]) == top["n_claims"]
    assert main(["narrative", "zzzz", "--store", str(path)]) == 1
    assert "no narrative" in capsys.readouterr().err


def test_narrative_on_a_store_never_linked(tmp_path, capsys):
    path = tmp_path / "empty.duckdb"
    Store(path).close()
    assert main(["narrative", "n123", "--store", str(path)]) == 1
    assert "no narrative" in capsys.readouterr().err
    assert main(["narratives", "--store", str(path), "--no-update", "-f", "json"]) == 0
    assert capsys.readouterr().out.strip() in ("", "[]")


def test_seen_column_says_undated_or_the_days():
    from propwatch.cli.narratives import _seen

    assert _seen(None, None) == "undated"
    assert _seen("2015-11-28", "2015-11-28") == "2015-11-28"
    assert _seen("2015-11-28", "2015-12-03") == "2015-11-28 .. 2015-12-03"


@pytest.mark.skipif(not (shipped_model_dir() / "model.int8.onnx").exists(), reason="MiniLM model not shipped")
def test_narratives_table_shows_the_days(tmp_path, capsys, narrative_rows, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "pw.duckdb"
    with Store(path) as st:
        write(st, analyzed(narrative_rows))
    assert main(["narratives", "--store", str(path)]) == 0
    assert "2015-11-28 .. 2015-12-03" in capsys.readouterr().out  # oil: Spring News, then Iran Today, Global Wire
