"""Documents are data: they pickle, round-trip through dicts and Arrow, and a stage
runs in a fresh process from its settings and ``setup`` resources alone."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propwatch.arrow import from_arrow, to_arrow
from propwatch.records import (
    CleaningStep,
    Document,
    HtmlInfo,
    PageSignals,
    Sentence,
    document_from_dict,
    document_to_dict,
)


def _same(a: Document, b: Document) -> None:
    assert a == b
    assert a.id == b.id
    assert dict(a.layers) == dict(b.layers)


@pytest.mark.slow  # several seconds: CI runs it with -m slow
def test_every_layer_of_every_analysed_story_round_trips(analysed):
    assert {name for d in analysed for name in d.layers} >= {
        "sentences", "entities", "quotes", "sourcing", "sourcing_summary", "claims", "techniques",
        "debunk_matches", "denials", "stances", "assessment",
    }
    for doc in analysed:
        _same(pickle.loads(pickle.dumps(doc)), doc)
        _same(document_from_dict(document_to_dict(doc)), doc)
    for a, b in zip(from_arrow(to_arrow(analysed)), analysed):
        _same(a, b)


def test_every_layer_of_every_stored_story_round_trips(tmp_path, analysed):
    from propwatch.store import Store

    store = Store(tmp_path / "rt.duckdb")
    rows = [(d.id, name, "test.v1", "fp", records) for d in analysed for name, records in d.layers.items()]
    store.write_batch(analysed, rows, [(d.id, d.source, d.story_index, None) for d in analysed])
    loaded = store.load([d.id for d in analysed])
    store.close()
    by_id = {d.id: d for d in analysed}
    assert len(loaded) == len(analysed)
    for doc in loaded:
        assert dict(doc.layers) == dict(by_id[doc.id].layers)
        _same(pickle.loads(pickle.dumps(doc)), doc)
        _same(from_arrow(to_arrow([doc]))[0], doc)


_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
_opt = st.none() | _text


@st.composite
def documents(draw):
    text = draw(_text)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=6)))
    sentences = tuple(Sentence.of(text, a, b, paragraph=i) for i, (a, b) in enumerate(zip(cuts, cuts[1:])))
    signals = PageSignals(
        credits=tuple(draw(st.lists(_text, max_size=2))),
        page_attribution=tuple(draw(st.lists(st.tuples(_text, st.integers(0, 9)), max_size=2))),
        html=draw(st.none() | st.builds(HtmlInfo, title=_opt, sitename=_opt)),
        input_id=draw(_opt),
    )
    doc = Document(
        text=text, source=draw(_text), story_index=draw(st.integers(0, 5)), title=draw(_opt),
        published=draw(_opt), language=draw(st.sampled_from(["en", "ru", "und"])),
        language_score=draw(st.floats(0, 1)), flags=tuple(draw(st.lists(_text, max_size=2))),
        cleaning=(CleaningStep("field", {"field": "text"}, "note"),), signals=signals,
        near_duplicate_of=draw(_opt),
    )
    return doc.with_layer("sentences", sentences) if draw(st.booleans()) else doc


@settings(max_examples=60, deadline=None)
@given(documents())
def test_any_document_round_trips(doc):
    _same(pickle.loads(pickle.dumps(doc)), doc)
    _same(document_from_dict(document_to_dict(doc)), doc)
    _same(from_arrow(to_arrow([doc]))[0], doc)


def test_an_empty_layer_and_a_missing_layer_stay_apart():
    doc = Document(text="Nothing here.", source="x").with_layer("quotes", ())
    back = from_arrow(to_arrow([doc]))[0]
    assert "quotes" in back.layers and "claims" not in back.layers


CHILD = """
import pickle, sys
from propwatch.runner import run
stage, resources, docs = pickle.load(sys.stdin.buffer)
out = run([stage], docs, resources)
sys.stdout.buffer.write(pickle.dumps(out))
"""


def _in_fresh_process(stage, resources, docs):
    done = subprocess.run([sys.executable, "-c", CHILD], input=pickle.dumps((stage, resources, docs)),
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return pickle.loads(done.stdout)


def test_a_stage_runs_in_a_fresh_process_from_its_setup_resources(tmp_path, analysed, fast_config):
    """The debunk matcher finds its database from the resources (a store file opened
    read-only in the child), with no store handle passed in."""
    from propwatch.debunks.db import DebunkDB
    from propwatch.pipeline import Pipeline
    from propwatch.resources import Resources
    from propwatch.runner import run
    from propwatch.store import Store

    path = tmp_path / "debunks.duckdb"
    cases = tmp_path / "cases.csv"
    cases.write_text("claim,verdict\nThe ministry of defence denied that forty fuel trucks crossed the northern border.,"
                     "disinformation\n", "utf-8")
    with Store(path) as store:
        assert DebunkDB(store).import_file(cases).added == 1
    config = fast_config(**{"store.path": str(path), "stages.debunk_matches.embedder": "hash",
                            "stages.debunk_matches.source": "sentences", "stages.debunk_matches.min_fused": 0.0,
                            "stages.debunk_matches.threshold": 0.0})
    pipeline = Pipeline(config)
    stage = next(s for s in pipeline.stages if s.name == "debunk_matches")
    resources = Resources(config, str(path))
    docs = [d.with_layers({k: v for k, v in d.layers.items() if k in stage.reads}) for d in analysed]
    child = _in_fresh_process(stage, resources, docs)
    here = run([type(stage)(stage.config)], docs, Resources(config, str(path)))
    assert [d.layer("debunk_matches") for d in child] == [d.layer("debunk_matches") for d in here]
    assert any(d.layer("debunk_matches") for d in child), "the child found the debunk in the store file"


def test_a_stage_without_a_database_matches_nothing_and_creates_no_file(tmp_path, analysed, monkeypatch):
    from propwatch.registry import stages
    from propwatch.resources import Resources
    from propwatch.runner import run

    monkeypatch.chdir(tmp_path)
    out = run([stages.get("debunk_matches")()], analysed[:1], Resources(None, str(tmp_path / "none.duckdb")))
    assert out[0].layer("debunk_matches") == ()
    assert list(tmp_path.iterdir()) == []
