"""The analyst's correction flow in a real browser (Debian chromium driven by Playwright) against
the workbench on a uvicorn socket: search, open a story, reject a technique span, reload, export."""

from __future__ import annotations

import csv
import io
import re
import socket
import threading
import time

import pytest

from browsers import NEEDS_CHROMIUM, launched
from corrections.built import store_copy

pytestmark = [pytest.mark.slow,
              NEEDS_CHROMIUM]


@pytest.fixture
def server(tmp_path_factory, tmp_path):
    import uvicorn

    from propwatch import load_config
    from propwatch.web import ServeOptions, create_app
    from propwatch.web.auth import Tokens

    path = store_copy(tmp_path_factory, tmp_path / "s")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(load_config(overrides={"store.path": str(path)}),
                     ServeOptions(port=port, tokens=Tokens("browser-token", open=True)))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    app.state.web.close()


@pytest.fixture
def browser():
    with launched() as b:
        yield b


def test_search_story_reject_a_span_reload_and_the_export_holds_it(browser, server):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/")
    page.fill("#q", "traitors")
    page.click("form.search button")
    page.wait_for_url(re.compile(r"q=traitors"))
    page.click("table.stories a >> nth=0")
    page.wait_for_url(re.compile(r"/stories/[0-9a-f]+$"))
    story = page.url
    row = page.locator("section.corrections tr", has_text="traitors")
    row.locator("button[value=reject]").click()
    page.wait_for_url(re.compile(r"#correction-\d+$"))
    page.goto(story)  # a reload shows the decision
    marked = page.locator("section.corrections tr", has_text="traitors")
    assert "verified by local: reject" in marked.inner_text()
    assert "rejected" in (marked.get_attribute("class") or "")
    exported = page.request.get(server + "/exports/stories.csv?q=traitors")
    assert exported.status == 200
    [line] = list(csv.DictReader(io.StringIO(exported.text())))
    assert line["techniques"] == "Loaded_Language: disgraceful" and line["rejected_by_analysts"] == "1"
    # and the relabel of the other span, chosen from the list
    other = page.locator("section.corrections tr", has_text="disgraceful")
    other.locator("select[name=label]").select_option("Exaggeration,Minimisation")
    other.locator("button[value=relabel]").click()
    page.wait_for_url(re.compile(r"#correction-\d+$"))
    assert "relabel → Exaggeration,Minimisation" in page.locator("section.corrections tr", has_text="disgraceful").inner_text()
    listing = page.request.get(server + "/corrections?layer=techniques").text()
    assert "traitors" in listing and "Exaggeration,Minimisation" in listing
    assert errors == []
    page.close()
