"""Cohen's kappa of analysts against each other and the machine, and eval/agreement.py printing it."""

from __future__ import annotations

import json

import pytest

from corrections.built import store_copy
from eval_scripts import eval_script
from propwatch.corrections import Decision, record_decision
from propwatch.corrections.agreement import between_analysts, cohen_kappa, with_machine
from propwatch.store import Store


def test_kappa_of_the_textbook_table():
    # 50 items: both yes 20, yes/no 5, no/yes 10, both no 15 -> p_o 0.7, p_e 0.5, kappa 0.4
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    assert cohen_kappa([("a", "b"), ("b", "a")]) == pytest.approx(-1.0)
    assert cohen_kappa([("claim", "claim")] * 3) is None  # chance agreement 1: undefined
    assert cohen_kappa([]) is None


@pytest.fixture
def decided(tmp_path_factory, tmp_path):
    """Two analysts on the same technique spans and quotes; one of them also alone on claims."""
    path = store_copy(tmp_path_factory, tmp_path / "s")
    with Store(path) as st:
        docs = {d.external_id: d for d in st.load()}
        s1, s2 = docs["s1"], docs["s2"]
        loaded, calling = sorted(s1.layer("techniques"), key=lambda t: t.start)
        quotes = s1.layer("quotes") + s2.layer("quotes")  # 2 + 3

        def decide(who, doc, layer, decision, item, label=None):
            record_decision(st, Decision(doc.id, layer, decision, who, item.start, item.end, label=label))

        decide("ana", s1, "techniques", "accept", loaded)
        decide("ana", s1, "techniques", "relabel", calling, "Loaded_Language")
        decide("ben", s1, "techniques", "accept", loaded)
        decide("ben", s1, "techniques", "reject", calling)
        for i, q in enumerate(quotes):
            doc = s1 if i < 2 else s2
            decide("ana", doc, "quotes", "accept" if i != 4 else "reject", q)
            decide("ben", doc, "quotes", "accept" if i not in (3, 4) else "reject", q)
        for doc in (s1, s2):  # 1 + 2 claims
            for c in doc.layer("claims"):
                decide("ana", doc, "claims", "accept", c)
    return path


def test_analysts_against_each_other_and_the_machine(decided):
    with Store(decided, read_only=True) as st:
        pairs = {(a.layer, a.first, a.second): a for a in between_analysts(st.con)}
        machine = {(a.layer, a.first): a for a in with_machine(st.con)}
    techniques = pairs[("techniques", "ana", "ben")]
    # ana: Loaded, Loaded; ben: Loaded, (none) -> p_o 0.5, p_e (2*1)/4 = 0.5 -> kappa 0
    assert (techniques.items, techniques.agreed, techniques.kappa) == (2, 1, pytest.approx(0.0))
    quotes = pairs[("quotes", "ana", "ben")]
    # five quotes: they differ on the fourth only
    assert (quotes.items, quotes.agreed) == (5, 4) and quotes.kappa is not None and 0 < quotes.kappa < 1
    assert ("claims", "ana", "ben") not in pairs  # ben decided no claim
    ana_tech = machine[("techniques", "ana")]
    assert (ana_tech.items, ana_tech.agreed) == (2, 1)
    ben_quotes = machine[("quotes", "ben")]
    assert (ben_quotes.items, ben_quotes.agreed) == (5, 3)
    claims = machine[("claims", "ana")]
    assert (claims.items, claims.agreed, claims.kappa) == (3, 3, None)  # the machine calls every one a claim


def test_the_eval_script_prints_a_row_per_pair_and_layer(decided, capsys):
    script = eval_script("agreement")
    assert script.main(["--store", str(decided)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["layer", "first", "second", "items", "agree", "kappa"]
    rows = [line.split() for line in out[1:]]
    assert ["techniques", "ana", "ben", "2", "0.500", "0.000"] in rows
    assert ["claims", "ana", "machine", "3", "1.000", "-"] in rows
    assert script.main(["--store", str(decided), "--layer", "quotes", "--format", "json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(r["first"], r["second"]) for r in lines} == {("ana", "machine"), ("ben", "machine"), ("ana", "ben")}
    assert all(r["layer"] == "quotes" for r in lines)
