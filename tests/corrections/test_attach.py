"""Decisions survive reruns: found again by key, followed when an item moves a few
characters, listed as orphaned when it is gone; the corrected view is applied on reading."""

from __future__ import annotations

import dataclasses

import pytest

from corrections.built import config_for, store_copy
from propwatch.corrections import Decision, corrected_record, record_decision, story_verdicts
from propwatch.corrections.attach import apply_corrections, place, verdicts
from propwatch.corrections.decisions import corrections
from propwatch.output.records import document_record
from propwatch.store import Store


@pytest.fixture
def path(tmp_path_factory, tmp_path):
    return store_copy(tmp_path_factory, tmp_path / "s")


def story(st: Store, external_id: str):
    return next(d for d in st.load() if d.external_id == external_id)


def _corrected(st: Store, doc):
    return corrected_record(st.con, doc, document_record(doc))


def test_placing_a_decision_on_items_that_moved_or_went(path):
    with Store(path) as st:
        s1 = story(st, "s1")
        tech = next(t for t in s1.layer("techniques") if t.technique == "Name_Calling,Labeling")
        c = record_decision(st, Decision(s1.id, "techniques", "reject", "ana", tech.start, tech.end))
    same = {"start": tech.start, "end": tech.end, "technique": tech.technique}
    other = {"start": 0, "end": 20, "technique": "Doubt"}
    assert place(c, [other, same]) == ("attached", 1)
    shifted = {**same, "start": tech.start - 2, "end": tech.end + 1}  # a new model took a few more characters
    assert place(c, [other, shifted]) == ("moved", 1)
    assert place(c, [other, {**shifted, "technique": "Doubt"}]) == ("orphaned", None)  # same place, another technique
    far = {**same, "start": tech.end, "end": tech.end + 30}
    assert place(c, [far]) == ("orphaned", None)
    assert place(c, []) == ("orphaned", None)
    assert verdicts("another", {"techniques": [same]}, [c]) == []


@pytest.mark.slow  # several seconds: CI runs it with -m slow
def test_a_correction_survives_analyze_of_the_same_input_and_a_recomputed_layer(path):
    from propwatch.pipeline import Pipeline

    with Store(path) as st:
        s1 = story(st, "s1")
        tech = next(t for t in s1.layer("techniques") if t.technique == "Loaded_Language")
        quote = next(q for q in s1.layer("quotes") if q.speaker.name == "Tomas Varga")
        record_decision(st, Decision(s1.id, "techniques", "relabel", "ana", tech.start, tech.end,
                                     label="Exaggeration,Minimisation"))
        record_decision(st, Decision(s1.id, "quotes", "speaker", "ana", quote.start, quote.end,
                                     label="Admiral Tomas Varga", detail={"entity_id": "per:tomas-varga"}))
        before = st.con.execute("SELECT layer, fingerprint FROM layer_state WHERE doc_id = ?", [s1.id]).fetchall()
    feed = path.parent / "stories.jsonl"
    for overrides in ({}, {"stages.techniques.min_chars": 4}):  # the same run; then techniques made again
        pipe = Pipeline(config_for(path, **overrides))
        pipe.analyze([str(feed)])
        pipe.close()
    with Store(path) as st:
        after = st.con.execute("SELECT layer, fingerprint FROM layer_state WHERE doc_id = ?", [s1.id]).fetchall()
        assert dict(before)["techniques"] != dict(after)["techniques"]  # the layer was recomputed
        doc = story(st, "s1")
        placed = story_verdicts(st.con, doc)
        assert sorted(v.status for v in placed) == ["attached", "attached"]
        record = _corrected(st, doc)
    relabelled = next(t for t in record["techniques"] if t["start"] == tech.start)
    assert relabelled["technique"] == "Exaggeration,Minimisation"
    assert relabelled["machine"] == {"technique": "Loaded_Language"} and relabelled["analyst"]["analyst"] == "ana"
    fixed = next(q for q in record["quotes"] if q["start"] == quote.start)
    assert fixed["speaker"]["name"] == "Admiral Tomas Varga" and fixed["machine"]["speaker"]["name"] == "Tomas Varga"
    assert fixed["speaker"]["entity_id"] == "per:tomas-varga"


