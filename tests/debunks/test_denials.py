"""Denials: golden cases (tests/cases/denials/cases.jsonl, written for these tests) and quote linking."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from propwatch.records import Document, Sentence, decode_records

denials = importlib.import_module("propwatch.debunks.denials")
CASES = [json.loads(line) for line in (Path(__file__).resolve().parents[1] / "cases" / "denials" / "cases.jsonl").read_text("utf-8").splitlines() if line.strip()]


def one_sentence_doc(text: str, **layers) -> Document:
    doc = Document(text=text, source="t").with_layer("sentences", (Sentence.of(text, 0, len(text)),))
    for name, recs in layers.items():
        doc = doc.with_layer(name, recs)
    return doc


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_golden(case):
    found = denials.find_denials(one_sentence_doc(case["text"]))
    if case.get("none"):
        assert found == []
        return
    assert len(found) == 1
    d = found[0]
    assert d.text == case["text"] and d.cue_kind == case["cue_kind"]
    assert case["text"][d.cue_start:d.cue_end] == d.cue
    if "denier" in case:
        assert d.denier is not None and d.denier.name == case["denier"]
    if "denied" in case:
        assert d.denied is not None and d.denied.startswith(case["denied"])
    if "verdict" in case:
        assert d.verdict == case["verdict"]


def test_denier_from_quote_speaker_and_claim_link():
    text = 'Officials met on Friday. "I did not order the strike on the depot," Colonel Mara Vey said.'
    sents = (Sentence.of(text, 0, 24), Sentence.of(text, 25, len(text)))
    q_start = text.index('"')
    q_end = text.index('," Colonel') + 1
    quote = {"start": q_start, "end": q_end, "text": text[q_start:q_end], "speaker": {"name": "Mara Vey", "entity_id": "Q-vey", "kind": "person"}}
    claim = {"start": 0, "end": 24, "text": text[:24], "checkworthiness": 0.2}
    other = {"start": 25, "end": len(text), "text": text[25:], "checkworthiness": 0.9}
    doc = (Document(text=text, source="t").with_layer("sentences", sents)
           .with_layer("quotes", decode_records("quotes", [quote])).with_layer("claims", decode_records("claims", [claim, other])))
    (d,) = denials.find_denials(doc)
    assert d.denier.name == "Mara Vey" and d.denier.entity_id == "Q-vey" and d.denier.found_by == "quote"
    assert (d.quote_start, d.quote_end) == (q_start, q_end)
    assert (d.claim_start, d.claim_end) == (25, len(text))


def test_stage_offsets_hold():
    text = "A calm day. The ministry rejected the report as fabricated."
    doc = Document(text=text, source="t").with_layer("sentences", (Sentence.of(text, 0, 11), Sentence.of(text, 12, len(text))))
    (out,) = denials.DenialStage({})([doc])
    (d,) = out.layer("denials")
    assert out.text[d.start:d.end] == d.text and out.text[d.cue_start:d.cue_end] == d.cue
