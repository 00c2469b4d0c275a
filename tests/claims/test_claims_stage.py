"""Stage ``claims``: offsets, scores, entities, attribution, normalization (fake scorer)."""

from __future__ import annotations

from propwatch.claims.normalize import EntityRef, find_entities, normalize_claim, strip_attribution
from propwatch.records import Document, record_from_dict, record_to_dict
from propwatch.claims.stage import Attribution, Claim, clauses, parse_outputs

from claims.helpers import analyzed, narrative_rows  # noqa: F401


def test_offsets_and_fields(narrative_rows):
    docs = analyzed(narrative_rows)
    claims = [c for d in docs for c in d.layer("claims")]
    assert claims
    for d in docs:
        for c in d.layer("claims"):
            assert d.text[c.start:c.end] == c.text
            assert 0.0 <= c.checkworthiness <= 1.0
            assert c.normalized


def test_threshold_filters():
    rows = [{"text": "Thank you all for coming tonight, it is wonderful to be here. "
                     "The army sold 4,000 rifles to the rebels in 2014, the ministry said."}]
    docs = analyzed(rows, min_score=0.5)
    texts = [c.text for c in docs[0].layer("claims")]
    assert texts == ["The army sold 4,000 rifles to the rebels in 2014, the ministry said."]


def test_entities_from_alias_map_and_normalization():
    text = "According to the report, Daesh sells its oil to Ankara at low prices."
    ents = find_entities(text)
    assert [e.entity_id for e in ents] == ["org:islamic-state", "gpe:turkey"]
    assert normalize_claim(text, ents) == "Islamic State sells its oil to Turkey at low prices."


def test_pronoun_resolution_and_expletive():
    turkey = EntityRef(0, 0, "gpe:turkey", "Turkey", "GPE")
    assert normalize_claim("It buys the oil through middlemen.", [], turkey) == "Turkey buys the oil through middlemen."
    assert normalize_claim("It is clear that prices fell.", [], turkey) == "It is clear that prices fell."


def test_strip_attribution_variants():
    assert strip_attribution("The minister said that the convoy carried weapons.") == "The convoy carried weapons."
    assert strip_attribution("The convoy carried weapons, according to local sources.") == "The convoy carried weapons"
    assert strip_attribution("A leaked report says the convoy carried weapons.") == "The convoy carried weapons."
    assert strip_attribution('"The convoy carried weapons for the rebels," a deputy minister said, citing photos.') == (
        "The convoy carried weapons for the rebels")


def test_attribution_pattern_and_quote_layer():
    text = "The convoy carried 40 tons of weapons, according to the border agency."
    doc = Document(text=text, source="x")
    claims = parse_outputs(doc, [(0, 0, len(text))], [0.9], 0.5)
    assert claims[0].attributed_to == Attribution(name="the border agency", source="pattern")

    class Speaker:  # stands in for the quotes layer's record (optional dependency)
        name, entity_id, kind = "Ivan Petrov", "per:ivan-petrov", "person"

    class Quote:
        start, end, speaker = 0, len(text), Speaker()

    doc = Document(text=text, source="x", layers={"quotes": (Quote(),)})
    att = parse_outputs(doc, [(0, 0, len(text))], [0.9], 0.5)[0].attributed_to
    assert (att.name, att.entity_id, att.source, att.quote_start, att.quote_end) == (
        "Ivan Petrov", "per:ivan-petrov", "quote", 0, len(text))


def test_entities_layer_preferred_when_present():
    text = "The Kremlin denied that the jets crossed into Turkish airspace."

    class Mention:
        def __init__(self, start, end, entity_id, name, label):
            self.start, self.end, self.entity_id, self.name, self.label = start, end, entity_id, name, label
            self.text = text[start:end]

    layer = (Mention(4, 11, "gpe:russia", "Russia", "GPE"),)
    doc = Document(text=text, source="x", layers={"entities": layer})
    c = parse_outputs(doc, [(0, 0, len(text))], [0.9], 0.5)[0]
    assert c.entities == ("gpe:russia",)
    assert c.normalized.startswith("The Russia denied") or c.normalized.startswith("Russia denied")


def test_clauses_split_only_long_halves():
    s = "The first clause has quite a few words in it; the second clause also has enough words here."
    assert len(clauses(s)) == 2
    assert clauses("Short one; and the rest of the sentence is long enough to stand.") == [(0, 64)]


def test_record_round_trip():
    c = Claim(start=0, end=4, text="abcd", checkworthiness=0.7, sentence=0, entities=("gpe:turkey",),
              attributed_to=Attribution(name="X"), normalized="abcd")
    assert record_from_dict(Claim, record_to_dict(c)) == c


def test_denied_content_is_not_turned_into_an_assertion():
    text = "The government on Monday again rejected claims that its grain trader buys wheat from the militia."
    assert strip_attribution(text) == text
    assert strip_attribution("A source close to the police told the newspaper that the cable had been cut.") == (
        "The cable had been cut.")
