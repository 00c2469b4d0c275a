"""Invariants on arbitrary text: no exception, every span points into the text."""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = ["“", "”", "«", "»", "‘", "’", "„", '"', "'", " – ", ", ", ". ", "\n\n", "said", "told reporters",
          "according to", "the source", "Lavrov", "IS", "Ankara", "he", "Daesh (ISIS)", "photos show",
          "we will win", "Smith", "(", ")", "the Turkish president", "allegedly"]


@settings(max_examples=25, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map(" ".join))
def test_spans_point_into_the_text(text, analyse):
    doc = analyse([text])[0]
    for layer in ("entities", "quotes", "sourcing"):
        for rec in doc.layer(layer):
            assert doc.text[rec.start:rec.end] == rec.text
    for q in doc.layer("quotes"):
        if q.cue is not None:
            assert doc.text[q.cue.start:q.cue.end] == q.cue.text
        if q.speaker.start is not None:
            assert doc.text[q.speaker.start:q.speaker.end] == q.speaker.text
