"""EUvsDisinfo exports in both layouts: detected, imported with the case's own id and URL,
one entry per case across files, rejected rows summarised (texts written here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propwatch.debunks.db import DebunkDB
from propwatch.debunks.importers import Debunk, read_debunks, titles_agree
from propwatch.records import Rejection
from propwatch.store import Store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "euvsdisinfo-cases"

SCRAPER = '''"issue","date","outlet","language","origin","reported by","keywords","source","title","summary","disproof"
7,03/14/19,"Harbour Herald","English","Nordland","Test desk","Harbour, Sabotage","https://example.org/a","Harbour fire set by the navy","The fire at the Port Velden grain harbour was set by the navy itself to hide missing fuel.","The port authority traced the fire to a faulty crane motor."
7,04/02/19,"Evening Bell","English","Nordland, Ostmark","Test desk","Vaccines","https://example.org/b","The new flu vaccine distributed in Nordland contains microchips that track citizens and report them","","Vaccines contain no microchips."
,,,,,,,,,,
,,,,,,,,,,
8,05/20/19,"Evening Bell","English","Nordland","Test desk","Bridge","","","","Nothing to see."
'''

PACKAGE = '''date,id,title,countries,keywords,languages,outlets
2019-03-14,https://euvsdisinfo.eu/report/harbour-fire-navy/,Harbour fire set by the navy,Nordland,Harbour+Sabotage,English+Nordish,Harbour Herald+Port TV
2019-04-02,https://euvsdisinfo.eu/report/flu-vaccine-chips/,The new flu vaccine distributed in Nordland contains microchips…,Nordland,Vaccines,English,Evening Bell
2019-06-11,https://euvsdisinfo.eu/report/votes-counted-twice/,Votes were counted twice,Ostmark,Elections,Ostmarkish,Morning Star Daily
2019-06-12,,,Ostmark,Elections,Ostmarkish,Morning Star Daily
2019-06-13,https://euvsdisinfo.eu/report/no-title/,,Ostmark,Elections,Ostmarkish,Morning Star Daily
'''


@pytest.fixture
def files(tmp_path):
    a = tmp_path / "cases.csv"
    a.write_text(SCRAPER, "utf-8")
    b = tmp_path / "claims-outlets.csv"
    b.write_text(PACKAGE, "utf-8")
    return a, b


def test_both_layouts_are_detected_and_read(files):
    a, b = files
    fmt, items = read_debunks(b)
    assert fmt == "euvsdisinfo"
    got = [i for _, _, i in items]
    good = [i for i in got if isinstance(i, Debunk)]
    assert len(good) == 3 and sum(isinstance(i, Rejection) for i in got) == 2
    fire = good[0]
    assert fire.case_id == "harbour-fire-navy" and fire.url == "https://euvsdisinfo.eu/report/harbour-fire-navy/"
    assert fire.claim == "Harbour fire set by the navy" and fire.date == "2019-03-14"
    assert fire.outlets == ("Harbour Herald", "Port TV") and fire.languages == ("English", "Nordish")
    assert fire.countries == ("Nordland",) and fire.keywords == ("Harbour", "Sabotage")
    fmt, items = read_debunks(a)
    good = [i for _, _, i in items if isinstance(i, Debunk)]
    assert fmt == "euvsdisinfo" and len(good) == 2
    assert good[0].url is None and good[0].case_id is None  # the scraper export has no case URL: none is made up
    assert good[0].appearances == ("https://example.org/a",)
    assert good[1].claim.startswith("The new flu vaccine") and good[1].countries == ("Nordland", "Ostmark")


def test_titles_agree_with_a_cut_title_only():
    assert titles_agree("Votes were counted twice.", "votes were Counted twice")
    assert titles_agree("The new flu vaccine in Nordland contains chips", "The new flu vaccine in Nordland…")
    assert not titles_agree("The new flu vaccine in Nordland contains chips", "The new flu vaccine in Ostmark…")
    assert not titles_agree("Votes were counted twice", "Votes were counted")


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_a_case_in_both_files_is_one_entry(files, order):
    paths = [files[i] for i in order]
    with Store(":memory:") as st:
        db = DebunkDB(st)
        first, second = (db.import_file(p) for p in paths)
        assert first.ok and second.ok and second.merged == 2
        assert db.count() == 3  # fire + vaccine merged; votes only in the package
        by_case = {d.case_id: d for d in db.all()}
        fire = by_case["harbour-fire-navy"]
        assert fire.claim.startswith("The fire at the Port Velden") and "crane motor" in fire.explanation
        assert fire.url == "https://euvsdisinfo.eu/report/harbour-fire-navy/"
        assert fire.outlets == (("Harbour Herald", "Port TV") if order == (0, 1) else ("Harbour Herald", "Port TV"))
        vaccine = by_case["flu-vaccine-chips"]
        assert not vaccine.title.endswith("…") and vaccine.explanation == "Vaccines contain no microchips."
        # importing either again adds and merges nothing
        for p in paths:
            again = db.import_file(p)
            assert (again.added, again.merged) == (0, 0)
        assert db.count() == 3
        assert {p["source_file"] for p in db.provenance(fire.id)} == {str(p.resolve()) for p in paths}


def test_cli_summarises_rejections_and_exits_0_when_it_added_rows(files, tmp_path, capsys):
    from propwatch.cli import main

    store = str(tmp_path / "s.duckdb")
    assert main(["debunks", "import", str(files[1]), "--store", store]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert (summary["added"], summary["rejected"]) == (3, 2)
    assert summary["rejected_kinds"] == {"bad-record: empty claim": 2} and summary["rejected_lines"] == [5, 6]
    assert "imported claims-outlets.csv: 5 rows read, 3 added" in out.err and "first at line(s) 5, 6" in out.err
    assert main(["debunks", "import", str(files[0]), "--store", store]) == 0  # blank rows are skipped, not errors
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["added"], summary["merged"], summary["rejected"]) == (0, 2, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,id,title,outlets\n2019-01-01,,,\n", "utf-8")
    assert main(["debunks", "import", str(bad), "--store", store]) == 2  # nothing could be imported
    assert "not imported: bad.csv" in capsys.readouterr().err


def test_a_file_without_a_known_layout_names_its_columns(tmp_path):
    from propwatch.errors import InputError

    odd = tmp_path / "odd.csv"
    odd.write_text("when,what\n2019,x\n", "utf-8")
    with pytest.raises(InputError) as err:
        read_debunks(odd)
    assert "columns: when, what" in str(err.value)


@pytest.mark.skipif(not (SHARED / "claims-outlets-2015-2021.csv").exists(), reason="shared data absent")
@pytest.mark.slow
def test_real_exports_import_together():
    with Store(":memory:") as st:
        db = DebunkDB(st)
        a = db.import_file(SHARED / "cases-2015-2017.csv")
        b = db.import_file(SHARED / "claims-outlets-2015-2021.csv")
    assert a.ok and not a.rejected and b.ok and not b.rejected
    assert b.added + b.merged == 10892 and b.merged > 1500


def test_one_title_with_a_case_per_outlet_merges_by_the_outlet(tmp_path):
    a = tmp_path / "cases.csv"
    a.write_text(SCRAPER.splitlines()[0] + "\n"
                 '9,07/01/19,"coastwatch.example","English","Nordland","Test desk","Harbour","","Weekly trend: the navy burns harbours to hide missing fuel","The navy burns harbours to hide missing fuel.","No evidence."\n', "utf-8")
    b = tmp_path / "claims-outlets.csv"
    b.write_text(PACKAGE.splitlines()[0] + "\n"
                 "2019-07-01,https://euvsdisinfo.eu/report/weekly-trend-navy/,Weekly trend: the navy burns harbours to…,Nordland,Harbour,English,Port TV - YouTube\n"
                 "2019-07-01,https://euvsdisinfo.eu/report/weekly-trend-navy-2/,Weekly trend: the navy burns harbours to…,Nordland,Harbour,English,coastwatch.example\n", "utf-8")
    with Store(":memory:") as st:
        db = DebunkDB(st)
        db.import_file(b)
        assert db.import_file(a).merged == 1
        merged = {d.case_id: d for d in db.all()}["weekly-trend-navy-2"]
        assert merged.explanation == "No evidence." and db.count() == 2
