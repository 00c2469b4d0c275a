"""Glued pages split into stories; titles, outlets and dates are found."""

from __future__ import annotations

from propwatch.ingest.metadata import find_date, find_outlet, normalize_date
from propwatch.ingest.outlets import attribution_counts, outlet_by_name, outlet_by_url
from propwatch.ingest.split import split_stories
from propwatch.records import Document
from propwatch.ingest.stages import CleanStage, LanguageStage, MetadataStage, SplitStage
from texts import STORY_A, STORY_B, STORY_C, glued_page


def run(text: str, **fields) -> list[Document]:
    docs = [Document(text=text, source="page.txt", **fields)]
    for stage in (CleanStage(), SplitStage(SplitStage.defaults), MetadataStage(), LanguageStage(LanguageStage.defaults)):
        docs = stage(docs)
    return docs


def test_glued_page_gives_one_story_per_headline_with_its_title():
    docs = run(glued_page(STORY_A, STORY_B, STORY_C))
    assert [d.title for d in docs] == [s.split("\n")[0] for s in (STORY_A, STORY_B, STORY_C)]
    assert [d.story_index for d in docs] == [0, 1, 2]
    assert all("glued-page" in d.flags for d in docs)
    assert all("A photo taken earlier" not in d.text for d in docs)
    assert docs[1].text.startswith("Storm Closes Mountain Passes")


def test_repeated_headline_after_caption_is_dropped():
    title, body = STORY_B.split("\n\n", 1)
    page = f"{STORY_A}\n\n{title}\n\nSoldiers on a snowy road near the pass, seen from above\n\n{title}\n\n{body}\n"
    docs = run(page)
    assert len(docs) == 2
    assert docs[1].text.count(title) == 1


def test_single_article_with_subheadings_is_not_split():
    title, body = STORY_A.split("\n\n", 1)
    page = f"{title}\n\n{body}\n\nWhat The Documents Show\n\nThe ledger has two columns. Dates are on the left.\n\nThe end of the story is here, with a last sentence."
    assert len(run(page)) == 1


def test_split_keeps_short_parts_together():
    text = "Intro Paragraph Headline Here Today\n\nOne short line.\n\nAnother Headline That Looks Like A Title\n\nShort."
    assert split_stories(text, 60) == [(0, len(text))]


def test_outlet_from_url_domain_and_title_suffix_and_footer():
    assert outlet_by_url("https://www.rt.com/news/123").name == "RT"
    assert outlet_by_url("https://sputniknews.com/x").name == "Sputnik"
    assert outlet_by_url("https://example.org/") is None
    assert outlet_by_name("Русская весна").name == "Russian Spring"
    [doc] = run(STORY_B + "\n\nRFE/RL journalists report the news in many languages where a free press is banned.\n")
    assert (doc.outlet, doc.outlet_evidence) == ("RFE/RL", "outlet footer")
    assert "journalists report" not in doc.text
    title = STORY_B.split("\n")[0]
    [doc] = run(f"{title}\n\n{title} | Русская весна\n\n{STORY_B.split(chr(10)*2, 1)[1]}")
    assert doc.outlet == "Russian Spring" and "site name" in doc.outlet_evidence


def test_outlet_from_in_text_attribution_per_story_and_per_page():
    a = STORY_A + " A source close to the security services told Sputnik. In an interview with Sputnik, the source repeated it. The source later told Sputnik more."
    c = STORY_C + " Residents told RT the bridge shook. An RT correspondent saw cracks, residents told RT."
    docs = run(glued_page(a, STORY_B, c))
    assert [d.outlet for d in docs] == ["Sputnik", "Sputnik", "RT"]
    assert "same page" in docs[1].outlet_evidence


def test_declared_outlet_wins_and_is_canonicalized():
    [doc] = run(STORY_A, outlet="russia today")
    assert doc.outlet == "RT" and doc.outlet_evidence == "input field"


def test_attribution_counts_ignore_plain_mentions():
    assert attribution_counts("The RT channel was banned. Officials told reporters.") == {}
    assert attribution_counts("«Russian Spring» has already reported this.")["Russian Spring"] == 1


def test_dates():
    assert find_date("KYIV, March 3, 2025 — The council met.") == "2025-03-03"
    assert find_date("Published 14 February 2024 by staff") == "2024-02-14"
    assert find_date("On February 10 the minister spoke.") is None
    assert normalize_date("2025-02-03T10:00:00Z") == "2025-02-03"
    assert find_outlet("x", declared=None, url=None, sitename=None, title_suffixes=[], footer_outlets=[], page_attribution={}) == (None, None)


def test_language_of_stories_and_too_short_text():
    docs = run("Der Bürgermeister sagte am Montag, dass die neue Brücke im Frühjahr eröffnet werde und die Kosten gestiegen seien.")
    assert docs[0].language == "de"
    assert run("Ok.")[0].language == "und"


def test_title_case_subheadings_without_captions_do_not_split_an_essay():
    sections = [STORY_A.split("\n\n", 1)[1], STORY_B.split("\n\n", 1)[1], STORY_C.split("\n\n", 1)[1]]
    page = "An Essay On Ports And Roads And Bridges\n\n" + sections[0] + "\n\nWhat The Winter Storm Taught The Province\n\n" + sections[1] + "\n\nWhy The New Bridge Cost Twice The Estimate\n\n" + sections[2]
    assert len(run(page)) == 1


def test_teaser_printed_many_times_is_dropped():
    teaser = "Doctors Hate This One Weird Trick For Better Sleep"
    page = STORY_A + "".join(f"\n\n{teaser}\n\nSponsored" for _ in range(3))
    [doc] = run(page)
    assert teaser not in doc.text


def test_embedded_post_attribution_is_not_a_headline():
    from propwatch.ingest.split import is_story_headline

    assert not is_story_headline("— Some Person (@handle) January 11, 2018")
    assert is_story_headline("Storm Closes Mountain Passes Across the Northern Province")
