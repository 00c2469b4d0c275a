"""The span classifier: its inputs, its tiny ONNX stand-in (built in conftest), the stage, eval and CLI with it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from propwatch.techniques.backends import OnnxTechniqueTagger, shipped_model_dir, span_features, span_input
from propwatch.cli import main
from propwatch.errors import ConfigError
from propwatch.records import Document
from propwatch.techniques.stage import TechniquesStage, blend
from propwatch.techniques.inventory import PTC_TECHNIQUES

from eval_scripts import eval_script

from .conftest import build_tiny_model

TEXT = "The council voted today. The council is disgraceful, and traitors lie!"
SPECIAL = {"cls": 1, "sep": 2, "open": 3, "close": 4}
IDS = list(range(10, 30))
OFFSETS = np.array([(3 * i, 3 * i + 2) for i in range(20)], np.int64)  # token i = chars 3i..3i+2


def test_span_input_marks_the_span_in_its_context():
    seq, mask = span_input(IDS, OFFSETS, 30, 35, 12, SPECIAL)  # tokens 10 and 11
    assert seq == [1, 17, 18, 19, 3, 20, 21, 4, 22, 23, 24, 2]
    assert mask == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]


def test_span_input_edges_and_long_spans():
    seq, mask = span_input(IDS, OFFSETS, 0, 2, 12, SPECIAL)  # first token: all the room goes right
    assert seq == [1, 3, 10, 4, 11, 12, 13, 14, 15, 16, 17, 2] and sum(mask) == 3
    seq, _ = span_input(IDS, OFFSETS, 57, 59, 12, SPECIAL)  # last token: all the room goes left
    assert seq == [1, 22, 23, 24, 25, 26, 27, 28, 3, 29, 4, 2]
    seq, mask = span_input(IDS, OFFSETS, 0, 60, 12, SPECIAL)  # whole text: span cut to 2/3 of the room
    assert seq == [1, 3, 10, 11, 12, 13, 14, 4, 2] and sum(mask) == 7
    seq, mask = span_input(IDS[:3], OFFSETS[:3], 3, 5, 96, SPECIAL)  # short text: no padding
    assert seq == [1, 10, 3, 11, 4, 12, 2] and mask == [0, 0, 1, 1, 1, 0, 0]
    seq, mask = span_input(IDS, OFFSETS, 32, 33, 12, SPECIAL)  # between tokens: the markers alone
    assert seq.count(3) == 1 and seq.index(4) == seq.index(3) + 1 and sum(mask) == 2


def test_span_features_count_repeats():
    text = "They lie. They LIE again, and lie."
    assert span_features(text, 5, 8) == pytest.approx([np.log1p(2), np.log1p(1) / 4])
    assert span_features(text, 0, 4)[0] == pytest.approx(np.log1p(1))
    assert span_features(text, 4, 5) == [0.0, 0.0]


def test_blend_rows_sum_to_one():
    clf = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    tok = np.array([[0.9, 0.9, 0.0], [0.0, 0.0, 0.0]], np.float32)
    out = blend(clf, tok, 0.5)
    assert out.sum(axis=1) == pytest.approx([1.0, 0.5])  # a row of zero token scores adds nothing
    assert out[0] == pytest.approx([0.6, 0.35, 0.05])
    assert blend(clf, tok, 1.0) == pytest.approx(clf)


def test_classifier_labels_the_decoded_spans(tiny_classifier_model):
    stage = TechniquesStage({"model": str(tiny_classifier_model)})
    assert stage.tagger.classifier["weight"] == 0.8
    doc = Document(text=TEXT, source="t")
    [out] = stage([doc])
    spans = out.layer("techniques")
    assert [(s.text, s.technique) for s in spans] == [("disgraceful", "Doubt"), ("traitors", "Flag-Waving")]
    for s in spans:
        assert doc.text[s.start : s.end] == s.text
        # span probability (~1) x blended technique probability (0.8 x 0.97 + 0.2 x 0.002)
        assert 0.75 < s.score < 0.8


def test_classifier_switched_off_or_absent_gives_the_taggers_techniques(tiny_model, tiny_classifier_model):
    expected = [("disgraceful", "Loaded_Language"), ("traitors", "Name_Calling,Labeling")]
    off = TechniquesStage({"model": str(tiny_classifier_model), "classifier": False})
    assert off.tagger.classifier is None
    assert [(s.text, s.technique) for s in off.tagger.tag([TEXT])[0]] == expected
    plain = TechniquesStage({"model": str(tiny_model)})
    assert plain.tagger.classifier is None and OnnxTechniqueTagger(str(tiny_model)).classifier is None
    assert [(s.text, s.technique) for s in plain.tagger.tag([TEXT])[0]] == expected
    with pytest.raises(ConfigError, match="no span classifier"):
        OnnxTechniqueTagger(str(tiny_model)).classify([TEXT], [[(0, 3)]])


def test_classifier_weight_zero_keeps_the_tagger_ranking(tmp_path):
    model = build_tiny_model(tmp_path / "m", classifier=0.0)
    spans = TechniquesStage({"model": str(model)}).tagger.tag([TEXT])[0]
    assert [s.technique for s in spans] == ["Loaded_Language", "Name_Calling,Labeling"]


def test_decode_weight_for_decoded_spans_weight_for_given_spans(tmp_path):
    model = build_tiny_model(tmp_path / "m", classifier=1.0, decode_weight=0.0)
    tagger = TechniquesStage({"model": str(model)}).tagger
    [spans] = tagger.tag([TEXT])
    assert [s.technique for s in spans] == ["Loaded_Language", "Name_Calling,Labeling"]
    [[rank]] = tagger.rank_spans([TEXT], tagger.score([TEXT]), [[(spans[0].start, spans[0].end)]])
    assert rank[0] == "Doubt"


def test_classifier_results_do_not_depend_on_the_batch(tiny_classifier_model):
    tagger = TechniquesStage({"model": str(tiny_classifier_model), "batch_size": 1}).tagger
    alone = tagger.tag([TEXT])[0]
    other = "The council is disgraceful. " * 5
    assert tagger.tag([other, TEXT, ""])[1] == alone
    backend = tagger.backend
    [probs, empty] = backend.classify([TEXT, TEXT], [[(40, 51), (57, 65), (0, 3)], []])
    assert probs.shape == (3, len(PTC_TECHNIQUES)) and empty.shape == (0, len(PTC_TECHNIQUES))
    assert probs.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])
    assert PTC_TECHNIQUES[int(probs[0].argmax())] == "Doubt"


def test_rank_spans_on_given_spans(tiny_classifier_model):
    tagger = TechniquesStage({"model": str(tiny_classifier_model)}).tagger
    scores = tagger.score([TEXT])
    start = TEXT.index("traitors")
    [[first, second]] = tagger.rank_spans([TEXT], scores, [[(start, start + 8), (0, 3)]])
    assert first[0] == "Flag-Waving" and sorted(first) == sorted(PTC_TECHNIQUES)
    assert len(second) == len(PTC_TECHNIQUES)


def test_missing_classifier_file(tmp_path):
    model = build_tiny_model(tmp_path / "m", classifier=0.5)
    (model / "classifier.tiny.onnx").unlink()
    with pytest.raises(ConfigError, match="classifier.tiny.onnx"):
        TechniquesStage({"model": str(model)}).tagger.tag([TEXT])


def test_eval_uses_the_classifier_for_tc_and_combined(tiny_classifier_model):
    ev = eval_script("techniques")
    tagger = TechniquesStage({"model": str(tiny_classifier_model)}).tagger
    s = TEXT.index("disgraceful")
    gold = {"a": [("Doubt", s, s + 11), ("Doubt", 0, 3)]}
    si_pred, comb_pred, tc_pred = ev.predict_articles(tagger, {"a": TEXT}, gold)
    assert tc_pred[("a", s, s + 11)][0] == "Doubt"
    assert ("Doubt", s, s + 11) in comb_pred["a"]
    assert (s, s + 11) in si_pred["a"]


def test_cli_jsonl_with_the_classifier(tiny_classifier_model, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "one.txt"
    f.write_text(TEXT, "utf-8")
    assert main(["techniques", str(f), "--model", str(tiny_classifier_model), "--format", "jsonl"]) == 0
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(s["text"], s["technique"]) for s in line["techniques"]] == [("disgraceful", "Doubt"), ("traitors", "Flag-Waving")]
    assert all(set(s) == {"start", "end", "text", "technique", "score", "quoted"} for s in line["techniques"])


def _shipped_classifier():
    model = shipped_model_dir()
    meta = json.loads((model / "techniques.json").read_text("utf-8"))
    if "classifier" not in meta or not (model / meta["classifier"]["file"]).is_file():
        pytest.skip("shipped span classifier absent")
    return TechniquesStage({}).tagger


def test_shipped_classifier_on_invented_sentences():
    """Invented sentences, each with one obvious technique; the span given whole (as in TC)."""
    tagger = _shipped_classifier()
    cases = [
        ("These spineless traitors and crooks in the capital sold us out.", "traitors and crooks", "Name_Calling,Labeling"),
        ("The minister said the report was, in his words, an absolute bloodbath of a disaster.",
         "an absolute bloodbath of a disaster", "Loaded_Language"),
        ("Make our country great again! Stand up for the flag and for every patriot who loves this nation.",
         "Stand up for the flag and for every patriot who loves this nation", "Flag-Waving"),
        ("Is the mayor really telling the truth about where the money went? Nobody can be sure.",
         "Is the mayor really telling the truth about where the money went?", "Doubt"),
        ("If these migrants are let in, our children will not be safe in their own streets.",
         "our children will not be safe in their own streets", "Appeal_to_fear-prejudice"),
    ]
    texts = [t for t, _, _ in cases]
    spans = [[(t.index(p), t.index(p) + len(p))] for t, p, _ in cases]
    ranked = [r for [r] in tagger.rank_spans(texts, tagger.score(texts), spans)]
    assert all(expected in rank[:2] for (_t, _p, expected), rank in zip(cases, ranked)), ranked
    assert sum(rank[0] == expected for (_t, _p, expected), rank in zip(cases, ranked)) >= 4, ranked
    [spans] = tagger.tag([texts[0]])
    assert spans and spans[0].technique == "Name_Calling,Labeling" and 0.0 < spans[0].score <= 1.0


def test_shipped_model_dir_copy_without_classifier_still_works(tmp_path):
    model = shipped_model_dir()
    meta = json.loads((model / "techniques.json").read_text("utf-8"))
    if not (model / meta.get("file", "model.int8.onnx")).is_file():
        pytest.skip("shipped technique model absent")
    meta.pop("classifier", None)
    (tmp_path / "techniques.json").write_text(json.dumps(meta), "utf-8")
    shutil.copy(model / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / meta["file"]).symlink_to(model / meta["file"])
    tagger = TechniquesStage({"model": str(tmp_path)}).tagger
    assert tagger.classifier is None
    text = "These spineless traitors sold us out, the disgraceful cowards."
    for s in tagger.tag([text])[0]:
        assert text[s.start : s.end] == s.text and s.technique in PTC_TECHNIQUES
