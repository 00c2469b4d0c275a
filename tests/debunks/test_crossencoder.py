"""The cross-encoder step of debunk retrieval: a tiny ONNX model the test writes, the fallback
without a model, the mix of scores, and the stage output's shape."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from propwatch.debunks.crossencoder import CrossEncoder, Mix, build_inputs, parse_outputs
from propwatch.mathutil import logit
from propwatch.debunks.importers import Debunk
from propwatch.debunks.search import DebunkIndex
from propwatch.debunks.stage import DebunkMatch, DebunkMatchStage
from propwatch.embeddings import CharHashingEmbeddings
from propwatch.records import Document, Sentence

DEBUNKS = [
    Debunk(claim="The navy set the Port Velden grain harbour fire to hide missing fuel.", id="fire-navy"),
    Debunk(claim="A faulty crane motor caused the Port Velden grain harbour fire.", id="fire-crane"),
    Debunk(claim="The flu vaccine contains microchips that track people.", id="vaccine"),
    Debunk(claim="The city hospital was sold to foreign investors.", id="hospital"),
    Debunk(claim="Ballots were burned after the Velden election.", id="ballots"),
]
QUERY = "Who caused the Port Velden grain harbour fire? A crane motor."
BOOST = ("crane", "motor")  # the tiny model's logit: how often these words occur in the debunk


def write_model(d: Path, meta: dict) -> Path:
    """A word-level tokenizer and a one-node-deep ONNX 'cross-encoder': the logit is the weighted
    count of the debunk segment's tokens (token_type_ids == 1), with weight 3 on BOOST words, minus 2."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = sorted({w for d_ in DEBUNKS for w in re.findall(r"\w+", d_.claim.lower())} | set(re.findall(r"\w+", QUERY.lower())))
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: i + 4 for i, w in enumerate(words)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    from tokenizers import normalizers

    tok.normalizer = normalizers.Lowercase()
    d.mkdir(parents=True, exist_ok=True)
    tok.save(str(d / "tokenizer.json"))
    weights = np.zeros(len(vocab), dtype=np.float32)
    for w in BOOST:
        weights[vocab[w]] = 3.0
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["w", "input_ids"], ["per_token"]),
            helper.make_node("Cast", ["token_type_ids"], ["types_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["per_token", "types_f"], ["in_doc"]),
            helper.make_node("ReduceSum", ["in_doc", "axis"], ["summed"], keepdims=0),
            helper.make_node("Sub", ["summed", "two"], ["logits"]),
        ],
        "tiny_cross",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"]) for n in ("input_ids", "attention_mask", "token_type_ids")],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch"])],
        [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(np.array([1], dtype=np.int64), "axis"),
         numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(d / "model.int8.onnx"))
    (d / "model.json").write_text(json.dumps(meta), "utf-8")
    return d


@pytest.fixture()
def tiny(tmp_path):
    meta = {"candidates": 3, "threshold": 0.6, "mix": {"w_cross": 1.0, "w_tree": 0.0, "bias": 0.0}, "embedder": CharHashingEmbeddings().name}
    return CrossEncoder.load(write_model(tmp_path / "ce", meta), threads=1)


def test_missing_model_dir_keeps_todays_path(tmp_path):
    assert CrossEncoder.load(tmp_path / "nothing") is None
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "model.json").write_text("{}", "utf-8")
    assert CrossEncoder.load(tmp_path / "half") is None  # no tokenizer, no model file
    plain = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=None)
    auto_missing = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=CrossEncoder.load(tmp_path / "nothing"))
    assert auto_missing.cross_encoder is None and auto_missing.threshold == plain.threshold
    assert [(m.debunk.id, m.score) for m in auto_missing.search(QUERY, k=5)] == [(m.debunk.id, m.score) for m in plain.search(QUERY, k=5)]


def test_tiny_model_reorders_the_top_candidates(tiny):
    plain = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=None)
    before = [m.debunk.id for m in plain.search(QUERY, k=5)]
    assert set(before[:3]) >= {"fire-navy", "fire-crane"}
    index = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=tiny)
    assert index.cross_encoder is tiny and index.cross_candidates == 3 and index.threshold == 0.6
    got = index.search(QUERY, k=5)
    assert got[0].debunk.id == "fire-crane"
    assert got[0].score == pytest.approx(1 / (1 + np.exp(-(2 * 3.0 - 2.0))), abs=1e-4)  # crane + motor: logit 4
    assert index.is_match(got[0]) and not index.is_match(got[1])
    assert [m.rank for m in got] == [1, 2, 3, 4, 5]
    scores = [m.score for m in got]
    assert scores == sorted(scores, reverse=True)  # the tail below k keeps its order, capped under the head
    assert [m.debunk.id for m in got[3:]] == [i for i in before if i not in {m.debunk.id for m in got[:3]}]
    # the number of candidates is a setting: with 1 the order is the fused one
    one = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=tiny, cross_candidates=1)
    assert [m.debunk.id for m in one.search(QUERY, k=5)] == before


def test_excluded_debunks_are_not_scored(tiny):
    index = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=tiny)
    (got,) = index.search_many([QUERY], k=5, exclude=[{"fire-crane"}])
    assert "fire-crane" not in [m.debunk.id for m in got] and len(got) == 4


