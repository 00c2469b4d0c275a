"""Corrections in the workbench: the story page's forms, /corrections, /api/corrections and the
story's machine output beside its corrected view; readers cannot change anything."""

from __future__ import annotations

import html
import re

import pytest
from starlette.testclient import TestClient

from corrections.built import store_copy
from propwatch import load_config
from propwatch.store import Store
from propwatch.web import ServeOptions, create_app
from propwatch.web.auth import Tokens

TOKEN, READER = "analyst-token", "reader-token"
PAGE = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def app(tmp_path_factory, tmp_path):
    path = store_copy(tmp_path_factory, tmp_path / "s")
    app = create_app(load_config(overrides={"store.path": str(path)}),
                     ServeOptions(tokens=Tokens(TOKEN, reader=READER, open=True)))
    app.state.path = path
    yield app
    app.state.web.close()


@pytest.fixture
def browser(app):
    """A browser on loopback (open mode: the local analyst)."""
    with TestClient(app, headers=PAGE) as c:
        yield c


@pytest.fixture
def api(app):
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def stories(path) -> dict[str, object]:
    with Store(path, read_only=True) as st:
        return {d.external_id: d for d in st.load()}


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_form_on_the_story_page_stores_a_decision_shown_after_a_reload(app, browser):
    s1 = stories(app.state.path)["s1"]
    tech = next(t for t in s1.layer("techniques") if t.technique == "Loaded_Language")
    page = browser.get(f"/stories/{s1.id}")
    assert page.status_code == 200 and 'id="corrections"' in page.text and "0 decisions on this story" in page.text
    assert f'value="{tech.start}"' in page.text and 'value="relabel"' in page.text
    answer = browser.post(f"/stories/{s1.id}/corrections", follow_redirects=False, data={
        "csrf_token": csrf(page.text), "layer": "techniques", "start": str(tech.start), "end": str(tech.end),
        "machine_label": "Loaded_Language", "decision": "relabel", "label": "Exaggeration,Minimisation"})
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"/stories/{s1.id}#correction-")
    again = browser.get(f"/stories/{s1.id}")
    assert "1 decision on this story" in again.text
    assert "verified by local: relabel → <b>Exaggeration,Minimisation</b>" in again.text
    both = browser.get(f"/api/stories/{s1.id}/corrections").json()
    machine = next(t for t in both["machine"]["techniques"] if t["start"] == tech.start)
    corrected = next(t for t in both["corrected"]["techniques"] if t["start"] == tech.start)
    assert machine["technique"] == "Loaded_Language" and "analyst" not in machine
    assert corrected["technique"] == "Exaggeration,Minimisation" and corrected["analyst"]["analyst"] == "local"
    assert both["decisions"][0]["status"] == "attached" and both["decisions"][0]["origin"] == "web"

    # undo from the page: back to the story, the machine's label counts again
    undo = browser.post(f"/corrections/{both['decisions'][0]['id']}/undo", follow_redirects=False,
                        data={"csrf_token": csrf(again.text), "next": f"/stories/{s1.id}#corrections"})
    assert undo.status_code == 303 and undo.headers["location"] == f"/stories/{s1.id}#corrections"
    assert "0 decisions on this story" in browser.get(f"/stories/{s1.id}").text


