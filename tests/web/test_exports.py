"""Exports from the browser: a search's stories as CSV (a spreadsheet's cells) and JSONL with the
analysts' corrections, narratives, the decision log, training data and Label Studio tasks."""

from __future__ import annotations

import csv
import io
import json

import pytest
from starlette.testclient import TestClient

from corrections.built import store_copy
from propwatch import load_config
from propwatch.store import Store
from propwatch.web import ServeOptions, create_app
from propwatch.web import exports as exports_module
from propwatch.web.auth import Tokens

TOKEN = "analyst-token"


@pytest.fixture
def app(tmp_path_factory, tmp_path):
    path = store_copy(tmp_path_factory, tmp_path / "s")
    app = create_app(load_config(overrides={"store.path": str(path)}), ServeOptions(tokens=Tokens(TOKEN, open=True)))
    app.state.path = path
    yield app
    app.state.web.close()


@pytest.fixture
def api(app):
    with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def stories(path):
    with Store(path, read_only=True) as st:
        return {d.external_id: d for d in st.load()}


def rows(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_the_exports_page_links_every_file(app):
    with TestClient(app, headers={"Accept": "text/html"}) as browser:
        page = browser.get("/exports?outlet=RT")
    assert page.status_code == 200 and '<a href="/exports"' in page.text
    for href in ("/exports/stories.csv", "/exports/stories.jsonl", "/exports/narratives.csv",
                 "/exports/corrections.jsonl", "/exports/training/techniques.jsonl",
                 "/exports/labelstudio/debunks.json", "/exports/labelstudio/quotes.xml"):
        assert href in page.text
    assert '<option value="RT" selected>' in page.text  # the search's state is kept


def test_stories_csv_takes_the_search_filters_and_has_one_value_per_cell(app, api):
    docs = stories(app.state.path)
    everything = rows(api.get("/exports/stories.csv"))
    assert 'filename="stories.csv"' in api.get("/exports/stories.csv").headers["content-disposition"]
    assert list(everything[0]) == list(exports_module.STORY_COLUMNS) and len(everything) == 4
    for row in everything:
        assert not any(v.startswith(("[", "{")) for v in row.values())
    s1 = next(r for r in everything if r["id"] == docs["s1"].id)
    assert s1["techniques"] == "Loaded_Language: disgraceful; Name_Calling,Labeling: traitors" and s1["techniques_count"] == "2"
    assert s1["outlet"] == "RT" and s1["risk_band"] in ("low", "medium", "high") and s1["debunked"] == "1"
    assert s1["story"] == f"/stories/{docs['s1'].id}" and "Tomas Varga" in s1["entities"].split("; ")
    assert {r["id"] for r in rows(api.get("/exports/stories.csv?outlet=RT"))} == {docs["s1"].id, docs["s4"].id}
    assert [r["id"] for r in rows(api.get("/exports/stories.csv?technique=Loaded_Language"))] == [docs["s1"].id]
    assert [r["id"] for r in rows(api.get("/exports/stories.csv?q=bridge&language=en"))] == [docs["s4"].id]
    risky = rows(api.get(f"/exports/stories.csv?risk={s1['risk_band']}"))
    assert docs["s1"].id in {r["id"] for r in risky}
    bad = api.get("/exports/stories.csv?technique=telepathy")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad-query"
    assert api.get("/exports/stories.csv?sort=random").status_code == 400


def test_a_correction_is_in_the_exports_and_cells_are_safe_from_formulas(app, api):
    docs = stories(app.state.path)
    s1 = docs["s1"]
    calling = next(t for t in s1.layer("techniques") if t.technique == "Name_Calling,Labeling")
    quote = next(q for q in s1.layer("quotes") if q.speaker.name == "Tomas Varga")
    for decision in ({"layer": "techniques", "start": calling.start, "end": calling.end, "decision": "reject"},
                     {"layer": "quotes", "start": quote.start, "end": quote.end, "decision": "speaker",
                      "label": "=HYPERLINK(\"http://evil.example\")"}):
        assert api.post("/api/corrections", json={"doc_id": s1.id, **decision}).status_code == 201
    row = next(r for r in rows(api.get("/exports/stories.csv")) if r["id"] == s1.id)
    assert row["techniques"] == "Loaded_Language: disgraceful" and row["techniques_count"] == "1"
    assert row["analyst_decisions"] == "2" and row["rejected_by_analysts"] == "1"
    assert row["quotes"].startswith("'=HYPERLINK(") and row["quotes_count"] == "2"
    lines = api.get("/exports/stories.jsonl?outlet=RT")
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    records = {r["id"]: r for r in map(json.loads, lines.text.splitlines())}
    assert set(records) == {s1.id, docs["s4"].id}
    assert [t["technique"] for t in records[s1.id]["techniques"]] == ["Loaded_Language"]
    assert records[s1.id]["rejected"][0]["item"]["text"] == "traitors"
    log = [json.loads(line) for line in api.get("/exports/corrections.jsonl").text.splitlines()]
    assert [(c["decision"], c["current"], c["undone"]) for c in log] == [("reject", True, False), ("speaker", True, False)]
    assert api.post("/api/corrections", json={"undo": log[0]["id"]}).status_code == 201
    log = [json.loads(line) for line in api.get("/exports/corrections.jsonl?layer=techniques").text.splitlines()]
    assert [(c["decision"], c["current"], c["undone"]) for c in log] == [("reject", False, True), ("undo", False, False)]
    training = [json.loads(line) for line in api.get("/exports/training/quotes.jsonl").text.splitlines()]
    assert training[0]["label"].startswith("=HYPERLINK") and training[0]["label_source"] == "analyst"
    assert api.get("/exports/corrections.jsonl?layer=sentences").status_code == 400


def test_stories_stream_in_chunks_and_keep_the_search_order(app, api, monkeypatch):
    whole = [r["id"] for r in rows(api.get("/exports/stories.csv?sort=title"))]
    monkeypatch.setattr(exports_module, "CHUNK", 1)
    assert [r["id"] for r in rows(api.get("/exports/stories.csv?sort=title"))] == whole
    assert len(api.get("/exports/stories.jsonl").text.splitlines()) == 4


def test_narratives_and_label_studio_files(app, api):
    narratives = rows(api.get("/exports/narratives.csv"))
    assert narratives and list(narratives[0]) == list(exports_module.NARRATIVE_COLUMNS)
    harbour = narratives[0]
    assert int(harbour["n_stories"]) >= 3 and "; " in harbour["outlets"] and "navy" in harbour["label"]
    assert rows(api.get("/exports/narratives.csv?min_stories=50")) == []
    assert api.get("/exports/narratives.csv?min_stories=x").status_code == 400
    tasks = api.get("/exports/labelstudio/debunks.json").json()
    assert len(tasks) == 4 and {t["data"]["layer"] for t in tasks} == {"debunk_matches"}
    assert "<Label value=\"Claim\"/>" in api.get("/exports/labelstudio/claims.xml").text
    assert api.get("/exports/training/sentences.jsonl").status_code == 404
