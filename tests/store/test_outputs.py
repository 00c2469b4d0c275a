"""The listings print what propwatch at c104cf2 printed for the same store, byte for byte.

tests/fixtures/old_store_c104cf2.outputs.json was recorded with that commit's
code by tests/fixtures/make_old_outputs.py. The API's story list became the
workbench's search, which answers the old parameters with the same stories.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
def test_api_story_search_finds_what_the_old_list_found(query, store_copy):
    """The workbench's search answers the old list's parameters with the same stories, in the
    same order without words (no dates in this store: the date order falls back to the store's)."""
    from starlette.testclient import TestClient

    from propwatch import load_config
    from propwatch.store import Store
    from propwatch.web import ServeOptions, create_app
    from propwatch.web.auth import Tokens

    app = create_app(load_config(overrides={"store.path": str(store_copy)}),
                     ServeOptions(tokens=Tokens("t")), store=Store(store_copy, read_only=True))
    try:
        with TestClient(app, headers={"Authorization": "Bearer t"}) as client:
            got = client.get(f"/api/stories?{query}").json()
    finally:
        app.state.web.close()
    want = json.loads(EXPECTED[f"api?{query}"])
    assert got["total"] == want["total"] and (got["limit"], got["offset"]) == (want["limit"], want["offset"])
    ids, wanted = [i["id"] for i in got["items"]], [i["id"] for i in want["items"]]
    if "q=" in query:  # words rank by relevance; the old list kept the store's order
        ids, wanted = sorted(ids), sorted(wanted)
    assert ids == wanted


def test_a_reader_migrates_an_old_store_first(tmp_path, capsys):
    """`propwatch list` on a store written by c104cf2: migrated once, then read."""
    import gzip

    from propwatch.cli import main

    path = tmp_path / "old.duckdb"
    path.write_bytes(gzip.decompress((Path(__file__).resolve().parents[1] / "fixtures" / "old_store_c104cf2.duckdb.gz").read_bytes()))
    code = main(["list", "--format", "jsonl", "--store", str(path)])
    out, _ = capsys.readouterr()
    assert f"{code}\n{out}" == EXPECTED["list"]
