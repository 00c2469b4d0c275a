"""Language routing: a stage sees only the stories of its languages; the rest are marked not analysed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest

from propwatch import Pipeline, load_config
from propwatch.languages import CoverageStage, NotAnalysed, analysis_language, not_analysed_layers
from propwatch.records import Document, Span, layer_record
from propwatch.resources import Resources
from propwatch.runner import Runner, fingerprint
from propwatch.stages.base import LayerStage

# German: a language no built-in layer stage analyses (Russian has its own stages now)
DE = (
    "Der Außenminister sagte am Dienstag, dass das Nachbarland Öl von den Kämpfern kauft. "
    "„Wir haben die Daten“, sagte er den Journalisten. Nach Angaben einer Quelle im Ministerium "
    "werden die Beweise in der nächsten Woche vorgelegt."
)
EN = (
    "The foreign minister said on Tuesday that the neighbouring country buys oil from the militants. "
    '"We have the data," he told reporters. A source in the ministry said the evidence would be '
    "presented next week."
)


@layer_record("test_words")
@dataclass(frozen=True, slots=True)
class Word(Span):
    layer_name: ClassVar[str]


class EnglishWords(LayerStage):
    name = "test_words"
    languages = ("en",)
    assigns = ("test_words",)
    layer = "test_words"
    seen: ClassVar[list[str]] = []

    def predict(self, docs):
        EnglishWords.seen.extend(d.language for d in docs)
        return [[Word.of(d.text, 0, 3)] for d in docs]


def test_the_runner_hands_a_stage_only_the_stories_of_its_languages():
    EnglishWords.seen.clear()
    docs = [Document(text=EN, source="en", language="en"), Document(text=DE, source="de", language="de")]
    out, rejected = Runner([EnglishWords()], Resources()).run(docs)
    assert not rejected
    assert EnglishWords.seen == ["en"]
    assert [d.source for d in out] == ["en", "de"]  # order kept
    assert len(out[0].layer("test_words")) == 1
    assert "test_words" in out[1].layers and out[1].layer("test_words") == ()


def test_undetermined_language_is_analysed_as_the_configured_one():
    doc = Document(text="Short.", source="x", language="und")
    assert analysis_language(doc) == "en"
    assert analysis_language(doc, "") == ""
    EnglishWords.seen.clear()
    config = load_config(overrides={"pipeline.undetermined_language": ""})
    out, _ = Runner([EnglishWords()], Resources(config)).run([doc])
    assert EnglishWords.seen == [] and out[0].layer("test_words") == ()


def test_the_fingerprint_counts_the_language_of_stories_not_in_english():
    stage = EnglishWords()
    en = Document(text=EN, source="en", language="en")
    assert fingerprint(en, stage, {}, "", "en") == fingerprint(en, stage, {}, "")
    assert fingerprint(en, stage, {}, "", "de") != fingerprint(en, stage, {}, "", "en")


def test_the_coverage_stage_names_each_layer_not_analysed():
    config = load_config(overrides={"pipeline.stages": ["clean", "language", "sentences", "coverage", "entities", "quotes"]})
    stage = CoverageStage()
    stage.ensure_setup(Resources(config))
    de, en = (Document(text=DE, source="de", language="de"), Document(text=EN, source="en", language="en"))
    out = stage([de, en])
    records = out[0].layer("coverage")
    assert {r.layer for r in records} == {"entities", "quotes"}
    assert all(isinstance(r, NotAnalysed) and r.language == "de" and r.supported == ("en", "ru") for r in records)
    assert "not analysed: language de" in records[0].message
    assert out[1].layer("coverage") == ()


@pytest.fixture(scope="module")
def routed_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("articles")
    (folder / "de.txt").write_text(DE, "utf-8")
    (folder / "en.txt").write_text(EN, "utf-8")
    config = load_config(overrides={
        "store.path": str(tmp_path_factory.mktemp("store") / "store.duckdb"), "pipeline.update_narratives": False,
        "pipeline.stages": ["clean", "split", "metadata", "language", "sentences", "coverage", "entities", "quotes", "sourcing"],
    })
    pipe = Pipeline(config)
    first = pipe.analyze([str(folder)])
    second = pipe.analyze([str(folder)])
    docs = {d.language: d for d in pipe.store.load()}
    pipe.close()
    return first, second, docs


def test_a_story_in_an_unsupported_language_gets_empty_layers_marked_not_analysed(routed_store):
    first, second, docs = routed_store
    assert first.new == 2 and not first.rejected
    assert second.unchanged == 2
    de, en = docs["de"], docs["en"]
    assert set(not_analysed_layers(de)) == {"entities", "quotes", "sourcing", "sourcing_summary"}
    assert de.layer("entities") == () and de.layer("quotes") == ()
    assert de.layer("sentences")  # sentences are not language-bound
    assert not_analysed_layers(en) == {} and en.layer("quotes")


def test_the_story_page_says_what_was_not_analysed(routed_store):
    from propwatch.output.report import render_story

    _, _, docs = routed_store
    page = render_story(docs["de"], [])
    assert "Not analysed" in page and "entities" in page and "de" in page
    assert "Not analysed" not in render_story(docs["en"], [])


def test_a_stage_that_splits_by_language_counts_the_language_in_its_fingerprint():
    from propwatch.registry import stages

    sentences = stages.get("sentences")()
    doc = Document(text=EN, source="en", language="en")
    assert fingerprint(doc, sentences, {}, "", "ru") != fingerprint(doc, sentences, {}, "", "en")
    assert fingerprint(doc, sentences, {}, "", "en") == fingerprint(doc, sentences, {}, "")
