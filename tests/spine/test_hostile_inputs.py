"""Inputs and stores an audit found harmful (issue 20, items 9, 11 and 14): each is one
clear rejection or error, and the rest of the run, the file or the store still counts."""

from __future__ import annotations

import csv
import os
import shutil

import duckdb
import pytest

from propwatch.cli import main
from propwatch.errors import StoreDamagedError, store_damage
from propwatch.ingest.readers import Limits, read_csv
from propwatch.records import REASON_LIMIT, Document, Rejection


def test_a_table_of_a_hundred_thousand_columns_gets_a_short_reason(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("v" * 100_000) + "\n", "utf-8")
    (item,) = list(read_csv(wide, Limits()))
    assert isinstance(item, Rejection) and item.kind == "no-text-column"
    assert len(item.reason) < 1_000 and "100,000 in all" in item.reason and "c0, c1" in item.reason


def test_every_rejection_reason_is_capped():
    long = Rejection("x.txt", "bad-json", "y" * 50_000)
    assert len(long.reason) < REASON_LIMIT + 40 and "49,500 more characters" in long.reason
    assert Rejection("x.txt", "empty", "short").reason == "short"


def test_an_oversized_csv_field_costs_its_row_only(tmp_path):
    table = tmp_path / "big.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["title", "text"])
        out.writerow(["a", "Officials said the border crossing reopened on Monday morning."])
        out.writerow(["b", "x" * 3_000])
        out.writerow(["c", "Residents said the shelling stopped late on Tuesday night."])
    items = list(read_csv(table, Limits(max_record_bytes=1_000)))
    assert [type(i).__name__ for i in items] == ["Document", "Rejection", "Document"]
    assert items[1].kind == "too-large" and items[1].line == 3
    assert isinstance(items[2], Document) and items[2].title == "c"


@pytest.fixture
def stored(tmp_path):
    text = tmp_path / "a.txt"
    text.write_text("Officials said on Monday that the border crossing near the town would reopen.\n" * 3, "utf-8")
    store = tmp_path / "s.duckdb"
    assert main(["analyze", str(text), "--store", str(store), "--quiet", "--config", str(_light_config(tmp_path))]) == 0
    return store


def _light_config(tmp_path):
    cfg = tmp_path / "light.toml"
    cfg.write_text('[pipeline]\nstages = ["clean", "split", "metadata", "language", "sentences"]\n'
                   "update_narratives = false\n", "utf-8")
    return cfg


def test_a_file_that_is_not_a_store_is_named_damaged_not_busy(tmp_path, capsys):
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_bytes(b"garbage " * 100)
    assert main(["list", "--store", str(bogus)]) == 1
    err = capsys.readouterr().err
    assert "PW410" in err and "damaged" in err and "another propwatch process" not in err


def test_a_truncated_store_is_a_clear_error_not_an_internal_one(stored, tmp_path, capsys):
    cut = tmp_path / "cut.duckdb"
    shutil.copy(stored, cut)
    with cut.open("r+b") as fh:
        fh.truncate(os.path.getsize(cut) // 2)
    capsys.readouterr()
    assert main(["export", "--store", str(cut), "--format", "jsonl", "-o", str(tmp_path / "o.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "damaged" in err


def test_damage_words_are_read_from_duckdb_errors_only():
    assert store_damage(duckdb.IOException('Could not read enough bytes from file "x"')) is not None
    assert store_damage(duckdb.Error("Corrupt database file: computed checksum 1 does not match stored checksum 2"))
    assert store_damage(duckdb.CatalogException("Table with name x does not exist")) is None
    assert store_damage(ValueError("Corrupt database file")) is None
    assert issubclass(StoreDamagedError, Exception)


def test_a_folder_that_cannot_be_listed_is_a_rejection_not_silence(tmp_path, monkeypatch):
    from propwatch.ingest.readers import iter_inputs

    (tmp_path / "in" / "locked").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text("Officials said the border crossing reopened on Monday morning.", "utf-8")
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(iter_inputs([str(tmp_path / "in")]))
    rejected = [i for i in items if isinstance(i, Rejection)]
    assert [r.kind for r in rejected] == ["unreadable"] and rejected[0].source.endswith("locked")
    assert "Permission denied" in rejected[0].reason
    assert sum(isinstance(i, Document) for i in items) == 1
