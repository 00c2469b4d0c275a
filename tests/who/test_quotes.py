"""Quotes: the quality gate over the annotated cases, quote marks, offsets, records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval_scripts import eval_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # several seconds: CI runs it with -m slow
@pytest.mark.parametrize("split", ["dev", "heldout", "heldout-hard"])
def test_quality_gate(split, nlp):
    """F1 and speaker accuracy floors (set below the measured scores; see eval/quotes.py)."""
    ev = eval_script("quotes")
    s = ev.score(ev.load(split))
    assert s["f1"] >= 0.93, s
    assert s["speaker_accuracy"] >= 0.90, s


def test_quote_marks_of_every_style():
    from propwatch.who.quotes import quote_pairs

    text = ("“Curly double,” he said. \"Straight double,\" she said. «Guillemets», they said. "
            "‘Curly single,’ he said. „Low-high German“, sagte sie. It’s an apostrophe, not a quote.")
    contents = [text[o + 1:c] for o, c, _ in quote_pairs(text)]
    assert contents == ["Curly double,", "Straight double,", "Guillemets", "Curly single,", "Low-high German"]


def test_one_odd_mark_keeps_the_other_quotes():
    from propwatch.who.quotes import quote_pairs

    text = "He wrote 12\" of snow fell. “First quote,” he said.\n\n“Second quote,” she said."
    contents = [text[o + 1:c] for o, c, _ in quote_pairs(text)]
    assert "First quote," in contents and "Second quote," in contents


def test_quote_open_at_paragraph_end_runs_to_it():
    from propwatch.who.quotes import quote_pairs

    text = "“The first part goes on and on.\n\n“And the second part ends here,” he said."
    pairs = quote_pairs(text)
    assert pairs[0][2] is True and text[pairs[0][0] + 1:pairs[0][1]] == "The first part goes on and on."
    assert pairs[1][2] is False


def test_dash_attribution_splits_a_quote(analyse):
    text = ("Foreign Minister Boris Antonenko spoke on Monday.\n\n"
            "“Our patience has limits, – continued the minister. – We will answer any provocation”.")
    quotes = analyse([text], upto="quotes")[0].layer("quotes")
    assert [q.text for q in quotes] == ["Our patience has limits", "We will answer any provocation"]
    assert all(q.speaker.entity_id == "per:boris-antonenko" and q.cue.text == "continued" for q in quotes)


def test_scare_quotes_are_not_speech(analyse):
    text = "The so-called “experts” have «forgotten» the «minor incident». The «Green Wave» movement grew."
    assert analyse([text], upto="quotes")[0].layer("quotes") == ()


def test_pronoun_speaker_resolves(analyse):
    text = "Mayor Clara Jensen opened the bridge.\n\n“It took too long,” she said."
    q = analyse([text], upto="quotes")[0].layer("quotes")[0]
    assert (q.speaker.name, q.speaker.entity_id, q.speaker.kind) == ("Clara Jensen", "per:clara-jensen", "person")
    assert q.speaker.text == "she"


def test_quote_with_no_speaker(analyse):
    text = "The banner was gone by morning.\n\n“Nobody here will ever forget what happened that night.”\n\nThe square was empty."
    q = analyse([text], upto="quotes")[0].layer("quotes")[0]
    assert q.direct and q.speaker.kind == "unknown" and q.speaker.name is None


def test_offsets_and_round_trip(analyse):
    from propwatch.records import record_from_dict, record_to_dict
    from propwatch.who.quotes_stage import Quote

    rows = [json.loads(line) for line in (ROOT / "tests/cases/quotes/dev.jsonl").read_text("utf-8").splitlines()]
    docs = analyse([r["text"] for r in rows], upto="quotes")
    for doc in docs:
        for q in doc.layer("quotes"):
            assert doc.text[q.start:q.end] == q.text
            if q.cue:
                assert doc.text[q.cue.start:q.cue.end] == q.cue.text
            if q.speaker.start is not None:
                assert doc.text[q.speaker.start:q.speaker.end] == q.speaker.text
            assert record_from_dict(Quote, json.loads(json.dumps(record_to_dict(q)))) == q


def test_surname_inside_an_organization_name_is_not_completed(analyse):
    text = ("Anna Berg chairs the Berg Foundation.\n\n"
            "According to the Berg Foundation, the grant was paid in May. “It was paid,” Berg said.")
    quotes = analyse([text], upto="quotes")[0].layer("quotes")
    assert [q.speaker.kind for q in quotes] == ["organization", "person"]


def test_speaker_kinds_of_unnamed_groups_outlets_and_documents(analyse):
    texts = [
        ("During the drill, one of the guards is heard telling a visitor that entry might not be possible because "
         "the gates were locked.\n“The gates are shut,” he declared."),
        "The plan was leaked on Friday, the Evening Star reported Wednesday.",
        "Critics say the law is too vague. Forecasts now say the river will rise.",
    ]
    docs = analyse(texts, upto="quotes")
    kinds = [[(q.speaker.name, q.speaker.kind) for q in d.layer("quotes")] for d in docs]
    assert kinds[0] == [("one of the guards", "anonymous")] * 2
    assert kinds[1] == [("the Evening Star", "media")]
    assert kinds[2] == [("Critics", "person"), ("Forecasts", "document")]


def test_pronouns_point_to_described_people_of_the_right_gender(analyse):
    text = ("Officer Tom Reyes arrived after noon. In the next call, the woman pleads for help.\n"
            "“Please hurry,” she asks the operator.\n"
            "During the tape, one of the controllers is heard warning a pilot about the danger.\n"
            "“Do not land now,” he declared.")
    quotes = analyse([text], upto="quotes")[0].layer("quotes")
    assert [(q.speaker.name, q.speaker.kind) for q in quotes] == [
        ("the woman", "person"), ("one of the controllers", "anonymous")]
