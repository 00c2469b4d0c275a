"""Shards without Ray: planned, made in-process, read back and stored give the local driver's store."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine_helpers import assert_same, snapshot, write_bad_inputs, write_corpus
from propwatch import Pipeline, load_config
from propwatch.engines import engine_batches
from propwatch.engines.shards import ShardMaker, plan, read_shard, run_key, shard_batches
from propwatch.errors import ConfigError, MissingExtraError
from texts import SPINE_STAGES


def config(store: Path, **extra):
    return load_config(overrides={"store.path": str(store), "pipeline.stages": SPINE_STAGES,
                                  "pipeline.update_narratives": False, **extra})


def analyze_in_shards(cfg, paths, run_dir: Path, per_shard: int = 2) -> Pipeline:
    """What the Ray engine does, with the shards made here instead of by Ray actors."""
    pipe = Pipeline(cfg)
    run_id = uuid.uuid4().hex[:12]
    pipe.store.start_run(run_id, [str(p) for p in paths])
    order, shards = plan(pipe.inputs(paths), per_shard, run_key(pipe))
    maker = ShardMaker(cfg, str(pipe.store.path))
    for shard in shards:
        maker.make(shard, run_dir)
    for batch, computed in shard_batches(order, shards, run_dir, pipe.batch_size):
        pipe.process_batch(batch, run_id, computed=computed)
    pipe.store.release()
    return pipe


def test_shards_stored_give_the_local_records(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    bad = write_bad_inputs(tmp_path / "bad")
    Pipeline(config(tmp_path / "local.duckdb")).analyze([corpus, bad, tmp_path / "missing.txt"])
    analyze_in_shards(config(tmp_path / "sharded.duckdb"), [corpus, bad, tmp_path / "missing.txt"], tmp_path / "shards")
    local, sharded = snapshot(tmp_path / "local.duckdb"), snapshot(tmp_path / "sharded.duckdb")
    assert len(local["records"]) == 6 and local["near"]  # the Saturday copy of the bridge story
    assert {r[2] for r in local["rejections"]} >= {"bad-json", "no-text", "empty", "binary", "no-text-column", "not-found"}
    assert_same(local, sharded)


def test_a_shard_has_typed_columns_and_reads_back(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    cfg = config(tmp_path / "s.duckdb")
    pipe = Pipeline(cfg)
    order, shards = plan(pipe.inputs([corpus]), 10, run_key(pipe))
    assert len(shards) == 1 and len(shards[0].entries) == 5
    report = ShardMaker(cfg).make(shards[0], tmp_path / "shards")
    assert report["status"] == "made" and report["stories"] == 7
    path = tmp_path / "shards" / shards[0].name
    schema = pq.read_schema(path)
    assert schema.field("layer_sentences").type == pa.list_(schema.field("layer_sentences").type.value_type)
    assert pa.types.is_struct(schema.field("layer_sentences").type.value_type)
    assert schema.field("story_index").type == pa.int64() and schema.field("language_score").type == pa.float64()
    items = read_shard(path)
    assert [i.item.__class__.__name__ for i in items].count("FileRead") == 5
    story = next(i for i in items if i.computed)
    assert story.item.layer("sentences") and story.computed["sentences"][1] == story.item.layer("sentences")
    assert not list(path.parent.glob(".*.tmp"))  # written aside, then renamed
    assert ShardMaker(cfg).make(shards[0], tmp_path / "shards")["status"] == "done"  # made once


def test_shard_keys_follow_the_files_and_the_stages(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    pipe = Pipeline(config(tmp_path / "s.duckdb"))
    keys = [s.key for s in plan(pipe.inputs([corpus]), 2, run_key(pipe))[1]]
    assert len(keys) == 3 and keys == [s.key for s in plan(pipe.inputs([corpus]), 2, run_key(pipe))[1]]
    (corpus / "feed.jsonl").write_text('{"text": "A different feed entirely, with one story of its own."}\n', "utf-8")
    changed = [s.key for s in plan(pipe.inputs([corpus]), 2, run_key(pipe))[1]]
    assert changed[0] != keys[0] and changed[1:] == keys[1:]  # copy.csv and feed.jsonl share the first
    other = Pipeline(config(tmp_path / "s.duckdb", **{"stages.split.min_story_words": 40}))
    assert run_key(other) != run_key(pipe)


def test_without_ray_the_engine_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where the extra is not installed
    pipe = Pipeline(config(tmp_path / "s.duckdb"))
    with pytest.raises(MissingExtraError, match=r"propwatch\[ray\]"):
        next(engine_batches("ray", pipe, [tmp_path], "r1"))


def test_the_ray_engine_refuses_what_it_cannot_read(tmp_path):
    pipe = Pipeline(config(tmp_path / "s.duckdb"))
    with pytest.raises(ConfigError, match="standard input"):
        next(engine_batches("ray", pipe, ["-"], "r1"))
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        engine_batches("spark", pipe, ["x"], "r1")
    memory = Pipeline(config(":memory:"))
    with pytest.raises(ConfigError, match="store file"):
        next(engine_batches("ray", memory, [tmp_path], "r1"))


def test_a_worker_asks_for_the_largest_need_of_its_stages(tmp_path):
    from propwatch.engines.ray import worker_resources

    cfg = config(tmp_path / "s.duckdb", **{"ray.cpus_per_worker": 1.0, "ray.memory_mb_per_worker": 500,
                                          "ray.stage_resources": [
                                              {"stage": "sentences", "num_cpus": 2, "memory_mb": 1500},
                                              {"stage": "techniques", "num_gpus": 1, "memory_mb": 4000}]})
    need = worker_resources(cfg.settings.ray, [s.name for s in Pipeline(cfg).stages])
    assert need == {"num_cpus": 2.0, "num_gpus": 0.0, "memory_mb": 1500.0}  # techniques is not configured


def test_layers_stored_from_shards_carry_the_local_fingerprints(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    cfg = config(tmp_path / "sharded.duckdb", **{"ingest.skip_unchanged_files": False})
    analyze_in_shards(cfg, [corpus], tmp_path / "shards")
    again = Pipeline(cfg).analyze([corpus])  # the local driver finds nothing to recompute
    assert (again.new, again.updated, again.unchanged) == (0, 0, 6)
