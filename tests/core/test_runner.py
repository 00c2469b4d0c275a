"""The runner: declared inputs enforced, fingerprints over everything read, stages set up once."""

from __future__ import annotations

import pytest

from propwatch.errors import UndeclaredLayerError
from propwatch.records import Document, Sentence
from propwatch.registry import stages as stage_registry
from propwatch.runner import Runner, fingerprint, run, view
from propwatch.stages.base import LayerStage


class PeekStage(LayerStage):
    """Reads ``entities`` without declaring it."""

    name = "peek"
    requires = ("sentences",)
    assigns = ("peek",)
    layer = "peek"

    def predict(self, docs):
        return [list(doc.layer("entities")) for doc in docs]


def _doc_with(*layers: str) -> Document:
    doc = Document(text="One two. Three four.", source="t.txt")
    data = {name: () for name in layers}
    data["sentences"] = (Sentence.of(doc.text, 0, 8), Sentence.of(doc.text, 9, 20))
    return doc.with_layers(data)


def test_a_stage_sees_only_what_it_declares():
    seen = view(_doc_with("entities", "quotes"), PeekStage())
    assert len(seen.layer("sentences")) == 2
    with pytest.raises(UndeclaredLayerError, match="peek.v1 read layer 'entities'"):
        seen.layer("entities")
    with pytest.raises(UndeclaredLayerError):
        _ = "quotes" in seen.layers
    assert list(seen.layers) == ["sentences"]


def test_an_undeclared_read_rejects_the_story_with_the_reason():
    rejected = []
    out = run([PeekStage()], [_doc_with("entities")], on_rejection=rejected.append)
    assert out == []
    assert rejected and "does not declare" in rejected[0].reason and rejected[0].kind == "stage-error"


def test_only_assigned_layers_are_kept_from_a_stage():
    class Meddler(LayerStage):
        name = "meddler"
        requires = ("sentences",)
        assigns = ("meddled",)
        layer = "meddled"

        def __call__(self, docs):
            return [d.with_layer("meddled", ()).with_layer("sentences", ()) for d in docs]

    out = run([Meddler()], [_doc_with()])
    assert len(out[0].layer("sentences")) == 2 and out[0].layer("meddled") == ()


def test_every_registered_stage_runs_on_its_declared_inputs_alone(analysed):
    """Each layer stage, given documents holding only the layers it declares, runs
    without reading anything else (an undeclared read would reject the story)."""
    from propwatch.config import load_config
    from propwatch.pipeline import Pipeline

    from texts import ALL_STAGES, FAST

    pipeline = Pipeline(load_config(overrides={"store.path": ":memory:", "pipeline.stages": ALL_STAGES, **FAST}))
    runner = Runner(pipeline.stages, pipeline.resources)
    checked = []
    for stage in pipeline.layer_stages:
        inputs = [d.with_layers({k: v for k, v in d.layers.items() if k in stage.reads}) for d in analysed]
        out, rejected = runner.run_stage(stage, inputs)
        assert rejected == [], f"{stage.ref}: {rejected}"
        assert len(out) == len(inputs)
        for before, after in zip(analysed, out):
            for layer in stage.assigns:
                assert after.layer(layer) == before.layer(layer), f"{stage.ref} gave another {layer} on its inputs alone"
        checked.append(stage.name)
    pipeline.close()
    builtin = [stage_registry.get(ref) for ref in stage_registry.names()]
    registered = {cls.name for cls in builtin if cls.kind != "ingest" and cls.__module__.startswith("propwatch.")}
    assert registered <= set(checked)


def test_the_fingerprint_covers_every_declared_read():
    stage = stage_registry.get("assessment")()
    doc = _doc_with()
    base = fingerprint(doc, stage, {"sentences": "s1", "claims": "c1"})
    assert fingerprint(doc, stage, {"sentences": "s1", "claims": "c2"}) != base  # an optional layer changed
    assert fingerprint(doc, stage, {"sentences": "s1"}) != base  # ... or is gone
    assert fingerprint(doc.with_flag("near-duplicate"), stage, {"sentences": "s1", "claims": "c1"}) != base  # a field read
    assert fingerprint(doc, stage, {"sentences": "s1", "claims": "c1", "unread": "x"}) == base  # what it never reads


def test_stages_are_set_up_once_and_models_load_once(fast_config):
    from propwatch.pipeline import Pipeline

    calls = []

    class Counting(LayerStage):
        name = "counting"
        requires = ("sentences",)
        assigns = ("counting",)
        layer = "counting"

        def setup(self, resources):
            calls.append("setup")
            self.model = resources.get(("counting-model",), lambda: calls.append("load") or object())

        def predict(self, docs):
            return [[] for _ in docs]

    pipeline = Pipeline(fast_config(**{"pipeline.stages": ["clean", "sentences"]}))
    runner = Runner([*pipeline.stages, Counting(), Counting()], pipeline.resources)
    for _ in range(3):
        runner.run([Document(text="One two three. Four five six.", source="x.txt")])
    assert calls.count("setup") == 2 and calls.count("load") == 1


def test_a_parse_is_made_once_per_story_and_batch(fast_config, monkeypatch):
    """entities and quotes read one spaCy parse per story, made in one nlp.pipe per batch."""
    from propwatch.pipeline import Pipeline

    pipeline = Pipeline(fast_config(**{"pipeline.stages": ["clean", "sentences", "entities", "quotes"]}))
    nlp = pipeline.resources.spacy("auto")
    parsed = []
    real_pipe = type(nlp).pipe

    def counting_pipe(self, texts, **kwargs):
        texts = list(texts)
        parsed.extend(texts)
        return real_pipe(self, texts, **kwargs)

    monkeypatch.setattr(type(nlp), "pipe", counting_pipe)
    text = "Anna Brekke said the port would close on Monday. “We had no choice,” a clerk told reporters in Velmora."
    docs = [Document(text=f"{text} Story {i}.", source=f"{i}.txt") for i in range(80)]
    out = run(pipeline.stages, docs, pipeline.resources)
    assert len(out) == 80 and len(parsed) == 80
    assert all(not d.artefacts for d in out)  # the parse does not outlive the batch
    pipeline.close()


def test_each_story_of_a_split_page_is_parsed_on_its_own_text(fast_config):
    """A glued page becomes several stories: each gets its own parse (not the page's
    or a sibling's), so every offset of entities and quotes points into its own text."""
    from propwatch.pipeline import Pipeline

    from texts import STORY_A, STORY_B, STORY_C, glued_page

    pipeline = Pipeline(fast_config(**{"pipeline.stages": ["clean", "split", "sentences", "entities", "quotes"]}))
    rejected = []
    out = run(pipeline.stages, [Document(text=glued_page(STORY_A, STORY_B, STORY_C), source="front.txt")],
              pipeline.resources, on_rejection=rejected.append)
    assert rejected == [] and len(out) >= 2
    assert any(d.layer("quotes") for d in out)
    alone = run(pipeline.stages[2:], [Document(text=d.text, source=d.source) for d in out], pipeline.resources)
    pipeline.close()
    for doc, single in zip(out, alone):
        assert doc.layer("entities") == single.layer("entities")
        assert doc.layer("quotes") == single.layer("quotes")
