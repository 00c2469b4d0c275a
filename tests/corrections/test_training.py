"""Decisions as training data: gold-style examples with offsets, Label Studio tasks out and
completed annotations back in as decisions."""

from __future__ import annotations

import json

import pytest

from corrections.built import store_copy
from propwatch.corrections import Decision, corrections, record_decision
from propwatch.corrections.training import gold_examples, import_labelstudio, label_config, labelstudio_tasks
from propwatch.errors import InputError
from propwatch.store import Store


@pytest.fixture
def path(tmp_path_factory, tmp_path):
    return store_copy(tmp_path_factory, tmp_path / "s")


def story(st: Store, external_id: str):
    return next(d for d in st.load() if d.external_id == external_id)


def test_gold_examples_carry_text_offsets_and_the_analysts_label(path):
    with Store(path) as st:
        s1, s2 = story(st, "s1"), story(st, "s2")
        loaded, calling = sorted(s1.layer("techniques"), key=lambda t: t.start)
        record_decision(st, Decision(s1.id, "techniques", "accept", "ana", loaded.start, loaded.end))
        record_decision(st, Decision(s1.id, "techniques", "reject", "ana", calling.start, calling.end))
        record_decision(st, Decision(s1.id, "techniques", "add", "ben", 0, 8, label="Doubt"))
        quote = next(q for q in s1.layer("quotes") if q.speaker.name == "Tomas Varga")
        record_decision(st, Decision(s1.id, "quotes", "speaker", "ana", quote.start, quote.end,
                                     label="Admiral Tomas Varga", detail={"entity_id": "per:tomas-varga"}))
        match = s2.layer("debunk_matches")[0]
        record_decision(st, Decision(s2.id, "debunks", "stance", "ana", match.start, match.end, label="supports"))
        techniques = list(gold_examples(st, "techniques"))
        quotes = list(gold_examples(st, "quotes"))
        debunks = list(gold_examples(st, "debunks"))
        only_ben = list(gold_examples(st, "techniques", analyst="ben"))
        with pytest.raises(InputError, match="no training data"):
            list(gold_examples(st, "entities"))
    assert [(e["label"], e["positive"], e["decision"]) for e in techniques] == [
        ("Loaded_Language", True, "accept"), (None, False, "reject"), ("Doubt", True, "add")]
    for e in techniques + quotes + debunks:
        assert e["text"][e["start"]:e["end"]] == e["span"] and e["label_source"] == "analyst"
    assert techniques[0]["text"] == s1.text and techniques[0]["model"] == "techniques.v1"
    assert techniques[2]["status"] == "added" and techniques[2]["machine_label"] is None
    assert quotes[0]["label"] == "Admiral Tomas Varga" and quotes[0]["speaker_entity_id"] == "per:tomas-varga"
    assert debunks[0]["label"] == match.debunk_id and debunks[0]["stance"] == "supports" and debunks[0]["positive"]
    assert [e["analyst"] for e in only_ben] == ["ben"]
    json.dumps(techniques)  # plain data


def test_labelstudio_tasks_hold_the_text_and_the_machines_spans_as_predictions(path):
    with Store(path, read_only=True) as st:
        s1 = story(st, "s1")
        tasks = list(labelstudio_tasks(st, "techniques"))
        claims = list(labelstudio_tasks(st, "claims", [s1.id]))
    assert len(tasks) == 4 and {t["data"]["layer"] for t in tasks} == {"techniques"}
    task = next(t for t in tasks if t["data"]["doc_id"] == s1.id)
    assert task["data"]["text"] == s1.text and task["predictions"][0]["model_version"] == "techniques.v1"
    values = [r["value"] for r in task["predictions"][0]["result"]]
    assert values == [{"start": t.start, "end": t.end, "text": t.text, "labels": [t.technique]} for t in s1.layer("techniques")]
    assert claims[0]["predictions"][0]["result"][0]["value"]["labels"] == ["Claim"]
    config = label_config("techniques")
    assert '<Label value="Loaded_Language"/>' in config and '<Text name="text" value="$text"/>' in config
    assert '<Label value="Quote"/>' in label_config("quotes")


def test_completed_annotations_come_back_as_decisions_once(path, tmp_path):
    with Store(path) as st:
        s1 = story(st, "s1")
        task = next(t for t in labelstudio_tasks(st, "techniques") if t["data"]["doc_id"] == s1.id)
        loaded, calling = [r["value"] for r in task["predictions"][0]["result"]]
        # the annotator keeps the first span, relabels nothing, drops the second, draws a new one
        done = {**task, "id": 7, "annotations": [{
            "completed_by": {"email": "cleo@example.org"}, "was_cancelled": False,
            "result": [
                {"from_name": "label", "to_name": "text", "type": "labels", "value": loaded},
                {"from_name": "label", "to_name": "text", "type": "labels",
                 "value": {"start": 0, "end": 8, "text": s1.text[:8], "labels": ["Doubt"]}},
            ]}, {"completed_by": 3, "was_cancelled": True, "result": []}]}
        relabel = {**task, "id": 8, "annotations": [{"completed_by": {"email": "dan@example.org"}, "result": [
            {"type": "labels", "value": {**loaded, "labels": ["Exaggeration,Minimisation"]}},
            {"type": "labels", "value": calling}]}]}
        strangers = [{"id": 9, "data": {"text": "x"}, "annotations": []},
                     {"id": 10, "data": {"doc_id": "ffffffffffffffff", "layer": "techniques"}, "annotations": []}]
        export = tmp_path / "export.json"
        export.write_text(json.dumps([done, relabel, *strangers]), "utf-8")
        report = import_labelstudio(st, export)
        again = import_labelstudio(st, export)
        stored = corrections(st.con, [s1.id])
    assert report.tasks == 4 and report.annotations == 2
    assert report.stored == {"accept": 2, "add": 1, "reject": 1, "relabel": 1} and report.unchanged == 0
    assert any("not a propwatch task" in why for why in report.skipped)
    assert any("no story ffffffffffffffff" in why for why in report.skipped)
    assert again.stored == {} and again.unchanged == 5
    mine = {(c.analyst, c.decision, c.label) for c in stored}
    assert ("labelstudio:cleo@example.org", "add", "Doubt") in mine
    assert ("labelstudio:dan@example.org", "relabel", "Exaggeration,Minimisation") in mine
    assert {c.origin for c in stored} == {"labelstudio"}


@pytest.mark.parametrize("content, message", [
    ("{not json", "not JSON"),
    ('"a string"', "a JSON list of tasks"),
    ("[1, 2]", "a JSON list of tasks"),
])
def test_a_file_that_is_not_a_labelstudio_export_is_refused_with_its_name(path, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content, "utf-8")
    with Store(path) as st, pytest.raises(InputError, match=message) as err:
        import_labelstudio(st, bad)
    assert str(bad) in str(err.value)
