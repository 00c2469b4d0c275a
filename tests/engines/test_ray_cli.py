"""`propwatch analyze --engine ray` as a user runs it: it starts its own local Ray, and
the commands, the report and the workbench read what it stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("ray.data")

from engine_helpers import write_corpus  # noqa: E402
from texts import SPINE_STAGES  # noqa: E402

pytestmark = pytest.mark.slow


def propwatch(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    return subprocess.run([sys.executable, "-m", "propwatch", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=400, env=env)


def test_analyze_engine_ray_starts_ray_and_everything_reads_the_result(tmp_path):
    write_corpus(tmp_path / "corpus")
    stages = ", ".join(f'"{s}"' for s in SPINE_STAGES)
    (tmp_path / "propwatch.toml").write_text(
        f'[store]\npath = "pw.duckdb"\n\n[pipeline]\nstages = [{stages}]\nupdate_narratives = false\n\n'
        '[ray]\nnum_cpus = 2\nworkers = 1\nfiles_per_shard = 3\n', "utf-8")
    done = propwatch("analyze", "--engine", "ray", "corpus/", "--report", "report", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "propwatch analyze" in done.stderr and "language.v1" in done.stderr  # timed in the workers
    shards = sorted((tmp_path / "pw.duckdb.shards").glob("shard-*.parquet"))
    assert len(shards) == 2 and (tmp_path / "report" / "index.html").is_file()

    listed = propwatch("list", "--format", "json", cwd=tmp_path)
    stories = json.loads(listed.stdout)
    assert listed.returncode == 0 and len(stories) == 6
    assert {s["source"] for s in stories} >= {"corpus/pages/harbour.txt", "corpus/feed.jsonl"}
    shown = propwatch("show", stories[0]["id"], "--format", "json", cwd=tmp_path)
    assert json.loads(shown.stdout)["sentences"]

    from starlette.testclient import TestClient

    from propwatch import load_config
    from propwatch.web import ServeOptions, create_app
    from propwatch.web.auth import Tokens

    token = "engine-test-token-0123456789abcdef"
    app = create_app(load_config(overrides={"store.path": str(tmp_path / "pw.duckdb")}), ServeOptions(tokens=Tokens(token)))
    with TestClient(app) as client:
        got = client.get("/api/stories", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == 200 and stories[0]["id"] in got.text
        page = client.get(f"/api/stories/{stories[0]['id']}", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200
