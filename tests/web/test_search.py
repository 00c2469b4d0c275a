"""The workbench's search page and /api/stories, /api/analyze and the API's own endpoints."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest
from pathlib import Path
from starlette.testclient import TestClient

from pages_store import build_store
from propwatch import Pipeline, load_config
from propwatch.store import Store
from propwatch.web import ServeOptions, create_app
from propwatch.web.auth import Tokens
from texts import ALL_STAGES, FAST, SPINE_STAGES

TOKEN = "analyst-token"
READER = "reader-token"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("search"))


@pytest.fixture(scope="module")
def client(store_path):
    config = load_config(overrides={"store.path": str(store_path)})
    app = create_app(config, ServeOptions(tokens=Tokens(TOKEN, READER)), store=Store(store_path, read_only=True))
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c
    app.state.web.close()


def ids(answer):
    return [i["id"] for i in answer["items"]]


def test_words_are_terms_not_a_substring(client):
    both = client.get("/api/stories", params={"q": "grain varga"}).json()  # far apart in the text
    assert both["total"] == 3 and all(i["outlet"] in ("RT", "Sputnik", "Harbour Herald") for i in both["items"])
    assert client.get("/api/stories", params={"q": '"grain varga"'}).json()["total"] == 0  # a phrase must be adjacent
    assert client.get("/api/stories", params={"q": "bridg*"}).json()["total"] == 1
    assert client.get("/api/stories", params={"q": "navy -sputnik"}).json()["total"] == 2
    stems = client.get("/api/stories", params={"q": "bridges"}).json()  # the stem finds "bridge"
    assert stems["total"] == 1 and stems["items"][0]["title"] == "Bridge over the Tarn opens"


def test_facets_filter_and_count(client):
    everything = client.get("/api/stories").json()
    assert everything["total"] == 4
    outlets = {v["value"]: v["count"] for v in everything["facets"]["outlet"]}
    assert outlets == {"RT": 2, "Sputnik": 1, "Harbour Herald": 1}
    rt = client.get("/api/stories", params=[("outlet", "rt")]).json()
    assert rt["total"] == 2 and {i["outlet"] for i in rt["items"]} == {"RT"}
    # the outlet facet keeps counting the other outlets (values an analyst could add)
    assert {v["value"]: v["count"] for v in rt["facets"]["outlet"]}["Sputnik"] == 1
    two = client.get("/api/stories", params=[("outlet", "RT"), ("outlet", "Sputnik")]).json()
    assert two["total"] == 3
    dated = client.get("/api/stories", params={"from": "2019-03-15", "to": "2019-03-31"}).json()
    assert sorted(i["published"] for i in dated["items"]) == ["2019-03-20", "2019-03-21"]


def test_a_technique_filter_is_applied_or_refused(client):
    techniques = client.get("/api/stories").json()["facets"]["technique"]
    assert techniques, "the fake technique backend finds something in these stories"
    name = techniques[0]["value"]
    for spelling in (name, techniques[0]["label"], techniques[0]["label"].lower().replace(" ", "-")):
        got = client.get("/api/stories", params={"technique": spelling}).json()
        assert got["total"] == techniques[0]["count"] and got["selection"]["technique"] == [name]
    bad = client.get("/api/stories", params={"technique": "telepathy"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad-query"
    assert "Loaded language" in bad.json()["error"]["message"]
    for params in ({"risk": "purple"}, {"from": "March"}, {"sort": "mood"}, {"q": '"open'}, {"outlet": "Nowhere TV"},
                   {"limit": "0"}):
        answer = client.get("/api/stories", params=params)
        assert answer.status_code == 400 and set(answer.json()["error"]) == {"status", "code", "message"}, params


def test_the_search_page_shows_risk_reasons_facets_and_escaped_snippets(client):
    page = client.get("/", params={"q": "navy"}, headers={"Accept": "text/html"})
    html = page.text
    assert page.status_code == 200 and "Stories 1–3 of 3" in html
    assert "<mark>navy</mark>" in html.lower() or "<mark>Navy</mark>" in html
    assert 'data-facet="outlet"' in html and 'href="/?q=navy&amp;outlet=Sputnik"' in html
    assert html.count('class="risk-cell"') == 3
    for item in client.get("/api/stories", params={"q": "navy"}).json()["items"]:
        assert f'href="/stories/{item["id"]}"' in html
        assert item["risk_band"] in ("low", "medium", "high", "not assessed")
    assert "<script>" not in client.get("/", params={"q": "<script>alert(1)</script>"}).text.split("<main>")[1]
    selected = client.get("/", params=[("q", "navy"), ("outlet", "Sputnik")]).text
    assert "Stories 1–1 of 1" in selected and 'href="/?q=navy"' in selected  # the link that removes the filter


def test_a_reader_may_search_but_not_analyze(client):
    headers = {"Authorization": f"Bearer {READER}"}
    assert client.get("/api/stories", headers=headers).status_code == 200
    refused = client.post("/api/analyze", json={"text": "A new story."}, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "read-only"


def test_openapi_describes_every_api_route(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/api/stories" in spec["paths"] and "/api/analyze" in spec["paths"]
    assert "post" in spec["paths"]["/api/analyze"] and "get" not in spec["paths"]["/api/analyze"]
    assert spec["paths"]["/api/stories/{doc_id}"]["get"]["parameters"][0]["name"] == "doc_id"
    assert client.get("/api/analyze").status_code == 405
    assert client.patch("/api/stories").json()["error"]["code"] == "method-not-allowed"


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = ("<html><head><title>Dam opens</title></head><body><article><h1>Dam opens</h1>"
                "<p>The new Orlin dam opened on Monday after six years of work, the ministry said.</p>"
                "<p>Engineers said the reservoir will fill by the spring.</p></article></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_analyze_fetches_a_url_only_article_and_the_form_shows_the_story(tmp_path):
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    store = tmp_path / "a.duckdb"
    config = load_config(overrides={"store.path": str(store), "pipeline.stages": ALL_STAGES, **FAST,
                                    "stages.debunk_matches.embedder": "hash", "ingest.allow_private_addresses": True})
    app = create_app(config, ServeOptions(tokens=Tokens(TOKEN)))
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            url = f"http://127.0.0.1:{site.server_address[1]}/news/dam"
            got = c.post("/api/analyze", json={"url": url, "outlet": "Test Wire"}).json()
            story = got["stories"][0]
            assert got["rejected"] == [] and story["status"] == "new" and story["outlet"] == "Test Wire"
            assert "reservoir will fill" in story["text"] and story["url"] == url
            assert c.get(story["href"]).status_code == 200
            nothing = c.post("/api/analyze", json={"url": "ftp://example.org/x"}).json()
            assert nothing["rejected"][0]["kind"] == "bad-url"
            assert c.post("/api/analyze", content=b"[" * 5000).json()["error"]["code"] == "bad-json"
            assert c.post("/api/analyze", json=[{"text": "x"}] * 101).status_code == 413
    finally:
        app.state.web.close()
        site.shutdown()


def test_posted_stories_are_linked_into_narratives(tmp_path):
    claim = "The navy set the fire at the Port Velden grain harbour to hide 400 tons of missing fuel."
    config = load_config(overrides={
        "store.path": str(tmp_path / "n.duckdb"), "pipeline.stages": ALL_STAGES, **FAST,
        "stages.debunk_matches.embedder": "hash", "pipeline.update_narratives": True,
        "narratives.embedder": "embeddings_fake", "narratives.candidate_min": 0.2, "narratives.link_threshold": 0.55})
    app = create_app(config, ServeOptions(tokens=Tokens(TOKEN)))
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            first = c.post("/api/analyze", json={"title": "Fire", "outlet": "RT", "text": claim + " Officials denied it."})
            assert first.json()["stories"]
            second = c.post("/api/analyze", json={"title": "Fuel", "outlet": "Sputnik",
                                                   "text": claim.replace("set", "started") + " Sources confirmed it."})
            assert second.json()["narratives"], second.json()
            found = c.get("/api/stories").json()["facets"]["narrative"]
            assert any(v["count"] == 2 for v in found)
    finally:
        app.state.web.close()


def test_the_search_command_prints_the_same_stories(store_path, capsys):
    from propwatch.cli import main

    assert main(["search", "navy", "--outlet", "Sputnik", "--format", "json", "--store", str(store_path)]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["title"] for r in rows] == ["Navy hid fuel, harbour fire shows"] and "1 stories match" in captured.err
    assert main(["search", "--facets", "--reindex", "--store", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "outlet: RT 2; Harbour Herald 1; Sputnik 1" in out
    assert main(["search", "--technique", "telepathy", "--store", str(store_path)]) == 1
    assert "PW110" in capsys.readouterr().err


def test_the_index_follows_the_store_and_heals(tmp_path):
    from propwatch.search import search
    from propwatch.search.index import index_path

    path = tmp_path / "i.duckdb"
    config = load_config(overrides={"store.path": str(path), "pipeline.stages": ["clean", "split", "metadata", "language",
                                                                                 "sentences"]})
    (tmp_path / "a.txt").write_text("Grain convoy stopped\n\nThe grain convoy was stopped at the Ashtar crossing.", "utf-8")
    pipe = Pipeline(config)
    pipe.analyze([tmp_path / "a.txt"])
    with Store(path, read_only=True) as st:
        assert search(st, "ashtar").total == 1 and search(st, "tanker").total == 0
    (tmp_path / "b.txt").write_text("Tanker seized\n\nA tanker was seized near Ashtar on Monday.", "utf-8")
    pipe.analyze([tmp_path / "b.txt"])
    pipe.close()
    with Store(path, read_only=True) as st:
        assert search(st, "ashtar").total == 2 and search(st, "tanker").total == 1  # the new story is found
    Path(index_path(path)).write_bytes(b"not a database" * 100)
    with Store(path, read_only=True) as st:
        assert search(st, "tanker").total == 1  # a broken index file is rebuilt


def test_uploaded_files_are_analysed_as_a_job_with_progress(tmp_path):
    import re as regex

    config = load_config(overrides={"store.path": str(tmp_path / "u.duckdb"), "pipeline.stages": SPINE_STAGES})
    app = create_app(config, ServeOptions(tokens=Tokens(TOKEN, open=True)))
    try:
        with TestClient(app) as c:  # a browser on loopback: a session, a CSRF token from the form
            form = c.get("/analyze").text
            assert 'enctype="multipart/form-data"' in form and 'name="files"' in form
            csrf = regex.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            files = [("files", ("../../etc/passwd.txt", b"Bridge opens\n\nThe bridge over the Tarn opened on Friday.")),
                     ("files", ("feed.jsonl", b'{"title": "Dam", "text": "The dam held, engineers said."}\n{"nope": 1}\n')),
                     ("files", ("blob.bin", bytes(range(256)) * 40))]
            sent = c.post("/analyze", data={"csrf_token": csrf}, files=files, follow_redirects=False)
            assert sent.status_code == 303 and sent.headers["location"].startswith("/analyze/jobs/")
            job_id = sent.headers["location"].rsplit("/", 1)[1]
            for _ in range(600):
                job = c.get(f"/api/jobs/{job_id}").json()
                if job["state"] in ("done", "failed"):
                    break
                time.sleep(0.1)
            assert job["state"] == "done", job
            assert job["done"] == job["total"] == 3
            assert sorted(s["title"] for s in job["stories"]) == ["Bridge opens", "Dam"]
            kinds = sorted(r["kind"] for r in job["rejected"])
            assert len(kinds) == 2 and "no-text" in kinds, job["rejected"]
            page = c.get(f"/analyze/jobs/{job_id}").text
            assert "Stories (2)" in page and "Rejected (2)" in page and "blob.bin" not in page.split("Rejected")[0][-50:]
            assert not list(Path("/etc").glob("*-passwd.txt"))
            assert c.get("/api/jobs/ffff").status_code == 404
            assert c.get("/api/stories?q=tarn", headers={"X-Requested-With": "x"}).status_code in (200, 401)
    finally:
        app.state.web.close()
