"""Whole workbench flows in a real browser (Debian chromium driven by Playwright), against
`propwatch serve` started as users start it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time

import pytest

from browsers import NEEDS_CHROMIUM, launched
from pages_store import build_store
from texts import ALL_STAGES, FAST

pytestmark = [pytest.mark.slow,
              NEEDS_CHROMIUM]
TOKEN = "browser-token"


def serve(tmp, store, *extra):
    stages = ", ".join(f'"{s}"' for s in ALL_STAGES)
    toml = tmp / "propwatch.toml"
    toml.write_text(
        f'[store]\npath = "{store}"\n[pipeline]\nstages = [{stages}]\nupdate_narratives = false\n'
        f'[stages.claims]\nbackend = "{FAST["stages.claims.backend"]}"\n'
        f'[stages.techniques]\nbackend = "{FAST["stages.techniques.backend"]}"\n'
        f'[stages.debunk_matches]\nembedder = "hash"\ndatabase = "{store}"\n', "utf-8")
    exe = shutil.which("propwatch")
    command = [exe] if exe else [sys.executable, "-m", "propwatch"]
    proc = subprocess.Popen([*command, "serve", "--port", "0", "--token", TOKEN, "-c", str(toml), *extra],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        if "workbench on" in line:
            return proc, line.split("on ", 1)[1].split(" ", 1)[0].rstrip("/")
    proc.kill()
    raise AssertionError("server did not start")


@pytest.fixture(scope="module")
def browser():
    with launched() as b:
        yield b


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    store = build_store(tmp / "store")
    proc, base = serve(tmp, store)
    yield base
    proc.terminate()
    proc.wait(timeout=15)


def test_search_then_facet_then_story(browser, server):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server + "/")
    assert "Stories 1–4 of 4" in page.inner_text(".shown")
    page.fill("#q", "navy harbour")
    page.click("form.search button")
    page.wait_for_url(re.compile(r"q=navy\+harbour"))
    assert "of 3" in page.inner_text(".shown")
    page.click('section.facet[data-facet="outlet"] a:has-text("Sputnik")')
    page.wait_for_url(re.compile(r"outlet=Sputnik"))
    assert "Stories 1–1 of 1" in page.inner_text(".shown")
    assert page.locator(".snippet mark").count() >= 1
    page.click("table.stories a >> nth=0")
    page.wait_for_url(re.compile(r"/stories/[0-9a-f]+$"))
    assert "Navy hid fuel" in page.inner_text("h1")
    assert page.locator("section.assessment").count() == 1
    toggles = page.locator("input[data-layer-toggle]")
    if toggles.count():
        toggles.nth(0).uncheck()
        assert "layers-off-" in (page.get_attribute(".body", "class") or "")
    # every link in the navigation answers
    for href in page.eval_on_selector_all("nav.main a", "els => els.map(e => e.getAttribute('href'))"):
        response = page.request.get(server + href)
        assert response.status == 200, href
    assert not errors
    page.close()


def test_paste_an_article_and_land_on_its_story(browser, server):
    page = browser.new_page()
    page.goto(server + "/analyze")
    page.fill("#title", "Tarn bridge closes for repairs")
    page.fill("#outlet", "Harbour Herald")
    page.fill("#text", "Tarn bridge closes for repairs\n\nThe bridge over the Tarn river closed on Monday for "
                       "repairs, Mayor Lena Holt said. \u201cIt will reopen in May,\u201d she told reporters.")
    page.click("form.analyze button")
    page.wait_for_url(re.compile(r"/stories/[0-9a-f]+$"), timeout=60000)
    assert "Tarn bridge closes for repairs" in page.inner_text("h1")
    assert "Lena Holt" in page.content()
    page.close()


def test_a_colleague_logs_in_from_another_address(browser, tmp_path):
    store = build_store(tmp_path / "store")
    proc, base = serve(tmp_path, store, "--login")  # pages need a login, as on 0.0.0.0
    try:
        page = browser.new_page()
        page.goto(base + "/?q=navy")
        assert "/login" in page.url
        page.fill("#name", "Ana")
        page.fill("#token", "wrong")
        page.click(".login button")
        assert "not valid" in page.inner_text(".login")
        page.fill("#token", TOKEN)
        page.fill("#name", "Ana")
        page.click(".login button")
        page.wait_for_url(re.compile(r"/\?q=navy$"))
        assert "Ana · analyst" in page.inner_text("header")
        assert "of 3" in page.inner_text(".shown")
        page.click("form.logout button")
        page.wait_for_url(re.compile(r"/login"))
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
