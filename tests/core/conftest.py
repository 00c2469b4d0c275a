"""Fixtures of the core tests: stories analysed by every stage, on fast backends."""

from __future__ import annotations

import pytest

from texts import ALL_STAGES, DENIAL_STORY, FAST, STORY_A, STORY_B, STORY_C

@pytest.fixture
def fast_config(tmp_path):
    from propwatch.config import load_config

    def make(**overrides):
        return load_config(overrides={"store.path": str(tmp_path / "core.duckdb"), "pipeline.stages": ALL_STAGES,
                                      **FAST, **overrides})

    return make


@pytest.fixture(scope="session")
def analysed():
    """The test stories after every stage (in memory)."""
    from propwatch.config import load_config
    from propwatch.pipeline import Pipeline
    from propwatch.records import Document
    from propwatch.runner import run

    config = load_config(overrides={"store.path": ":memory:", "pipeline.stages": ALL_STAGES, **FAST})
    pipeline = Pipeline(config)
    docs = [Document(text=t, source=f"story{i}.txt") for i, t in enumerate([STORY_A, STORY_B, STORY_C, DENIAL_STORY])]
    out = run(pipeline.stages, docs, pipeline.resources)
    pipeline.close()
    return out
