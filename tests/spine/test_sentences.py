"""Sentence boundaries: golden cases in tests/cases/sentences/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propwatch.ingest.sentences import split_sentences

CASES = [json.loads(line) for line in (Path(__file__).parents[1] / "cases" / "sentences" / "news.jsonl").read_text("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_golden_sentences(case):
    text = case["text"]
    got = [text[s:e] for s, e, _ in split_sentences(text)]
    assert got == case["sentences"]


def test_paragraph_numbers():
    spans = split_sentences("One. Two.\n\nThree.")
    assert [p for _, _, p in spans] == [0, 0, 1]
