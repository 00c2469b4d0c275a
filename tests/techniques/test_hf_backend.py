"""The transformers backend on a tiny random BERT built here (skipped without torch/transformers)."""

from __future__ import annotations

import pytest

from propwatch.records import Document
from propwatch.techniques.stage import TechniquesStage
from propwatch.techniques.inventory import PTC_TECHNIQUES


@pytest.mark.slow  # several seconds: CI runs it with -m slow
def test_hf_backend_tiny_random_bert(tmp_path, tiny_model):
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_file=str(tiny_model / "tokenizer.json"),
        unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
    )
    labels = ["propaganda", *PTC_TECHNIQUES]
    cfg = transformers.BertConfig(
        vocab_size=tok.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=len(labels),
        id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)},
    )
    model = transformers.BertForTokenClassification(cfg)
    tok.save_pretrained(tmp_path)
    model.save_pretrained(tmp_path)

    stage = TechniquesStage({"backend": "techniques_hf", "model": str(tmp_path), "threshold": 0.0, "min_chars": 1})
    text = "The council is disgraceful. " * 10
    [doc] = stage([Document(text=text, source="t")])
    spans = doc.layer("techniques")
    assert spans  # threshold 0: every run of tokens is a span
    assert all(text[s.start : s.end] == s.text and s.technique in PTC_TECHNIQUES for s in spans)
    [ts] = stage.tagger.score([text])
    assert len(ts.si) == 50 and ts.tech.shape == (50, 14)
