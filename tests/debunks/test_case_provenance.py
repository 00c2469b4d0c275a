"""A debunk match carries its case (id, link, date, outlets, countries, languages) into the
report, the CLI and the API; only "match" rows are marked and counted (texts written here)."""

from __future__ import annotations

import json

from propwatch.debunks.stage import DebunkMatch
from propwatch.records import Document
from propwatch.store import Store

TEXT = ("The harbour reopened on Monday. Officials said the navy set the grain harbour fire itself to hide "
        "missing fuel. Ferries to Velden run twice a day.")


def _doc() -> Document:
    claim = "Officials said the navy set the grain harbour fire itself to hide missing fuel."
    start = TEXT.index(claim)
    ferries = "Ferries to Velden run twice a day."
    f0 = TEXT.index(ferries)
    match = DebunkMatch(
        start=start, end=start + len(claim), text=claim, debunk_id="k1", debunk_claim="The navy set the harbour fire.",
        verdict="disinformation", url="https://euvsdisinfo.eu/report/harbour-fire-navy/", database="euvsdisinfo",
        case_id="harbour-fire-navy", case_date="2019-03-14", case_outlets=("Harbour Herald", "Port TV"),
        case_countries=("Nordland",), case_languages=("English",), score=0.9, relation="match",
        article_relation="carries", counts_against=True,
    )
    related = DebunkMatch(
        start=f0, end=f0 + len(ferries), text=ferries, debunk_id="k2", debunk_claim="Ferries to Velden were cancelled <b>",
        url="javascript:alert(1)", database="euvsdisinfo", case_id=None, score=0.4, relation="related",
    )
    return Document(text=TEXT, source="t.txt", title="Harbour", language="en").with_layer("debunk_matches", [match, related])


def test_report_links_the_case_marks_only_the_match_and_counts_only_it(tmp_path):
    from propwatch.output.report import render_index, render_story

    doc = _doc()
    page = render_story(doc, [])
    assert '<a href="https://euvsdisinfo.eu/report/harbour-fire-navy/" rel="noopener noreferrer nofollow">harbour-fire-navy</a>' in page
    assert "2019-03-14" in page and "Harbour Herald; Port TV" in page and "Nordland" in page
    assert page.count('<mark class="debunked"') == 1  # the match's span, not the related one
    marked = page.split('<mark class="debunked"', 1)[1].split("</mark>", 1)[0]
    assert "navy set the grain harbour fire" in marked
    assert "Related debunked claims (weaker" in page and 'class="layer weak"' in page
    assert 'href="javascript:' not in page and "&lt;b&gt;" in page
    index = render_index([doc])
    assert "Debunked" in index and '<td class="num">1</td>' in index


def test_a_match_the_story_only_reports_is_marked_apart_and_not_counted():
    import dataclasses

    from propwatch.output.report import render_story

    doc = _doc()
    reported = [dataclasses.replace(m, article_relation="reports", counts_against=False) for m in doc.layer("debunk_matches")]
    page = render_story(doc.with_layer("debunk_matches", reported), [])
    assert page.count('<mark class="debunked"') == 0 and page.count('<mark class="debunked reported"') == 1
    assert "which the story reports (not counted against it)" in page


def test_store_listing_counts_only_matches(tmp_path):
    doc = _doc()
    with Store(tmp_path / "s.duckdb") as st:
        st.write_batch([doc], [(doc.id, "debunk_matches", "debunk_matches.v3", "fp", doc.layer("debunk_matches"))],
                       [(doc.id, doc.source, 0, None)])
        rows, _ = st.list_stories()
        assert rows[0].debunked == 1 and rows[0].counts["debunk_matches"] == 2
        back = st.get(doc.id).layer("debunk_matches")[0]
        assert back.case_id == "harbour-fire-navy" and back.case_outlets == ("Harbour Herald", "Port TV")


def test_show_and_api_carry_the_case(tmp_path, capsys, monkeypatch):
    from propwatch.cli import main
    from starlette.testclient import TestClient

    from propwatch import load_config
    from propwatch.web import ServeOptions, create_app
    from propwatch.web.auth import Tokens

    doc = _doc()
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.write_batch([doc], [(doc.id, "debunk_matches", "debunk_matches.v3", "fp", doc.layer("debunk_matches"))],
                       [(doc.id, doc.source, 0, None)])
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["show", doc.id, "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "euvsdisinfo case harbour-fire-navy  https://euvsdisinfo.eu/report/harbour-fire-navy/" in out
    assert "2019-03-14; Harbour Herald, Port TV; Nordland; English" in out
    assert "related debunked claims (weaker" in out
    app = create_app(load_config(overrides={"store.path": str(path)}), ServeOptions(tokens=Tokens("t")),
                     store=Store(path, read_only=True))
    try:
        with TestClient(app, headers={"Authorization": "Bearer t"}) as client:
            matches = client.get(f"/api/stories/{doc.id}").json()["debunk_matches"]
    finally:
        app.state.web.close()
    assert matches[0]["case_id"] == "harbour-fire-navy" and matches[0]["case_date"] == "2019-03-14"
    assert matches[0]["case_outlets"] == ["Harbour Herald", "Port TV"] and matches[1]["relation"] == "related"
