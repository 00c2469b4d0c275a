"""Fixtures for the who-stages: spaCy loads once per test session."""

from __future__ import annotations

import pytest

from propwatch.records import Document


@pytest.fixture(scope="session")
def nlp():
    pytest.importorskip("spacy")
    from propwatch.errors import MissingExtraError
    from propwatch.who.nlp import load_pipeline

    try:
        return load_pipeline("auto")
    except MissingExtraError as exc:  # pragma: no cover - depends on the install
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def analyse(nlp):
    """Run sentences -> entities -> quotes -> sourcing on texts; returns Documents."""
    from propwatch.registry import stages
    from propwatch.resources import Resources

    resources = Resources()  # one per session: the spaCy pipeline and alias tables load once

    def run(texts, outlet=None, entity_config=None, upto="sourcing"):
        docs = [Document(text=t, source=f"t{i}", outlet=outlet) for i, t in enumerate(texts)]
        for name in ("sentences", "entities", "quotes", "sourcing"):
            config = entity_config if name == "entities" else None
            stage = stages.get(name)(config)
            stage.ensure_setup(resources)
            docs = stage(docs)
            if name == upto:
                break
        return docs

    return run