def test_other_embedder_or_tree_mix_without_tree_turns_it_off(tmp_path):
    other = CrossEncoder.load(write_model(tmp_path / "a", {"candidates": 3, "embedder": "SomeOtherEmbedder"}))
    assert DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=other).cross_encoder is None
    tree_mix = CrossEncoder.load(write_model(tmp_path / "b", {"candidates": 3, "mix": {"w_cross": 1.0, "w_tree": 0.5}}))
    assert DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), reranker=None, cross_encoder=tree_mix).cross_encoder is None


def test_inputs_and_parsing_without_a_session(tiny):
    tiny._load()
    feeds = build_inputs(tiny._tokenizer, "Crane motor @someone https://x.example/a", ["a crane", "the navy set the fire"], 128)
    assert feeds["input_ids"].shape == feeds["token_type_ids"].shape == (2, 10)
    assert feeds["attention_mask"][0].tolist() == [1] * 7 + [0] * 3  # handle and URL dropped, padded
    assert feeds["token_type_ids"][1].tolist() == [0] * 4 + [1] * 6 and feeds["token_type_ids"][0, 4:7].tolist() == [1, 1, 1]
    assert parse_outputs([np.array([[1.5], [-2.0]], dtype=np.float32)]).tolist() == [1.5, -2.0]
    assert tiny.logits("x", []).shape == (0,)


def test_mix_reads_the_tree_probability():
    tree = np.array([0.9, 0.1])
    alone = Mix(1.0, 0.0, 0.0).probability(np.array([0.0, 0.0]), tree)
    assert alone.tolist() == [0.5, 0.5]
    mixed = Mix(1.0, 1.0, 0.0).probability(np.array([0.0, 0.0]), tree)
    assert mixed == pytest.approx(tree, abs=1e-6)
    assert logit(np.array([0.0, 1.0])).tolist() == pytest.approx([-9.21, 9.21], abs=0.01)


def test_stage_output_keeps_its_shape_with_and_without_the_model(tiny):
    text = "Officials spoke on Monday. A crane motor caused the Port Velden grain harbour fire, the port said."
    doc = Document(text=text, source="t").with_layer("sentences", (Sentence.of(text, 0, 26), Sentence.of(text, 27, len(text))))
    outs = {}
    for name, ce in (("cross", tiny), ("plain", None)):
        index = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=ce)
        (out,) = DebunkMatchStage({"top_k": 2, "min_fused": 0.0}, index=index)(docs=[doc])
        outs[name] = out.layer("debunk_matches")
    assert outs["cross"] and outs["plain"]
    fields = [f.name for f in dataclasses.fields(DebunkMatch)]
    for recs in outs.values():
        for m in recs:
            assert isinstance(m, DebunkMatch) and [f.name for f in dataclasses.fields(m)] == fields
            assert doc.text[m.start:m.end] == m.text
    assert outs["cross"][0].debunk_id == "fire-crane" and outs["cross"][0].relation == "match"


def test_stage_settings_switch_it(monkeypatch, tmp_path):
    # off by default in the stage: wrong matches on news sentences (docs/debunks.md)
    assert DebunkMatchStage.defaults["cross_encoder"] is False and DebunkMatchStage.defaults["cross_candidates"] == 0
    seen = {}

    def fake_from_db(db, embedder=None, **options):
        seen.update(options)
        return DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), **options)

    monkeypatch.setattr(DebunkIndex, "from_db", staticmethod(fake_from_db))
    from propwatch.debunks.db import DebunkDB
    from propwatch.store import Store

    with Store(tmp_path / "s.duckdb") as store:
        DebunkDB(store)  # an empty debunk database: the stage builds its index from it
    stage = DebunkMatchStage({"cross_encoder": False, "cross_candidates": 5, "embedder": "hash", "database": str(tmp_path / "s.duckdb")})
    assert stage.index.cross_encoder is None
    assert seen["cross_encoder"] is None and seen["cross_candidates"] == 5
    assert seen["cross_min_fused"] == pytest.approx(0.28)  # the lower of min_fused and related_min_fused
    DebunkMatchStage({"cross_encoder": True, "embedder": "hash", "database": str(tmp_path / "s.duckdb")}).index
    assert seen["cross_encoder"] == "auto"


def test_candidates_under_the_fused_floor_are_not_scored(tiny):
    calls = []

    class Counting(CrossEncoder):
        def logits(self, query, docs):
            calls.append(len(docs))
            return super().logits(query, docs)

    counting = Counting(**{f.name: getattr(tiny, f.name) for f in dataclasses.fields(tiny)})
    floor = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=counting, cross_min_fused=0.99)
    plain = DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=None)
    assert [(m.debunk.id, m.score) for m in floor.search(QUERY, k=5)] == [(m.debunk.id, m.score) for m in plain.search(QUERY, k=5)]
    assert calls == []
    fused = plain.score_all([QUERY])[0][0]
    second = sorted(fused)[-2]
    DebunkIndex(DEBUNKS, embedder=CharHashingEmbeddings(), cross_encoder=counting, cross_min_fused=float(second)).search(QUERY, k=5)
    assert calls == [2]
