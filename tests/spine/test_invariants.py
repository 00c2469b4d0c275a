"""Invariants over every layer of every stored document, and the public API."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import propwatch
from propwatch import Pipeline, load_config
from propwatch.records import Document, Sentence, Span
from propwatch.registry import stages
from propwatch.ingest.sentences import split_sentences
from texts import SPINE_STAGES


@pytest.mark.slow  # several seconds: CI runs it with -m slow
def test_every_span_of_every_layer_points_into_the_text(tmp_path, corpus):
    pipe = Pipeline(load_config(overrides={"store.path": str(tmp_path / "s.duckdb")}))
    pipe.analyze([corpus])
    docs = pipe.store.load()
    assert docs
    for doc in docs:
        for name, records in doc.layers.items():
            for record in records:
                for span in _spans(record):
                    assert doc.text[span["start"]:span["end"]] == span["text"], (name, span)


def _spans(record):
    """The record and every nested span-like mapping inside it."""
    data = record if isinstance(record, dict) else dataclasses.asdict(record)
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if {"start", "end", "text"} <= set(item) and isinstance(item["start"], int):
                yield item
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\n“”«»–-A1")), max_size=200))
def test_sentence_spans_cover_text_in_order(text):
    spans = split_sentences(text)
    last = 0
    for start, end, _ in spans:
        assert last <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]
        last = end
    joined = "".join(text[s:e] for s, e, _ in spans)
    assert joined.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_span_checks_offsets_and_text():
    text = "Hello world"
    assert Sentence.of(text, 6, 11).text == "world"
    for bad in [dict(start=3, end=1, text=""), dict(start=0, end=2, text="abc"), dict(start="0", end=1, text="a")]:
        try:
            Span(**bad)
        except (ValueError, TypeError):
            continue
        raise AssertionError(f"accepted {bad}")


def test_document_id_ignores_case_and_white_space():
    a = Document(text="The  Port\nsold fuel.", source="a")
    b = Document(text="the port sold fuel.", source="b")
    assert a.id == b.id and len(a.id) == 16
    assert Document(text="The port sold oil.", source="a").id != a.id


def test_public_api_is_pinned():
    assert sorted(propwatch.__all__) == sorted([
        "CleaningStep", "Config", "ConfigError", "Document", "InputError", "LayerStage", "MissingExtraError",
        "NotFoundError", "Outcome", "Pipeline", "PipelineError", "PropwatchError", "Rejection", "RunSummary",
        "Sentence", "Span", "Stage", "Store", "StoreError", "UnknownStageError", "backends", "layer_record",
        "load_config", "register_stage", "stages",
    ])
    for name in propwatch.__all__:
        assert hasattr(propwatch, name)


def test_spine_stage_names_are_pinned():
    # A renamed or re-versioned stage changes stored fingerprints: make it visible.
    assert {f"{s}.v1" for s in SPINE_STAGES} <= set(stages.names())
    for ref in stages.names():
        cls = stages.get(ref)
        assert cls.kind in ("ingest", "layer") and isinstance(cls.requires, tuple) and isinstance(cls.assigns, tuple)
