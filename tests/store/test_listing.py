"""Listings in SQL give what the Python listings over loaded documents give."""

from __future__ import annotations

import dataclasses

import pytest

from propwatch.records import LAYER_RECORDS, Document
from propwatch.store import Store
from propwatch.store.listing import StoryFilter, StorySummary
from propwatch.who.listing import entity_table, quote_table


def story_doc(text: str, outlet: str | None, language: str = "en", title: str | None = None) -> Document:
    return Document(text=text, source=f"{outlet or 'none'}.txt", outlet=outlet, language=language, title=title)


def mention(cls, text: str, start: int, surface: str, entity_id: str, name: str, label: str, source: str):
    return cls(start=start, end=start + len(surface), text=surface, label=label, entity_id=entity_id, name=name,
               source=source, kind="")


@pytest.fixture
def made_store(tmp_path):
    """Four stories with entity mentions that tie, odd outlets and a missing one."""
    with Store(":memory:") as probe:
        probe.load()  # registers the record types
    Ent = LAYER_RECORDS["entities"]
    texts = [
        ("Anna Brekke met Ben Ode in Velmora. Brekke left.", "Coastal Ledger", "en", "Talks in Velmora"),
        ("Ben Ode and Anna Brekke spoke. ODE denied it.", "coastal ledger", "en", "Denial"),
        ("Straße news: Ben Ode in Graz.", "Süd Zeitung", "de", None),
        ("Nobody was named in this one at all.", None, "und", "Quiet day"),
    ]
    docs = [story_doc(t, o, lang, title) for t, o, lang, title in texts]
    layers = []
    for doc in docs:
        ms = []
        for surface, eid, name, label, source in [
            ("Anna Brekke", "person:anna-brekke", "Anna Brekke", "PERSON", "ner"),
            ("Brekke", "person:anna-brekke", "Brekke", "PERSON", "coref"),
            ("Ben Ode", "person:ben-ode", "Ben Ode", "PERSON", "alias"),
            ("ODE", "person:ben-ode", "ODE", "ORG", "ner"),
            ("Velmora", "gpe:velmora", "Velmora", "GPE", "gazetteer"),
            ("Graz", "gpe:graz", "Graz", "GPE", "ner"),
        ]:
            at = doc.text.find(surface)
            while at >= 0:
                ms.append(mention(Ent, doc.text, at, surface, eid, name, label, source))
                at = doc.text.find(surface, at + 1)
        ms.sort(key=lambda m: m.start)
        layers.append((doc.id, "entities", "entities.v1", "fp", ms))
    st = Store(tmp_path / "made.duckdb")
    st.write_batch(docs, layers, [(d.id, d.source, 0, None) for d in docs])
    yield st
    st.close()


def test_entity_rows_match_the_python_listing(made_store, migrated_store):
    for path_store in (made_store, Store(migrated_store, read_only=True)):
        docs = path_store.load()
        for kwargs in ({}, {"label": "person"}, {"label": "GPE"}, {"outlet": "COASTAL LEDGER"},
                       {"outlet": "Süd Zeitung"}, {"min_mentions": 2}, {"outlet": "nowhere"}):
            assert path_store.entity_rows(**kwargs) == entity_table(docs, **kwargs), kwargs
        rows = entity_table(docs)
        assert path_store.entity_rows(limit=2) == rows[:2]
        assert path_store.entity_rows(limit=2, offset=1) == rows[1:3]
    rows = {r["entity_id"]: r for r in made_store.entity_rows()}
    assert rows["person:ben-ode"]["name"] == "Ben Ode"  # the alias mention, not the first one's ORG
    assert rows["person:ben-ode"]["outlets"] == ["coastal ledger: 2", "Coastal Ledger: 1", "Süd Zeitung: 1"]
    assert "(unknown)" not in str(rows)


