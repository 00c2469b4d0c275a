"""Sourcing flags and the per-story summary."""

from __future__ import annotations


def test_anonymous_sources_with_their_phrasing(analyse):
    text = ("The convoy crossed the border at night, a source close to the security services told the Daily Lamp. "
            "The source said the trucks were empty.")
    doc = analyse([text], outlet="Daily Lamp")[0]
    anon = [f for f in doc.layer("sourcing") if f.flag == "anonymous_source"]
    assert anon[0].text == "a source close to the security services"
    assert all(text[f.start:f.end] == f.text for f in doc.layer("sourcing"))
    summary = doc.layer("sourcing_summary")[0]
    assert summary.quotes == 2 and summary.by_kind["anonymous"] == 2 and summary.shares["anonymous"] == 1.0


def test_self_citation(analyse):
    text = ("It should be recalled that «Daily Lamp» has already reported that the documents were forged. "
            "A witness told Daily Lamp that the fire started at night.")
    doc = analyse([text], outlet="Daily Lamp")[0]
    cats = sorted(f.category for f in doc.layer("sourcing") if f.flag == "self_citation")
    assert cats == ["outlet_reported", "told_outlet"]
    other = analyse([text], outlet="Evening Post")[0]
    assert not [f for f in other.layer("sourcing") if f.flag == "self_citation"]


def test_evidence_claims_and_their_status(analyse):
    text = ("Investigators found invoices for the fuel. "
            "A video allegedly shows the trucks at the border. "
            "The accusations are not backed by any evidence.")
    doc = analyse([text])[0]
    status = {f.text: (f.category, f.status) for f in doc.layer("sourcing") if f.flag == "evidence_claim"}
    assert status["invoices"] == ("invoice", "asserted")
    assert status["video"] == ("video", "hedged")
    assert status["evidence"] == ("evidence", "absent")
    assert doc.layer("sourcing_summary")[0].evidence_absent == 1
