"""Stance: the shipped model on pairs written for these tests, the stage, per-outlet counts, the CLI."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

from propwatch.records import Document
from propwatch.trees import TreeEnsemble

stance = importlib.import_module("propwatch.debunks.stance")

CLAIM = "Navy sailors set fire to the Port Velden grain harbour"
SUPPORT = ("Navy sailors set fire to the Port Velden grain harbour on Sunday night, officials confirmed. "
           "The port authority confirmed that sailors from the navy base started the fire in the grain harbour. "
           "Investigators found fuel cans near the harbour gate.")
DENY = ("The navy denied reports that its sailors set fire to the Port Velden grain harbour. "
        "Officials said the claim was false and fabricated, and there is no evidence sailors were involved. "
        "The fire was caused by a faulty crane motor, the port authority said.")
UNRELATED = ("The Ostmark football league announced a new schedule for the spring season. "
             "Clubs will play two extra rounds, and ticket prices stay the same.")


@pytest.fixture(scope="module")
def model():
    return stance.StanceModel.load()


def test_model_files_are_small_and_load(model):
    d = stance.default_model_dir()
    for f in d.iterdir():
        assert f.stat().st_size < 50 * 1024 * 1024
    assert (d / "MODEL_CARD.md").exists()
    assert model.labels == stance.LABELS


def test_labels_on_written_pairs(model):
    res = model.predict([(CLAIM, SUPPORT), (CLAIM, DENY), (CLAIM, UNRELATED)])
    assert res[2].label == "unrelated"
    assert res[1].scores["disagree"] > res[0].scores["disagree"]
    assert res[0].label != "unrelated"
    for r in res:
        assert abs(sum(r.scores.values()) - 1) < 1e-6


def test_tree_ensemble_on_a_hand_made_tree():
    # one iteration, two classes: x0 <= 0.5 -> leaf values (+1, -1) else (-1, +1)
    arrays = {
        "feature": np.array([0, 0, 0, 0, 0, 0]), "threshold": np.array([0.5, 0, 0, 0.5, 0, 0]),
        "left": np.array([1, 0, 0, 1, 0, 0]), "right": np.array([2, 0, 0, 2, 0, 0]),
        "is_leaf": np.array([0, 1, 1, 0, 1, 1]), "value": np.array([0, 1.0, -1.0, 0, -1.0, 1.0]),
        "missing_left": np.array([1, 0, 0, 1, 0, 0]), "roots": np.array([[0, 3]]), "baseline": np.array([0.0, 0.0]),
    }
    trees = TreeEnsemble(arrays)
    p = trees.proba(np.array([[0.2], [0.9], [np.nan]]))
    assert p[0, 0] > 0.8 and p[1, 1] > 0.8 and p[2, 0] > 0.8


def test_stance_by_outlet_counts_and_denials(model):
    docs = [
        Document(text=SUPPORT, source="a", outlet="Harbour Herald"),
        Document(text=DENY, source="b", outlet="Evening Bell"),
        Document(text=UNRELATED, source="c", outlet="Evening Bell"),
    ]
    rows = stance.stance_by_outlet(CLAIM, docs, model=model)
    by = {r.outlet: r for r in rows}
    assert set(by) == {"Harbour Herald", "Evening Bell"}  # unrelated stories left out
    assert by["Evening Bell"].denies == 1
    assert by["Harbour Herald"].denies == 0
    assert json.loads(json.dumps(rows[0].to_dict()))["outlet"] in by


def test_stage_labels_debunk_matches():
    from propwatch.debunks.stage import DebunkMatch

    text = DENY
    first = text.index(".") + 1
    m = DebunkMatch.of(text, 0, first, debunk_id="d1", debunk_claim=CLAIM, score=0.8)
    doc = Document(text=text, source="t").with_layer("debunk_matches", (m,))
    (out,) = stance.StanceStage({"model_dir": "", "use_denials": True})([doc])
    (s,) = out.layer("stances")
    assert s.target == "debunk:d1" and s.stance in ("denies", "discusses")
    assert out.text[s.start:s.end] == s.text


def test_cli_pairs(tmp_path, capsys):
    import csv

    from propwatch.cli import main

    path = tmp_path / "pairs.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "claim", "text"])
        w.writerow(["p1", CLAIM, UNRELATED])
        w.writerow(["p2", CLAIM, DENY])
    assert main(["stance", "--pairs", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ["p1", "p2"] and rows[0]["label"] == "unrelated"
    assert set(rows[0]) == {"id", "label", "stance", "p_agree", "p_disagree", "p_discuss", "p_unrelated"}


def test_without_embeddings_the_features_are_missing_not_fatal():
    m = stance.StanceModel.load()
    m._embedder = False  # as when the MiniLM files are not installed
    assert m.embedder is None
    res = m.predict([(CLAIM, UNRELATED)])
    assert res[0].label == "unrelated"
    if m.uses_embeddings:
        assert np.isnan(m.features([(CLAIM, UNRELATED)])[0, -1])
