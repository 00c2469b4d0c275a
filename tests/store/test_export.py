"""Export: typed Parquet (one file, or a folder of tables) and flat CSV tables, straight from the store."""

from __future__ import annotations

import csv
import json

import duckdb

from propwatch.records import record_to_dict
from propwatch.store import Store


def test_parquet_file_is_the_arrow_codec_schema_and_round_trips(store_copy, tmp_path, capsys):
    """One file: typed LIST<STRUCT> layer columns in the schema of propwatch.arrow; lossless."""
    import pyarrow.parquet as pq

    from propwatch.arrow import from_arrow, schema
    from propwatch.cli import main

    out = tmp_path / "stories.parquet"
    assert main(["export", "--format", "parquet", "--output", str(out), "--store", str(store_copy)]) == 0
    assert "wrote 4 stories" in capsys.readouterr().err
    with Store(store_copy, read_only=True) as st:
        docs = st.load()
    table = pq.read_table(out)
    assert table.schema.names == schema().names
    assert all(table.schema.field(f.name).type == f.type for f in schema())
    assert from_arrow(table) == docs  # every field and layer of every story, in the store's order
    con = duckdb.connect()
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{out}')").fetchall())
    assert types["flags"] == "VARCHAR[]" and "speaker STRUCT(" in types["layer_quotes"]
    rows = con.execute(f"SELECT id, to_json(layer_quotes), layer_techniques FROM '{out}'").fetchall()
    by_id = {d.id: d for d in docs}
    for doc_id, quotes, techniques in rows:
        assert json.loads(quotes) == [record_to_dict(q) for q in by_id[doc_id].layer("quotes")]
        assert len(techniques) == len(by_id[doc_id].layer("techniques"))  # [] where the stage found nothing


def test_parquet_folder_has_one_table_per_layer(store_copy, tmp_path, capsys):
    from propwatch.cli import main

    out = tmp_path / "tables"
    assert main(["export", "--format", "parquet", "--output", f"{out}/", "--store", str(store_copy)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"stories.parquet", "quotes.parquet", "claims.parquet", "sentences.parquet", "assessment.parquet"} <= names
    con = duckdb.connect()
    with Store(store_copy, read_only=True) as st:
        docs = st.load()
    want = sum(len(d.layer("sentences")) for d in docs)
    assert con.execute(f"SELECT count(*) FROM '{out}/sentences.parquet'").fetchone()[0] == want
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{out}/quotes.parquet'").fetchall()]
    assert cols[:5] == ["doc_id", "seq", "start", "end", "text"]
    assert "quotes" not in [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM '{out}/stories.parquet'").fetchall()]


def test_csv_tables_are_flat(store_copy, tmp_path, capsys):
    from propwatch.cli import main

    out = tmp_path / "csv"
    assert main(["export", "--format", "csv", "--output", f"{out}/", "--store", str(store_copy)]) == 0
    assert {p.name for p in out.iterdir()} == {"stories.csv", "techniques.csv", "quotes.csv", "claims.csv", "debunk_matches.csv"}
    with Store(store_copy, read_only=True) as st:
        docs = {d.id: d for d in st.load()}

    def read(name):
        with (out / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    quotes = read("quotes.csv")
    assert list(quotes[0])[:2] == ["doc_id", "seq"]
    assert {"speaker_name", "speaker_kind", "speaker_entity_id", "cue_text", "direct"} <= set(quotes[0])
    want = [(d.id, q) for d in docs.values() for q in d.layer("quotes")]
    assert len(quotes) == len(want)
    for row, (doc_id, q) in zip(quotes, want):
        assert row["doc_id"] == doc_id and row["text"] == q.text
        assert row["speaker_name"] == (q.speaker.name or "") and row["speaker_kind"] == q.speaker.kind
        assert row["cue_text"] == (q.cue.text if q.cue else "") and row["direct"] == str(q.direct).lower()
    claims = read("claims.csv")
    with_entities = [(d.id, c) for d in docs.values() for c in d.layer("claims")]
    assert [r["entities"] for r in claims] == ["; ".join(c.entities) for _, c in with_entities]
    stories = read("stories.csv")
    assert [r["doc_id"] for r in stories] == list(docs)
    for row in stories:
        doc = docs[row["doc_id"]]
        assert row["quotes_count"] == str(len(doc.layer("quotes")))
        assert float(row["risk_score"]) == doc.layer("assessment")[0].score
        assert row["flags"] == "; ".join(doc.flags) and row["text"] == doc.text


def test_csv_to_a_file_or_stdout_is_the_record_csv(store_copy, tmp_path, capsys):
    from propwatch.cli import main

    assert main(["export", "--format", "csv", "--store", str(store_copy)]) == 0
    assert capsys.readouterr().out.startswith("id,source,source_record,story_index,title")
    out = tmp_path / "records.csv"
    assert main(["export", "--format", "csv", "--output", str(out), "--store", str(store_copy)]) == 0
    assert out.read_text("utf-8").startswith("id,source,source_record,story_index,title")
