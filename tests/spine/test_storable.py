"""Strings the store cannot hold (lone surrogates) never abort a run (issue 20, items 1 and 2)."""

from __future__ import annotations

import json
import os

from propwatch import Pipeline, load_config
from propwatch.records import Document, PageSignals, Rejection
from propwatch.storable import FLAG, storable, storable_document, storable_rejection

STAGES = ["clean", "split", "metadata", "language", "sentences"]


def _pipeline(tmp_path):
    return Pipeline(load_config(overrides={
        "store.path": str(tmp_path / "store.duckdb"), "pipeline.stages": STAGES, "pipeline.update_narratives": False,
    }))


def test_lone_surrogates_become_the_replacement_character():
    assert storable("a\udfffb") == "a\ufffdb"
    assert storable("plain") == "plain"
    doc = Document(text="Text \ud800 here.", source="x\udc80.txt", title="\udfff",
                   signals=PageSignals(credits=("AP\udfff",)))
    fixed = storable_document(doc)
    assert fixed.text == "Text \ufffd here." and fixed.source == "x\ufffd.txt" and fixed.title == "\ufffd"
    assert fixed.signals.credits == ("AP\ufffd",) and FLAG in fixed.flags
    clean = Document(text="Nothing odd.", source="a.txt")
    assert storable_document(clean) is clean
    assert storable_rejection(Rejection("b\udc80.txt", "binary", "why")).source == "b\ufffd.txt"


def test_a_surrogate_in_one_record_does_not_cost_the_others(tmp_path):
    lines = [{"text": f"Good story number {i} about the bridge that opened on Tuesday in the city."} for i in range(5)]
    lines[2] = {"text": "NATO said forty trucks crossed the border on Monday near the town.", "title": "\udfff"}
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(x) for x in lines) + "\n", "utf-8")  # json.dumps writes \\udfff
    pipe = _pipeline(tmp_path)
    summary = pipe.analyze([str(feed)])
    assert summary.new == 5 and not summary.rejected
    flagged = [d for d in pipe.store.load() if FLAG in d.flags]
    assert [d.title for d in flagged] == ["\ufffd"]
    pipe.close()


def test_a_file_name_that_is_not_utf8_is_read_and_stored(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    name = os.fsdecode(b"\x80report.txt")
    (folder / name).write_text("The ministry said forty trucks crossed the border on Monday.", "utf-8")
    pipe = _pipeline(tmp_path)
    summary = pipe.analyze([str(folder)])
    assert summary.new == 1 and not summary.rejected
    [doc] = pipe.store.load()
    assert doc.source.endswith("\ufffdreport.txt") and FLAG in doc.flags
    again = pipe.analyze([str(folder)])
    assert again.unchanged == 1
    pipe.close()
