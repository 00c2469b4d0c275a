"""A store written by propwatch at c104cf2 (layers as JSON in one table) opens and migrates without loss.

The fixture was made with that commit's code by tests/fixtures/make_old_store.py;
the expected records are read straight from its old ``layers`` table.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from propwatch.records import LAYER_RECORDS, record_from_dict, record_to_dict
from propwatch.registry import _load_builtin_components
from propwatch.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "old_store_c104cf2.duckdb.gz"


@pytest.fixture
def old_store(tmp_path) -> Path:
    path = tmp_path / "old.duckdb"
    path.write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    return path


def old_rows(path: Path) -> dict[tuple[str, str], tuple[str, str, list]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT doc_id, layer, stage, fingerprint, records FROM layers").fetchall()
    finally:
        con.close()
    return {(d, layer): (stage, fp, json.loads(payload)) for d, layer, stage, fp, payload in rows}


def test_fixture_is_the_old_layout(old_store):
    con = duckdb.connect(str(old_store), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert "layers" in tables and "layer_state" not in tables
    assert len(old_rows(old_store)) == 45


def test_old_store_migrates_without_loss(old_store):
    _load_builtin_components()
    expected = old_rows(old_store)
    with Store(old_store) as st:
        names = [r[0] for r in st.con.execute("SELECT name FROM migrations").fetchall()]
        assert "0003_layer_tables" in names
        tables = {r[0] for r in st.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert "layers" not in tables
        assert {"layer_quotes", "layer_claims", "layer_techniques", "layer_assessment"} <= tables
        docs = st.load()
        stored = st.stored_layers([d.id for d in docs])
        storage = dict(((d, layer), s) for d, layer, s in
                       st.con.execute("SELECT doc_id, layer, storage FROM layer_state").fetchall())
        kept = {(d, layer): json.loads(r) for d, layer, r in
                st.con.execute("SELECT doc_id, layer, records FROM layer_json").fetchall()}
    assert len(docs) == 4
    got = {(d.id, layer): records for d in docs for layer, records in d.layers.items()}
    assert set(got) == {k for k in expected if k[1] != "plugin_notes"}
    for key, (stage, fingerprint, items) in expected.items():
        doc_id, layer = key
        assert stored[doc_id][layer].stage == stage and stored[doc_id][layer].fingerprint == fingerprint
        cls = LAYER_RECORDS.get(layer)
        if cls is None:  # a plugin's layer without a registered type: kept as JSON, not handed on
            assert layer == "plugin_notes" and storage[key] == "json" and key not in got
            assert kept[key] == items
            continue
        assert storage[key] == "table", key  # every known layer went into its typed table
        want = tuple(record_from_dict(cls, item) for item in items)
        assert got[key] == want, key
        # exactly the same data, types included (an int never comes back as a float)
        assert json.dumps([record_to_dict(r) for r in got[key]]) == json.dumps([record_to_dict(r) for r in want])


def test_documents_keep_their_fields_and_signals(old_store):
    from propwatch.records import PageSignals

    con = duckdb.connect(str(old_store), read_only=True)
    old = {r[0]: r[1:] for r in con.execute(
        "SELECT id, title, outlet, published, language, text, flags, meta, near_duplicate_of FROM documents").fetchall()}
    con.close()
    with Store(old_store) as st:
        docs = st.load()
        columns = [r[0] for r in st.con.execute("DESCRIBE documents").fetchall()]
    assert "signals" in columns and "meta" not in columns
    assert {d.id for d in docs} == set(old)
    for doc in docs:
        title, outlet, published, language, text, flags, meta, dup = old[doc.id]
        assert (doc.title, doc.outlet, doc.published, doc.language, doc.text) == (title, outlet, published, language, text)
        assert doc.flags == tuple(json.loads(flags)) and doc.near_duplicate_of == dup
        assert doc.signals == PageSignals.from_meta(json.loads(meta))
    assert any(d.signals.story_headlines for d in docs) and any(d.signals.title_suffixes for d in docs)


def test_migrated_store_reopens_and_rewrites(old_store):
    with Store(old_store) as st:
        doc = st.load()[0]
    with Store(old_store) as st:
        assert st.migrate() == []
        quotes = doc.layer("quotes")
        st.write_batch([], [(doc.id, "quotes", "quotes.test", "fp-test", quotes[:1])], [])
        again = st.get(doc.id)
        assert again.layer("quotes") == quotes[:1]
        assert again.layer("sentences") == doc.layer("sentences")
        assert st.stored_layers([doc.id])[doc.id]["quotes"].fingerprint == "fp-test"


def test_read_only_open_of_migrated_store(old_store):
    with Store(old_store) as st:
        st.migrate()
        n = len(st.load())
    with Store(old_store, read_only=True) as st:
        assert len(st.load()) == n


def test_plugin_layer_comes_back_with_its_plugin(old_store):
    from dataclasses import dataclass

    from propwatch.records import layer_record

    with Store(old_store) as st:
        (doc_id,) = [d for d, in st.con.execute("SELECT doc_id FROM layer_state WHERE layer = 'plugin_notes'").fetchall()]

    @dataclass(frozen=True)
    class Note:
        note: str
        score: int
        tags: tuple[str, ...]

    layer_record("plugin_notes")(Note)
    try:
        with Store(old_store) as st:
            assert st.get(doc_id).layer("plugin_notes") == (Note("checked by hand", 1, ("a", "b")),)
            # written again, the layer gets its own typed table
            st.write_batch([], [(doc_id, "plugin_notes", "notes.v2", "fp2", [Note("again", 2, ())])], [])
            assert st.get(doc_id).layer("plugin_notes") == (Note("again", 2, ()),)
            assert st.con.execute("SELECT storage FROM layer_state WHERE layer = 'plugin_notes'").fetchone()[0] == "table"
            assert st.con.execute("SELECT count(*) FROM layer_plugin_notes").fetchone()[0] == 1
    finally:
        from propwatch.records import LAYER_RECORDS

        LAYER_RECORDS.pop("plugin_notes", None)


def test_stored_minhash_signatures_are_made_again_with_the_new_hashing(old_store):
    from propwatch.dedupe import band_buckets, signature

    with Store(str(old_store)) as store:
        store.migrate()
        rows = store.con.execute("SELECT id, text, minhash FROM documents WHERE minhash IS NOT NULL").fetchall()
        assert rows
        for doc_id, text, sig in rows:
            assert list(sig) == [int(x) for x in signature(text)]
        bands = store.con.execute("SELECT band, bucket FROM minhash_bands WHERE doc_id = ? ORDER BY band", [rows[0][0]]).fetchall()
        assert [tuple(b) for b in bands] == band_buckets(rows[0][2])