def test_quote_rows_match_the_python_listing(migrated_store):
    with Store(migrated_store, read_only=True) as st:
        docs = st.load()
        quotes = [q for d in docs for q in d.layer("quotes")]
        assert quotes
        speakers = {q.speaker.name for q in quotes if q.speaker.name} | {q.speaker.entity_id for q in quotes if q.speaker.entity_id}
        cases = [{}, {"kind": "person"}, {"kind": "organization"}, {"kind": "nobody"}]
        cases += [{"speaker": s} for s in sorted(speakers)] + [{"speaker": s.upper()} for s in sorted(speakers)]
        for kwargs in cases:
            assert st.quote_rows(**kwargs) == quote_table(docs, **kwargs), kwargs
        assert st.quote_rows(limit=3) == quote_table(docs)[:3]


def python_stories(docs, flt: StoryFilter):
    out = []
    for d in docs:
        if flt.outlet and (d.outlet or "").casefold() != flt.outlet.casefold():
            continue
        if flt.language and d.language != flt.language:
            continue
        if flt.q and flt.q.casefold() not in d.text.casefold() and flt.q.casefold() not in (d.title or "").casefold():
            continue
        out.append(StorySummary.of(d))
    return out


def test_story_list_filters_and_pages_like_python(made_store, migrated_store):
    for st in (made_store, Store(migrated_store, read_only=True)):
        docs = st.load()
        for flt in (StoryFilter(), StoryFilter(outlet="coastal LEDGER"), StoryFilter(language="de"),
                    StoryFilter(language="und"), StoryFilter(q="velmora"), StoryFilter(q="quiet"),
                    StoryFilter(q="harbour", outlet="x"), StoryFilter(q="STRASSE"[:3])):
            want = python_stories(docs, flt)
            rows, total = st.list_stories(flt)
            assert (rows, total) == (want, len(want)), flt
            page, total = st.list_stories(flt, limit=2, offset=1)
            assert (page, total) == (want[1:3], len(want))
        assert st.list_stories(limit=1, offset=99) == ([], len(docs))


def test_story_summary_carries_risk_and_counts(migrated_store):
    with Store(migrated_store, read_only=True) as st:
        rows, _ = st.list_stories()
        docs = {d.id: d for d in st.load()}
    for row in rows:
        doc = docs[row.id]
        assert row.risk_score == doc.layer("assessment")[0].score and row.risk_label == doc.layer("assessment")[0].label
        assert dict(row.counts) == {k: len(v) for k, v in doc.layers.items()}
        assert list(row.counts) == list(doc.layers)
    by_risk = [r.risk_score for r in st_rows(migrated_store, "risk")]
    assert by_risk == sorted(by_risk, reverse=True)


def st_rows(path, order):
    with Store(path, read_only=True) as st:
        return st.list_stories(order=order)[0]


def test_unknown_order_is_refused(made_store):
    with pytest.raises(ValueError, match="unknown order"):
        made_store.list_stories(order="random")


def test_summary_of_a_document_is_a_plain_record():
    doc = story_doc("Some text here.", "X")
    s = StorySummary.of(doc)
    assert dataclasses.asdict(s)["counts"] == {} and s.risk_score is None


def test_stories_of_one_feed_keep_the_order_they_were_written(tmp_path):
    """A JSONL feed: one source, story_index 0 for every record, one batch, one time stamp."""
    docs = [Document(text=f"Record number {i} of the feed.", source="feed.jsonl", source_record=f"line {i}")
            for i in (3, 1, 2, 10, 0)]
    with Store(tmp_path / "feed.duckdb") as st:
        st.write_batch(docs, [], [(d.id, d.source, 0, d.source_record) for d in docs])
        rows, total = st.list_stories()
        order = [d.id for d in st.load()]  # ties broken by the row order, so pages never overlap
        assert [r.id for r in rows] == order and total == 5 and set(order) == {d.id for d in docs}
        assert [r.id for r in st.list_stories(limit=2, offset=2)[0]] == order[2:4]
        assert [q["id"] for q in st.quote_rows()] == []
