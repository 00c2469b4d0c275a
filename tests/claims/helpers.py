"""Helpers for the claims and narratives tests (invented texts only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propwatch.records import Document
from propwatch.registry import stages
from propwatch.resources import Resources

CASES = Path(__file__).resolve().parents[1] / "cases" / "claims"


def analyzed(rows, backend="checkworthiness_fake", min_score=0.0):
    docs = [
        Document(text=r["text"], source=f"case-{i}", outlet=r.get("outlet"), published=r.get("published"))
        for i, r in enumerate(rows)
    ]
    docs = stages.get("sentences")()(docs)
    claims = stages.get("claims")({"backend": backend, "min_score": min_score})
    claims.ensure_setup(RESOURCES)  # the backend loads once for all the tests
    return claims(docs)


RESOURCES = Resources()


def write(store, docs):
    store.write_batch(
        docs,
        [(d.id, "claims", "claims.v1", f"fp-{d.id}", d.layer("claims")) for d in docs],
        [(d.id, d.source, 0, None) for d in docs],
    )


@pytest.fixture
def narrative_rows():
    return [json.loads(line) for line in (CASES / "narrative_stories.jsonl").read_text("utf-8").splitlines() if line.strip()]
