"""Shared fixtures: articles written for these tests (never corpus text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from texts import SPINE_STAGES, STORY_A, STORY_B, STORY_C, glued_page, scraped_page

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small folder of inputs in several formats."""
    folder = tmp_path / "corpus"
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "harbour.txt").write_text(scraped_page(STORY_A), "utf-8")
    (folder / "pages" / "front.txt").write_text(glued_page(STORY_B, STORY_C), "utf-8")
    records = [
        {"id": "r1", "url": "https://www.rt.com/news/1", "title": "Bridge story", "text": STORY_C.replace("Friday", "Saturday"), "published": "2025-02-03T10:00:00Z"},
        {"id": "r2", "text": "Kurz: " + STORY_B.split("\n\n", 1)[1]},
    ]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    return folder


@pytest.fixture
def spine_config(tmp_path: Path):
    from propwatch.config import load_config

    return load_config(overrides={"store.path": str(tmp_path / "test.duckdb"), "pipeline.stages": SPINE_STAGES})


@pytest.fixture
def spine_toml(tmp_path: Path) -> Path:
    path = tmp_path / "propwatch.toml"
    stages = ", ".join(f'"{s}"' for s in SPINE_STAGES)
    path.write_text(f'[store]\npath = "{tmp_path / "cli.duckdb"}"\n\n[pipeline]\nstages = [{stages}]\n', "utf-8")
    return path
