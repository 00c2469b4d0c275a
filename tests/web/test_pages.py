"""The workbench's list and profile pages (narratives, outlets, actors, debunk cases) and their API."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from starlette.testclient import TestClient

from pages_store import build_store
from propwatch import load_config
from propwatch.store import Store
from propwatch.web import ServeOptions, create_app
from propwatch.web.auth import Tokens

TOKEN = "analyst-token"
NIGHT_OWL = "Night/Owl <News>"  # a slash and markup in an outlet's name
# stories beside pages_store's: one without an outlet carrying the harbour claim with markup in its
# title and claim, one of an outlet whose name holds a slash and markup
EXTRA = [
    {"id": "s5", "published": "2019-03-22", "title": "<script>alert('title')</script> Harbour fire again",
     "text": "The navy set the fire at the Port Velden grain harbour to hide 400 tons of missing fuel "
             "<script>alert('claim')</script>. Admiral Tomas Varga said on Tuesday that \u201cthe records are complete.\u201d"},
    {"id": "s6", "outlet": NIGHT_OWL, "published": "2019-04-02", "title": "Tarn bridge opens to traffic",
     "text": "The bridge over the Tarn river cost 90 million dollars and opened to traffic on Friday. "
             "Mayor Lena Holt said the bridge would \u201cbring the two banks together.\u201d"},
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = build_store(tmp_path_factory.mktemp("pages"), EXTRA)
    app = create_app(load_config(overrides={"store.path": str(path)}), ServeOptions(tokens=Tokens(TOKEN, open=True)),
                     store=Store(path, read_only=True))
    yield app
    app.state.web.close()


@pytest.fixture(scope="module")
def client(app):
    """Pages as a browser on loopback sees them (open mode)."""
    with TestClient(app, headers={"Accept": "text/html,application/xhtml+xml"}) as c:
        yield c


@pytest.fixture(scope="module")
def api(app):
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


@pytest.fixture(scope="module")
def harbour(api):
    """The harbour fire narrative's id (the biggest one)."""
    return api.get("/api/narratives").json()["items"][0]["id"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "href" and value:
                self.hrefs.append(value)


def hrefs(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs


def assert_error(answer, status: int, code: str = "bad-request", words: str = "") -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["status"] == status and error["code"] == code
    assert words in error["message"]


# ---------------------------------------------------------------- narratives


def test_narrative_list_shows_the_narratives_with_two_stories_or_more(client, api, harbour):
    listing = api.get("/api/narratives").json()
    assert listing["total"] == 2 and listing["limit"] == 50 and listing["offset"] == 0 and listing["next"] is None
    first = listing["items"][0]
    assert first["label"].startswith("The navy set the fire at the Port Velden grain harbour")
    assert (first["n_stories"], first["outlets"], first["first_seen"], first["last_seen"]) == (
        4, ["Harbour Herald", "RT", "Sputnik"], "2019-03-10", "2019-03-22")
    assert listing["items"][1]["outlets"] == [NIGHT_OWL, "RT"]
    page = client.get("/narratives")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f'href="/narratives/{harbour}"' in page.text
    assert f'href="/outlets/{quote(NIGHT_OWL, safe="")}"' in page.text  # one encoded part
    assert "Night/Owl &lt;News&gt;" in page.text and "<News>" not in page.text
    assert '<a href="/narratives" aria-current="page">Narratives</a>' in page.text
    # the one-story narratives appear with min_stories=1
    assert api.get("/api/narratives", params={"min_stories": 1}).json()["total"] > 2


def test_narrative_list_sorts_and_pages_in_its_query(client, api, harbour):
    newest = api.get("/api/narratives", params={"order": "newest", "limit": 1}).json()
    assert newest["total"] == 2 and newest["items"][0]["first_seen"] == "2019-03-21"
    assert newest["next"] == "/api/narratives?order=newest&limit=1&offset=1"
    second = api.get(newest["next"]).json()
    assert second["items"][0]["id"] == harbour and second["next"] is None and second["offset"] == 1
    assert api.get("/api/narratives", params={"order": "first_seen"}).json()["items"][0]["id"] == harbour
    by_stories = api.get("/api/narratives", params={"order": "stories"}).json()["items"]
    assert [n["n_stories"] for n in by_stories] == sorted((n["n_stories"] for n in by_stories), reverse=True)
    page = client.get("/narratives", params={"order": "newest", "limit": 1})
    assert 'href="/narratives?order=newest&amp;limit=1&amp;offset=1"' in page.text  # next keeps the order
    assert 'href="/narratives?order=first_seen&amp;limit=1"' in page.text and "1–1 of 2" in page.text  # sorting keeps the rest
    past = api.get("/api/narratives", params={"offset": 10}).json()
    assert past["items"] == [] and past["total"] == 2


def test_narrative_list_filters_by_outlet(api):
    owl = api.get("/api/narratives", params={"outlet": NIGHT_OWL.lower()}).json()
    assert owl["total"] == 1 and owl["outlet"] == NIGHT_OWL
    assert owl["items"][0]["outlet_stories"] == 1 and owl["items"][0]["outlet_first_seen"] == "2019-04-02"
    assert api.get("/api/narratives", params={"outlet": "Sputnik"}).json()["total"] == 1


@pytest.mark.parametrize("params, words", [
    ({"order": "loudest"}, "order must be one of size"),
    ({"min_stories": "two"}, "min_stories must be a whole number"),
    ({"min_stories": "0"}, "min_stories must be 1.."),
    ({"limit": "0"}, "limit must be 1..1000"),
    ({"offset": "x"}, "whole numbers"),
    ({"outlet": "Nowhere Gazette"}, "no story is from 'Nowhere Gazette'"),
])
def test_narrative_list_refuses_bad_parameters(client, api, params, words):
    assert_error(api.get("/api/narratives", params=params), 400, words=words)
    page = client.get("/narratives", params=params)
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html") and "bad-request" in page.text


def test_unknown_narrative_is_404(client, api):
    assert_error(api.get("/api/narratives/nffffffffff"), 404, "not-found", "no narrative")
    assert_error(api.get("/api/narratives/<script>"), 404, "not-found")
    assert client.get("/narratives/nffffffffff").status_code == 404


def test_narrative_page_has_claims_spread_stance_and_case(client, api, app, harbour):
    n = api.get(f"/api/narratives/{harbour}").json()
    assert n["id"] == harbour and n["n_stories"] == 4
    assert [(o["outlet"], o["days_after_first"]) for o in n["per_outlet"]] == [
        ("RT", 0), ("Sputnik", 2), ("Harbour Herald", 10), ("(unknown outlet)", 12)]
    assert n["carried_first"] == ["RT"] and n["followers"] == ["Sputnik", "Harbour Herald", "(unknown outlet)"]
    assert n["stories_per_day"]["RT"] == {"2019-03-10": 1} and n["stories_per_day"]["(unknown outlet)"] == {"2019-03-22": 1}
    # every stance row names a known outlet with the claim its stories make; none is a bare "unknown"
    rows = {r["outlet"]: r for r in n["stance_by_outlet"]}
    assert "unknown" not in rows and set(rows) <= {"RT", "Sputnik", "Harbour Herald", "(unknown outlet)"}
    for row in rows.values():
        assert row["refers_to"] == n["label"] and row["claims"] and row["stories"]
        assert row["supports"] + row["denies"] + row["discusses"] == len(row["stories"])
    assert "<script>alert('claim')</script>" in rows["(unknown outlet)"]["claims"][0]  # the outletless story's claim
    [case] = n["debunk_cases"]
    assert case["case_id"] == "harbour-fire-set-by-the-navy" and case["carried"] == 2 and case["matched"] == 4

    assert n["entity_names"] == {"gpe:port-velden": "Port Velden"}
    # the stance rows are read once per narrative and its members, then kept
    assert [k[0] for k in app.state.web.extras["narrative_stance"]] == [harbour]
    assert api.get(f"/api/narratives/{harbour}").json()["stance_by_outlet"] == n["stance_by_outlet"]
    assert len(app.state.web.extras["narrative_stance"]) == 1

    page = client.get(f"/narratives/{harbour}")
    assert page.status_code == 200
    html = page.text
    assert '<a href="/entities/gpe%3Aport-velden">Port Velden</a>' in html
    assert 'href="/debunks/harbour-fire-set-by-the-navy"' in html
    for claim in n["claims"]:
        assert f'href="/stories/{claim["doc_id"]}"' in html
    # the chart: a date axis with its ticks, a count axis, one bar title per outlet and day
    chart = html[html.index("<svg"):html.index("</svg>")]
    assert 'class="x-label"' in chart and ">2019-03-10<" in chart and 'class="y-label"' in chart
    assert "RT, 2019-03-10: 1 stories" in chart
    # article text is escaped: the title and claim with a script tag come out as text
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#39;claim&#39;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Harbour fire again" in html
    assert "Days after the first" in html and ">first<" in html and ">followed<" in html


# ---------------------------------------------------------------- outlets


def test_outlet_list_rows_sort_and_page(client, api):
    listing = api.get("/api/outlets").json()
    assert listing["total"] == 5 and listing["next"] is None
    rows = {o["outlet"]: o for o in listing["items"]}
    assert set(rows) == {"RT", "Sputnik", "Harbour Herald", NIGHT_OWL, "(unknown)"}
    assert listing["items"][0]["outlet"] == "RT" and rows["RT"]["stories"] == 2
    assert rows["RT"]["country"] == "RU" and rows["RT"]["affiliation"] == "state-controlled"
    assert rows["RT"]["debunked"] == 1 and rows["Sputnik"]["debunked"] == 0  # Sputnik reports the claim, not carries it
    by_name = api.get("/api/outlets", params={"order": "name", "limit": 2}).json()
    assert [o["outlet"] for o in by_name["items"]] == ["(unknown)", "Harbour Herald"]
    assert by_name["next"] == "/api/outlets?order=name&limit=2&offset=2"
    assert [o["outlet"] for o in api.get(by_name["next"]).json()["items"]] == [NIGHT_OWL, "RT"]
    page = client.get("/outlets", params={"order": "name", "limit": 2})
    assert page.status_code == 200 and 'href="/outlets/Harbour%20Herald"' in page.text
    assert 'rel="next" href="/outlets?order=name&amp;limit=2&amp;offset=2"' in page.text
    assert_error(api.get("/api/outlets", params={"order": "size"}), 400, words="order must be one of stories")
    assert_error(api.get("/api/outlets", params={"limit": "lots"}), 400)


def test_outlet_profile(client, api, app):
    rt = api.get("/api/outlets/rt").json()  # any case finds the outlet as stored
    assert rt["outlet"] == "RT" and rt["stories"] == 2 and rt["languages"] == ["en"]
    assert rt["stories_per_day"] == [{"day": "2019-03-10", "stories": 1}, {"day": "2019-03-21", "stories": 1}]
    rates = {t["technique"]: t for t in rt["technique_rates"]["techniques"]}
    assert rates and all(t["per_1000_words"] >= t["corpus_per_1000_words"] for t in rates.values())  # RT has them all
    assert all(t["label"] and t["category"] for t in rates.values())
    assert rt["sourcing"]["outlet"]["stories"] == 2 and rt["sourcing"]["corpus"]["stories"] == 6
    # the words per outlet are counted once per state of the store and kept by the server
    mark, totals = app.state.web.extras["technique_totals"]
    assert totals["RT"][0] == rt["technique_rates"]["stories"] == 2
    assert sum(n for n, _ in totals.values()) == rt["technique_rates"]["corpus_stories"] == 6
    assert sum(rt["risk_bands"].values()) == 2 and set(rt["risk_bands"]) == {"high", "medium", "low", "not assessed"}
    [claim] = rt["debunked_claims"]
    assert claim["case_id"] == "harbour-fire-set-by-the-navy" and claim["counts_against"]
    assert [n["first_seen"] for n in rt["narratives"]] == ["2019-03-10", "2019-03-21"]
    page = client.get("/outlets/RT").text
    assert 'class="chart time-chart"' in page and 'class="chart rate-chart"' in page and "corpus average" in page
    assert 'href="/debunks/harbour-fire-set-by-the-navy"' in page and "state-controlled" in page
    # a name with a slash and markup: one encoded path part, escaped on the page
    owl = client.get("/outlets/" + quote(NIGHT_OWL, safe=""))
    assert owl.status_code == 200 and "<h1>Night/Owl &lt;News&gt;</h1>" in owl.text
    assert api.get("/api/outlets/" + quote(NIGHT_OWL, safe="")).json()["outlet"] == NIGHT_OWL
    assert_error(api.get("/api/outlets/Nowhere%20Gazette"), 404, "not-found", "no story is from outlet")
    assert client.get("/outlets/Nowhere").status_code == 404


# ---------------------------------------------------------------- actors


def test_entity_list_filters_sorts_and_pages(client, api):
    listing = api.get("/api/entities").json()
    assert listing["items"][0]["id"] == "per:tomas-varga" and listing["items"][0]["quotes"] == 3
    people = api.get("/api/entities", params={"type": "person"}).json()  # any case
    assert people["type"] == "PERSON" and {e["id"] for e in people["items"]} == {"per:tomas-varga", "per:lena-holt"}
    owl = api.get("/api/entities", params={"outlet": NIGHT_OWL}).json()
    assert [(e["id"], e["mentions"], e["quotes"]) for e in owl["items"]] == [("per:lena-holt", 1, 1)]
    assert [e["id"] for e in api.get("/api/entities", params={"q": "varg"}).json()["items"]] == ["per:tomas-varga"]
    by_quotes = api.get("/api/entities", params={"order": "quotes", "limit": 2}).json()
    assert [e["quotes"] for e in by_quotes["items"]] == [3, 2] and by_quotes["next"].endswith("offset=2")
    assert_error(api.get("/api/entities", params={"type": "ALIEN"}), 400, words="type must be one of GPE, ORG, PERSON")
    assert_error(api.get("/api/entities", params={"outlet": "Nowhere"}), 400, words="no story is from")
    assert_error(api.get("/api/entities", params={"order": "fame"}), 400)
    page = client.get("/entities", params={"type": "PERSON"})
    assert page.status_code == 200 and 'href="/entities/per%3Atomas-varga"' in page.text
    assert '<option value="PERSON" selected>' in page.text
    assert '<a href="/entities" aria-current="page">Actors</a>' in page.text


def test_entity_profile(client, api):
    varga = api.get("/api/entities/per:tomas-varga").json()
    assert (varga["name"], varga["label"], varga["mentions"], varga["stories"]) == ("Tomas Varga", "PERSON", 5, 4)
    assert {f["text"] for f in varga["forms"]} == {"Tomas Varga", "Varga"}
    assert [q["text"] for q in varga["quotes"]] == [
        "the navy had nothing to do with the fire at the harbour.", "We will publish every fuel record,",
        "the records are complete."]
    assert varga["quotes_total"] == 3 and varga["stories_total"] == 4 and varga["said_about_total"] >= 4
    assert varga["mentions_per_day"]["Sputnik"] == {"2019-03-12": 2}
    assert varga["narratives"] == []  # the harbour claims name the port, not him
    velden = api.get("/api/entities/gpe:port-velden").json()
    assert velden["narratives"][0]["claims_naming"] == 4 and velden["narratives"][0]["label"].startswith("The navy set")
    sputnik = api.get("/api/entities/org:sputnik").json()  # listed in the alias table
    assert sputnik["kind"] == "media" and "Sputnik" in sputnik["aliases"] and len(sputnik["aliases"]) > 1
    page = client.get("/entities/per%3Atomas-varga")
    assert page.status_code == 200 and 'class="chart time-chart"' in page.text and "mentions per day" in page.text
    assert "&lt;script&gt;alert(&#39;title&#39;)" in page.text and "<script>alert(" not in page.text
    assert_error(api.get("/api/entities/per:nobody"), 404, "not-found", "no story mentions")
    assert client.get("/entities/per:nobody").status_code == 404


# ---------------------------------------------------------------- debunks


def test_debunk_list_counts_only_carried_matches(client, api):
    listing = api.get("/api/debunks").json()
    assert listing["total"] == 2 and [d["case_id"] for d in listing["items"]] == [
        "vaccine-contains-tracking-chips", "harbour-fire-set-by-the-navy"]  # newest first
    harbour = listing["items"][1]
    assert (harbour["carried"], harbour["matched"], harbour["related"]) == (2, 4, 0)
    second = api.get("/api/debunks", params={"limit": 1, "offset": 1}).json()
    assert second["items"][0]["case_id"] == "harbour-fire-set-by-the-navy" and second["next"] is None
    page = client.get("/debunks")
    assert page.status_code == 200 and 'href="/debunks/harbour-fire-set-by-the-navy"' in page.text
    assert '<td class="num">2</td><td class="num">4</td><td class="num">0</td>' in page.text
    assert_error(api.get("/api/debunks", params={"offset": "-1"}), 400)


def test_debunk_search_ranks_as_the_cli(client, api, app, capsys):
    from propwatch.cli import main

    found = api.get("/api/debunks/search", params={"q": "the navy started the harbour fire"}).json()
    assert found["items"][0]["case_id"] == "harbour-fire-set-by-the-navy" and found["items"][0]["match"] is True
    assert found["items"][0]["rank"] == 1 and found["items"][0]["carried"] == 2
    assert api.get("/api/debunks", params={"q": "the navy started the harbour fire"}).json() == found
    path = app.state.web.store.path
    assert main(["debunks", "search", "the navy started the harbour fire", "--store", path, "--format", "jsonl"]) == 0
    cli = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(c["debunk_id"], c["score"], c["match"]) for c in cli] == [
        (d["id"], d["score"], d["match"]) for d in found["items"]]
    page = client.get("/debunks", params={"q": "microchips in the vaccine"})
    assert page.status_code == 200 and page.text.index("vaccine-contains-tracking-chips") < page.text.index(
        "harbour-fire-set-by-the-navy")
    assert 'value="microchips in the vaccine"' in page.text
    one = api.get("/api/debunks/search", params={"q": "microchips in the vaccine", "limit": 1}).json()
    assert one["total"] == 2 and one["next"] == "/api/debunks?q=microchips+in+the+vaccine&limit=1&offset=1"
    assert_error(api.get("/api/debunks/search"), 400, words="q: give the claim")


def test_debunk_case_page(client, api):
    case = api.get("/api/debunks/harbour-fire-set-by-the-navy").json()
    assert case["explanation"].startswith("No evidence supports this.")
    assert case["url"] == "https://euvsdisinfo.eu/report/harbour-fire-set-by-the-navy"
    assert case["claims_total"] == 4 and case["claims"][0]["counts_against"]
    relations = {(c["outlet"], c["counts_against"], c["stance"]) for c in case["claims"]}
    assert ("Sputnik", False, "denies") in relations and all(c["stance"] for c in case["claims"])
    assert api.get(f"/api/debunks/{case['id']}").json()["case_id"] == case["case_id"]  # propwatch's own id too
    page = client.get("/debunks/harbour-fire-set-by-the-navy").text
    assert "The port authority traced the fire to a faulty crane motor." in page
    assert 'href="https://euvsdisinfo.eu/report/harbour-fire-set-by-the-navy" rel="noopener noreferrer nofollow"' in page
    for c in case["claims"]:
        assert f'href="/stories/{c["doc_id"]}"' in page
    assert "&lt;script&gt;alert(&#39;claim&#39;)" in page and "<script>alert(" not in page
    assert_error(api.get("/api/debunks/no-such-case"), 404, "not-found", "no debunk case")
    assert client.get("/debunks/no-such-case").status_code == 404


def test_a_database_link_is_only_http():
    from propwatch.web.page_state import web_link

    assert web_link("https://euvsdisinfo.eu/report/x") == "https://euvsdisinfo.eu/report/x"
    assert web_link("javascript:alert(1)") is None and web_link("data:text/html,x") is None
    assert web_link("//evil.example/x") is None and web_link(None) is None


def test_an_empty_store_gives_empty_lists(tmp_path):
    """A store with no stories, narratives or debunks yet: every list is empty, not an error."""
    path = tmp_path / "empty.duckdb"
    Store(path).close()
    app = create_app(load_config(overrides={"store.path": str(path)}), ServeOptions(tokens=Tokens(TOKEN, open=True)),
                     store=Store(path, read_only=True))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as api, \
            TestClient(app, headers={"Accept": "text/html"}) as client:
        for path in ("/narratives", "/outlets", "/entities", "/debunks", "/debunks?q=navy"):
            assert client.get(path).status_code == 200, path
            answer = api.get("/api" + path).json()
            assert (answer["total"], answer["items"], answer["next"]) == (0, [], None), path
        assert_error(api.get("/api/narratives/nabcdef"), 404, "not-found")
        assert_error(api.get("/api/debunks/any-case"), 404, "not-found")
    app.state.web.close()


# ---------------------------------------------------------------- every page, every link


def test_nav_has_the_four_lists(client):
    html = client.get("/narratives").text
    nav = html[html.index('<nav class="main">'):html.index("</nav>")]
    assert [label for label in re.findall(r">([^<>]+)</a>", nav) if label in ("Narratives", "Outlets", "Actors", "Debunks")] \
        == ["Narratives", "Outlets", "Actors", "Debunks"]


def test_the_api_describes_its_lists(api, app):
    if "propwatch.web.api" not in app.state.modules:
        pytest.skip("no API description module")
    paths = api.get("/api/openapi.json").json()["paths"]
    for path in ("/api/narratives", "/api/narratives/{narrative_id}", "/api/outlets", "/api/outlets/{name}",
                 "/api/entities", "/api/entities/{entity_id}", "/api/debunks", "/api/debunks/search",
                 "/api/debunks/{case}"):
        assert paths[path]["get"]["summary"], path


@pytest.mark.slow
def test_every_link_on_every_page_resolves(client, api, app, harbour):
    """Each link in a page's content leads somewhere: pages to a 200 page, JSON links to a 200
    answer, external links are http(s); and no page lets the stories' markup through."""
    pages = ["/narratives", f"/narratives/{harbour}", "/outlets", "/outlets/RT", "/outlets/" + quote(NIGHT_OWL, safe=""),
             "/outlets/(unknown)", "/entities", "/entities/per:tomas-varga", "/entities/org:sputnik", "/debunks",
             "/debunks?q=navy", "/debunks/harbour-fire-set-by-the-navy"]
    search_page = "propwatch.web.search" in app.state.modules
    seen: set[str] = set()
    for page in pages:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert "<script>alert(" not in answer.text, page
        main = answer.text[answer.text.index("<main>"):]  # the page's own links (the navigation bar's are other areas')
        for href in hrefs(main):
            parts = urlsplit(href)
            if parts.scheme:
                assert parts.scheme in ("http", "https"), (page, href)
                continue
            if href in seen or (href == "/" and not search_page):
                continue
            seen.add(href)
            via = api if href.startswith("/api/") else client  # the API takes a token, even on loopback
            assert via.get(href).status_code == 200, (page, href)
    assert any(h.startswith("/stories/") for h in seen) and any(h.startswith("/api/") for h in seen)
    if search_page:  # the profiles lead to their stories in the search, each a facet value it knows
        assert {"/?outlet=RT", "/?entity=per%3Atomas-varga", f"/?narrative={harbour}"} <= seen
