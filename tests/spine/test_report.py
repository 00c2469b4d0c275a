"""The HTML report: index, story pages, and hostile text escaped everywhere."""

from __future__ import annotations

from pathlib import Path

from propwatch.output.report import highlight, write_report
from propwatch.records import Document, Rejection

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_report_escapes_hostile_text_everywhere(tmp_path: Path):
    doc = Document(
        text=f"{HOSTILE} Headline\n\nBody with {HOSTILE} inside and \"quotes\" & ampersands.",
        source=f"dir/{HOSTILE}.txt",
        title=f"Title {HOSTILE}",
        outlet=f"Outlet {HOSTILE}",
        url='javascript:alert(1)',
        flags=(f"flag{HOSTILE}",),
    )
    rej = Rejection(source=f"bad{HOSTILE}.txt", kind="bad-json", reason=f"reason {HOSTILE}", line=3)
    result = write_report([doc], tmp_path / "out", [rej])
    pages = [result.index, tmp_path / "out" / "stories" / f"{doc.id}.html"]
    for page in pages:
        html = page.read_text("utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
    story = pages[1].read_text("utf-8")
    assert 'href="javascript:' not in story
    assert "Content-Security-Policy" in story


def test_index_lists_stories_and_rejections(tmp_path: Path):
    docs = [Document(text=f"Story {i}\n\nText of story {i}.", source=f"s{i}.txt", title=f"Story {i}", outlet="RT") for i in range(3)]
    result = write_report(docs, tmp_path, [Rejection("x.csv", "no-text-column", "no 'text' column", 1)])
    html = result.index.read_text("utf-8")
    assert result.stories == 3
    for doc in docs:
        assert f'href="stories/{doc.id}.html"' in html
        assert (tmp_path / "stories" / f"{doc.id}.html").exists()
    assert "no-text-column" in html and "state-controlled" in html


def test_highlight_handles_overlapping_spans():
    text = "abcdefgh"
    html = str(highlight(text, [(0, 4, "tech", "A", "#fff"), (2, 6, "quote", "B", None)]))
    assert html.count("<mark") == 4
    assert html.replace("<mark", "").count("cd") == 1
    plain = html
    for tag in ("</mark>",):
        plain = plain.replace(tag, "")
    import re

    assert re.sub(r"<mark[^>]*>", "", plain) == text


def test_technique_colours_follow_the_six_categories():
    from propwatch.output.report import CATEGORY_COLORS, technique_color
    from propwatch.techniques.inventory import CATEGORIES, PTC_TECHNIQUES, category

    assert len({CATEGORY_COLORS[c] for c in CATEGORIES}) == 6
    assert technique_color("Loaded_Language") != technique_color("Appeal_to_fear-prejudice")
    assert {category(t) for t in PTC_TECHNIQUES} == set(CATEGORIES)


def test_nested_technique_spans_both_stay_visible_and_labels_are_escaped():
    from propwatch.output.report import highlight

    html = str(highlight("ab <c> d", [(0, 8, "tech", "t1", "#fff", "<x>", 0.5), (3, 6, "tech", "t2", "#000", "y", 0.2)]))
    assert html.count('class="tech inner"') == 1 and 'data-score="0.2000"' in html
    assert "&lt;x&gt;" in html and "<x>" not in html and "&lt;c&gt;" in html
