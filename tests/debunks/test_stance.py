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


def test_contracted_negations_count():
    assert stance.is_negation("not") and stance.is_negation("didn't") and stance.is_negation("isn't")
    assert not stance.is_negation("denied") and not stance.is_negation("knot")


def test_scoped_features_see_a_negated_claim_term():
    tfidf = stance.TfIdf({}, 1.0)
    claim = stance.prepare(CLAIM, tfidf)
    negated = stance.prepare("Navy sailors did not set fire to the Port Velden grain harbour. The weather was calm.", tfidf)
    plain = stance.prepare("Navy sailors set fire to the Port Velden grain harbour. The weather was calm.", tfidf)
    names = stance.feature_names()
    fn, fp = stance.pair_features(claim, negated), stance.pair_features(claim, plain)
    assert len(fn) == len(names)
    i = names.index("neg_before_claim_term")
    assert fn[i] > fp[i] == 0
    j = names.index("polarity_mismatch")
    assert fn[j] == 1.0 and fp[j] == 0.0
    assert stance.prepare("Did the navy burn the harbour?", tfidf).question


def test_model_inputs_must_be_computed(tmp_path):
    import shutil

    d = stance.default_model_dir()
    for f in ("trees.npz", "idf.json"):
        shutil.copy(d / f, tmp_path / f)
    meta = json.loads((d / "model.json").read_text("utf-8"))
    (tmp_path / "model.json").write_text(json.dumps({**meta, "inputs": ["no_such_feature"]}), "utf-8")
    with pytest.raises(ValueError, match="no_such_feature"):
        stance.StanceModel.load(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({**meta, "features": ["cos_all"]}), "utf-8")
    with pytest.raises(ValueError, match="retrain"):
        stance.StanceModel.load(tmp_path)


def _train_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "train" / "stance.py"
    spec = importlib.util.spec_from_file_location("train_stance_for_tests", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_topics_are_components_of_the_related_pairs():
    T = _train_module()
    bodies = {"1": "a", "2": "b", "3": "c", "4": "d"}
    pairs = [("H1", "1", "agree"), ("H2", "1", "discuss"), ("H2", "2", "disagree"), ("H3", "3", "agree"),
             ("H1", "3", "unrelated"), ("H4", "4", "discuss"), ("H3", "4", "unrelated")]
    t_body, t_head = T.topics(pairs, bodies)
    assert t_body == {"1": 1, "2": 1, "3": 3, "4": 4}  # an unrelated pair joins nothing
    assert t_head == {"H1": 1, "H2": 1, "H3": 3, "H4": 4}


def test_the_topic_split_shares_no_headline_or_body():
    T = _train_module()
    if not (T.DATA / "train_stances.csv").exists():
        pytest.skip("FNC-1 data not here")
    bodies, pairs = T.load()
    parts = T.read_split("topic", pairs)
    heads = {k: {p[0] for p in v} for k, v in parts.items()}
    bods = {k: {p[1] for p in v} for k, v in parts.items()}
    for a, b in (("train", "val"), ("train", "tune"), ("tune", "val")):
        assert not heads[a] & heads[b] and not bods[a] & bods[b]
    share = sum(p[2] == "unrelated" for p in parts["val"]) / len(parts["val"])
    assert 0.70 < share < 0.76
