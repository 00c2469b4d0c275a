"""The debunk_matches stage's two tiers: the same claim ("match") and a close one ("related")."""

from __future__ import annotations

from propwatch.debunks.importers import Debunk
from propwatch.debunks.search import Match
from propwatch.debunks.stage import DebunkMatchStage
from propwatch.records import Document, Sentence

TEXT = "The port sold diesel to the Black Reed militia at night. Fighting continued in the city on Sunday."


class CannedIndex:
    """Stands in for DebunkIndex: returns fixed candidates per query."""

    threshold = 0.5

    def __init__(self, candidates):
        self.candidates = candidates

    def __len__(self):
        return 1

    def search_many(self, queries, k=3, min_score=None):
        return [self.candidates.get(q, []) for q in queries]


def match(claim, score, fused):
    return Match(debunk=Debunk(claim=claim, id=f"d{abs(hash(claim)) % 1000}", database="csv"), score=score, bm25=0.0, dense=0.0, rank=1, fused=fused)


def run(candidates):
    sents = (Sentence.of(TEXT, 0, 56), Sentence.of(TEXT, 57, len(TEXT)))
    doc = Document(text=TEXT, source="t").with_layer("sentences", sents)
    stage = DebunkMatchStage({"min_words": 3}, index=CannedIndex(candidates))
    return stage([doc])[0].layer("debunk_matches")


def test_same_claim_is_a_match_and_close_one_is_related():
    first, second = TEXT[:56], TEXT[57:]
    got = run({
        first: [match("The port sells diesel to the Black Reed militia", 0.8, 0.5)],
        second: [match("Black Reed militia buys diesel from the port at night", 0.35, 0.3)],
    })
    assert [(m.text, m.relation) for m in got] == [(first, "match")]
    got = run({first: [match("The Black Reed militia stores diesel in the port's warehouses", 0.35, 0.3)]})
    assert [(m.text, m.relation) for m in got] == [(first, "related")]


def test_a_shared_name_alone_makes_no_related_debunk():
    """The same actor doing something else (no shared predicate word) is not shown as related."""
    first = TEXT[:56]
    close = match("The Black Reed militia is a puppet of the mayor of the northern city", 0.4, 0.32)
    assert run({first: [close]}) == ()
    # without the precision checks, the old tier (three shared content stems) keeps it
    sents = (Sentence.of(TEXT, 0, 56),)
    doc = Document(text=TEXT, source="t").with_layer("sentences", sents)
    stage = DebunkMatchStage({"min_words": 3, "precision_checks": False}, index=CannedIndex({first: [close]}))
    assert [m.relation for m in stage([doc])[0].layer("debunk_matches")] == ["related"]


def test_a_glossary_line_is_not_a_claim_to_match():
    from propwatch.debunks.precision import claim_filter

    assert claim_filter("“Black Reed” (BR) – an armed militia group operating along the river delta.") == "definition"
    assert claim_filter("The port – the largest on the coast – sold diesel to the Black Reed militia.") is None


def test_related_needs_shared_content_words():
    second = TEXT[57:]
    assert run({second: [match("Fighters are fighting in another city far away", 0.45, 0.35)]}) == ()
