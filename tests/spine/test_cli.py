"""The command line: exact outputs, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from propwatch.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_writes_jsonl_that_follows_the_schema(tmp_path, corpus, spine_toml, capsys):
    code, out, err = run(capsys, "analyze", str(corpus), "--format", "jsonl", "--config", str(spine_toml))
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 5
    code, schema_out, _ = run(capsys, "schema")
    schema = json.loads(schema_out)
    for record in records:
        jsonschema.validate(record, schema)
        for layer in ("sentences", "entities", "quotes", "claims", "techniques", "assessment"):
            assert isinstance(record[layer], list)
        for sentence in record["sentences"]:
            assert record["text"][sentence["start"]:sentence["end"]] == sentence["text"]
    assert "stories" in err and "new" in err


def test_analyze_exit_code_and_rejections(tmp_path, spine_toml, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.txt").write_text("A short story about a river and a bridge. It opened on Friday.", "utf-8")
    (folder / "bad.jsonl").write_text('{"text": "fine"}\n{oops\n', "utf-8")
    code, out, err = run(capsys, "analyze", str(folder), "--config", str(spine_toml))
    assert code == 2
    assert f"rejected: {folder / 'bad.jsonl'}:2: bad-json:" in err
    code, out, _ = run(capsys, "rejections", "--format", "jsonl", "--config", str(spine_toml))
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [{"source": str(folder / "bad.jsonl"), "line": 2, "kind": "bad-json", "reason": rows[0]["reason"]}]


def test_list_show_export(tmp_path, corpus, spine_toml, capsys):
    run(capsys, "analyze", str(corpus), "--config", str(spine_toml), "--quiet")
    code, out, _ = run(capsys, "list", "--format", "json", "--config", str(spine_toml))
    rows = json.loads(out)
    assert code == 0 and len(rows) == 5
    assert {r["outlet"] for r in rows} >= {"RT"}
    titled = next(r for r in rows if r["title"])
    doc_id = titled["id"]
    code, out, _ = run(capsys, "show", doc_id, "--format", "json", "--config", str(spine_toml))
    assert json.loads(out)["id"] == doc_id
    code, out, _ = run(capsys, "show", doc_id, "--config", str(spine_toml))
    assert code == 0 and titled["title"].split()[0] in out and "sentences" in out
    assert "risk" not in out  # no assessment stage in this pipeline
    code, out, _ = run(capsys, "export", "--format", "csv", "--config", str(spine_toml))
    assert out.splitlines()[0].startswith("id,source,source_record,story_index,title")
    assert len(out.splitlines()) >= 6
    parquet = tmp_path / "all.parquet"
    code, _, err = run(capsys, "export", "--format", "parquet", "--output", str(parquet), "--config", str(spine_toml))
    assert code == 0 and parquet.stat().st_size > 0 and "wrote 5 stories" in err


def test_errors_are_one_line_with_a_hint(tmp_path, spine_toml, capsys):
    code, _, err = run(capsys, "show", "0000000000", "--config", str(spine_toml))
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("propwatch: error: PW4") and "hint:" in err
    bad = tmp_path / "bad.toml"
    bad.write_text("[store\n", "utf-8")
    code, _, err = run(capsys, "list", "--config", str(bad))
    assert code == 1 and "PW100" in err and "not valid TOML" in err


def test_stages_and_config_commands(capsys):
    code, out, _ = run(capsys, "stages", "--format", "json")
    rows = {row["stage"]: row for row in json.loads(out)}
    assert {"clean.v1", "split.v1", "metadata.v1", "language.v1", "sentences.v1"} <= set(rows)
    assert rows["sentences.v1"]["languages"] == "any" and "en" in rows["techniques.v1"]["languages"]
    code, out, _ = run(capsys, "config")
    assert json.loads(out)["store"]["path"] == "propwatch.duckdb"


def test_console_script_runs_as_users_start_it(tmp_path, corpus, spine_toml):
    exe = shutil.which("propwatch")
    command = [exe] if exe else [sys.executable, "-m", "propwatch"]
    done = subprocess.run(
        [*command, "analyze", str(corpus / "feed.jsonl"), "-f", "jsonl", "-c", str(spine_toml), "-q"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2


def test_show_prints_the_risk_and_its_reasons(tmp_path, corpus, capsys):
    toml = tmp_path / "risk.toml"
    toml.write_text(f'[store]\npath = "{tmp_path / "r.duckdb"}"\n[pipeline]\nstages = ["clean", "split", "metadata", "language", "sentences", "assessment"]\nupdate_narratives = false\n'
                    '[stages.assessment]\nrequired_layers = []\n', "utf-8")  # assessed although no analysis layer ran
    run(capsys, "analyze", str(corpus / "feed.jsonl"), "-c", str(toml), "-q")
    code, out, _ = run(capsys, "list", "--format", "json", "-c", str(toml))
    rt = next(r for r in json.loads(out) if r["outlet"] == "RT")
    code, out, _ = run(capsys, "show", rt["id"], "-c", str(toml))
    assert re.search(r"risk 0\.\d\d \((low|medium)\)", out) and "RT is state-controlled" in out
