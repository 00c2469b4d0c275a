"""Which claims the narrative linker leaves out, and narrative timelines (invented sentences)."""

from __future__ import annotations

import numpy as np

from propwatch.narratives import ClaimItem, LinkParams, Linker
from propwatch.narratives.filters import skip_reason
from propwatch.narratives.service import NarrativeClaim, timeline


def test_tallies_definitions_bylines_questions_background_are_left_out():
    assert skip_reason("At least 12 people were killed in the blast near the market.") == "casualty tally"
    assert skip_reason("So far, the fever has claimed 40 lives and infected more than 300 others.") == "casualty tally"
    assert skip_reason("The death toll could rise.") == "casualty tally"
    assert skip_reason("The Northern Front is a militant group founded in 2009 by two clerics.") == "definition"
    assert skip_reason("The fever is typically spread through the bite of infected ticks.") == "definition"
    assert skip_reason("By Jane Doe") == "byline"
    assert skip_reason("Article posted with permission from An Invented Media") == "byline"
    assert skip_reason("Who should replace the ambassador?") == "question"
    assert skip_reason("Who should replace the ambassador?\n* One Name Another Name\nThe vote is on Friday.") == "question"
    assert skip_reason("The region has been mired in civil war since 2011, with many factions fighting.") == "background"


def test_accusations_and_assertions_are_kept():
    assert skip_reason("The ministry blamed the rebels for the blast that killed 12 people.") is None
    assert skip_reason("Ankara buys oil from the militants at well below market prices.") is None
    assert skip_reason("He sold the gunman ammunition the month before the attack that killed 58 people.") is None


def _item(i, text, doc, outlet, day):
    return ClaimItem(key=f"{doc}:{i}-{i + 10}", doc_id=doc, text=text, normalized=text, outlet=outlet, published=day)


def test_boilerplate_repeated_by_an_outlet_is_not_linked():
    line = "Our newsroom brings you the truth the mainstream hides from you every day"
    items = [_item(0, line, "d1", "Invented Daily", "2020-01-01"), _item(0, line, "d2", "Invented Daily", "2020-01-02"),
             _item(0, line, "d3", "Other Wire", "2020-01-02")]
    vec = np.tile(np.eye(4, dtype=np.float32)[0], (3, 1))
    linker = Linker(dim=4, params=LinkParams(index="exact"))
    out = linker.add(items, vec)
    assert linker.skipped == {"d2:0-10": "boilerplate (repeated by the outlet)"}
    assert out[1].narrative_id not in (out[0].narrative_id, out[2].narrative_id)
    # months later, anywhere: boilerplate too
    later = Linker(dim=4, params=LinkParams(index="exact", boilerplate_days=30))
    later.add([_item(0, line, "d1", "A", "2020-01-01"), _item(0, line, "d4", "B", "2020-03-15")], vec[:2])
    assert later.skipped == {"d4:0-10": "boilerplate (repeated for months)"}


def test_timeline_first_carrier_and_followers():
    def c(doc, outlet, day):
        return NarrativeClaim(key=f"{doc}:0-5", doc_id=doc, text="t", normalized="t", outlet=outlet, published=day,
                              attributed_to=None, checkworthiness=0.0, linked_to=None, score=None)

    spans, first, followers = timeline([c("a", "Spring News", "2015-11-28"), c("b", "Iran Today", "2015-12-01"),
                                        c("c", "Spring News", "2015-12-03"), c("d", "Global Wire", None)])
    assert first == ("Spring News",) and followers == ("Iran Today",)
    assert [(o.outlet, o.first_seen, o.days_after_first, o.n_stories) for o in spans] == [
        ("Spring News", "2015-11-28", 0, 2), ("Iran Today", "2015-12-01", 3, 1), ("Global Wire", None, None, 1)]


