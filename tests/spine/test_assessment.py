"""Article risk: each factor, its weight and evidence; the score is a noisy-or."""

from __future__ import annotations

import pytest

from propwatch.records import Document, decode_records
from propwatch.assessment.stage import AssessmentStage, assess, load_weights

TEXT = "A source close to the services said the port sold fuel. Shameful traitors! Documents seen by us prove it. The end of the story comes here."


def span(text, part, **fields):
    start = TEXT.index(part)
    return {"start": start, "end": start + len(part), "text": part, **fields}


def doc(**layers):
    """A story with layers given as plain dicts (decoded into their record types)."""
    outlet, flags = layers.pop("outlet", None), layers.pop("flags", ())
    records = {name: decode_records(name, items) for name, items in layers.items()}
    return Document(text=TEXT, source="t.txt", outlet=outlet, flags=flags, layers=records)


def test_plain_story_is_low_risk_with_no_reasons():
    a = assess(doc(sentences=()), load_weights())
    assert (a.score, a.label, a.reasons) == (0.0, "low", ())
    assert (a.start, a.end, a.text) == (0, 0, "")


def test_each_factor_gives_a_reason_with_evidence():
    d = doc(
        techniques=(span(TEXT, "Shameful traitors!", technique="Name_Calling,Labeling", score=0.9),),
        quotes=(span(TEXT, "the port sold fuel", speaker={"kind": "anonymous", "text": "A source close to the services"}),),
        sourcing=(span(TEXT, "Documents seen by us", flag="evidence_claim", status="asserted"),),
        debunk_matches=(span(TEXT, "the port sold fuel", score=0.8, debunk_claim="The port sold fuel to militias", database="EUvsDisinfo"),),
        outlet="RT",
        flags=("near-duplicate",),
    )
    a = assess(d, load_weights())
    factors = [r.factor for r in a.reasons]
    assert set(factors) == {"techniques", "anonymous_sources", "evidence_claims", "debunked", "outlet", "near_duplicate"}
    assert factors[0] == "debunked"  # strongest first
    expected = 1.0
    for r in a.reasons:
        expected *= 1 - r.weight
    assert a.score == pytest.approx(1 - expected, abs=1e-3)
    assert a.label == "high"
    by = {r.factor: r for r in a.reasons}
    assert by["techniques"].evidence[0].text == "Shameful traitors!"
    assert "Name calling / labeling ×1" in by["techniques"].detail
    assert "RT is state-controlled" in by["outlet"].detail
    for r in a.reasons:
        for e in r.evidence:
            assert TEXT[e.start:e.end] == e.text


def test_unsourced_claims_need_both_layers():
    claims = tuple(span(TEXT, p, checkworthiness=0.9) for p in ("the port sold fuel", "Documents seen by us", "The end of the story"))
    with_quotes_layer = assess(doc(claims=claims, quotes=()), load_weights())
    assert [r.factor for r in with_quotes_layer.reasons] == ["unsourced_claims"]
    assert assess(doc(claims=claims), load_weights()).reasons == ()


def test_stage_attaches_one_record():
    [out] = AssessmentStage(AssessmentStage.defaults)([doc(sentences=())])
    [record] = out.layer("assessment")
    assert record.label == "low"
