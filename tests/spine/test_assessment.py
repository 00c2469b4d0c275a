"""Article risk: learned factors with their contributions and evidence, the honesty rules, "not assessed"."""

from __future__ import annotations

import json
import math

import pytest

from propwatch.assessment import factors as F
from propwatch.assessment.model import ModelFileError, RiskModel, load_model, sigmoid
from propwatch.assessment.stage import NOT_ASSESSED, AssessmentStage, assess, load_weights
from propwatch.records import Document, decode_records

TEXT = ("A source close to the services said the port sold fuel. Shameful traitors! Documents seen by us prove it. "
        "I think we must act now. The end of the story comes here.")
ANALYSED = ("sentences", "techniques", "quotes", "claims", "sourcing")


def span(part, **fields):
    start = TEXT.index(part)
    return {"start": start, "end": start + len(part), "text": part, **fields}


def sentences():
    out, start = [], 0
    for part in ("A source close to the services said the port sold fuel.", "Shameful traitors!",
                 "Documents seen by us prove it.", "I think we must act now.", "The end of the story comes here."):
        start = TEXT.index(part, start)
        out.append({"start": start, "end": start + len(part), "text": part})
    return tuple(out)


def doc(language="en", drop=(), typed=None, **layers):
    """A story with the analysis layers present (empty unless given) as plain dicts; ``drop``:
    layers left out; ``typed``: layers given as records already."""
    outlet, flags = layers.pop("outlet", None), layers.pop("flags", ())
    for name in ANALYSED:
        layers.setdefault(name, sentences() if name == "sentences" else ())
    records = {name: decode_records(name, items) for name, items in layers.items() if name not in drop}
    records.update(typed or {})
    return Document(text=TEXT, source="t.txt", outlet=outlet, flags=flags, layers=records, language=language)


def model(**weights) -> RiskModel:
    """A risk model with the given weights (others 0), clip 10, reference 0, intercept -2."""
    return RiskModel("test", -2.0, {n: weights.get(n, 0.0) for n in F.LEARNED}, {n: 10.0 for n in F.LEARNED},
                     {n: 0.0 for n in F.LEARNED}, "test")


RICH = dict(
    techniques=(span("Shameful traitors!", technique="Name_Calling,Labeling", score=0.9),
                span("Shameful", technique="Loaded_Language", score=0.8)),
    quotes=(span("the port sold fuel", speaker={"kind": "anonymous", "text": "A source close to the services"}),),
    sourcing=(span("Documents seen by us", flag="evidence_claim", status="asserted"),),
    claims=(span("The end of the story comes here.", checkworthiness=0.9),),
)


def test_plain_story_is_low_risk():
    a = assess(doc(), load_weights())
    assert a.status == "assessed" and a.label == "low"
    assert 0.0 <= a.score < load_weights()["bands"]["medium"]
    # nothing found by the analysis layers: those reasons only lower the score; what raises it is
    # the narration's own voice ("I think we must act now") and the lack of any named source
    assert all(r.weight < 0 for r in a.reasons if r.factor not in ("first_person", "opinion_markers", "named_sources"))
    assert (a.start, a.end, a.text) == (0, 0, "")


def test_each_factor_is_measured_with_its_evidence():
    d = doc(**RICH)
    measured = F.measure(d, load_weights()["factors"])
    assert set(measured) >= {"loaded_language", "attacks", "anonymous_sources", "evidence_claims",
                             "unsourced_claims", "first_person", "opinion_markers"}
    assert measured["anonymous_sources"].value == 1.0
    assert measured["loaded_language"].value == pytest.approx(1 / 5)
    assert "Name calling / labeling ×1" in measured["attacks"].detail
    for f in measured.values():
        for s, e in f.evidence:
            assert 0 <= s < e <= len(TEXT)
    # first person inside the anonymous quote would not count; "us", "I", "we" of the narration do
    assert measured["first_person"].value > 0


def test_every_reason_shows_its_contribution_and_the_score_adds_up():
    weights = load_weights()
    m = model(attacks=0.5, anonymous_sources=0.8, evidence_claims=0.3, unsourced_claims=1.0, opinion_markers=0.2)
    a = assess(doc(**RICH, outlet="RT"), weights, m)
    by = {r.factor: r for r in a.reasons}
    assert {"attacks", "anonymous_sources", "evidence_claims", "unsourced_claims", "outlet"} <= set(by)
    assert a.score == pytest.approx(sigmoid(m.intercept + sum(r.weight for r in a.reasons)), abs=1e-3)
    assert by["anonymous_sources"].evidence[0].text == "the port sold fuel"
    assert by["outlet"].learned is False and "RT is state-controlled" in by["outlet"].detail
    for r in a.reasons:
        for e in r.evidence:
            assert TEXT[e.start:e.end] == e.text
    assert [abs(r.weight) for r in a.reasons] == sorted((abs(r.weight) for r in a.reasons), reverse=True)


def test_outlet_factor_can_be_switched_off():
    weights = load_weights()
    on = assess(doc(outlet="RT"), weights)
    off = assess(doc(outlet="RT"), weights, use_outlet=False)
    assert "outlet" in [r.factor for r in on.reasons]
    assert "outlet" not in [r.factor for r in off.reasons]
    assert off.score < on.score
    [record] = AssessmentStage({"use_outlet": False})([doc(outlet="RT")])[0].layer("assessment")
    assert "outlet" not in [r.factor for r in record.reasons]


