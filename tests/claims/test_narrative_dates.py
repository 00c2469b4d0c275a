"""Publication dates for narrative timelines: URL paths, dated lines and bylines, captions above the story."""

from __future__ import annotations

from propwatch.ingest.boilerplate import classify_lines
from propwatch.ingest.metadata import date_from_url, dated_line, find_date_in_story, normalize_date


def test_date_from_url_paths():
    assert date_from_url("https://news.example.org/world/2016/05/12/turkey-border/") == "2016-05-12"
    assert date_from_url("http://example.net/Detail/2015/12/03/440126/story") == "2015-12-03"
    assert date_from_url("https://example.com/world/2016/may/12/story") == "2016-05-12"
    assert date_from_url("https://example.com/news/20151203-story") == "2015-12-03"
    assert date_from_url("https://example.com/a/123456789") is None
    assert date_from_url("https://example.com/2016/13/40/") is None
    assert date_from_url(None) is None


def test_dated_lines_and_bylines():
    assert dated_line("Published: 12 May 2016 10:02 GMT") == "2016-05-12"
    assert dated_line("By Jane Doe, March 3, 2017") == "2017-03-03"
    assert dated_line("The talks of March 3, 2017 failed.") is None
    assert find_date_in_story("A headline\n\nPosted on June 1, 2018\n\nBody text follows.") == "2018-06-01"
    assert find_date_in_story("ANKARA, July 4, 2016. The minister said so.") == "2016-07-04"


def test_a_date_without_a_year_is_not_guessed():
    assert find_date_in_story("MOSCOW, February 10. The minister said the talks went on.") is None


def test_dated_caption_above_the_body_is_a_page_date():
    lines = ["An invented headline about border talks", "",
             "Two ministers meet in Belgrade on December 3, 2015. (AFP photo)", "",
             "The ministers said the border must be closed, and they agreed on the next steps."]
    _, signals = classify_lines(lines)
    assert [normalize_date(d) for d in signals.dates] == ["2015-12-03"]


def test_dated_caption_below_the_body_is_not_a_page_date():
    lines = ["An invented headline about border talks", "",
             "The ministers said the border must be closed, and they agreed on the next steps.", "",
             "Soldiers at the border on February 19, 2016. (AFP photo)", "",
             "More talks are planned for next month, the ministers said in a statement."]
    _, signals = classify_lines(lines)
    assert signals.dates == []
