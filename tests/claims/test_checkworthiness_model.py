"""The shipped check-worthiness model: loads offline, scores in [0, 1], keeps its quality on the news set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from propwatch.claims.checkworthiness import (
    LinearCheckworthiness,
    OnnxCheckworthiness,
    RuleCheckworthiness,
    model_dir,
    ngram_tokens,
)

from claims.helpers import CASES

SHIPPED = (model_dir() / "weights.npz").exists()


def _news():
    rows = [json.loads(x) for x in (CASES / "news.jsonl").read_text("utf-8").splitlines() if x.strip()]
    return [r["text"] for r in rows], np.array([r["label"] for r in rows])


def test_ngrams_fold_numbers():
    assert ngram_tokens("Prices rose 12.5% in 2014") == [
        "prices", "rose", "00", "%", "in", "00", "prices rose", "rose 00", "00 %", "% in", "in 00"]


def test_fake_backend_orders_sensibly():
    s = RuleCheckworthiness().score(["Thank you all.", "The army sold 4,000 rifles to the rebels in 2014."])
    assert s[0] < 0.5 < s[1]


@pytest.mark.skipif(not SHIPPED, reason="check-worthiness model not shipped")
def test_quality_gate_on_news_set():
    texts, y = _news()
    scorer = LinearCheckworthiness()
    s = scorer.score(texts)
    assert s.shape == (len(texts),) and np.all((s >= 0) & (s <= 1))
    pred = s >= scorer.threshold
    tp = int(np.sum(pred & (y == 1)))
    f1 = 2 * tp / (pred.sum() + y.sum())
    assert f1 >= 0.88  # measured 0.944
    assert scorer.score([]).shape == (0,)


FINETUNED = (model_dir() / "finetuned.json").exists()


@pytest.mark.skipif(not FINETUNED, reason="fine-tuned check-worthiness model not shipped")
def test_finetuned_quality_gate_on_news_set():
    pytest.importorskip("onnxruntime")
    texts, y = _news()
    scorer = OnnxCheckworthiness()
    s = scorer.score(texts)
    assert s.shape == (len(texts),) and np.all((s >= 0) & (s <= 1))
    pred = s >= scorer.threshold
    tp = int(np.sum(pred & (y == 1)))
    assert 2 * tp / (pred.sum() + y.sum()) >= 0.88
    # a sentence's score does not depend on the others scored with it
    assert np.allclose(scorer.score(texts[:1]), s[:1])
    assert scorer.score([]).shape == (0,)


def test_finetuned_backend_names_a_missing_model(tmp_path):
    from propwatch.errors import ConfigError

    with pytest.raises(ConfigError, match="finetuned.json"):
        OnnxCheckworthiness(str(tmp_path))
