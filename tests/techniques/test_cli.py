"""``propwatch techniques``: raw files in, one JSON line per file out."""

from __future__ import annotations

import json

from propwatch.cli import main


def test_techniques_jsonl_on_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "article42.txt").write_bytes("Title\r\n\r\nThose traitors lied.\n".encode("utf-8"))
    (folder / "b.txt").write_text("Nothing to see.", "utf-8")
    (folder / "notes.md").write_text("ignored: not .txt", "utf-8")
    assert main(["techniques", str(folder), "--backend", "techniques_fake", "--format", "jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in lines] == ["article42", "b"]
    [span] = lines[0]["techniques"]
    raw = (folder / "article42.txt").read_bytes().decode("utf-8")
    assert raw[span["start"] : span["end"]] == span["text"] == "traitors"
    assert span["start"] == 15  # CRLF kept: offsets are the file's own characters
    assert set(span) == {"start", "end", "text", "technique", "score", "quoted"}
    assert lines[1]["techniques"] == []


def test_techniques_csv_and_missing_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "one.txt"
    f.write_text("A shameful act.", "utf-8")
    assert main(["techniques", str(f), "--backend", "techniques_fake", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "id,start,end,technique,score,text"
    assert out[1].startswith("one,2,10,Loaded_Language,")
    assert main(["techniques", str(tmp_path / "nope.txt"), "--backend", "techniques_fake"]) == 1
    assert "nope.txt" in capsys.readouterr().err


def test_techniques_rejects_non_utf8(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "bad.txt"
    f.write_bytes(b"caf\xe9 shameful")
    assert main(["techniques", str(f), "--backend", "techniques_fake"]) == 1
    err = capsys.readouterr().err
    assert "bad.txt" in err and "encoding" in err


def test_techniques_on_a_folder_goes_on_after_a_file_it_cannot_decode(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a_bad.txt").write_bytes(b"caf\xe9 shameful")
    (folder / "b_good.txt").write_text("Those traitors did a shameful thing.", "utf-8")
    assert main(["techniques", str(folder), "--backend", "techniques_fake", "--format", "jsonl"]) == 1
    captured = capsys.readouterr()
    assert [json.loads(x)["id"] for x in captured.out.splitlines()] == ["b_good"]
    assert "a_bad.txt" in captured.err and "encoding" in captured.err


def test_a_skipped_file_name_with_escapes_is_printed_visibly(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "x\x1b[2Jy.txt").write_bytes(b"caf\xe9 shameful")
    assert main(["techniques", str(folder), "--backend", "techniques_fake"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "x\\x1b[2Jy.txt" in err
