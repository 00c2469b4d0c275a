"""The alerts area: /alerts with ack/close forms, /watch, /api/alerts, /api/watch/status."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from propwatch import load_config
from propwatch.store import Store, now
from propwatch.watch.alerts import _alert, list_alerts, raise_alerts
from propwatch.watch.state import WatchState
from propwatch.web import ServeOptions, create_app
from propwatch.web.auth import Tokens

TOKEN, READER = "analyst-token", "reader-token"
PAGE = {"Accept": "text/html,application/xhtml+xml"}
XSS = '<script>alert("x")</script>'


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "alerts.duckdb"
    with Store(path) as store:
        raise_alerts(store, [
            _alert("narrative-outlets", "narrative-outlets:n1:2", f"Narrative carried by 2 outlets in 72 h: {XSS}",
                   {"narrative_id": "n1", "label": XSS, "outlets": ["Coastal Ledger", "Nordland Daily"],
                    "languages": ["en"], "doc_ids": ["d1", "d2"], "window_hours": 72.0}),
            _alert("debunk", "debunk:d2:c1", "Nordland Daily carries a debunked claim: the navy set the fire",
                   {"doc_id": "d2", "title": "Harbour fire", "debunk_claim": "the navy set the fire",
                    "case_url": "javascript:alert(1)"}),
        ])
        state = WatchState(store)
        state.finish_poll("Coastal Ledger", 2, 1, 0, None, now() + timedelta(minutes=30))
        state.error("Nordland Daily", "https://daily.example/atom.xml", "feed-failed", f"HTTP 500 {XSS}")
        state.finish_poll("Nordland Daily", 0, 0, 1, "https://daily.example/atom.xml: feed-failed: HTTP 500",
                          now() + timedelta(minutes=30))
    app = create_app(load_config(overrides={"store.path": str(path)}),
                     ServeOptions(tokens=Tokens(TOKEN, reader=READER, open=True)))
    app.state.path = path
    yield app
    app.state.web.close()


@pytest.fixture
def browser(app):
    with TestClient(app, headers=PAGE) as c:
        yield c


@pytest.fixture
def api(app):
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_alerts_page_lists_open_alerts_escaped_with_their_forms(browser):
    page = browser.get("/alerts")
    assert page.status_code == 200 and "Alerts <small>(2 active)</small>" in page.text
    assert XSS not in page.text and "&lt;script&gt;" in page.text
    assert 'href="/narratives/n1"' in page.text and 'href="/stories/d2"' in page.text
    assert "javascript:" not in page.text  # a case link that is not http(s) is left out
    assert page.text.count('action="/alerts/a') == 2 * 2  # ack and close for each open alert
    assert '<a href="/alerts"' in page.text and '<a href="/watch"' in page.text  # in the navigation


def test_ack_and_close_by_form_move_an_alert_between_lists(app, browser):
    page = browser.get("/alerts").text
    alert_id = re.search(r'id="(a[0-9a-f]{12})" class="alert-open"', page).group(1)
    token = csrf(page)
    assert browser.post(f"/alerts/{alert_id}/ack", data={"csrf_token": "wrong"}).status_code == 403
    done = browser.post(f"/alerts/{alert_id}/ack", data={"csrf_token": token, "next": "/alerts"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/alerts#{alert_id}"
    with Store(app.state.path, read_only=True) as store:
        acked = {a.id: a for a in list_alerts(store)[0]}[alert_id]
        assert acked.status == "acked" and acked.updated_by
    browser.post(f"/alerts/{alert_id}/close", data={"csrf_token": token})
    assert "(1 active)" in browser.get("/alerts").text
    closed = browser.get("/alerts?status=closed").text
    assert alert_id in closed and "Reopen" in closed
    assert browser.post("/alerts/a000000000000/close", data={"csrf_token": token}).status_code == 404
    assert browser.post(f"/alerts/{alert_id}/delete", data={"csrf_token": token}).status_code == 404


def test_readers_see_alerts_but_cannot_change_them(app):
    with TestClient(app, headers={"Authorization": f"Bearer {READER}"}) as reader:
        listing = reader.get("/api/alerts").json()
        assert listing["total"] == 2
        answer = reader.post(f"/api/alerts/{listing['items'][0]['id']}", json={"status": "closed"})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "read-only"


def test_api_alerts_filters_pages_and_changes(api):
    listing = api.get("/api/alerts?kind=debunk").json()
    assert listing["total"] == 1 and listing["items"][0]["kind"] == "debunk"
    assert listing["items"][0]["details"]["doc_id"] == "d2"
    assert api.get("/api/alerts?limit=1").json()["items"].__len__() == 1
    for bad in ("/api/alerts?status=gone", "/api/alerts?kind=weather", "/api/alerts?limit=0"):
        answer = api.get(bad)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad-request"
    alert_id = listing["items"][0]["id"]
    changed = api.post(f"/api/alerts/{alert_id}", json={"status": "closed"})
    assert changed.status_code == 200 and changed.json()["status"] == "closed"
    assert api.get("/api/alerts?status=closed").json()["total"] == 1
    assert api.post(f"/api/alerts/{alert_id}", json={"status": "maybe"}).status_code == 400
    assert api.post("/api/alerts/a123456789abc", json={"status": "open"}).json()["error"]["code"] == "not-found"


def test_watch_status_page_and_api(browser, api):
    page = browser.get("/watch")
    assert page.status_code == 200 and "Coastal Ledger" in page.text and "Nordland Daily" in page.text
    assert "2 / 1 / 0" in page.text and "feed-failed" in page.text and XSS not in page.text
    status = api.get("/api/watch/status").json()
    by_name = {s["name"]: s for s in status["sources"]}
    assert by_name["Nordland Daily"]["errors"][0]["reason"] == f"HTTP 500 {XSS}"
    assert by_name["Coastal Ledger"]["polls"] == 1 and by_name["Coastal Ledger"]["last_error"] is None


def test_an_empty_store_says_nothing_was_watched(tmp_path):
    app = create_app(load_config(overrides={"store.path": str(tmp_path / "empty.duckdb")}),
                     ServeOptions(tokens=Tokens(TOKEN, open=True)))
    with TestClient(app, headers=PAGE) as c:
        assert "No outlet has been polled yet" in c.get("/watch").text
        assert "No active alerts" in c.get("/alerts").text
    app.state.web.close()
