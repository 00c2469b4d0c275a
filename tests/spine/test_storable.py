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


def test_json_nested_too_deeply_is_one_rejection_and_the_other_lines_are_stored(tmp_path):
    feed = tmp_path / "feed.jsonl"
    good = json.dumps({"text": "Good story about the bridge that opened on Tuesday in the city."})
    feed.write_text(good + "\n" + "[" * 5000 + "]" * 5000 + "\n" + good.replace("Good", "Another") + "\n", "utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000, "utf-8")
    pipe = _pipeline(tmp_path)
    summary = pipe.analyze([str(feed), str(deep)])
    assert summary.new == 2
    assert sorted((r.source.rsplit("/", 1)[-1], r.line, r.kind) for r in summary.rejected) == [
        ("deep.json", None, "bad-json"), ("feed.jsonl", 2, "bad-json")]
    pipe.close()


def test_a_dangling_symlink_or_a_failing_reader_is_a_rejection_and_the_run_goes_on(tmp_path, monkeypatch):
    import propwatch.pipeline as pipeline_module

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The ministry said forty trucks crossed the border on Monday.", "utf-8")
    (folder / "b.txt").write_text("The port reopened on Friday after the storm had closed it for a week.", "utf-8")
    (folder / "gone.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    real = pipeline_module.read_entry

    def flaky(kind, target, limits, stdin=None):
        if str(target).endswith("a.txt"):
            raise RuntimeError("reader broke")
        return real(kind, target, limits, stdin=stdin)

    monkeypatch.setattr(pipeline_module, "read_entry", flaky)
    pipe = _pipeline(tmp_path)
    summary = pipe.analyze([str(folder)])
    assert summary.new == 1
    kinds = {r.source.rsplit("/", 1)[-1]: r.kind for r in summary.rejected}
    assert kinds == {"a.txt": "reader-error", "gone.txt": "unreadable"}
    assert "reader broke" in next(r.reason for r in summary.rejected if r.kind == "reader-error")
    pipe.close()


def test_an_input_that_yields_nothing_is_a_rejection(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.jsonl").write_text("", "utf-8")
    (folder / "header.csv").write_text("id,text,title\n", "utf-8")
    (folder / "blank.jsonl").write_text("\n\n", "utf-8")
    (folder / "ok.txt").write_text("The port reopened on Friday after the storm had closed it for a week.", "utf-8")
    pipe = _pipeline(tmp_path)
    summary = pipe.analyze([str(folder)])
    assert summary.new == 1
    names = sorted(r.source.rsplit("/", 1)[-1] for r in summary.rejected)
    assert names == ["blank.jsonl", "empty.jsonl", "header.csv"]
    pipe.close()
