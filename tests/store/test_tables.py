"""Typed layer tables: the type mapping, lossless round trips, fallbacks and type changes."""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from propwatch.records import LAYER_RECORDS, Document, layer_record, record_from_dict, record_to_dict
from propwatch.store import Store
from propwatch.store.tables import Shape, load_record_types, shape_of, table_for


@dataclass(frozen=True)
class Inner:
    name: str | None = None
    weight: float = 0.0


@dataclass(frozen=True)
class Outer:
    start: int
    ok: bool
    inner: Inner
    maybe: Inner | None
    items: tuple[Inner, ...]
    words: tuple[str, ...]
    scores: Mapping[str, float]
    pair: tuple[str, int]
    either: int | str


def test_shape_of_maps_python_types_to_duckdb():
    cols = {name: shape.sql for name, shape in table_for_class(Outer)}
    assert cols == {
        "start": "BIGINT", "ok": "BOOLEAN",
        "inner": 'STRUCT("name" VARCHAR, weight DOUBLE)'.replace("weight", '"weight"'),
        "maybe": 'STRUCT("name" VARCHAR, "weight" DOUBLE)',
        "items": 'STRUCT("name" VARCHAR, "weight" DOUBLE)[]',
        "words": "VARCHAR[]", "scores": "JSON", "pair": "JSON", "either": "JSON",
    }


def table_for_class(cls):
    hints = typing.get_type_hints(cls)
    return [(f.name, shape_of(hints[f.name])) for f in dataclasses.fields(cls)]


def test_every_registered_layer_has_a_typed_table():
    load_record_types()
    for layer in ("sentences", "entities", "quotes", "sourcing", "sourcing_summary", "claims", "techniques",
                  "debunk_matches", "denials", "stances", "assessment"):
        table = table_for(layer)
        assert table is not None and table.name == f"layer_{layer}"
        assert all(shape.kind != "JSON" or layer in ("sourcing_summary", "stances") for _, shape in table.fields), layer


# ------------------------------------------------------------------ round trips of every layer


def values(shape: Shape) -> st.SearchStrategy:
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
    if shape.kind == "BIGINT":
        return st.integers(0, 10_000)
    if shape.kind == "DOUBLE":
        return st.floats(allow_nan=False, allow_infinity=False, width=64)
    if shape.kind == "VARCHAR":
        return text
    if shape.kind == "BOOLEAN":
        return st.booleans()
    if shape.kind == "LIST":
        return st.lists(values(shape.item), max_size=3)
    if shape.kind == "STRUCT":
        return st.fixed_dictionaries({n: values(s) for n, s in shape.fields})
    return st.dictionaries(text, st.one_of(st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False), text), max_size=3)


def fix_spans(value):
    """Make every start/end/text triple consistent (span records check it)."""
    if isinstance(value, dict):
        out = {k: fix_spans(v) for k, v in value.items()}
        if isinstance(out.get("start"), int) and isinstance(out.get("text"), str) and "end" in out:
            out["end"] = out["start"] + len(out["text"])
        return out
    if isinstance(value, list):
        return [fix_spans(v) for v in value]
    return value


def record_strategy(layer: str):
    table = table_for(layer)
    fields = {n: st.one_of(st.none(), values(s)) if n not in ("start", "end", "text") else values(s)
              for n, s in table.fields}
    return st.fixed_dictionaries(fields).map(fix_spans)


load_record_types()
LAYERS = sorted(n for n in LAYER_RECORDS if table_for(n) is not None)


@pytest.fixture(scope="module")
def shared_store():
    store = Store(":memory:")
    doc = Document(text="A story.", source="t.txt")
    store.write_batch([doc], [], [])
    yield store, doc
    store.close()


