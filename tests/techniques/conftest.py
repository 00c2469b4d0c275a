"""Fixtures: a tiny ONNX technique model built here (word lookup table), no corpus text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propwatch.techniques.inventory import PTC_TECHNIQUES

ROOT = Path(__file__).resolve().parents[2]
PTC = ROOT.parent / "shared" / "data" / "ptc-train"

# word -> technique the tiny model marks; every other word scores low
TINY_MARKS = {"disgraceful": "Loaded_Language", "traitors": "Name_Calling,Labeling"}
TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "council", "is", "disgraceful", "and", "traitors",
              "lie", ".", ",", "!", "voted", "today", "«", "»"]
# word -> technique the tiny span classifier gives a span holding it (unlike the tagger's)
TINY_CLASSES = {"disgraceful": "Doubt", "traitors": "Flag-Waving"}


def build_tiny_model(
    folder: Path, max_length: int = 8, classifier: float | None = None, decode_weight: float | None = None
) -> Path:
    """The tiny tagger; with ``classifier`` (its blend weight; ``decode_weight`` for decoded
    spans, default the same) also a tiny span classifier whose logits are the sum, over the
    span's tokens, of a word table (:data:`TINY_CLASSES`)."""
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    tokenizers = pytest.importorskip("tokenizers")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {w: i for i, w in enumerate(TINY_VOCAB)}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = tokenizers.normalizers.Lowercase()
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tok.save(str(folder / "tokenizer.json"))

    k = len(PTC_TECHNIQUES)
    table = np.full((len(vocab), 1 + k), -6.0, np.float32)
    for word, tech in TINY_MARKS.items():
        table[vocab[word], 0] = 6.0
        table[vocab[word], 1 + PTC_TECHNIQUES.index(tech)] = 6.0
    ids_in = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"]),
    ]

    def save(nodes, inputs, out_shape, arrays, name):
        graph = helper.make_graph(
            nodes, name, inputs, [helper.make_tensor_value_info("logits", TensorProto.FLOAT, out_shape)],
            initializer=[numpy_helper.from_array(a, n) for n, a in arrays.items()],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.save(model, str(folder / name))

    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["g"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["m"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["m", "axes"], ["m3"]),
        helper.make_node("Mul", ["g", "m3"], ["logits"]),
    ]
    save(nodes, ids_in, ["b", "s", 1 + k], {"table": table, "axes": np.array([2], np.int64)}, "model.int8.onnx")
    meta = {
        "labels": list(PTC_TECHNIQUES),
        "max_length": max_length,
        "cls_id": vocab["[CLS]"],
        "sep_id": vocab["[SEP]"],
        "decode": {"threshold": 0.5, "gap": 0, "min_chars": 1, "snap_words": True, "second_threshold": 1.01},
    }
    if classifier is not None:
        table = np.zeros((len(vocab), k), np.float32)
        for word, tech in TINY_CLASSES.items():
            table[vocab[word], PTC_TECHNIQUES.index(tech)] = 6.0
        nodes = [
            helper.make_node("Gather", ["table", "input_ids"], ["g"], axis=0),
            helper.make_node("Cast", ["attention_mask"], ["am"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["am", "span_mask"], ["m"]),
            helper.make_node("Unsqueeze", ["m", "axes"], ["m3"]),
            helper.make_node("Mul", ["g", "m3"], ["gm"]),
            helper.make_node("ReduceSum", ["gm", "axes1"], ["pooled"], keepdims=0),
            helper.make_node("MatMul", ["features", "zeros"], ["f"]),
            helper.make_node("Add", ["pooled", "f"], ["logits"]),
        ]
        inputs = [
            *ids_in,
            helper.make_tensor_value_info("span_mask", TensorProto.FLOAT, ["b", "s"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["b", 2]),
        ]
        arrays = {"table": table, "axes": np.array([2], np.int64), "axes1": np.array([1], np.int64),
                  "zeros": np.zeros((2, k), np.float32)}
        save(nodes, inputs, ["b", k], arrays, "classifier.tiny.onnx")
        meta["classifier"] = {
            "file": "classifier.tiny.onnx",
            "max_length": 8,
            "markers": ["«", "»"],
            "labels": list(PTC_TECHNIQUES),
            "weight": classifier,
        }
        if decode_weight is not None:
            meta["classifier"]["decode_weight"] = decode_weight
    (folder / "techniques.json").write_text(json.dumps(meta), "utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny_techniques"))


@pytest.fixture(scope="session")
def tiny_classifier_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny_techniques_classifier"), classifier=0.8)
