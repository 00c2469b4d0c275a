"""The HTML report in a real browser (Debian chromium driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

from browsers import NEEDS_CHROMIUM, launched

from propwatch.output.report import write_report
from propwatch.records import Document

pytestmark = NEEDS_CHROMIUM



@pytest.fixture(scope="module")
def browser():
    with launched() as b:
        yield b


def test_index_filters_and_sorts_and_hostile_text_stays_inert(browser, tmp_path: Path):
    docs = [
        Document(text=f"Bridge opens\n\nThe bridge opened on day {i}.", source=f"a{i}.txt", title=f"Bridge opens {i}", outlet="RT")
        for i in (1, 2, 3)
    ] + [
        Document(text="Storm\n\nSnow closed the passes.", source="b.txt", title="Storm closes passes", outlet="Press TV"),
        Document(text='<img src=x onerror="document.title=\'pwned\'">\n\nText.', source="c.txt", title='<script>document.title="pwned"</script>'),
    ]
    result = write_report(docs, tmp_path)
    page = browser.new_page()
    page.goto(result.index.as_uri())
    assert page.title() == "propwatch report"
    rows = page.locator("#stories tbody tr")
    assert rows.count() == 5
    page.fill("#filter", "storm")
    assert page.locator("#stories tbody tr:visible").count() == 1
    page.fill("#filter", "")
    page.click("#stories th >> nth=0")
    first = page.locator("#stories tbody tr >> nth=0").inner_text()
    assert first.startswith("<script>")  # shown as text, sorted like text
    page.click(f"text=<script>document.title=\"pwned\"</script>")
    page.wait_for_load_state()
    assert page.title().endswith("— propwatch") and page.title() != "pwned"
    assert page.locator("mark, script:not([src])").count() == 0
    page.close()


def test_technique_spans_show_their_name_and_follow_the_threshold(browser, tmp_path: Path):
    from propwatch.records import Layers, decode_records

    text = "Those traitors betrayed the shameful nation again."
    spans = decode_records("techniques", [
        {"start": 6, "end": 14, "text": "traitors", "technique": "Name_Calling,Labeling", "score": 0.6},
        {"start": 6, "end": 36, "text": text[6:36], "technique": "Loaded_Language", "score": 0.2},
    ])
    doc = Document(text=text, source="t.txt", title="T", layers=Layers({"techniques": spans}))
    result = write_report([doc], tmp_path)
    page = browser.new_page()
    page.goto((result.index.parent / "stories" / f"{doc.id}.html").as_uri())
    names = page.locator("mark.tech .tname").all_inner_texts()
    assert {n.lower() for n in names} == {"name calling / labeling", "loaded language"}
    assert page.locator("mark.tech.inner").count() >= 1  # the nested span stays visible as an underline
    assert page.locator("mark.tech.off").count() == 0
    page.locator("#tech-threshold").fill("0.5")
    assert page.locator("mark.tech.off").count() >= 1  # the 0.2 span is hidden
    visible = page.locator("mark.tech:not(.off) .tname").all_inner_texts()
    assert [n.lower() for n in visible] == ["name calling / labeling"]
    page.close()