def test_a_moved_item_keeps_its_decision_and_a_vanished_one_is_orphaned_not_lost(path):
    with Store(path) as st:
        s1 = story(st, "s1")
        techs = sorted(s1.layer("techniques"), key=lambda t: t.start)
        for t in techs:
            record_decision(st, Decision(s1.id, "techniques", "reject", "ana", t.start, t.end))
        stage, fingerprint = st.con.execute(
            "SELECT stage, fingerprint FROM layer_state WHERE doc_id = ? AND layer = 'techniques'", [s1.id]).fetchone()
        # a new model's output: the first span a word wider, the second gone
        first = techs[0]
        wider = dataclasses.replace(first, end=first.end + 3, text=s1.text[first.start:first.end + 3])
        st.write_batch([], [(s1.id, "techniques", stage, fingerprint + "x", [wider])], [])
        doc = story(st, "s1")
        placed = {v.correction.start: v for v in story_verdicts(st.con, doc)}
        record = _corrected(st, doc)
    assert placed[first.start].status == "moved" and placed[first.start].index == 0
    assert placed[techs[1].start].status == "orphaned" and placed[techs[1].start].correction.text == techs[1].text
    assert record["techniques"] == []  # the moved span is still rejected
    assert [r["item"]["end"] for r in record["rejected"]] == [first.end + 3]
    assert {c["status"] for c in record["corrections"]} == {"moved", "orphaned"}


def test_the_corrected_view_applies_each_kind_of_decision_and_leaves_the_machine_output(path):
    with Store(path) as st:
        s1, s2, s4 = story(st, "s1"), story(st, "s2"), story(st, "s4")
        claim = s1.layer("claims")[0]
        tech = next(t for t in s1.layer("techniques") if t.technique == "Loaded_Language")
        match = s2.layer("debunk_matches")[0]
        record_decision(st, Decision(s1.id, "claims", "reject", "ana", claim.start, claim.end, note="a headline"))
        record_decision(st, Decision(s1.id, "techniques", "accept", "ben", tech.start, tech.end))
        record_decision(st, Decision(s1.id, "techniques", "add", "ben", 4, 8, label="Doubt"))
        record_decision(st, Decision(s2.id, "debunks", "stance", "ana", match.start, match.end, label="supports"))
        record_decision(st, Decision("", "entities", "merge", "ana", machine_label="per:lena-holt",
                                     label="per:tomas-varga"))
        one, two, four = (_corrected(st, d) for d in (s1, s2, s4))
        machine_one = document_record(st.get(s1.id))
        assert len(corrections(st.con)) == 5
    assert [c["text"] for c in one["claims"]] == [c.text for c in s1.layer("claims")[1:]]
    assert one["rejected"][0]["item"]["text"] == claim.text and one["rejected"][0]["analyst"]["note"] == "a headline"
    kept = next(t for t in one["techniques"] if t["start"] == tech.start)
    assert kept["technique"] == "Loaded_Language" and kept["analyst"]["decision"] == "accept"
    added = next(t for t in one["techniques"] if t["start"] == 4)
    assert added == {"start": 4, "end": 8, "text": s1.text[4:8], "technique": "Doubt", "score": None, "quoted": False,
                     "analyst": added["analyst"]} and added["analyst"]["status"] == "added"
    assert [t["start"] for t in one["techniques"]] == sorted(t["start"] for t in one["techniques"])
    assert len(machine_one["claims"]) == len(s1.layer("claims"))  # the store keeps the machine's
    assert two["debunk_matches"][0]["stance"] == "supports" and two["debunk_matches"][0]["machine"]["stance"] == "denies"
    stance = next(s for s in two["stances"] if s["target"] == f"debunk:{match.debunk_id}")
    assert stance["stance"] == "supports" and stance["by"] == "analyst" and stance["machine"]["stance"] == "denies"
    holt = next(e for e in four["entities"] if e["text"] == "Lena Holt")
    assert holt["entity_id"] == "per:tomas-varga" and holt["machine"] == {"entity_id": "per:lena-holt"}
    assert four["quotes"][0]["speaker"]["entity_id"] == "per:tomas-varga"
    assert four["corrections"] == []  # the merge is the corpus's, not this story's


