"""The precision checks of a debunk match: the claim filter, the proposition check, the article's relation."""

from __future__ import annotations

from propwatch.debunks.importers import Debunk
from propwatch.debunks.precision import article_relation, claim_filter, claim_text, proposition
from propwatch.debunks.search import Match
from propwatch.debunks.stage import DebunkMatchStage
from propwatch.records import Document, Sentence


def test_claim_filter_drops_what_is_not_a_claim():
    assert claim_filter("The shelling killed 14 civilians in Velmora on Tuesday, the governor said.") == "tally"
    assert claim_filter("Black Reed is an armed militia group active in the north of Kestria.") == "definition"
    assert claim_filter("Reporting by Anna Velden; editing by Tom Ash") == "byline"
    assert claim_filter("Did the navy really burn the grain harbour at Port Velden?") == "question"
    assert claim_filter("Kestria sells diesel to the Black Reed militia.") is None
    # a tally that blames someone on purpose is a claim
    assert claim_filter("Kestrian troops deliberately killed 14 civilians to blame the rebels.") is None


def test_parenthetical_definitions_are_cut_not_the_claim():
    text = "Ankara and the Islamic State (ISIS, a terrorist group banned in Russia) hold secret talks on smuggling."
    assert "banned" not in claim_text(text)
    assert claim_filter(text) is None


def test_same_proposition_needs_actors_predicate_and_polarity():
    case = "Turkey buys oil from ISIL and sells it to Ukraine."
    assert proposition("Ankara has been buying Daesh oil for years, the minister said.", case).same
    # same actors, another predicate
    p = proposition("Turkey and the Islamic State are on opposite sides of the war.", case)
    assert not p.same and p.reason == "predicate"
    # the predicate without the actors
    assert not proposition("Poland buys oil from Norway.", case).same
    # the opposite polarity: the same proposition negated (the article refutes it), or no match when
    # negations are not allowed
    negated = proposition("Turkey does not buy oil from ISIS.", case)
    assert negated.same and not negated.polarity_agrees
    assert not proposition("Turkey does not buy oil from ISIS.", case, allow_negation=False).same
    assert proposition("Ankara buys oil from Daesh.", case).polarity_agrees


def test_units_split_clauses_and_cut_asides():
    from propwatch.debunks.precision import units

    got = units("Kestria did not shell Velmora in the north or the south nor has Kestria anything to do with the "
                "blockade. [In the vote] people chose Kestria.")
    assert "Kestria did not shell Velmora in the north or the south" in got
    assert "not has Kestria anything to do with the blockade" in got  # the "nor" clause keeps its negation
    assert "people chose Kestria" in got


def test_one_actor_is_enough_when_the_whole_predicate_is_shared():
    case = "Officials say that Russia did not interfere with the elections in France or Germany."
    # every predicate word shared ("influence" is "interfere"), one actor: the proposition negated
    p = proposition("Our intelligence found that agents of Russia tried to influence the elections.", case)
    assert p.same and not p.polarity_agrees
    # one predicate word only: not the same proposition
    assert not proposition("Russia held elections last year.", case).same


def test_a_person_or_organisation_of_the_unit_must_be_in_the_span():
    case = "The Velden Foundation sold 20% of U.S. uranium production to Russia."
    # a place may be left out, the party that sold may not
    p = proposition("U.S. uranium production, 20% of it, was sold to Russia in the deal.", case)
    assert not p.same and "name:velden-foundation" in p.missing_actors
    # a one-word predicate needs every actor
    assert not proposition("Russia and Syria fought a war in Ukraine.", "The war in Ukraine is a war between Russia and the US.").same


def test_a_predicate_word_may_be_capitalised_on_one_side():
    case = "The Velden Foundation sold a fifth of U.S. uranium production to Russia."
    p = proposition("Russian Purchase of US Uranium Production Assets in return for gifts to the Velden Foundation.", case)
    assert p.same and {"uranium", "production"} <= set(p.shared_predicate)


