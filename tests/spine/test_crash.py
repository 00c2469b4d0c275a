"""kill -9 in the middle of a run loses nothing committed; a rerun finishes the rest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from texts import SPINE_STAGES, STORY_A, STORY_B, STORY_C


@pytest.mark.slow
def test_kill_9_mid_run_then_rerun(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    stories = [STORY_A, STORY_B, STORY_C]
    n = 150
    for i in range(n):
        body = stories[i % 3].replace("\n\n", f"\n\nItem {i} of the series reported on day {i}.\n\n", 1)
        (folder / f"{i:04d}.txt").write_text(body, "utf-8")
    store = tmp_path / "crash.duckdb"
    toml = tmp_path / "propwatch.toml"
    stage_list = ", ".join(f'"{s}"' for s in SPINE_STAGES)
    toml.write_text(f'[store]\npath = "{store}"\n[pipeline]\nbatch_size = 5\nstages = [{stage_list}]\n', "utf-8")
    exe = shutil.which("propwatch")
    command = [exe] if exe else [sys.executable, "-m", "propwatch"]
    proc = subprocess.Popen(
        [*command, "analyze", str(folder), "-c", str(toml), "--verbose", "--quiet"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    for line in proc.stderr:
        if line.startswith("committed batch 3"):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"

    con = duckdb.connect(str(store))
    committed = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    layers = con.execute("SELECT count(*) FROM layer_state").fetchone()[0]
    con.close()
    assert 15 <= committed < n
    assert layers == committed  # each stored story has its sentences: no half-written batch

    done = subprocess.run(
        [*command, "analyze", str(folder), "-c", str(toml), "--format", "jsonl", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == n
    con = duckdb.connect(str(store))
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == n
    con.close()
