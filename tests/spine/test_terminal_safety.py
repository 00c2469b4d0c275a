"""Data never passes through Rich markup, and control characters never reach the terminal raw (issue 20 items 6, 13)."""

from __future__ import annotations

import json

from propwatch import Pipeline, load_config
from propwatch.cli import main
from propwatch.cli._safe import cell, masked, visible


def test_visible_escapes_controls_and_bidi_and_caps_the_length():
    assert visible("a\x1b[31mb") == "a\\x1b[31mb"
    assert visible("x\u202ey") == "x<U+202E>y"
    assert visible("tab\tand\nnewline") == "tab\tand\nnewline"
    assert visible("z" * 600).endswith("… (100 more characters)")
    assert masked("a\x1bb\u202e") == "a\ufffdb\ufffd" and len(masked("a\x1bb")) == 3
    assert cell("[/] x[red]y").plain == "[/] x[red]y"


def test_list_show_and_rejections_print_markup_and_escapes_as_data(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    feed = tmp_path / "in" / "x[red]y.jsonl"
    feed.write_text(json.dumps({"title": "Bad [/] title \x1b[2J", "text": "The ministry said forty trucks crossed the border on Monday near the town."}) + "\n"
                    + "{not json\n", "utf-8")
    config = load_config(overrides={"store.path": str(tmp_path / "propwatch.duckdb"), "pipeline.update_narratives": False,
                                    "pipeline.stages": ["clean", "split", "metadata", "language", "sentences"]})
    pipe = Pipeline(config)
    assert pipe.analyze([str(feed)]).new == 1
    [doc] = pipe.store.load()
    pipe.close()
    for argv in (["list"], ["show", doc.id], ["rejections"]):
        assert main([*argv, "--store", str(tmp_path / "propwatch.duckdb")]) == 0, argv
        out = capsys.readouterr().out
        assert "\x1b[2J" not in out
        if argv[0] == "list":
            assert "[/]" in out and "\\x1b" in out
        if argv[0] == "rejections":
            assert "x[red]y.jsonl" in out


def test_csv_output_neutralises_spreadsheet_formulas(tmp_path, capsys, monkeypatch):
    import csv

    from propwatch.output.writers import spreadsheet_safe

    assert spreadsheet_safe('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)" and spreadsheet_safe("plain") == "plain" and spreadsheet_safe(2) == 2
    monkeypatch.chdir(tmp_path)
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"title": '=HYPERLINK("http://evil.example","click")',
                                "text": "The ministry said forty trucks crossed the border on Monday near the town."}) + "\n", "utf-8")
    store = str(tmp_path / "propwatch.duckdb")
    config = load_config(overrides={"store.path": store, "pipeline.update_narratives": False,
                                    "pipeline.stages": ["clean", "split", "metadata", "language", "sentences"]})
    pipe = Pipeline(config)
    pipe.analyze([str(feed)])
    pipe.close()
    assert main(["export", "--format", "csv", "--output", str(tmp_path / "tables") + "/", "--store", store]) == 0
    with open(tmp_path / "tables" / "stories.csv", newline="", encoding="utf-8") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["title"].startswith("'=HYPERLINK")
    capsys.readouterr()
    assert main(["list", "--format", "csv", "--store", store]) == 0
    assert "'=HYPERLINK" in capsys.readouterr().out


def test_bidi_overrides_are_shown_in_csv_cells_and_pages_but_kept_in_data():
    from jinja2 import Environment
    from markupsafe import Markup

    from propwatch.bidi import page_value, show_bidi
    from propwatch.output.writers import spreadsheet_safe

    assert show_bidi("report\u202etxt.exe") == "report<U+202E>txt.exe"
    assert show_bidi("plain \u200f Arabic mark kept") == "plain \u200f Arabic mark kept"
    assert spreadsheet_safe("\u202e=HYPERLINK(1)") == "<U+202E>=HYPERLINK(1)"
    assert spreadsheet_safe("=SUM(A1)") == "'=SUM(A1)"
    env = Environment(autoescape=True, finalize=page_value)
    page = env.from_string("{{ title }} {{ built }}").render(title="a\u2066b<i>", built=Markup("<b>\u202e</b>"))
    assert page == "a&lt;U+2066&gt;b&lt;i&gt; <b>\u202e</b>"


def test_csv_tables_written_by_duckdb_show_bidi_overrides_and_neutralise_formulas(tmp_path):
    import duckdb

    from propwatch.output.parquet import _copy_csv

    con = duckdb.connect()
    con.execute("CREATE TABLE t (title VARCHAR, n INTEGER)")
    con.execute("INSERT INTO t VALUES (?, 1), (?, 2)", ["x\u202eexe.txt", "@SUM(1)"])
    _copy_csv(con, "SELECT * FROM t ORDER BY n", tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text("utf-8").splitlines() == ["title,n", "x<U+202E>exe.txt,1", "'@SUM(1),2"]
