"""Acceptance on the real scraped seeds in ../shared/seeds (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from propwatch import Pipeline, load_config
from texts import SPINE_STAGES

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"  # beside the checkout, as tests/conftest.py says

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present")

FURNITURE = [
    "Количество просмотров", "Accessibility links", "Breaking News", "16x9 Image", "SHARE THIS ARTICLE",
    "can also be accessed", "www.presstv.co.uk", "Press TV News Roku", "journalists report the news",
    "(AFP photo)", "(Reuters photo)", "© AP Photo", "file photo", "| Русская весна",
]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeds") / "s.duckdb"
    pipe = Pipeline(load_config(overrides={"store.path": str(path), "pipeline.stages": SPINE_STAGES}))
    first = pipe.analyze([SEEDS])
    second = pipe.analyze([SEEDS])
    return pipe.store.load(first.doc_ids), first, second


def test_glued_page_gives_four_stories_with_headlines(seeds):
    docs, _, _ = seeds
    glued = [d for d in docs if d.source.endswith("004_9f11d313cf3e4e82.txt")]
    assert len(glued) == 4
    assert [d.title.split()[0] for d in glued] == ["Kosovo’s", "Iraqi", "Syrian", "Daesh"]


def test_no_boilerplate_survives(seeds):
    docs, _, _ = seeds
    for doc in docs:
        for junk in FURNITURE:
            assert junk not in doc.text, (doc.source, junk)
        first_line = doc.text.split("\n", 1)[0]
        assert doc.text.count(first_line) == 1


def test_outlets_are_found(seeds):
    docs, _, _ = seeds
    by_file = {}
    for doc in docs:
        by_file.setdefault(doc.source.rsplit("/", 1)[-1][:3], []).append(doc.outlet)
    assert by_file["000"] == ["Russian Spring"]
    assert by_file["002"] == ["RFE/RL"]
    assert by_file["003"] == ["Press TV"]
    assert set(by_file["004"]) <= {"Sputnik", "RT"} and "RT" in by_file["004"]


def test_second_run_stores_nothing_new(seeds):
    _, first, second = seeds
    assert first.new == 8 and second.new == 0 and second.unchanged == 8
