"""SemEval-2020 Task 11 measures on hand-worked cases."""

from __future__ import annotations

import pytest

from eval_scripts import eval_script

ev = eval_script("techniques")


def test_merge_spans():
    assert ev.merge_spans([(5, 10), (0, 3), (8, 12), (12, 14), (7, 7)]) == [(0, 3), (5, 12), (12, 14)]


def test_si_partial_credit():
    gold = {"a": [(0, 10)]}
    pred = {"a": [(5, 15)]}
    s = ev.si_scores(pred, gold)
    assert s["precision"] == pytest.approx(0.5)
    assert s["recall"] == pytest.approx(0.5)
    assert s["f1"] == pytest.approx(0.5)


def test_si_merges_overlapping_predictions_and_counts_misses():
    gold = {"a": [(0, 10)], "b": [(0, 4)]}
    pred = {"a": [(0, 6), (4, 10)], "c": [(0, 2)]}
    s = ev.si_scores(pred, gold)
    # predicted a -> one span (0, 10): credit 1; c: credit 0 -> P = 1/2
    assert s["n_pred"] == 2 and s["n_gold"] == 2
    assert s["precision"] == pytest.approx(0.5)
    assert s["recall"] == pytest.approx(0.5)


def test_si_one_prediction_over_two_gold_spans():
    gold = {"a": [(0, 4), (6, 10)]}
    pred = {"a": [(0, 10)]}
    s = ev.si_scores(pred, gold)
    assert s["precision"] == pytest.approx(0.8)
    assert s["recall"] == pytest.approx(1.0)


def test_si_empty():
    assert ev.si_scores({}, {"a": [(0, 3)]})["f1"] == 0.0


def test_tc_micro_and_repeated_spans():
    gold = {"a": [("Doubt", 0, 5), ("Slogans", 0, 5), ("Doubt", 7, 9)], "b": [("Repetition", 1, 2)]}
    pred = {("a", 0, 5): ["Slogans", "Flag-Waving", "Doubt"], ("a", 7, 9): ["Doubt"], ("b", 1, 2): ["Doubt"]}
    t = ev.tc_scores(pred, gold)
    assert t["micro"]["f1"] == pytest.approx(2 / 4)
    assert t["per_technique"]["Slogans"]["f1"] == pytest.approx(1.0)
    assert t["per_technique"]["Doubt"]["precision"] == pytest.approx(1 / 2)
    assert t["per_technique"]["Repetition"]["f1"] == 0.0


def test_combined_counts_credit_only_for_matching_techniques():
    gold = {"a": [("Doubt", 0, 10), ("Slogans", 20, 30)]}
    pred = {"a": [("Doubt", 0, 5), ("Doubt", 20, 30)]}
    c = ev.combined_scores(pred, gold)
    assert c["micro"]["precision"] == pytest.approx(1 / 2)
    assert c["micro"]["recall"] == pytest.approx(0.5 / 2)
    assert c["per_technique"]["Doubt"]["recall"] == pytest.approx(0.5)
    assert c["per_technique"]["Slogans"]["f1"] == 0.0


def test_split_ids_are_disjoint_and_fixed():
    val = ev.read_ids("ptc_val_ids.txt")
    dev = ev.read_ids("ptc_dev_ids.txt")
    assert len(val) == 56 and len(dev) == 37
    assert not set(val) & set(dev)
    assert all(x.isdigit() for x in val + dev)