def test_every_layer_and_a_merge_from_the_forms(app, browser):
    docs = stories(app.state.path)
    s1, s2, s4 = docs["s1"], docs["s2"], docs["s4"]
    token = csrf(browser.get(f"/stories/{s1.id}").text)
    quote = next(q for q in s1.layer("quotes") if q.speaker.name == "Tomas Varga")
    claim, match = s1.layer("claims")[0], s2.layer("debunk_matches")[0]
    varga = next(e for e in s2.layer("entities") if e.text == "Varga")
    posts = [
        (s1.id, {"layer": "quotes", "start": quote.start, "end": quote.end, "decision": "speaker",
                 "label": "Admiral Tomas Varga", "entity_id": "per:tomas-varga"}),
        (s1.id, {"layer": "claims", "start": claim.start, "end": claim.end, "decision": "reject", "note": "headline"}),
        (s2.id, {"layer": "debunk_matches", "start": match.start, "end": match.end, "machine_label": match.debunk_id,
                 "decision": "stance", "label": "supports"}),
        (s1.id, {"layer": "techniques", "start": 0, "end": 8, "decision": "add", "label": "Doubt"}),
        (s4.id, {"layer": "entities", "decision": "merge", "machine_label": "per:lena-holt", "label": "per:tomas-varga"}),
        (s2.id, {"layer": "entities", "start": varga.start, "end": varga.end, "machine_label": "per:tomas-varga",
                 "decision": "split", "label": "per:ivo-varga"}),
    ]
    for doc_id, form in posts:
        answer = browser.post(f"/stories/{doc_id}/corrections", follow_redirects=False,
                              data={"csrf_token": token, **{k: str(v) for k, v in form.items()}})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith(f"/stories/{doc_id}#correction-")
    one = browser.get(f"/stories/{s1.id}").text
    assert "verified by local: speaker → <b>Admiral Tomas Varga</b>" in one and "verified by local: reject" in one
    assert "added by an analyst" in one  # the added span is listed with the decisions off the machine's output
    two = browser.get(f"/stories/{s2.id}").text
    assert "verified by local: stance → <b>supports</b>" in two and "verified by local: split → <b>per:ivo-varga</b>" in two
    assert "merged into" in browser.get(f"/stories/{s4.id}").text
    corrected = browser.get(f"/api/stories/{s4.id}/corrections").json()["corrected"]
    assert {e["entity_id"] for e in corrected["entities"]} == {"per:tomas-varga"}
    listing = browser.get("/corrections?layer=claims", headers=PAGE).text
    assert "headline" in listing and "Admiral Tomas Varga" not in listing
    assert "Admiral Tomas Varga" in browser.get("/corrections?analyst=local").text
    assert "No decisions match these filters" in browser.get("/corrections?analyst=nobody").text


def test_a_bad_form_is_an_error_page_and_nothing_is_stored(app, browser):
    s1 = stories(app.state.path)["s1"]
    token = csrf(browser.get(f"/stories/{s1.id}").text)
    bad = browser.post(f"/stories/{s1.id}/corrections", data={
        "csrf_token": token, "layer": "techniques", "start": "298", "end": "309", "decision": "relabel",
        "label": "Sarcasm"})
    assert bad.status_code == 400 and "unknown technique" in bad.text and "<h1>400 · bad-correction</h1>" in bad.text
    nothing = browser.post(f"/stories/{s1.id}/corrections", data={
        "csrf_token": token, "layer": "claims", "start": "1", "end": "3", "decision": "reject"})
    assert nothing.status_code == 404 and "no claims item at 1:3" in html.unescape(nothing.text)
    not_a_number = browser.post(f"/stories/{s1.id}/corrections", data={
        "csrf_token": token, "layer": "claims", "start": "x", "end": "3", "decision": "reject"})
    assert not_a_number.status_code == 400 and "start must be a whole number" in html.unescape(not_a_number.text)
    stale = browser.post(f"/stories/{s1.id}/corrections", data={
        "csrf_token": "forged", "layer": "claims", "start": "0", "end": "88", "decision": "reject"})
    assert stale.status_code == 403 and stale.json()["error"]["code"] == "csrf"
    assert browser.get("/api/corrections").json()["total"] == 0


def test_readers_get_403_and_no_forms(app):
    s1 = stories(app.state.path)["s1"]
    with TestClient(app, headers={"Authorization": f"Bearer {READER}"}) as reader:
        page = reader.get(f"/stories/{s1.id}", headers=PAGE)
        assert page.status_code == 200 and "Your role can read only" in page.text
        assert 'value="reject"' not in page.text and "/undo" not in page.text
        form = reader.post(f"/stories/{s1.id}/corrections", data={"layer": "claims", "start": "0", "end": "88",
                                                                  "decision": "reject"})
        assert form.status_code == 403 and form.json()["error"]["code"] == "read-only"
        posted = reader.post("/api/corrections", json={"doc_id": s1.id, "layer": "claims", "start": 0, "end": 88,
                                                       "decision": "reject"})
        assert posted.status_code == 403 and posted.json()["error"]["code"] == "read-only"
        assert reader.post("/corrections/1/undo").status_code == 403
        assert reader.get("/api/corrections").status_code == 200


