"""Speaker attribution on the shapes real news takes (issue 14), on invented texts."""

from __future__ import annotations

import pytest

from propwatch.who.speakers import gender_of


def speakers(analyse, text):
    return [(q.speaker.name, q.speaker.kind) for q in analyse([text], upto="quotes")[0].layer("quotes")]


def test_gender_of_names_and_words():
    assert gender_of("Karen Holm") == "f"
    assert gender_of("Sen. Michael Brandt") == "m"
    assert gender_of("the woman") == "f"
    assert gender_of("Holm") is None
    assert gender_of(None) is None


def test_she_never_points_to_a_man(analyse):
    text = ("Michael Brandt, the festival director, left the stage early.\n\n"
            "A witness, only identified as Christine, described what followed:\n\n"
            '"People were running everywhere and nobody knew where to go," she said.')
    assert speakers(analyse, text) == [("Christine", "person")]


def test_a_name_inside_a_reported_clause_is_not_the_pronoun_speaker(analyse):
    text = ("But Daniel Weber, who advised both Harris and Klein, said he saw Klein change her mind over the winter.\n\n"
            '"He was careful from the start and asked for every detail," he said.')
    got = speakers(analyse, text)
    assert got[-1][0] == "Daniel Weber"


def test_a_possessive_name_is_not_the_speaker(analyse):
    text = ('"There is nothing else like it," said Holm\'s deputy security adviser, Peter Sandberg. '
            '"We read it every day."')
    got = speakers(analyse, text)
    assert got == [("Peter Sandberg", "person"), ("Peter Sandberg", "person")]


def test_the_title_points_to_the_person_introduced_with_it(analyse):
    text = ("County Sheriff Joseph Lambert says the suspect checked in on Monday.\n\n"
            "Two officers were injured, the sheriff said.")
    got = speakers(analyse, text)
    assert got[-1] == ("Joseph Lambert", "person")


@pytest.mark.parametrize("phrase", ["A Justice Ministry spokesman", "One distraught witness", "Local residents",
                                    "Activists", "Aid groups and activists", "Authorities", "Police"])
def test_unnamed_people_are_anonymous(analyse, phrase):
    text = f"{phrase} said the convoy left the city before dawn on Sunday."
    assert speakers(analyse, text) == [(phrase, "anonymous")]


def test_they_points_to_a_group_not_to_a_named_person(analyse):
    text = ("Maria Lopez, the mayor, opened the meeting.\n\n"
            "Activists said the water had been cut for a week. They said nobody had warned the families.")
    got = speakers(analyse, text)
    assert [k for _, k in got] == ["anonymous", "anonymous"]
    assert got[-1][0] == "Activists"


def test_a_cited_source_speaks_not_the_paper_citing_it(analyse):
    text = "The Courier cited two unnamed sources as saying the minister had met the envoy in March."
    assert speakers(analyse, text) == [("two unnamed sources", "anonymous")]


def test_a_year_cut_short_opens_no_quote(analyse):
    text = ("Ann Field, CC ‘22, was in the audience on Friday.\n\n"
            '"It was a strange night," Field said.')
    quotes = analyse([text], upto="quotes")[0].layer("quotes")
    assert [q.text for q in quotes] == ["It was a strange night,"]


def test_a_headline_is_not_a_report(analyse):
    text = "Storm kills 40, governor declares emergency\n\nThe storm hit the coast on Tuesday."
    assert analyse([text], upto="quotes")[0].layer("quotes") == ()


def test_authorities_believe_is_an_attribution_a_named_belief_is_not(analyse):
    text = ("Authorities believe the fire was set on purpose late on Sunday.\n\n"
            "Anna Berg believes the market will recover by spring.")
    got = analyse([text], upto="quotes")[0].layer("quotes")
    assert [(q.speaker.name, q.speaker.kind) for q in got] == [("Authorities", "anonymous")]


def test_a_lifted_fragment_with_no_speaker_is_not_a_quote(analyse):
    text = 'The team had "been working around the clock to finish the review" before the vote.'
    assert analyse([text], upto="quotes")[0].layer("quotes") == ()


def test_a_singular_they_falls_back_to_the_last_speaker(analyse):
    text = ('"I will look at it again," the lecturer wrote in an email.\n\n'
            '"Thank you for the link," they wrote.')
    got = analyse([text], upto="quotes")[0].layer("quotes")
    assert got[-1].speaker.kind != "unknown"


def test_adding_belongs_to_the_reporter_not_to_the_reported_subject(analyse):
    text = ("Petrov said the two discussed the issue of the dam, adding Miller agreed with him that "
            "“closing the valley road is among the most urgent measures.”")
    got = analyse([text], upto="quotes")[0].layer("quotes")
    assert got and all(q.speaker.name == "Petrov" or q.speaker.name.endswith("Petrov") for q in got)


def test_the_ex_sailor_is_the_sailor_the_story_named(analyse):
    text = ("Former Navy sailor Kristof Sandvik was pardoned in March.\n\n"
            "The ex-sailor said he had been treated unfairly by the courts.")
    got = analyse([text], upto="quotes")[0].layer("quotes")
    assert got[-1].speaker.name == "Kristof Sandvik"


def test_one_of_the_dispatchers_is_the_he_of_the_next_quote(analyse):
    text = ("In the recordings, released by an activist, one of the dispatchers is heard warning pilots.\n\n"
            '"Shutting down might not be a good idea," he declared.')
    got = analyse([text], upto="quotes")[0].layer("quotes")
    assert (got[-1].speaker.name, got[-1].speaker.kind) == ("one of the dispatchers", "anonymous")


@pytest.mark.parametrize("sentence, phrase", [
    ("About 5,000 people joined the march, according to organizers.", "according to organizers"),
    ("Rebels and opposition officials say the town fell on Monday.", "Rebels and opposition officials"),
    ("A woman, speaking on condition of anonymity, said the shelling went on all night.", "on condition of anonymity"),
    ("A spokesman, who declined to be named, said the talks had stalled.", "who declined to be named"),
    ("Authorities say the bridge will stay closed until Friday.", "Authorities"),
])
def test_anonymous_sources_in_all_their_forms(analyse, sentence, phrase):
    doc = analyse([sentence])[0]
    flags = [f for f in doc.layer("sourcing") if f.flag == "anonymous_source"]
    lo = sentence.find(phrase)
    assert any(f.start < lo + len(phrase) and f.end > lo for f in flags), [(f.text, f.category) for f in flags]


def test_a_headline_run_into_the_story_is_not_the_subject(analyse):
    text = ("Party office in Northfield burned\n\n"
            "Gov. Pat Marlow Sunday called the fire “an attack on our democracy,” and asked for calm.")
    got = analyse([text], upto="quotes")[0].layer("quotes")
    assert got and got[0].speaker.name == "Pat Marlow"


def test_blamed_quotes_a_phrase(analyse):
    text = "In a tweet, Republican candidate Donald Trump blamed “Animals representing the Democrats in Ohio.”"
    got = analyse([text], upto="quotes")[0].layer("quotes")
    assert [(q.speaker.name, q.speaker.kind) for q in got] == [("Donald Trump", "person")]
