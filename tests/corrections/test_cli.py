"""The corrections commands, as an analyst runs them; a correction survives `propwatch analyze`
of the same input and comes out in the training export."""

from __future__ import annotations

import json

import pytest

from corrections.built import store_copy, toml_for
from propwatch.cli import main
from propwatch.store import Store


@pytest.fixture
def path(tmp_path_factory, tmp_path):
    return store_copy(tmp_path_factory, tmp_path / "s")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_undo_and_export_from_the_command_line(path, capsys):
    with Store(path, read_only=True) as st:
        s1 = next(d for d in st.load() if d.external_id == "s1")
    tech = next(t for t in s1.layer("techniques") if t.technique == "Name_Calling,Labeling")
    store = ["--store", str(path)]
    code, out, _ = run(capsys, "corrections", "add", s1.id[:8], "--layer", "techniques", "--decision", "reject",
                       "--start", str(tech.start), "--end", str(tech.end), "--analyst", "ana", "--note", "a quote", *store)
    assert code == 0
    first = json.loads(out)
    assert first["doc_id"] == s1.id and first["decision"] == "reject" and first["text"] == tech.text
    code, out, _ = run(capsys, "corrections", "add", "-", "--layer", "entities", "--decision", "merge",
                       "--machine-label", "per:lena-holt", "--label", "per:tomas-varga", "--analyst", "ben", *store)
    assert code == 0 and json.loads(out)["doc_id"] == ""
    code, out, _ = run(capsys, "corrections", "list", "--format", "jsonl", *store)
    assert [json.loads(line)["decision"] for line in out.splitlines()] == ["reject", "merge"]
    code, out, _ = run(capsys, "corrections", "list", "--story", s1.id[:6], "--layer", "techniques", "--format", "csv", *store)
    assert out.splitlines()[0].startswith("id,doc_id,layer,item_key,decision") and "a quote" in out
    code, out, _ = run(capsys, "corrections", "list", *store)
    assert code == 0 and "reject" in out and "ben" in out

    code, out, err = run(capsys, "corrections", "export", "--layer", "techniques", "--format", "jsonl", *store)
    examples = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and "wrote 1 techniques examples" in err
    assert examples[0]["span"] == tech.text and examples[0]["positive"] is False and examples[0]["label_source"] == "analyst"

    code, out, _ = run(capsys, "corrections", "undo", str(first["id"]), "--analyst", "ana", *store)
    assert code == 0 and json.loads(out)["undoes"] == first["id"]
    code, out, _ = run(capsys, "corrections", "list", "--history", "--format", "json", *store)
    assert [c["decision"] for c in json.loads(out)] == ["reject", "merge", "undo"]
    code, out, _ = run(capsys, "corrections", "export", "--layer", "techniques", *store)
    assert out == ""


def test_bad_decisions_are_one_line_errors(path, capsys):
    store = ["--store", str(path)]
    code, _, err = run(capsys, "corrections", "add", "ffffffffffff", "--layer", "claims", "--decision", "reject",
                       "--start", "0", "--end", "3", "--analyst", "ana", *store)
    assert code == 1 and err.startswith("propwatch: error: PW404") and err.count("\n") == 1
    code, _, err = run(capsys, "corrections", "add", "-", "--layer", "sentences", "--decision", "reject", "--analyst", "ana", *store)
    assert code == 1 and "takes no corrections" in err
    code, _, err = run(capsys, "corrections", "undo", "41", "--analyst", "ana", *store)
    assert code == 1 and "no correction 41" in err


def test_labelstudio_round_trip_from_the_command_line(path, tmp_path, capsys):
    store = ["--store", str(path)]
    tasks, xml = tmp_path / "tasks.json", tmp_path / "config.xml"
    code, _, err = run(capsys, "corrections", "labelstudio-export", "--layer", "techniques", "--output", str(tasks),
                       "--label-config", str(xml), *store)
    assert code == 0 and "wrote 4 tasks" in err and "<Labels" in xml.read_text("utf-8")
    exported = json.loads(tasks.read_text("utf-8"))
    done = [t for t in exported if t["predictions"][0]["result"]]
    for task in done:  # the annotator takes the predictions as they are
        task["annotations"] = [{"completed_by": {"email": "cleo@example.org"}, "result": task["predictions"][0]["result"]}]
    back = tmp_path / "export.json"
    back.write_text(json.dumps(done), "utf-8")
    code, out, _ = run(capsys, "corrections", "labelstudio-import", str(back), *store)
    assert code == 0 and json.loads(out)["stored"] == {"accept": 2}
    bad = tmp_path / "bad.json"
    bad.write_text("{", "utf-8")
    code, _, err = run(capsys, "corrections", "labelstudio-import", str(bad), *store)
    assert code == 1 and str(bad) in err and "not JSON" in err


def test_a_correction_survives_analyze_of_the_same_input_and_is_in_the_training_export(path, capsys):
    toml = toml_for(path)
    with Store(path, read_only=True) as st:
        s2 = next(d for d in st.load() if d.external_id == "s2")
    quote = next(q for q in s2.layer("quotes") if q.speaker.name == "Sputnik")
    code, _, _ = run(capsys, "corrections", "add", s2.id, "--layer", "quotes", "--decision", "speaker", "--start",
                     str(quote.start), "--end", str(quote.end), "--label", "the outlet's own words", "--kind", "media",
                     "--analyst", "ana", "--config", str(toml))
    assert code == 0
    code, _, err = run(capsys, "analyze", str(path.parent / "stories.jsonl"), "--config", str(toml), "--quiet")
    assert code == 0, err
    code, out, _ = run(capsys, "corrections", "export", "--layer", "quotes", "--config", str(toml))
    [example] = [json.loads(line) for line in out.splitlines()]
    assert example["label"] == "the outlet's own words" and example["status"] == "attached"
    assert example["text"][example["start"]:example["end"]] == quote.text
