"""Cleaning never eats the article: line-shape rules touch short lines only, a
one-line article is read sentence by sentence, a repeat keeps one copy unless it
is caption-shaped, and no real article is cleaned down to nothing.

Texts are written for these tests (never corpus text); one test reads the seeds
in ../shared/seeds and skips when they are absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from propwatch.ingest.clean import clean_page, replay
from propwatch.ingest.stages import CleanStage
from propwatch.records import Document, Rejection

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

BODY = (
    "Heavy snow closed three mountain passes in the northern province on Sunday, stranding hundreds of lorries. "
    "Road crews worked through the night to clear the main highway, the regional office said. "
    "Farmers warned that feed deliveries were running late and that the valley had hay for one more week. "
    "The railway added two extra trains to carry stranded travellers home."
)


def clean(text: str) -> str:
    return clean_page(text, "text")[0]


def test_one_line_article_naming_a_website_and_an_outlet_survives():
    # the old footer rule dropped this whole article: "website" + an outlet name in the page's last third
    text = (BODY + " The ministry repeated the warning on its website, and Press TV and RT carried the statement "
            "within the hour. Officials said the roads would reopen by Wednesday.")
    assert "\n" not in text
    assert clean(text) == text
    out = CleanStage()([Document(text=text, source="one-line.txt", markup="text")])
    assert not isinstance(out[0], Rejection) and out[0].text == text


def test_prose_paragraph_in_the_tail_mentioning_a_website_is_kept():
    last = "Press TV said on its website that the convoy had turned back, but the governor denied it on Monday."
    page = "Storm Closes Mountain Passes\n\n" + BODY + "\n\n" + last + "\n"
    assert clean(page).endswith(last)


def test_one_line_article_loses_only_its_footer_sentences_and_replays():
    footer = " This article originally appeared at Coastal Ledger. Copyright 2024. Follow Coastal Ledger on Twitter."
    raw = BODY + footer
    text, steps, signals, _ = clean_page(raw, "text")
    assert text == BODY
    assert any(s.op == "drop_spans" for s in steps)
    assert replay(raw, steps) == text


def test_poll_widget_sentences_inside_a_long_line_go_and_the_rest_stays():
    widget = ("Completing this poll grants you access to Coastal Ledger updates free of charge. "
              "You may opt out at anytime. ")
    raw = "Storm Closes Mountain Passes\n\n" + widget + BODY + "\n"
    text, steps, _, _ = clean_page(raw, "text")
    assert "poll" not in text and "opt out" not in text
    assert BODY in text
    assert replay(raw, steps) == text


def test_quote_followed_by_its_embedded_tweet_keeps_one_copy():
    quote = "“We will rebuild every school in the valley before the winter comes.”"
    page = "\n".join([
        "Governor Promises New Schools",
        "",
        "The governor answered her critics on Twitter on Monday evening, a day after the floods.",
        quote,
        quote,
        "— Governor Lind (@GovLind) March 3, 2025",
        "",
        BODY,
    ])
    assert clean(page).count("We will rebuild every school") == 1


def test_a_lead_printed_twice_keeps_one_copy():
    lead = 'Foreign Minister Anna Brekke told reporters later that "I did not make such a promise" regarding the port.'
    page = f"Minister Denies Port Deal\n\n{lead}\n{lead}\n\n{BODY}\n"
    text = clean(page)
    assert text.count("I did not make such a promise") == 1 and BODY in text


def test_a_caption_shaped_repeat_is_still_removed_both_times():
    caption = "Protesters gather outside the parliament building in the capital"
    page = f"Thousands March Against Fuel Prices\n\n{caption}\n{caption}\n\n{BODY}\n"
    text = clean(page)
    assert caption not in text and BODY in text


def test_a_repeated_poll_question_goes_both_times():
    question = "Should the harbour authority director resign over the fuel deal?"
    page = f"Harbour Authority Accused\n\n{BODY}\n\n{question}\n{question}\n\nThe inquiry opens on Monday, officials said.\n"
    assert question not in clean(page)


def test_a_long_paragraph_ending_in_a_photo_credit_is_not_a_caption():
    para = BODY + " " + BODY.replace("Sunday", "Monday") + " (AFP photo)"
    page = f"Storm Closes Mountain Passes\n\n{para}\n"
    assert "stranding hundreds of lorries" in clean(page)


def test_a_lead_of_several_sentences_under_the_headline_is_not_a_caption():
    lead = "Snow closed the passes again. Farmers fear for their herds as feed runs out in the valley"
    page = f"Storm Closes Mountain Passes Across the Province\n\n{lead}\n\n{BODY}\n"
    assert lead in clean(page)


def test_a_short_caption_under_a_headline_still_goes():
    page = f"Storm Closes Mountain Passes Across the Province\n\nA snowplough near the summit on Sunday\n\n{BODY}\n"
    assert "snowplough" not in clean(page)


def test_a_gallery_quote_with_a_credit_is_kept():
    line = '"We will never give up the harbour to anyone who threatens it," - rally in Velmora (Getty)'
    page = f"Ten Things the Mayor Said\n\n{BODY}\n\n{line}\n\n{BODY}\n"
    assert "We will never give up the harbour" in clean(page)


def test_a_long_list_after_the_last_paragraph_is_kept():
    names = ["Anna Brekke, Velmora", "Piet Lorne, Tarn", "Mila Sand, Northern Province", "Jon Haug, Valley",
             "Ida Rune, Coast", "Eli Varg, Harbour", "Oda Lys, Capital"]
    page = "Winners of the Regional Awards\n\n" + BODY + "\n\n" + "\n".join(names) + "\n"
    text = clean(page)
    assert all(n in text for n in names)


def test_a_page_of_furniture_only_is_still_rejected():
    out = CleanStage()([Document(text="Share\nTweet\nViews: 3,311\nAdvertisement\n", source="f.txt", markup="text")])
    assert isinstance(out[0], Rejection)


def test_outlet_footer_at_the_end_still_goes_and_names_the_outlet():
    footer = ("RFE/RL journalists report the news in 27 languages in 23 countries where a free press is banned "
              "by the government or not fully established.")
    page = f"Storm Closes Mountain Passes\n\n{BODY}\n\n{footer}\n"
    text, _, signals, _ = clean_page(page, "text")
    assert "journalists report" not in text and BODY in text
    assert "RFE/RL" in signals.footer_outlets


@pytest.mark.skipif(not (SEEDS / "002_775bacb248055a5d.txt").exists(), reason="../shared/seeds absent")
def test_rferl_seed_lead_printed_twice_keeps_one_copy():
    text = clean((SEEDS / "002_775bacb248055a5d.txt").read_text("utf-8"))
    assert text.count("I did not make such a comment") == 1


def test_a_poll_widget_glued_to_a_quote_goes_and_the_quote_stays():
    quote = "“We will rebuild every school in the valley before the winter comes,” the governor said."
    line = quote + " take our poll - story continues below Should the governor resign over the floods?"
    raw = f"Governor Promises New Schools\n\n{line}\n\n{BODY}\n"
    text, steps, _, _ = clean_page(raw, "text")
    assert quote in text and "take our poll" not in text and "resign" not in text
    assert replay(raw, steps) == text