def test_the_api_takes_the_same_decisions_with_the_same_checks(app, api):
    docs = stories(app.state.path)
    s1, s3 = docs["s1"], docs["s3"]
    claim = s1.layer("claims")[0]
    made = api.post("/api/corrections", json={"doc_id": s1.id, "layer": "claims", "start": claim.start,
                                              "end": claim.end, "decision": "accept", "note": "checked"})
    assert made.status_code == 201
    body = made.json()
    assert body["analyst"] == "analyst" and body["origin"] == "api" and body["text"] == claim.text
    match = s3.layer("debunk_matches")[0]
    wrong = api.post("/api/corrections", json={"doc_id": s3.id, "layer": "debunks", "start": match.start,
                                               "end": match.end, "decision": "reject"}).json()
    assert wrong["layer"] == "debunk_matches" and wrong["machine_label"] == match.debunk_id
    for bad, status, message in [
        ({"doc_id": s1.id, "layer": "claims", "start": "0", "end": 88, "decision": "reject"}, 400, "start must be a whole number"),
        ({"doc_id": s1.id, "layer": "claims", "start": 0, "end": 88, "decision": "reject", "who": "x"}, 400, "unknown field 'who'"),
        ({"doc_id": s1.id, "layer": "techniques", "start": 298, "end": 309, "decision": "relabel", "label": "Nope"}, 400, "unknown technique"),
        ({"layer": "claims", "start": 0, "end": 88, "decision": "reject"}, 400, "doc_id"),
        ({"doc_id": s1.id, "layer": "claims", "start": 5, "end": 9, "decision": "reject"}, 404, "no claims item at 5:9"),
        ({"doc_id": "zz", "layer": "claims", "start": 0, "end": 88, "decision": "reject"}, 404, "no story"),
        ({"undo": "1"}, 400, "an undo is"),
        ({"undo": 999}, 404, "no correction 999"),
        ([1, 2], 400, "one decision as a JSON object"),
    ]:
        answer = api.post("/api/corrections", json=bad)
        assert answer.status_code == status, (bad, answer.text)
        assert set(answer.json()["error"]) == {"status", "code", "message"} and message in answer.json()["error"]["message"]
    listed = api.get("/api/corrections").json()
    assert listed["total"] == 2 and [c["decision"] for c in listed["items"]] == ["reject", "accept"]
    assert api.get("/api/corrections?layer=debunks").json()["total"] == 1
    assert api.get("/api/corrections?layer=sentences").status_code == 400
    placed = api.get(f"/api/corrections?doc_id={s1.id}").json()
    assert placed["items"][0]["status"] == "attached" and placed["items"][0]["note"] == "checked"
    undone = api.post("/api/corrections", json={"undo": body["id"]})
    assert undone.status_code == 201 and undone.json()["undoes"] == body["id"]
    assert api.get(f"/api/corrections?doc_id={s1.id}").json()["items"] == []
    listed = api.get("/api/corrections").json()["items"]
    assert [c["undone"] for c in listed] == [False, False, True]


def test_a_browser_session_must_send_the_csrf_header_to_the_api(app, browser):
    s1 = stories(app.state.path)["s1"]
    claim = s1.layer("claims")[0]
    token = csrf(browser.get(f"/stories/{s1.id}").text)
    decision = {"doc_id": s1.id, "layer": "claims", "start": claim.start, "end": claim.end, "decision": "reject"}
    assert browser.post("/api/corrections", json=decision).status_code == 403
    ok = browser.post("/api/corrections", json=decision, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201 and ok.json()["analyst"] == "local"