def test_regions_and_titles_are_actors_or_not():
    from propwatch.debunks.precision import actors

    assert "region:west" in actors("The West spreads lies.") and "region:west" in actors("Western media lie.")
    assert "region:europe" in actors("European sanctions hurt.")
    assert not any(a.startswith("name:") for a in actors("In April the President met the Professor."))


def test_article_relation_from_context():
    assert article_relation("Turkey buys oil from ISIS.") == "carries"
    assert article_relation("Turkey buys oil from ISIS, the minister claimed.") == "reports"
    assert article_relation("Ankara denied that Turkey buys oil from ISIS.") == "refutes"
    assert article_relation("The documents confirmed that Turkey buys oil from ISIS, the minister said.") == "carries"
    assert article_relation("The claim that Turkey buys oil from ISIS is baseless.") == "refutes"
    # the span states the claim negated: the article refutes it, unless it reports someone's denial
    assert article_relation("Russians tried to interfere in our elections.", polarity_agrees=False) == "refutes"
    assert article_relation("The Kremlin denied that its hackers were behind the leaks.", polarity_agrees=False) == "reports"


TEXT = ("Kestria buys diesel from the Black Reed militia. Kestria and the Black Reed militia fought in 2019. "
        "The minister said Kestria buys diesel from the Black Reed militia.")


class CannedIndex:
    threshold = 0.5

    def __init__(self, debunk):
        self.debunk = debunk

    def __len__(self):
        return 1

    def search_many(self, queries, k=3, min_score=None):
        return [[Match(self.debunk, 0.9, 0.5, 0.5, 1, 0.6)] for _ in queries]


def test_stage_needs_the_same_proposition_and_sets_the_article_relation():
    first, second, third = TEXT.split(". ")
    spans = []
    pos = 0
    for part in (first + ".", second + ".", third):
        start = TEXT.index(part, pos)
        spans.append(Sentence.of(TEXT, start, start + len(part)))
        pos = start + len(part)
    doc = Document(text=TEXT, source="t").with_layer("sentences", tuple(spans))
    debunk = Debunk(claim="Kestria buys diesel from the Black Reed militia.", id="d1", database="csv")
    got = DebunkMatchStage({"min_words": 3}, index=CannedIndex(debunk))([doc])[0].layer("debunk_matches")
    by_text = {m.text: m for m in got}
    carried, reported = by_text[first + "."], by_text[third]
    assert (carried.relation, carried.article_relation, carried.counts_against) == ("match", "carries", True)
    assert (reported.relation, reported.article_relation, reported.counts_against) == ("match", "reports", False)
    # the background sentence names the actors but not the predicate: never a match, never counted
    background = by_text.get(second + ".")
    assert background is None or (background.relation == "related" and not background.counts_against)


def test_a_state_department_is_not_an_attribution():
    assert article_relation("The Kestrian State Department sold the harbour to the Black Reed militia.") == "carries"


def test_pick_match_prefers_the_case_naming_every_actor_of_the_span():
    from propwatch.debunks.precision import pick_match

    span = "Turkey is the main consumer of the oil that Daesh sells, the minister said."
    top = Match(Debunk(claim="Daesh oil is bought by Israel via Turkey.", id="israel"), 0.6, 0.3, 0.6, 1, 0.3)
    second = Match(Debunk(claim="Turkey buys oil from ISIL and sells it to Ukraine.", id="turkey"), 0.02, 0.3, 0.6, 2, 0.25)
    unrelated = Match(Debunk(claim="Turkey plans to invade Syria.", id="invade"), 0.01, 0.3, 0.6, 3, 0.25)
    cand, prop = pick_match(span, [top, second, unrelated], 0.25, 0.22)
    assert cand.debunk.id == "turkey" and not prop.missing_actors
    # the top candidate decides whether the span matches at all
    assert pick_match(span, [unrelated, second], 0.25, 0.22) is None
    low = Match(top.debunk, 0.1, 0.3, 0.6, 1, 0.3)
    assert pick_match(span, [low, second], 0.25, 0.22) is None


