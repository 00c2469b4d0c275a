"""Store and pipeline: batches, fingerprints, re-runs, failures, near-duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from propwatch import Pipeline, Store, load_config
from propwatch.errors import ConfigError, NotFoundError, PipelineError, UnknownStageError
from propwatch.records import Document, Sentence, Span, layer_record
from propwatch.registry import stages
from propwatch.stages.base import LayerStage, register_stage
from propwatch.store import MIGRATIONS
from texts import SPINE_STAGES, STORY_A, STORY_B


def config(tmp_path: Path, stage_list=SPINE_STAGES, **extra):
    return load_config(overrides={"store.path": str(tmp_path / "s.duckdb"), "pipeline.stages": stage_list, **extra})


def test_first_run_stores_and_second_run_adds_nothing(tmp_path, corpus):
    pipe = Pipeline(config(tmp_path))
    first = pipe.analyze([corpus])
    assert first.new == 5 and first.rejected == []
    second = pipe.analyze([corpus])
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)
    assert pipe.store.count() == 5


def test_documents_round_trip_with_layers(tmp_path, corpus):
    pipe = Pipeline(config(tmp_path))
    summary = pipe.analyze([corpus])
    pipe.store.close()
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        docs = store.load(summary.doc_ids)
        assert len(docs) == 5
        for doc in docs:
            sentences = doc.layer("sentences")
            assert sentences and all(isinstance(s, Sentence) for s in sentences)
            assert all(doc.text[s.start:s.end] == s.text for s in sentences)
        doc = store.get(docs[0].id[:6])
        assert doc.id == docs[0].id
        with pytest.raises(NotFoundError):
            store.get("ffffffffffff")


def test_read_only_store_that_does_not_exist(tmp_path):
    with pytest.raises(NotFoundError, match="run `propwatch analyze` first"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_migrations_are_applied_once(tmp_path):
    path = tmp_path / "m.duckdb"
    with Store(path) as store:
        names = [r[0] for r in store.con.execute("SELECT name FROM migrations ORDER BY name").fetchall()]
        assert names == sorted(name for name, _ in MIGRATIONS)
    with Store(path) as store:
        assert store.migrate() == []


@layer_record("test_shout")
class Shout(Span):
    pass


CALLS: list[str] = []


@register_stage("test_shout", version=1)
class ShoutStage(LayerStage):
    requires = ("sentences",)
    assigns = ("test_shout",)
    layer = "test_shout"
    defaults = {"word": "diesel"}

    def predict(self, docs: Sequence[Document]):
        CALLS.extend(d.id for d in docs)
        out = []
        for doc in docs:
            if "EXPLODE" in doc.text:
                raise RuntimeError("boom")
            word = self.config["word"]
            i = doc.text.find(word)
            out.append([Shout.of(doc.text, i, i + len(word))] if i >= 0 else [])
        return out


def test_stage_outputs_are_skipped_until_config_or_version_changes(tmp_path, corpus):
    CALLS.clear()
    cfg = config(tmp_path, SPINE_STAGES + ["test_shout"])
    Pipeline(cfg).analyze([corpus])
    assert len(CALLS) == 5
    CALLS.clear()
    Pipeline(cfg).analyze([corpus])
    assert CALLS == []
    cfg2 = load_config(overrides={"store.path": str(tmp_path / "s.duckdb"), "pipeline.stages": SPINE_STAGES + ["test_shout"], "stages": {"test_shout": {"word": "bridge"}}})
    summary = Pipeline(cfg2).analyze([corpus])
    assert len(CALLS) == 5 and summary.updated == 5
    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        found = [s.text for d in store.load() for s in d.layer("test_shout")]
        assert found and set(found) == {"bridge"}


def test_one_failing_document_does_not_stop_the_batch(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(STORY_A, "utf-8")
    (tmp_path / "in" / "b.txt").write_text(STORY_B + "\n\nEXPLODE here.", "utf-8")
    summary = Pipeline(config(tmp_path, SPINE_STAGES + ["test_shout"])).analyze([tmp_path / "in"])
    assert summary.new == 1
    [rej] = summary.rejected
    assert rej.kind == "stage-error" and "test_shout.v1" in rej.reason and "boom" in rej.reason
    assert rej.source.endswith("b.txt")


def test_rejections_are_stored_with_the_run(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    pipe = Pipeline(config(tmp_path))
    summary = pipe.analyze([tmp_path / "in"])
    assert [r.kind for r in pipe.store.rejections(summary.run_id)] == ["empty"]


def test_near_duplicates_are_flagged_not_dropped(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(STORY_A, "utf-8")
    (tmp_path / "in" / "b.txt").write_text(STORY_A.replace("on Tuesday", "on Wednesday"), "utf-8")
    pipe = Pipeline(config(tmp_path))
    summary = pipe.analyze([tmp_path / "in"])
    assert summary.new == 2 and summary.near_duplicates == 1
    docs = pipe.store.load()
    flagged = [d for d in docs if "near-duplicate" in d.flags]
    assert len(flagged) == 1 and flagged[0].near_duplicate_of == docs[0].id


def test_same_story_in_two_files_is_stored_once_with_both_sources(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(STORY_B, "utf-8")
    (tmp_path / "in" / "b.txt").write_text(STORY_B.replace("\n\n", "\n\n\n"), "utf-8")
    pipe = Pipeline(config(tmp_path))
    summary = pipe.analyze([tmp_path / "in"])
    assert pipe.store.count() == 1
    assert len(pipe.store.sources_of(summary.doc_ids[0])) == 2


def test_stage_order_is_validated_before_running(tmp_path):
    with pytest.raises(PipelineError, match="requires sentences"):
        Pipeline(config(tmp_path, ["clean", "split", "metadata", "test_shout"]))
    with pytest.raises(PipelineError, match="must come before"):
        Pipeline(config(tmp_path, ["clean", "sentences", "split"]))


def test_unknown_stage_and_bad_settings_are_all_reported(tmp_path):
    with pytest.raises(UnknownStageError):
        stages.get("nope")
    toml = tmp_path / "propwatch.toml"
    toml.write_text('[store]\npath = 3\ncolour = "red"\n[pipeline]\nbatch_size = "ten"\nstages = ["clean", "nope"]\n[stages.language]\nmin_chars = "x"\nfoo = 1\n', "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    problems = "\n".join(info.value.problems)
    for expected in ["store.path: expected str", "store.colour: unknown setting", "pipeline.batch_size: expected int",
                     "no stage named 'nope'", "stages.language.min_chars: expected int", "stages.language.foo: unknown setting"]:
        assert expected in problems
    assert str(info.value).startswith("PW100 ")


def test_unchanged_files_are_not_read_again(tmp_path, corpus, monkeypatch):
    from propwatch import pipeline as pipeline_module

    pipe = Pipeline(config(tmp_path))
    pipe.analyze([corpus])
    reads = []
    real = pipeline_module.read_entry
    monkeypatch.setattr(pipeline_module, "read_entry", lambda kind, target, *a, **k: (reads.append(target), *real(kind, target, *a, **k))[1:])
    again = pipe.analyze([corpus])
    assert reads == [] and (again.new, again.unchanged) == (0, 5)
    changed = corpus / "pages" / "harbour.txt"
    changed.write_text(changed.read_text("utf-8") + "\nOne more sentence was added to the story today.\n", "utf-8")
    third = pipe.analyze([corpus])
    assert [p.name for p in reads] == ["harbour.txt"]
    assert (third.new, third.unchanged) == (1, 4)


def test_changed_ingest_settings_read_files_again(tmp_path, corpus):
    Pipeline(config(tmp_path)).analyze([corpus])
    cfg = load_config(overrides={"store.path": str(tmp_path / "s.duckdb"), "pipeline.stages": SPINE_STAGES,
                                 "stages": {"split": {"min_story_words": 500}}})
    summary = Pipeline(cfg).analyze([corpus])
    assert summary.new >= 1  # the glued page is no longer split: one new, longer story
