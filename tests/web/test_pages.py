"""The workbench's list and profile pages (narratives, outlets, actors, debunk cases) and their API."""

from __future__ import annotations

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


def test_narrative_page_has_claims_spread_stance_and_case(client, api, harbour):
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

    page = client.get(f"/narratives/{harbour}")
    assert page.status_code == 200
    html = page.text
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
