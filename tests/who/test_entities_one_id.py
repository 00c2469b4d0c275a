"""One id per actor inside a story (issue 14), on invented texts."""

from __future__ import annotations


def ents(analyse, text):
    return analyse([text], upto="entities")[0].layer("entities")


def test_acronym_and_the_head_word_join_the_full_name(analyse):
    text = ("The Northern Observatory for Civil Rights said on Monday that 12 people died in the shelling.\n\n"
            "The NOCR, which relies on a network of monitors, gave no details. "
            "The Observatory said the toll could rise.")
    es = ents(analyse, text)
    ids = {e.entity_id for e in es if e.text in ("Northern Observatory for Civil Rights", "NOCR", "Observatory")}
    assert len(ids) == 1, [(e.text, e.entity_id) for e in es]
    assert {e.text for e in es if e.entity_id in ids} >= {"NOCR", "Observatory"}


def test_a_leading_conjunction_is_not_part_of_a_name(analyse):
    text = "The report was denied. And Wikipedia said on Twitter that it had never met him."
    assert all(not e.text.startswith("And ") for e in ents(analyse, text))


def test_a_lowercase_word_is_no_person(analyse):
    text = "You’re telling them something they don\ufffdt want to hear, Hayden said."
    assert all(e.text[:1].isupper() for e in ents(analyse, text) if e.label == "PERSON")