def test_incremental_linking_equals_one_batch():
    # clustered random claims, boilerplate and tallies among them; linked at once, in two calls, and
    # restored from the first call's results (as the store does) before the second
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((12, 16)).astype(np.float32)
    vecs = centers[rng.integers(0, 12, 120)] + 0.35 * rng.standard_normal((120, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    words = "minister border oil fighters pipeline army rebels talks sanctions convoy".split()
    items = []
    for i in range(120):
        text = ("At least 5 people were killed in the blast." if i % 17 == 0 else
                "Subscribe to our newsletter for the whole truth every morning" if i % 11 == 0 else
                " ".join(rng.choice(words, 5)) + f" said {i % 12}")
        items.append(_item(i, text, f"d{i // 3}", f"o{i % 4}", f"2020-0{1 + i // 40}-{1 + i % 28:02d}"))
    params = LinkParams(index="exact", candidate_min=0.3, link_threshold=0.5, paraphrase_min=0)
    one = Linker(dim=16, params=params)
    one.add(items, vecs)
    order = sorted(range(120), key=lambda i: items[i].sort_key())
    first, second = order[:70], order[70:]
    two = Linker(dim=16, params=params)
    two.add([items[i] for i in first], vecs[first])
    two.add([items[i] for i in second], vecs[second])
    restored = Linker(dim=16, params=params)
    restored.restore(two.items[:70], two.vectors[:70], two.narrative_of[:70])
    restored.add([items[i] for i in second], vecs[second])
    assert one.narrative_of == two.narrative_of == restored.narrative_of
    assert one.skipped == two.skipped == restored.skipped and one.skipped
    assert len(set(one.narrative_of)) < 120  # something was linked


def test_timeline_in_cli_lines_and_page_table_is_escaped():
    from types import SimpleNamespace

    from propwatch.cli.narratives import timeline_lines
    from propwatch.narratives.service import OutletSpan
    from propwatch.output.narratives_page import carriers_table

    spans = (OutletSpan("Spring <b>News</b>", "2015-11-28", "2015-11-28", 1, 1, 0),
             OutletSpan("Iran Today", "2015-12-01", "2015-12-01", 1, 1, 3), OutletSpan("Wire", None, None, 1, 1, None))
    n = SimpleNamespace(first_seen="2015-11-28", carried_first=("Spring <b>News</b>",), per_outlet=spans,
                        per_day=(("2015-11-28", 1), ("2015-12-01", 1)), n_stories=3)
    lines = timeline_lines(n)
    assert lines[0] == "first seen 2015-11-28 by Spring <b>News</b>"
    assert lines[1] == "followed by Iran Today 2015-12-01 (+3 d)" and lines[2] == "undated: Wire"
    rows = [dict(outlet=o.outlet, first_seen=o.first_seen, days_after_first=o.days_after_first, n_stories=o.n_stories)
            for o in spans]
    html = str(carriers_table({"per_outlet": rows, "carried_first": n.carried_first}))
    assert "&lt;b&gt;News&lt;/b&gt;" in html and "<b>" not in html and "+3" in html and "undated" in html


def test_a_claim_about_someone_it_does_not_name_is_left_out():
    assert skip_reason("He remains in custody pending removal.", ("org:agency",)) == "unnamed subject"
    assert skip_reason("He remains in custody pending removal.", ("per:jan-novak",)) is None  # resolved
    assert skip_reason("He remains in custody pending removal.") is None  # entities unknown
    assert skip_reason("Invented Plague Outbreak Has Already Killed 57 And Infected Over 600") == "casualty tally"


def test_proposition_checks_actors_polarity_numbers():
    from propwatch.narratives.proposition import Proposition, conflict, predicate_classes

    def p(text, *ents):
        return Proposition.of(text, ents)

    # two people, one template
    assert conflict(p("Jan Novak was placed in custody pending removal", "per:jan-novak"),
                    p("Ola Berg was placed in custody pending removal", "per:ola-berg")) == "actors"
    # a name the tagger missed in one claim still counts as named
    assert conflict(p("Haig sold Paddock 720 rounds", "per:douglas-haig"),
                    p("He sold 720 rounds to Paddock", "per:stephen-paddock")) is None
    # a demonym names its country
    assert conflict(p("Turkish guards let fighters cross", "norp:turkish"), p("Turkey lets fighters cross", "gpe:turkey")) is None
    assert conflict(p("Turkey does not buy the oil", "gpe:turkey"), p("Turkey buys the oil", "gpe:turkey")) == "polarity"
    assert conflict(p("Not only did Turkey buy the oil", "gpe:turkey"), p("Turkey buys the oil", "gpe:turkey")) is None
    assert conflict(p("The rate rose by 0.6 points"), p("The rate fell by 0.7 points")) == "numbers"
    assert conflict(p("Seventeen people died, the ministry said"), p("The outbreak killed 17")) is None
    assert predicate_classes({"sell", "oil"}) == predicate_classes({"purchas", "oil"}) == {"=trade", "oil"}


def test_template_sentences_about_two_people_stay_apart():
    vec = np.tile(np.eye(4, dtype=np.float32)[0], (2, 1))
    a = ClaimItem(key="d1:0-10", doc_id="d1", text="Jan Novak was placed in custody pending removal.",
                  normalized="Jan Novak was placed in custody pending removal.", entities=("per:jan-novak",))
    b = ClaimItem(key="d2:0-10", doc_id="d2", text="Ola Berg was placed in custody pending removal.",
                  normalized="Ola Berg was placed in custody pending removal.", entities=("per:ola-berg",))
    out = Linker(dim=4, params=LinkParams(index="exact")).add([a, b], vec)
    assert out[0].narrative_id != out[1].narrative_id
    off = Linker(dim=4, params=LinkParams(index="exact", proposition_checks=False)).add([a, b], vec)
    assert off[0].narrative_id == off[1].narrative_id


def test_frames_one_contested_action_in_words_that_share_little():
    from propwatch.narratives.proposition import Proposition, frame_of, frames_match

    def p(text, *ents):
        return Proposition.of(text, ents)

    assert frame_of("Ruritania is the main consumer of the oil the Red Hand steals") == ("oil-trade", None)
    assert frame_of("Documents show the Red Hand selling crude to Ruritania") == ("oil-trade", None)
    assert frame_of("Recruits who joined the Red Hand are smuggled into Borduria", ["org:red-hand", "gpe:borduria"]) \
        == ("border-crossing", "fighters")
    assert frame_of("Crossing into Borduria is easy", ["gpe:borduria"]) == ("border-crossing", None)
    assert frame_of("The files were transferred to the Military Prosecution Office") is None  # no border, no place
    assert frame_of("Migrants crossed the border at night") == ("border-crossing", "migrants")
    buys = p("Ruritania is the main consumer of the oil the Red Hand steals", "gpe:ruritania", "org:red-hand")
    sells = p("Documents show the Red Hand selling crude to Ruritania", "org:red-hand", "gpe:ruritania")
    other = p("Ruritania buys oil from Syldavia", "gpe:ruritania", "gpe:syldavia")
    assert frames_match(buys, sells) and not frames_match(buys, other)  # who, and to or with whom
    fighters = p("Ruritania gives the militants safe passage into Borduria", "gpe:ruritania", "gpe:borduria")
    unsaid = p("Ruritania's guards look away, and crossing into Borduria is easy", "gpe:ruritania", "gpe:borduria")
    migrants = p("Ruritania lets refugees cross into Borduria", "gpe:ruritania", "gpe:borduria")
    rockets = p("Ruritania is a transit point for rockets sent to Borduria", "gpe:ruritania", "gpe:borduria")
    assert frames_match(fighters, unsaid) and not frames_match(fighters, migrants)
    assert not frames_match(unsaid, rockets)  # goods move only where the claim says so
    assert not frames_match(unsaid, p("Nobody checks who is crossing into Borduria from Ruritania", "gpe:borduria", "gpe:ruritania"))


def test_claims_that_state_one_frame_link_though_they_read_apart():
    # cosine 0.4: below candidate_min and centroid_min, and no predicate word in common
    vec = np.array([[1, 0, 0, 0], [0.4, 0.9165, 0, 0]], np.float32)
    a = ClaimItem(key="d1:0-10", doc_id="d1", text="Ruritania gives the militants safe passage into Borduria.",
                  normalized="Ruritania gives the militants safe passage into Borduria.",
                  entities=("gpe:ruritania", "gpe:borduria"), published="2016-01-02")
    b = ClaimItem(key="d2:0-10", doc_id="d2", text="Ruritania's guards look away, and crossing into Borduria is easy.",
                  normalized="Ruritania's guards look away, and crossing into Borduria is easy.",
                  entities=("gpe:ruritania", "gpe:borduria"), published="2016-01-03")
    out = Linker(dim=4, params=LinkParams(index="exact")).add([a, b], vec)
    assert out[0].narrative_id == out[1].narrative_id
    off = Linker(dim=4, params=LinkParams(index="exact", frames=False)).add([a, b], vec)
    assert off[0].narrative_id != off[1].narrative_id


def test_an_aside_that_names_an_alias_is_no_definition():
    assert skip_reason("The daily published videos implicating the Intelligence Service, also known as the "
                       "Agency, in smuggling fighters into Borduria.") is None
    assert skip_reason("The Red Hand, also known as the Hand, has many fighters.") == "definition"
