"""The workbench and HTTP API: started as users start it, over a real socket."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from propwatch import Pipeline, load_config
from texts import SPINE_STAGES, STORY_A

TOKEN = "test-token-123"


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("serve")
    store = tmp / "s.duckdb"
    inputs = tmp / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(STORY_A, "utf-8")
    (inputs / "x.txt").write_text('<script>alert(1)</script> Hostile title\n\nBody <b>bold</b> text here.', "utf-8")
    Pipeline(load_config(overrides={"store.path": str(store), "pipeline.stages": SPINE_STAGES})).analyze([inputs])
    toml = tmp / "propwatch.toml"
    stages = ", ".join(f'"{s}"' for s in SPINE_STAGES)
    toml.write_text(f'[store]\npath = "{store}"\n[pipeline]\nstages = [{stages}]\n', "utf-8")
    exe = shutil.which("propwatch")
    command = [exe] if exe else [sys.executable, "-m", "propwatch"]
    proc = subprocess.Popen([*command, "serve", "--port", "0", "--token", TOKEN, "-c", str(toml)],
                            stderr=subprocess.PIPE, text=True)
    base = None
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stderr.readline()
        if "workbench on" in line:
            base = line.split("on ", 1)[1].split("/ ", 1)[0].rstrip("/")
            break
    assert base, "server did not start"
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def call(url, token=TOKEN, data=None, method=None):
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_api_needs_the_token_and_errors_have_one_shape(server):
    for token in (None, "wrong"):
        status, headers, body = call(f"{server}/api/stories", token=token)
        assert status == 401
        assert json.loads(body)["error"]["code"] == "unauthorized"
    status, _, body = call(f"{server}/api/stories/ffffffffffff")
    assert status == 404 and set(json.loads(body)["error"]) == {"status", "code", "message"}
    status, _, body = call(f"{server}/api/stories?limit=abc")
    assert status == 400 and json.loads(body)["error"]["code"] == "bad-request"
    status, _, body = call(f"{server}/api/nope")
    assert status == 404
    status, _, body = call(f"{server}/api/stories", data=b"{}", method="PUT")
    assert status == 405 and json.loads(body)["error"]["code"] == "method-not-allowed"


def test_api_lists_and_shows_the_same_records_as_the_cli(server):
    status, headers, body = call(f"{server}/api/stories?q=velmora")
    listing = json.loads(body)
    assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
    assert listing["total"] == 1
    doc_id = listing["items"][0]["id"]
    status, _, body = call(f"{server}/api/stories/{doc_id}")
    record = json.loads(body)
    assert record["id"] == doc_id and record["sentences"]
    status, _, body = call(f"{server}/api/schema")
    import jsonschema

    jsonschema.validate(record, json.loads(body))


def test_analyze_endpoint_stores_a_new_story(server):
    article = {"text": "Flooding Hits Riverside Town\n\nThe river rose two metres overnight, the mayor said.", "url": "https://www.rt.com/news/9"}
    status, _, body = call(f"{server}/api/analyze", data=json.dumps(article).encode(), method="POST")
    result = json.loads(body)
    assert status == 200 and result["stories"][0]["status"] == "new" and result["stories"][0]["outlet"] == "RT"
    status, _, body = call(f"{server}/api/analyze", data=b"{not json", method="POST")
    assert status == 400 and json.loads(body)["error"]["code"] == "bad-json"
    status, _, body = call(f"{server}/api/analyze", data=json.dumps({"title": "no text"}).encode(), method="POST")
    assert status == 200 and json.loads(body)["rejected"][0]["kind"] == "no-text"


def test_pages_render_the_store_and_escape_article_text(server):
    status, headers, body = call(f"{server}/", token=None)  # loopback: pages open
    html = body.decode()
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    status, _, body = call(f"{server}/api/stories?q=hostile")
    doc_id = json.loads(body)["items"][0]["id"]
    status, _, body = call(f"{server}/stories/{doc_id}.html", token=None)
    assert status == 200 and "<b>bold</b>" not in body.decode() and "&lt;b&gt;bold&lt;/b&gt;" in body.decode()


def test_the_live_index_is_paged_in_sql(tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from propwatch.store import Store
    from propwatch.web import ServeOptions, create_app, search
    from propwatch.web.auth import Tokens
    from texts import STORY_B, STORY_C

    store_path = tmp_path / "paged.duckdb"
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, text in (("a.txt", STORY_A), ("b.txt", STORY_B), ("c.txt", STORY_C)):
        (inputs / name).write_text(text, "utf-8")
    pipeline = Pipeline(load_config(overrides={"store.path": str(store_path), "pipeline.stages": SPINE_STAGES}))
    pipeline.analyze([inputs])
    pipeline.store.close()
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    app = create_app(load_config(overrides={"store.path": str(store_path)}), ServeOptions(tokens=Tokens(TOKEN, open=True)),
                     store=Store(store_path, read_only=True))
    with TestClient(app) as client:
        first = client.get("/").text
        assert "Stories 1–2 of 3" in first and 'href="/?offset=2"' in first and "previous" not in first
        second = client.get("/?offset=2").text
        assert "Stories 3–3 of 3" in second and 'href="/?offset=0"' in second and "next →" not in second
    app.state.web.close()
    titles = [t for t in ("Harbour Authority", "Storm Closes", "New Bridge") if t in first + second]
    assert len(titles) == 3
