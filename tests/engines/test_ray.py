"""The Ray engine on a local Ray of 2 CPUs: the same records as the local driver, a killed
worker losing nothing, the same rejections, reruns skipping the shards made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("ray.data")

from engine_helpers import SANDBANK, assert_same, snapshot, write_bad_inputs, write_corpus  # noqa: E402
from propwatch import Pipeline, load_config  # noqa: E402
from texts import SPINE_STAGES  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def config(store: Path, stages=SPINE_STAGES, **extra):
    overrides = {"store.path": str(store), "ray.workers": 2, "ray.files_per_shard": 2, **extra}
    if stages is not None:
        overrides.update({"pipeline.stages": stages, "pipeline.update_narratives": False})
    return load_config(overrides=overrides)


def manifest(pipe: Pipeline, run_id: str) -> dict:
    return json.loads((Path(f"{pipe.store.path}.shards") / f"run-{run_id}.json").read_text("utf-8"))


def test_samples_give_the_same_records_as_the_local_driver(tmp_path, local_ray):
    samples = ROOT / "samples"
    local = Pipeline(config(tmp_path / "local.duckdb", stages=None)).analyze([samples])
    ray = Pipeline(config(tmp_path / "ray.duckdb", stages=None, **{"ray.files_per_shard": 3}))
    summary = ray.analyze([samples], engine="ray")
    assert (summary.new, summary.rejected) == (local.new, local.rejected) and summary.new == 14
    assert summary.narratives == local.narratives
    assert summary.doc_ids == local.doc_ids
    made = manifest(ray, summary.run_id)
    assert (made["shards"], made["made"], made["workers"]) == (3, 3, 2)
    assert len({r["pid"] for r in made["reports"]}) == 2  # two actors shared the shards
    assert_same(snapshot(tmp_path / "local.duckdb"), snapshot(tmp_path / "ray.duckdb"))
    ray.close()
