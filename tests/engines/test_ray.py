"""The Ray engine on a local Ray of 2 CPUs: the same records as the local driver, a killed
worker losing nothing, the same rejections, reruns skipping the shards made."""

from __future__ import annotations

import json
import os
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


def crash_config(store: Path, marker: Path, **extra):
    stages = ["clean", "crash_once", *SPINE_STAGES[1:]]
    return config(store, stages=stages, plugins=["engine_plugins"], **{"stages.crash_once.marker": str(marker)}, **extra)


def test_a_worker_killed_mid_shard_is_replaced_and_nothing_is_lost_or_doubled(tmp_path, local_ray):
    corpus = write_corpus(tmp_path / "corpus")
    marker = tmp_path / "killed"
    ray = Pipeline(crash_config(tmp_path / "ray.duckdb", marker))
    summary = ray.analyze([corpus], engine="ray")
    assert marker.is_file(), "the worker was not killed"
    killed = int(marker.read_text("utf-8"))
    made = manifest(ray, summary.run_id)
    assert sorted(r["key"] for r in made["reports"]) == sorted({r["key"] for r in made["reports"]})  # each shard once
    assert made["made"] == made["shards"] == 3
    # the killed actor may have made a shard before the one it died on; it made no shard after
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)
    assert not list(Path(f"{ray.store.path}.shards").glob(".*.tmp"))
    Pipeline(crash_config(tmp_path / "local.duckdb", marker)).analyze([corpus])  # marker there: no kill
    local, other = snapshot(tmp_path / "local.duckdb"), snapshot(tmp_path / "ray.duckdb")
    assert any(SANDBANK.split("\n")[0] in r["text"] for r in other["records"].values())
    assert_same(local, other)
    with ray.store.reading() as st:
        assert st.con.execute("SELECT count(*) FROM document_sources").fetchone()[0] == 7
    ray.close()


def test_a_shard_failing_past_its_retries_fails_the_run_by_name(tmp_path, local_ray):
    from propwatch.errors import PipelineError

    corpus = write_corpus(tmp_path / "corpus")
    cfg = crash_config(tmp_path / "ray.duckdb", tmp_path / "killed", **{"ray.retries": 0})
    with pytest.raises(PipelineError, match="the Ray run failed"):
        Pipeline(cfg).analyze([corpus], engine="ray")


def test_bad_inputs_are_rejected_for_the_local_reasons_in_one_table(tmp_path, local_ray):
    bad = write_bad_inputs(tmp_path / "bad")
    paths = [bad, tmp_path / "missing.txt"]
    local = Pipeline(config(tmp_path / "local.duckdb")).analyze(paths)
    summary = Pipeline(config(tmp_path / "ray.duckdb")).analyze(paths, engine="ray")
    key = lambda r: (r.source, r.line or 0, r.kind)  # noqa: E731
    assert sorted(summary.rejected, key=key) == sorted(local.rejected, key=key)
    assert {r.kind for r in summary.rejected} == {"bad-json", "no-text", "empty", "binary", "no-text-column", "not-found"}
    assert snapshot(tmp_path / "ray.duckdb")["rejections"] == snapshot(tmp_path / "local.duckdb")["rejections"]
    assert summary.new == local.new == 1


def test_a_rerun_skips_the_shards_made(tmp_path, local_ray):
    corpus = write_corpus(tmp_path / "corpus")
    shards = tmp_path / "shards"
    first = Pipeline(config(tmp_path / "one.duckdb", **{"ray.run_dir": str(shards)}))
    done = first.analyze([corpus], engine="ray")
    again = first.analyze([corpus], engine="ray")  # the files are stored unchanged: nothing to map
    assert (again.new, again.unchanged, manifest_at(shards, again.run_id)["shards"]) == (0, done.stories, 0)
    made = sorted(shards.glob("shard-*.parquet"))
    made[0].unlink()  # a run cut short: one shard never written
    other = Pipeline(config(tmp_path / "two.duckdb", **{"ray.run_dir": str(shards)}))
    resumed = other.analyze([corpus], engine="ray")
    info = manifest_at(shards, resumed.run_id)
    assert (info["shards"], info["made"], info["skipped"]) == (3, 1, 2)
    assert resumed.new == done.new
    assert_same(snapshot(tmp_path / "one.duckdb"), snapshot(tmp_path / "two.duckdb"))


def manifest_at(folder: Path, run_id: str) -> dict:
    return json.loads((folder / f"run-{run_id}.json").read_text("utf-8"))
