"""Decisions: stored with who and when, the latest one counts, undo brings back the one before,
and every decision that makes no sense is refused with the reason."""

from __future__ import annotations

import pytest

from corrections.built import store_copy
from propwatch.corrections import Decision, corrections, entity_merges, recent, record_decision, undo
from propwatch.errors import InputError, NotFoundError
from propwatch.store import Store


@pytest.fixture
def store(tmp_path_factory, tmp_path):
    with Store(store_copy(tmp_path_factory, tmp_path / "s")) as st:
        yield st


def story(st: Store, external_id: str):
    return next(d for d in st.load() if d.external_id == external_id)


def test_decisions_are_kept_with_who_when_and_the_latest_counts(store):
    s1 = story(store, "s1")
    quote = next(q for q in s1.layer("quotes") if q.speaker.name == "Tomas Varga")
    first = record_decision(store, Decision(s1.id, "quotes", "accept", "ana", quote.start, quote.end))
    second = record_decision(store, Decision(s1.id, "quotes", "speaker", "ben", quote.start, quote.end,
                                             label="Admiral Tomas Varga", detail={"entity_id": "per:tomas-varga",
                                                                                  "kind": "person"}))
    assert first.text == quote.text and first.machine_label == "Tomas Varga" and first.model == "quotes.v3"
    assert first.decided_at <= second.decided_at and second.analyst == "ben" and first.origin == "cli"
    current = corrections(store.con, [s1.id])
    assert [c.id for c in current] == [second.id] and current[0].analyst_label == "Admiral Tomas Varga"
    assert [c.id for c in corrections(store.con, [s1.id], history=True)] == [first.id, second.id]
    assert [c.id for c in corrections(store.con, [s1.id], analyst="ana")] == [first.id]

    withdrawn = undo(store, second.id, "ben")
    assert withdrawn.decision == "undo" and withdrawn.undoes == second.id
    assert [c.id for c in corrections(store.con, [s1.id])] == [first.id]  # the one before counts again
    rows, total = recent(store.con)
    assert total == 3 and [r.decision for r in rows] == ["undo", "speaker", "accept"]
    assert recent(store.con, analyst="ana")[1] == 1 and recent(store.con, layer="techniques")[1] == 0
    with pytest.raises(InputError, match="undone already"):
        undo(store, second.id, "ben")
    with pytest.raises(InputError, match="an undo itself"):
        undo(store, withdrawn.id, "ben")
    with pytest.raises(NotFoundError, match="no correction 999"):
        undo(store, 999, "ben")
    undo(store, first.id, "ana")
    assert corrections(store.con, [s1.id]) == []


def test_each_layer_takes_its_decisions(store):
    s1, s2 = story(store, "s1"), story(store, "s2")
    tech = next(t for t in s1.layer("techniques") if t.technique == "Loaded_Language")
    claim = s1.layer("claims")[0]
    match = s2.layer("debunk_matches")[0]
    made = [
        record_decision(store, Decision(s1.id, "techniques", "relabel", "ana", tech.start, tech.end,
                                        label="Exaggeration,Minimisation")),
        record_decision(store, Decision(s1.id, "techniques", "add", "ana", 0, 8, label="Doubt")),
        record_decision(store, Decision(s1.id, "claims", "reject", "ana", claim.start, claim.end)),
        record_decision(store, Decision(s2.id[:8], "debunks", "stance", "ana", match.start, match.end,
                                        label="supports")),
    ]
    assert [c.layer for c in made] == ["techniques", "techniques", "claims", "debunk_matches"]
    assert made[0].item_key == f"{tech.start}:{tech.end}:Loaded_Language" and made[0].machine_label == "Loaded_Language"
    assert made[1].text == s1.text[0:8] and made[1].item_key == "0:8:Doubt" and made[1].machine_label is None
    assert made[2].item_key == f"{claim.start}:{claim.end}" and made[2].analyst_label is None
    assert made[3].doc_id == s2.id and made[3].machine_label == match.debunk_id
    merge = record_decision(store, Decision("", "entities", "merge", "ana", machine_label="per:lena-holt",
                                            label="per:tomas-varga"))
    assert merge.doc_id == "" and merge.start is None
    assert entity_merges(store.con) == {"per:lena-holt": "per:tomas-varga"}
    assert len(corrections(store.con, [s1.id])) == 4  # its three and the corpus-wide merge