def test_the_verb_the_debunk_asserts_must_be_said():
    case = "The harbour fire of 2019 was organised by the Velden government."
    # the event and the actor, but not what the debunk says was done
    p = proposition("All who died in the harbour fire of 2019 were Velden government workers.", case)
    assert not p.same and p.reason == "verb"
    assert proposition("The Velden government organised the harbour fire of 2019, the report says.", case).same
    # a verb that carries another: "plans to invade" asserts "invade"
    from propwatch.debunks.precision import head_verb

    assert head_verb("Velden plans to invade Norland") == "invad"
    assert head_verb("No evidence of Velden meddling in Norland") is None


def test_a_negated_reading_needs_a_verb_to_negate():
    case = "No evidence of Velden collusion with Norland."
    # "evidence ... covered up" does not deny that there is no evidence
    p = proposition("Aides feared the evidence of Velden collusion with Norland would be covered up.", case)
    assert not p.same or p.polarity_agrees


def test_a_cut_claim_is_never_a_match():
    from propwatch.debunks.importers import Debunk
    from propwatch.debunks.precision import is_cut, pick_match
    from propwatch.debunks.search import Match

    cut = Debunk(claim="The secret e-mails of the Velden mayor will be used in the…", id="d1", database="csv")
    whole = Debunk(claim="The secret e-mails of the Velden mayor were sold to Norland.", id="d2", database="csv")
    assert is_cut(cut) and not is_cut(whole)
    span = "The secret e-mails of the Velden mayor will be used in the campaign, aides said."
    assert pick_match(span, [Match(debunk=cut, score=0.9, bm25=0.0, dense=0.0, rank=1, fused=0.6)], 0.25, 0.22) is None


def test_negation_is_read_in_the_clause_that_says_the_predicate():
    case = "The mayor of Velden founded the Black Reed militia."
    span = "The mayor of Velden, who founded the Black Reed militia by the way, does not want the port to grow."
    p = proposition(span, case)
    assert p.same and p.polarity_agrees  # the "not" belongs to another clause


def test_relation_reads_the_claims_own_cue_quotations_and_attribution():
    from propwatch.debunks.precision import article_relation, inside_quotation

    claim = "No evidence of Velden collusion with Norland."
    # "no evidence" is the debunked claim said again, not a refutation of it
    assert article_relation("The probe of Velden collusion with Norland has yielded no evidence.", "", True, claim) == "carries"
    assert article_relation("The probe of Velden collusion with Norland has yielded no evidence.", "", True, "") == "refutes"
    # the second sentence of a quotation is the speaker's words
    before = "The senator spoke at length. “Our port is the best there is. "
    assert inside_quotation(before) and not inside_quotation("The senator spoke. “Our port is great.” ")
    assert article_relation("The mayor founded the Black Reed militia.", before) == "reports"
    assert article_relation("The mayor founded the Black Reed militia.", "The senator spoke. ") == "carries"
    assert article_relation("The mayor founded the Black Reed militia.", "", attributed=True) == "reports"


def test_a_later_case_matches_only_when_it_states_the_whole_proposition():
    from propwatch.debunks.importers import Debunk
    from propwatch.debunks.precision import pick_match
    from propwatch.debunks.search import Match

    def cand(claim, rank, score, fused):
        return Match(debunk=Debunk(claim=claim, id=f"d{rank}", database="csv"), score=score, bm25=0.0, dense=0.0,
                     rank=rank, fused=fused)

    span = "A report says that the Velden authorities purchase diesel from the Norland militia below market prices."
    top = cand("The Norland militia steals river diesel which will be bought by Osters via Velden.", 1, 0.3, 0.33)
    whole = cand("Velden buys diesel from the Norland militia.", 2, 0.1, 0.27)
    partial = cand("Velden buys diesel.", 2, 0.1, 0.27)  # names no militia: not the whole proposition
    picked = pick_match(span, [top, whole], 0.25, 0.22)
    assert picked is not None and picked[0].debunk.id == "d2"
    assert pick_match(span, [top, partial], 0.25, 0.22) is None
    # the top must still be close enough: under its floors nothing matches
    assert pick_match(span, [cand(top.debunk.claim, 1, 0.1, 0.33), whole], 0.25, 0.22) is None