@pytest.mark.parametrize("layer", LAYERS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_layer_round_trips_through_its_table(shared_store, layer, data):
    store, doc = shared_store
    cls = LAYER_RECORDS[layer]
    items = data.draw(st.lists(record_strategy(layer), max_size=4))
    records = []
    for item in items:
        try:
            records.append(record_from_dict(cls, item))
        except (TypeError, ValueError):
            assume(False)
    store.write_batch([], [(doc.id, layer, f"{layer}.v1", "fp", records)], [])
    back = store.load([doc.id], layers=[layer])[0].layer(layer)
    storage = store.con.execute("SELECT storage FROM layer_state WHERE layer = ?", [layer]).fetchone()[0]
    assert back == tuple(records)
    assert json.dumps([record_to_dict(r) for r in back]) == json.dumps([record_to_dict(r) for r in records])
    if storage == "json":  # only a value that its declared type cannot hold unchanged goes to the fallback
        table = table_for(layer)
        assert not all(table.fits(record_to_dict(r)) for r in records)


# ------------------------------------------------------------------ fallbacks and type changes


@pytest.fixture
def notes_layer():
    names = []

    def register(name, cls):
        LAYER_RECORDS.pop(name, None)
        layer_record(name)(cls)
        names.append(name)
        return cls

    yield register
    for name in names:
        LAYER_RECORDS.pop(name, None)


def test_a_value_that_does_not_fit_its_type_is_kept_exactly(notes_layer):
    @dataclass(frozen=True)
    class Score:
        value: float
        label: str = ""

    notes_layer("test_scores", Score)
    doc = Document(text="Scores.", source="s.txt")
    odd = (Score(1.5, "x"), Score(0, "an int in a float field"))  # type: ignore[arg-type]
    with Store(":memory:") as store:
        store.write_batch([doc], [(doc.id, "test_scores", "s.v1", "fp", odd)], [])
        back = store.get(doc.id).layer("test_scores")
        assert store.con.execute("SELECT storage FROM layer_state").fetchone()[0] == "json"
        fine = (Score(2.5, "y"),)
        store.write_batch([], [(doc.id, "test_scores", "s.v1", "fp2", fine)], [])
        assert store.get(doc.id).layer("test_scores") == fine
        assert store.con.execute("SELECT storage FROM layer_state").fetchone()[0] == "table"
        assert store.con.execute("SELECT count(*) FROM layer_json").fetchone()[0] == 0
    assert type(back[1].value) is int and back == odd


def test_a_changed_record_type_rebuilds_its_table(tmp_path, notes_layer):
    @dataclass(frozen=True)
    class NoteV1:
        note: str
        tags: tuple[str, ...] = ()

    @dataclass(frozen=True)
    class NoteV2:
        note: str
        tags: tuple[str, ...] = ()
        weight: float = 0.5

    path = tmp_path / "s.duckdb"
    a, b = Document(text="First.", source="a.txt"), Document(text="Second.", source="b.txt")
    notes_layer("test_notes", NoteV1)
    with Store(path) as store:
        store.write_batch([a], [(a.id, "test_notes", "n.v1", "fp", [NoteV1("one", ("x",))])], [])
    notes_layer("test_notes", NoteV2)
    with Store(path) as store:
        assert store.get(a.id).layer("test_notes") == (NoteV2("one", ("x",), 0.5),)  # read before any rebuild
        store.write_batch([b], [(b.id, "test_notes", "n.v2", "fp", [NoteV2("two", (), 0.25)])], [])
        assert store.get(a.id).layer("test_notes") == (NoteV2("one", ("x",), 0.5),)
        assert store.get(b.id).layer("test_notes") == (NoteV2("two", (), 0.25),)
        cols = [r[0] for r in store.con.execute("DESCRIBE layer_test_notes").fetchall()]
    assert cols == ["doc_id", "seq", "note", "tags", "weight"]


def test_an_empty_layer_is_stored_as_run(notes_layer):
    doc = Document(text="Nothing found.", source="n.txt")
    with Store(":memory:") as store:
        store.write_batch([doc], [(doc.id, "techniques", "techniques.v1", "fp", [])], [])
        assert store.get(doc.id).layers == {"techniques": ()}
        assert store.stored_layers([doc.id])[doc.id]["techniques"].fingerprint == "fp"
