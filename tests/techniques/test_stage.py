"""The techniques stage, its backends and decoding; a tiny ONNX model built in a fixture."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propwatch.techniques.backends import FakeTechniqueTagger, OnnxTechniqueTagger, TokenScores, windows
from propwatch.errors import ConfigError
from propwatch.records import LAYER_RECORDS, Document, record_from_dict, record_to_dict
from propwatch.registry import backends, stages
from propwatch.techniques.stage import TechniqueSpan, TechniquesStage, decode, rank_techniques, token_runs
from propwatch.techniques.inventory import DESCRIPTIONS, LABELS, PTC_TECHNIQUES, SEMEVAL2023_MAP

from pathlib import Path

PTC = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ptc-train"

TEXT = "The council voted today. The council is disgraceful, and traitors lie!"


def test_registered():
    assert stages.get("techniques") is TechniquesStage
    assert LAYER_RECORDS["techniques"] is TechniqueSpan
    for name in ("techniques_onnx.v1", "techniques_hf.v1", "techniques_fake.v1"):
        assert name in backends.names()


def test_inventory_is_complete():
    assert len(PTC_TECHNIQUES) == 14
    assert set(LABELS) == set(DESCRIPTIONS) == set(PTC_TECHNIQUES)
    assert {v for v in SEMEVAL2023_MAP.values() if v} <= set(PTC_TECHNIQUES)


@pytest.mark.skipif(not PTC.is_dir(), reason="../shared/data/ptc-train absent")
def test_inventory_matches_ptc():
    assert tuple((PTC / "techniques.txt").read_text("utf-8").split()) == PTC_TECHNIQUES


def test_windows_cover_with_overlap():
    assert windows(5, 8, 4) == [(0, 5)]
    plan = windows(20, 8, 4)
    assert plan[0] == (0, 8) and plan[-1][1] == 20
    covered = set()
    for s, e in plan:
        covered |= set(range(s, e))
    assert covered == set(range(20))


def test_token_runs_gap():
    mask = np.array([1, 1, 0, 1, 0, 0, 1], bool)
    assert token_runs(mask, 0) == [(0, 2), (3, 4), (6, 7)]
    assert token_runs(mask, 1) == [(0, 4), (6, 7)]
    assert token_runs(np.zeros(3, bool), 1) == []


def _scores(text, marks):
    """TokenScores over whitespace words; ``marks`` = {word index: technique index}."""
    import re

    toks = list(re.finditer(r"\S+", text))
    k = len(PTC_TECHNIQUES)
    si = np.full(len(toks), 0.1, np.float32)
    tech = np.full((len(toks), k), 0.01, np.float32)
    for i, t in marks.items():
        si[i] = 0.9
        tech[i, t] = 0.8
    offsets = np.array([(m.start(), m.end()) for m in toks], np.int64)
    return TokenScores(offsets, si, tech, PTC_TECHNIQUES)


def test_decode_snaps_to_words_and_filters_short():
    text = "a bb ccc dddd"
    ts = _scores(text, {1: 3, 3: 8})
    ts = TokenScores(ts.offsets.copy(), ts.si, ts.tech, ts.labels)
    ts.offsets[3] = (10, 12)  # a sub-word token inside "dddd"
    spans = decode(text, ts, {"threshold": 0.5, "gap": 0, "min_chars": 3})
    assert [(s.text, s.technique) for s in spans] == [("dddd", PTC_TECHNIQUES[8])]
    spans = decode(text, ts, {"threshold": 0.5, "gap": 0, "min_chars": 1})
    assert [s.text for s in spans] == ["bb", "dddd"]
    assert all(0 < s.score <= 1 for s in spans)


def test_decode_second_technique():
    text = "one two three"
    ts = _scores(text, {1: 0})
    ts.tech[1, 5] = 0.7
    spans = decode(text, ts, {"threshold": 0.5, "min_chars": 1, "second_threshold": 0.6})
    assert [(s.text, s.technique) for s in spans] == [("two", PTC_TECHNIQUES[0]), ("two", PTC_TECHNIQUES[5])]


def test_rank_techniques_on_a_gold_span():
    text = "one two three"
    ts = _scores(text, {2: 11})
    assert rank_techniques(ts, 8, 13)[0] == PTC_TECHNIQUES[11]
    assert rank_techniques(TokenScores.empty(PTC_TECHNIQUES), 0, 3) == list(PTC_TECHNIQUES)


def test_onnx_backend_tiny_model(tiny_model):
    stage = TechniquesStage({"model": str(tiny_model)})
    doc = Document(text=TEXT, source="t")
    [out] = stage([doc])
    spans = out.layer("techniques")
    assert [(s.text, s.technique) for s in spans] == [
        ("disgraceful", "Loaded_Language"),
        ("traitors", "Name_Calling,Labeling"),
    ]
    for s in spans:
        assert doc.text[s.start : s.end] == s.text
        assert 0.9 < s.score <= 1.0


def test_onnx_long_text_is_windowed(tiny_model):
    backend = OnnxTechniqueTagger(model=str(tiny_model))
    assert backend.max_length == 8  # 6 tokens a window: this text needs many windows
    text = " ".join([TEXT] * 30)
    [ts] = backend.score([text])
    assert len(ts.si) == 30 * 14
    stage = TechniquesStage({"model": str(tiny_model)})
    spans = stage.tagger.tag([text])[0]
    assert len(spans) == 60
    assert all(text[s.start : s.end] == s.text for s in spans)


def test_onnx_empty_and_unknown_text(tiny_model):
    stage = TechniquesStage({"model": str(tiny_model)})
    assert stage.tagger.tag(["", "   ", "zzz qqq"]) == [[], [], []]


def test_onnx_missing_model_dir(tmp_path):
    with pytest.raises(ConfigError):
        OnnxTechniqueTagger(model=str(tmp_path))


def test_fake_backend_via_config():
    stage = TechniquesStage({"backend": "techniques_fake"})
    [doc] = stage([Document(text="Those traitors did a shameful thing.", source="t")])
    got = [(s.text, s.technique) for s in doc.layer("techniques")]
    assert got == [("traitors", "Name_Calling,Labeling"), ("shameful", "Loaded_Language")]


def test_record_round_trip():
    span = TechniqueSpan.of("x shameful y", 2, 10, technique="Loaded_Language", score=0.8)
    data = record_to_dict(span)
    assert data == {"start": 2, "end": 10, "text": "shameful", "technique": "Loaded_Language", "score": 0.8, "quoted": False}
    assert record_from_dict(TechniqueSpan, json.loads(json.dumps(data))) == span


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", " ", "\n", "\r\n", "\t", ".", "!", "é", "shameful", "traitors ", "never "]), max_size=60).map("".join))
def test_offsets_property(text):
    for s in TechniquesStage({"backend": "techniques_fake"}).tagger.tag([text])[0]:
        assert text[s.start : s.end] == s.text
        assert s.technique in PTC_TECHNIQUES


def test_golden_cases():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "cases" / "techniques" / "fake_backend.jsonl"
    tagger = TechniquesStage({"backend": "techniques_fake"}).tagger
    for line in path.read_text("utf-8").splitlines():
        case = json.loads(line)
        got = [[s.start, s.end, s.technique] for s in tagger.tag([case["text"]])[0]]
        assert got == case["spans"], case.get("note")


def test_fake_is_deterministic():
    a = FakeTechniqueTagger().score(["never again"])[0]
    b = FakeTechniqueTagger().score(["never again"])[0]
    assert np.array_equal(a.si, b.si) and np.array_equal(a.offsets, b.offsets)


def test_shipped_model_on_an_invented_article():
    from propwatch.techniques.backends import shipped_model_dir

    if not any(shipped_model_dir().glob("model.*.onnx")):
        pytest.skip("shipped technique model absent")
    text = (
        "The corrupt elite in the capital has betrayed every patriot in this nation. "
        "These traitors will never stop lying to you, and only a fool would trust them.\n\n"
        "The committee met on Tuesday and adopted the budget for next year."
    )
    [doc] = TechniquesStage({})([Document(text=text, source="t")])
    spans = doc.layer("techniques")
    assert spans, "the shipped model marks nothing in an obviously loaded text"
    for s in spans:
        assert text[s.start : s.end] == s.text
        assert s.technique in PTC_TECHNIQUES and 0.0 <= s.score <= 1.0


def test_onnx_file_comes_from_the_model_meta(tmp_path):
    """``file`` unset: the backend loads the file techniques.json names (else model.int8.onnx)."""
    import json
    import shutil

    from propwatch.techniques.backends import OnnxTechniqueTagger, shipped_model_dir
    from propwatch.errors import ConfigError

    for name in ("techniques.json", "tokenizer.json"):
        shutil.copy(shipped_model_dir() / name, tmp_path / name)
    meta = json.loads((tmp_path / "techniques.json").read_text("utf-8"))
    meta.pop("file", None)
    (tmp_path / "techniques.json").write_text(json.dumps(meta), "utf-8")
    assert OnnxTechniqueTagger(str(tmp_path)).file == "model.int8.onnx"
    meta["file"] = "model.fp16w.onnx"
    (tmp_path / "techniques.json").write_text(json.dumps(meta), "utf-8")
    tagger = OnnxTechniqueTagger(str(tmp_path))
    assert tagger.file == "model.fp16w.onnx"
    assert OnnxTechniqueTagger(str(tmp_path), file="other.onnx").file == "other.onnx"
    with pytest.raises(ConfigError, match="model.fp16w.onnx"):
        tagger.score(["A text."])


def test_spans_never_start_or_end_inside_a_word():
    from propwatch.techniques.phrases import word_bounds

    text = "They don't have the power, said the well-known man."
    start = text.index("t have")  # the apostrophe's t: inside "don't"
    assert text[slice(*word_bounds(text, start, start + 6))] == "don't have"
    s = text.index("known")
    assert text[slice(*word_bounds(text, s, s + 5))] == "well-known"
    assert word_bounds(text, 0, 4) == (0, 4)
    # a span never cuts through a named entity
    assert word_bounds("Ask Sergei Lavrov now", 4, 10, entities=[(4, 17)]) == (4, 17)


def test_spans_move_onto_phrase_boundaries_of_the_parse():
    from propwatch.techniques.phrases import phrase_bounds
    from propwatch.who.nlp import load_pipeline

    nlp = load_pipeline("auto")
    text = "The corrupt elite of the capital betrayed the people. Rain fell."
    doc = nlp(text)
    start = text.index("elite of the")
    [(s, e)] = phrase_bounds(doc, [(start, start + len("elite of the"))], ratio=2.0, sentence_cover=1.01)
    assert text[s:e] in ("The corrupt elite of the capital", "corrupt elite of the capital")
    # a run covering most of its sentence becomes the sentence (without its full stop)
    start = text.index("corrupt")
    [(s, e)] = phrase_bounds(doc, [(start, text.index(" the people"))], ratio=1.5, sentence_cover=0.5)
    assert text[s:e] == "The corrupt elite of the capital betrayed the people"


def test_every_decoded_span_is_on_word_boundaries():
    import re

    from propwatch.resources import Resources

    text = ("They don't have the power to stop this disgraceful, treacherous betrayal of the American people. "
            'The so-called experts are lying to you again. "It is a shameful, cowardly hoax," the senator said.')
    stage = TechniquesStage()
    stage.ensure_setup(Resources())
    [doc] = stage([Document(text=text, source="t", language="en")])
    assert doc.layer("techniques")
    for sp in doc.layer("techniques"):
        assert sp.start == 0 or not re.match(r"\w", text[sp.start - 1]) or not re.match(r"\w", text[sp.start])
        assert sp.end == len(text) or not (re.match(r"\w", text[sp.end - 1]) and re.match(r"\w", text[sp.end]))
        assert sp.score >= 0.1


def test_spans_inside_a_direct_quote_are_marked_or_dropped():
    from propwatch.techniques.stage import mark_quoted

    text = '"It is a shameful hoax," he said. Those traitors lied.'
    spans = [TechniqueSpan.of(text, 9, 17, technique="Loaded_Language", score=0.5),
             TechniqueSpan.of(text, 40, 48, technique="Name_Calling,Labeling", score=0.5)]
    marked = mark_quoted(spans, [(1, 22)])
    assert [s.quoted for s in marked] == [True, False]