def test_one_unverified_factor_never_makes_high():
    weights = load_weights()
    huge = model(anonymous_sources=50.0)
    a = assess(doc(**RICH), weights, huge)
    [r] = [r for r in a.reasons if r.factor == "anonymous_sources"]
    assert r.capped and r.weight == weights["caps"]["factor"]
    assert a.label != "high"
    # even when the capped factor and the intercept put the score in the high band
    lifted = RiskModel("t", 2.0, huge.weights, huge.clip, huge.reference, "t")
    b = assess(doc(**RICH), weights, lifted)
    assert b.score >= weights["bands"]["high"] and b.label == "medium" and "independent" in b.note


def test_two_independent_factors_can_make_high():
    m = RiskModel("t", 0.5, {**model().weights, "anonymous_sources": 3.0, "opinion_markers": 3.0},
                  model().clip, model().reference, "t")
    a = assess(doc(**RICH), load_weights(), m)
    assert a.label == "high"


def test_debunk_matches_count_only_when_they_count_against_the_article():
    weights = load_weights()
    base = dict(RICH)
    match = span("the port sold fuel", score=0.9, debunk_claim="The port sold fuel to militias", database="EUvsDisinfo",
                 relation="match")
    plain = assess(doc(**base, debunk_matches=(match,)), weights)
    related = assess(doc(**base, debunk_matches=({**match, "relation": "related"},)), weights)
    assert "debunked" not in [r.factor for r in plain.reasons]  # no counts_against: reports or refutes
    assert "debunked" not in [r.factor for r in related.reasons]
    [rec] = decode_records("debunk_matches", (match,))
    if hasattr(rec, "counts_against"):
        import dataclasses

        rec = dataclasses.replace(rec, counts_against=True)
    else:  # until DebunkMatch has the field: a stand-in record with it
        import types

        rec = types.SimpleNamespace(**match, counts_against=True)
    carried = assess(doc(**base, typed={"debunk_matches": (rec,)}), weights)
    [r] = [r for r in carried.reasons if r.factor == "debunked"]
    assert r.learned is False and r.weight > 0 and r.evidence[0].text == "the port sold fuel"
    assert carried.score > plain.score


@pytest.mark.parametrize("language", ["ru", "ar", "tr"])
def test_unsupported_language_is_not_assessed_never_low(language):
    a = assess(doc(language=language), load_weights())
    assert a.label == NOT_ASSESSED and a.status == "not_assessed" and a.score is None
    assert language in a.reasons[0].detail
    [record] = AssessmentStage(AssessmentStage.defaults)([doc(language=language, **RICH)])[0].layer("assessment")
    assert record.label == NOT_ASSESSED and record.label != "low"


def test_layers_not_analysed_mean_not_assessed():
    weights = load_weights()
    a = assess(doc(drop=("techniques",)), weights)
    assert a.label == NOT_ASSESSED and "techniques" in a.reasons[0].detail
    try:
        from propwatch.languages import NotAnalysed
    except ImportError:
        return
    gap = NotAnalysed(start=0, end=0, text="", layer="quotes", stage="quotes", language="sw", supported=("en",))
    b = assess(doc(typed={"coverage": (gap,)}), weights)
    assert b.label == NOT_ASSESSED and "quotes" in b.reasons[0].detail


def test_stage_attaches_one_record_and_settings_choose_languages():
    [out] = AssessmentStage(AssessmentStage.defaults)([doc()])
    [record] = out.layer("assessment")
    assert record.label == "low" and record.model
    [fr] = AssessmentStage({"languages": ["en", "fr"]})([doc(language="fr")])[0].layer("assessment")
    assert fr.status == "assessed"


def test_shipped_model_weighs_every_learned_factor():
    m = load_model()
    assert set(m.weights) == set(F.LEARNED) and set(m.clip) == set(F.LEARNED)
    assert math.isfinite(m.intercept)
    assert m.weights["named_sources"] <= 0  # a named source never raises the risk


def test_bad_model_file_names_the_file(tmp_path):
    bad = tmp_path / "risk.json"
    bad.write_text(json.dumps({"weights": {}}))
    with pytest.raises(ModelFileError, match="risk.json"):
        load_model(str(bad))
    with pytest.raises(ModelFileError, match="missing.json"):
        load_model(str(tmp_path / "missing.json"))


def test_russian_media_law_notice_counts_as_the_outlet_when_none_is_named():
    from dataclasses import replace

    text = ("KESTROGRAD, May 3. The Black Reed militia (a terrorist group banned in Russia – approx.) sold fuel, "
            "the minister said.")
    weights = load_weights()
    base = doc()
    plain = replace(base, text=text, layers={"sentences": decode_records("sentences", (
        {"start": 0, "end": len(text), "text": text},)), **{n: () for n in ANALYSED if n != "sentences"}})
    a = assess(plain, weights)
    [reason] = [r for r in a.reasons if r.factor == "outlet"]
    assert reason.weight == weights["outlet"]["russian-law-notice"] and not reason.learned
    assert "banned in Russia" in reason.evidence[0].text
    # switched off with the outlet factor; a named outlet speaks for itself
    assert "outlet" not in [r.factor for r in assess(plain, weights, use_outlet=False).reasons]
    named = assess(replace(plain, outlet="RT"), weights)
    assert [r.weight for r in named.reasons if r.factor == "outlet"] == [weights["outlet"]["state-controlled"]]
    # a news fact about a ban is no notice
    assert F.russian_law_notices("Russia banned the group in 2017; its members are prosecuted.") == []
