"""Golden alias-resolution cases (tests/cases/entities/aliases.jsonl), negatives included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[1] / "cases" / "entities" / "aliases.jsonl"
ROWS = [json.loads(line) for line in CASES.read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", ROWS, ids=[r["id"] for r in ROWS])
def test_alias_case(case, analyse):
    doc = analyse([case["text"]], entity_config=case.get("options"), upto="entities")[0]
    mentions = doc.layer("entities")
    found = {(m.text, m.entity_id, m.label) for m in mentions}
    for surface, entity_id, label in case.get("expect", []):
        assert (surface, entity_id, label) in found, f"{surface!r} -> {entity_id} not in {sorted(found)}"
    for surface in case.get("absent", []):
        assert surface not in {m.text for m in mentions}, f"{surface!r} should not be an entity"
    for entity_id in case.get("absent_ids", []):
        assert entity_id not in {m.entity_id for m in mentions}
    for label in case.get("absent_labels", []):
        assert all(not (m.label == label and m.text in case["text"].split()[0]) for m in mentions)
        assert label not in {m.label for m in mentions if m.text in ("Daesh", "Ankara")}
    for entity_id, n in case.get("count", {}).items():
        assert sum(m.entity_id == entity_id for m in mentions) == n
    for surface in case.get("media", []):
        assert any(m.text == surface and m.kind == "media" for m in mentions)


def test_ids_agree_across_stories(analyse):
    docs = analyse(["Sergei Lavrov spoke.", "Sergey Lavrov spoke.", "Сергей Лавров выступил."], upto="entities")
    ids = [{m.entity_id for m in d.layer("entities") if m.label == "PERSON"} for d in docs]
    assert ids == [{"per:sergey-lavrov"}] * 3


def test_offsets_hold(analyse):
    text = "The Islamic State (IS) lost ground. Turkish Foreign Minister Mevlut Cavusoglu said Ankara’s offer stands."
    doc = analyse([text], upto="entities")[0]
    assert doc.layer("entities")
    for m in doc.layer("entities"):
        assert text[m.start:m.end] == m.text


def test_slug_is_deterministic():
    from propwatch.who.aliases import load_table

    table = load_table()
    assert table.entity_id("Dmitri Petrov", "PERSON") == table.entity_id("Dmitry Petrov", "PERSON") == "per:dmitry-petrov"
    assert table.entity_id("Erdoğan", "PERSON") == "per:recep-tayyip-erdogan"
    assert table.entity_id("Free Syrian Army", "ORG") == "org:free-syrian-army"
    assert table.entity_id("Nowhere Brigade", "ORG") == "org:nowhere-brigade"
