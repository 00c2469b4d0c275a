"""Embeddings backends: shapes, normalization, determinism, registry."""

from __future__ import annotations

import numpy as np
import pytest

from propwatch.embeddings import (
    ClaimMatcherEmbeddings,
    HashingEmbeddings,
    claim_matcher_dir,
    get_embedder,
    shipped_model_dir,
)
from propwatch.registry import backends


def test_registered():
    names = backends.names()
    for n in ("embeddings_onnx.v1", "embeddings_claims.v1", "embeddings_st.v1", "embeddings_fake.v1", "embeddings_hash.v1"):
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


@pytest.mark.skipif(not (claim_matcher_dir() / "model.int8.onnx").exists(), reason="claim matcher not shipped")
def test_claim_matcher_ranks_the_restatement_first():
    pytest.importorskip("onnxruntime")
    emb = get_embedder("embeddings_claims")
    assert isinstance(emb, ClaimMatcherEmbeddings) and emb.model_dir == claim_matcher_dir()
    claim, restated, near, far = emb.embed(
        [
            "The government secretly sold weapons to the rebels in the north.",
            "Officials covertly supplied arms to northern rebel groups, documents show.",
            "The government sold bonds to investors in the north.",
            "The football season starts next week.",
        ]
    )
    assert claim @ restated > claim @ near > claim @ far
    assert np.allclose(np.linalg.norm(claim), 1.0, atol=1e-4)
    # another model than the plain MiniLM: its own vectors
    assert not np.allclose(get_embedder().embed(["The football season starts next week."])[0], far, atol=1e-3)


def test_short_names(monkeypatch):
    from propwatch import embeddings
    from propwatch.errors import MissingExtraError

    assert get_embedder("hash").name.startswith("hash-")
    assert get_embedder("hash") is get_embedder("embeddings_hash")
    monkeypatch.setattr("propwatch.embeddings.claim_matcher_dir", lambda: shipped_model_dir().parent / "nope")
    embeddings._CACHE.pop(("embeddings_claims", ()), None)
    with pytest.raises(MissingExtraError):
        get_embedder("claims")
    if (shipped_model_dir() / "model.int8.onnx").exists():
        assert get_embedder("auto").name.startswith("OnnxEmbeddings")  # falls back to the plain MiniLM
    embeddings._CACHE.pop(("embeddings_claims", ()), None)


def test_one_default():
    from propwatch.embeddings import DEFAULT_BACKEND

    assert get_embedder() is get_embedder(DEFAULT_BACKEND) is get_embedder("")
