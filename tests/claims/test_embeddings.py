"""Embeddings backends: shapes, normalization, determinism, registry."""

from __future__ import annotations

import numpy as np
import pytest

from propwatch.backends.embeddings import HashingEmbeddings, get_embedder, shipped_model_dir
from propwatch.registry import backends


def test_registered():
    names = backends.names()
    for n in ("embeddings_onnx.v1", "embeddings_st.v1", "embeddings_fake.v1"):
        assert n in names


def test_fake_is_deterministic_and_normalized():
    emb = HashingEmbeddings(dim=64)
    a = emb.embed(["The ministry denied it.", "Something else entirely", ""])
    b = HashingEmbeddings(dim=64).embed(["The ministry denied it.", "Something else entirely", ""])
    assert a.dtype == np.float32 and a.shape == (3, 64)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a[:2], axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(a[2]) == 0.0  # no words, no direction


def test_fake_similarity_follows_shared_words():
    emb = get_embedder("embeddings_fake")
    v = emb.embed(["the convoy crossed the border", "a convoy crossed the border at night", "prices of bread rose"])
    assert v[0] @ v[1] > 0.5 > abs(v[0] @ v[2])


def test_cached_per_process():
    assert get_embedder("embeddings_fake") is get_embedder("embeddings_fake")


@pytest.mark.skipif(not (shipped_model_dir() / "model.int8.onnx").exists(), reason="model not shipped")
def test_onnx_minilm_paraphrase_beats_unrelated():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tokenizers")
    emb = get_embedder()
    v = emb.embed(
        [
            "The minister said the country buys cheap oil from the militants.",
            "According to the minister, the militants sell cheap oil to that country.",
            "The football season starts next week.",
        ]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > 0.7 and v[0] @ v[2] < 0.3
    # batching and length-sorting do not change a row
    assert np.allclose(emb.embed([v_text := "The football season starts next week."])[0], v[2], atol=1e-5)
    assert emb.embed([]).shape == (0, 384)
