"""Each fact written once: word lists, the alias table, sigmoid, the embedder protocol."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from propwatch import lexicon

PACKAGE = Path(__file__).resolve().parents[2] / "propwatch"
WORDS = [p.stem for p in (PACKAGE / "data" / "words").glob("*.txt")]


@pytest.mark.parametrize("name", sorted(WORDS))
def test_every_list_loads_and_says_what_it_is_for(name):
    text = resources.files("propwatch").joinpath(f"data/words/{name}.txt").read_text("utf-8")
    assert text.startswith("#"), "the first line says what the list is for"
    if ":" in "".join(line for line in text.splitlines() if not line.startswith("#")):
        assert lexicon.table(name) and lexicon.heads(name)
    else:
        ws = lexicon.words(name)
        assert ws and all(w == w.strip() and w == w.casefold() for w in ws)


def test_alternation_is_longest_first_and_escaped():
    rx = re.compile(rf"\b(?:{lexicon.alternation(['say', 'says', 'pointed out', 'a.b'])})\b")
    assert rx.search("she says").group() == "says"
    assert rx.search("he pointed  out").group() == "pointed  out"
    assert rx.search("axb") is None


def test_one_speech_verb_list():
    from propwatch.claims import normalize
    from propwatch.who import quotes

    forms = lexicon.forms("speech_verbs")
    assert re.fullmatch(quotes.CUE_RX, "pointed out") and "say" in quotes.SPEECH_LEMMAS
    assert {"said", "told", "stated", "warned"} <= forms
    assert normalize.strip_attribution("The minister warned that the convoy carried weapons.") == "The convoy carried weapons."


def test_one_stop_list():
    from propwatch.debunks import stance, text
    from propwatch.narratives import matching

    stop = lexicon.words("stopwords")
    assert text.STOPWORDS == stance.STOP == stop
    assert matching.STOPWORDS == stop | lexicon.words("negations")
    assert not stop & lexicon.words("negations")


def test_stance_cue_lexicons_match_the_trained_model():
    # each cue word is one feature of the shipped model: editing a cue list means retraining it
    from propwatch.debunks import stance

    meta = json.loads((stance.default_model_dir() / "model.json").read_text("utf-8"))
    expected = stance.feature_names() + (stance.EMBEDDING_FEATURES if stance.EMBEDDING_FEATURES[0] in meta["features"] else [])
    assert expected == meta["features"]


def test_claims_fallback_uses_the_alias_table():
    from propwatch.claims.normalize import find_entities
    from propwatch.who.aliases import load_table

    table = load_table()
    text = "The Kremlin said Daesh sells oil to Ankara, and Turkish authorities denied it."
    ids = [e.entity_id for e in find_entities(text)]
    assert ids == [table.lookup("Kremlin").id, "org:islamic-state", "gpe:turkey", "gpe:turkey"]
    assert ids[0] == "org:kremlin"


@pytest.mark.parametrize("pattern, home", [
    (r"^def sigmoid\(", "mathutil.py"),
    (r"^def softmax\(", "mathutil.py"),
    (r"^class TreeEnsemble\b", "trees.py"),
    (r"^class Embedder\(Protocol\)", "embeddings.py"),
    (r"^def get_embedder\(", "embeddings.py"),
])
def test_one_home(pattern, home):
    rx = re.compile(pattern, re.M)
    found = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if rx.search(p.read_text("utf-8")))
    assert found == [home]