def test_merges_follow_a_chain_and_stop_at_a_cycle(store):
    for source, target in (("per:lena-holt", "per:tomas-varga"), ("per:tomas-varga", "org:navy"),
                           ("org:navy", "per:lena-holt")):
        record_decision(store, Decision("", "entities", "merge", "ana", machine_label=source, label=target))
    merges = entity_merges(store.con)
    assert merges["per:lena-holt"] == "org:navy" and merges["per:tomas-varga"] == "per:lena-holt"


@pytest.mark.parametrize("decision, message", [
    (Decision("S1", "sentences", "reject", "ana", 0, 5), "layer 'sentences' takes no corrections"),
    (Decision("S1", "claims", "relabel", "ana", 0, 5, label="x"), "'relabel' is not a decision on claims"),
    (Decision("S1", "claims", "reject", "  ", 0, 5), "needs the analyst"),
    (Decision("S1", "techniques", "relabel", "ana", 0, 5, label="Sarcasm"), "unknown technique 'Sarcasm'"),
    (Decision("S1", "techniques", "relabel", "ana", 0, 5), "'relabel' needs the new label"),
    (Decision("S1", "debunks", "stance", "ana", 0, 5, label="agrees"), "unknown stance 'agrees'"),
    (Decision("S1", "quotes", "speaker", "ana", 0, 5, label="X", detail={"kind": "robot"}), "unknown speaker kind"),
    (Decision("S1", "claims", "reject", "ana"), r"offsets \(start and end\) are needed"),
    (Decision("S1", "claims", "reject", "ana", "0", 5), "offsets must be whole numbers"),
    (Decision("S1", "techniques", "add", "ana", 10, 5000, label="Doubt"), "outside the story's"),
    (Decision("S1", "claims", "reject", "ana", 0, 5, note="n" * 2001), "the note is 2001 characters"),
    (Decision("S1", "claims", "reject", "ana", 0, 5, origin="email"), "origin 'email'"),
    (Decision("", "entities", "merge", "ana", machine_label="org:navy", label="org:navy"), "merged into itself"),
    (Decision("", "entities", "merge", "ana", label="org:navy"), "names the entity merged"),
])
def test_a_decision_that_makes_no_sense_is_refused(store, decision, message):
    from dataclasses import replace

    if decision.doc_id == "S1":
        decision = replace(decision, doc_id=story(store, "s1").id)
    with pytest.raises(InputError, match=message) as err:
        record_decision(store, decision)
    assert err.value.kind == "bad-correction"
    assert store.con.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def test_a_decision_on_nothing_is_not_found(store):
    s1 = story(store, "s1")
    with pytest.raises(NotFoundError, match="no claims item at 1:5"):
        record_decision(store, Decision(s1.id, "claims", "reject", "ana", 1, 5))
    tech = s1.layer("techniques")[0]
    with pytest.raises(NotFoundError, match="labelled 'Doubt'"):
        record_decision(store, Decision(s1.id, "techniques", "reject", "ana", tech.start, tech.end, machine_label="Doubt"))
    with pytest.raises(NotFoundError, match="no document"):
        record_decision(store, Decision("ffffffffffff", "claims", "reject", "ana", 0, 5))
    with pytest.raises(NotFoundError, match="no entity 'per:nobody'"):
        record_decision(store, Decision("", "entities", "merge", "ana", machine_label="per:nobody", label="org:navy"))