def test_apply_corrections_on_a_record_without_decisions_only_adds_empty_lists(path):
    with Store(path, read_only=True) as st:
        doc = story(st, "s3")
        record = document_record(doc)
        out = apply_corrections(record, [], {})
    assert out == {**record, "corrections": [], "rejected": []}


def _decision(start: int, end: int, label: str):
    from datetime import datetime

    from propwatch.corrections.decisions import Correction, item_key

    return Correction(1, "d", "techniques", item_key("techniques", start, end, label), "reject", start, end, "x" * (end - start),
                      label, None, {}, None, "ana", datetime(2026, 1, 1), "", "cli")


def test_a_placed_decision_is_on_its_item_or_an_overlapping_one_or_orphaned():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from propwatch.corrections.attach import MIN_OVERLAP, STATUSES, overlap

    labels = st.sampled_from(["Doubt", "Loaded_Language"])
    spans = st.tuples(st.integers(0, 200), st.integers(1, 40), labels).map(lambda t: (t[0], t[0] + t[1], t[2]))

    @settings(max_examples=150, deadline=None)
    @given(st.lists(spans, max_size=8), spans, st.integers(-3, 3))
    def check(items, decided, shift):
        c = _decision(*decided)
        records = [{"start": s, "end": e, "technique": label} for s, e, label in items]
        status, index = place(c, records)
        assert status in STATUSES
        if status == "attached":
            r = records[index]
            assert (r["start"], r["end"], r["technique"]) == decided
        elif status == "moved":
            r = records[index]
            assert r["technique"] == decided[2] and overlap((r["start"], r["end"]), decided[:2]) >= MIN_OVERLAP
        else:
            assert index is None and decided not in [(r["start"], r["end"], r["technique"]) for r in records]
        # the same item a few characters off is followed when it is long enough for the shift
        start, end, label = decided
        moved = [{"start": max(0, start + shift), "end": end + shift if end + shift > max(0, start + shift) else end,
                  "technique": label}]
        if overlap((moved[0]["start"], moved[0]["end"]), (start, end)) >= MIN_OVERLAP:
            assert place(c, moved)[0] in ("attached", "moved")

    check()


def test_a_split_mention_takes_its_own_actor_and_merges_still_follow(path):
    from propwatch.errors import InputError

    with Store(path) as st:
        s2 = story(st, "s2")
        varga = next(e for e in s2.layer("entities") if e.text == "Varga")
        with pytest.raises(InputError, match="a split names another entity"):
            record_decision(st, Decision(s2.id, "entities", "split", "ana", varga.start, varga.end,
                                         label="per:tomas-varga"))
        split = record_decision(st, Decision(s2.id, "entities", "split", "ana", varga.start, varga.end,
                                             label="per:ivo-varga"))
        assert split.doc_id == s2.id and split.machine_label == "per:tomas-varga"
        record_decision(st, Decision("", "entities", "merge", "ana", machine_label="org:navy", label="org:sputnik"))
        record = _corrected(st, story(st, "s2"))
    mention = next(e for e in record["entities"] if e["start"] == varga.start)
    assert mention["entity_id"] == "per:ivo-varga" and mention["machine"] == {"entity_id": "per:tomas-varga"}
    assert mention["analyst"]["decision"] == "split"
    full = next(e for e in record["entities"] if e["text"] == "Tomas Varga")
    assert full["entity_id"] == "per:tomas-varga"  # the other mention stays
    navy = next(e for e in record["entities"] if e["text"] == "navy")
    assert navy["entity_id"] == "org:sputnik" and navy["machine"] == {"entity_id": "org:navy"}
