"""The listings print what propwatch at c104cf2 printed for the same store, byte for byte.

tests/fixtures/old_store_c104cf2.outputs.json was recorded with that commit's
code by tests/fixtures/make_old_outputs.py. One difference is intended: a layer
whose record type is not registered (the fixture's ``plugin_notes``) is no
longer handed on as bare dicts, so it is not counted in the API's ``counts``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from make_old_outputs import API, COMMANDS  # noqa: E402

EXPECTED = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "old_store_c104cf2.outputs.json").read_text("utf-8"))


@pytest.mark.parametrize("name,argv", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_cli_listing_output_is_unchanged(name, argv, store_copy, capsys, monkeypatch):
    from propwatch.cli import main

    monkeypatch.setenv("COLUMNS", "160")
    code = main([*argv, "--store", str(store_copy)])
    out, _ = capsys.readouterr()
    assert f"{code}\n{out}" == EXPECTED[name]


@pytest.mark.parametrize("query", API)
def test_api_story_list_is_unchanged(query, store_copy):
    from propwatch.server import Workbench
    from propwatch.store import Store

    st = Store(store_copy, read_only=True)
    try:
        response = Workbench(st, "t").handle("GET", "/api/stories", parse_qs(query), {"Authorization": "Bearer t"}, b"")
    finally:
        st.close()
    want = json.loads(EXPECTED[f"api?{query}"])
    for item in want["items"]:
        item["counts"].pop("plugin_notes", None)
    assert json.loads(response.body) == want
    # the same bytes but for the order of the keys of "counts" (a JSON object; after other
    # tests have registered layers the migrated rows can come back in another order)
    for item in want["items"]:
        item["counts"] = dict(sorted(item["counts"].items()))
    got = json.loads(response.body)
    for item in got["items"]:
        item["counts"] = dict(sorted(item["counts"].items()))
    assert json.dumps(got, ensure_ascii=False) == json.dumps(want, ensure_ascii=False)


def test_a_reader_migrates_an_old_store_first(tmp_path, capsys):
    """`propwatch list` on a store written by c104cf2: migrated once, then read."""
    import gzip

    from propwatch.cli import main

    path = tmp_path / "old.duckdb"
    path.write_bytes(gzip.decompress((Path(__file__).resolve().parents[1] / "fixtures" / "old_store_c104cf2.duckdb.gz").read_bytes()))
    code = main(["list", "--format", "jsonl", "--store", str(path)])
    out, _ = capsys.readouterr()
    assert f"{code}\n{out}" == EXPECTED["list"]
