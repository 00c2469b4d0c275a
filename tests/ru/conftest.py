"""Fixtures for the Russian pipeline: the natasha/slovnet models load once per test session."""

from __future__ import annotations

import pytest

from propwatch.records import Document


@pytest.fixture(scope="session")
def ru_resources():
    pytest.importorskip("natasha")
    pytest.importorskip("pymorphy3")
    pytest.importorskip("razdel")
    from propwatch.resources import Resources

    return Resources()


@pytest.fixture(scope="session")
def analyse_ru(ru_resources):
    """Run sentences -> entities -> quotes -> sourcing -> claims on Russian texts; returns Documents."""
    from propwatch.registry import stages

    def run(texts, outlet=None, upto="claims"):
        docs = [Document(text=t, source=f"ru{i}", language="ru", outlet=outlet) for i, t in enumerate(texts)]
        for name in ("sentences", "entities", "quotes", "sourcing", "claims"):
            stage = stages.get(name)()
            stage.ensure_setup(ru_resources)
            docs = stage(docs)
            if name == upto:
                break
        return docs

    return run
