"""A server's read attachment lingers for the next request, and never keeps a writer out."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from propwatch import storelock
from propwatch.store import Store

WRITE = """
import sys, time
from propwatch.store import Store
started = time.monotonic()
st = Store(sys.argv[1], lock_timeout=20)
with st.writing():
    st.con.execute("CREATE TABLE IF NOT EXISTS probe (x INTEGER)")
    st.con.execute("INSERT INTO probe VALUES (1)")
st.close()
print(round(time.monotonic() - started, 3))
"""


@pytest.fixture
def lingering():
    storelock.linger_reads(30.0)  # long: only a writer may end it in these tests
    yield
    storelock.linger_reads(0.0)


def _hub(path):
    return storelock._HUBS[storelock._key(str(path))]


def test_sequential_reads_keep_the_attachment(tmp_path, lingering):
    path = tmp_path / "l.duckdb"
    Store(path).close()
    st = Store(path, read_only=True)
    with st.reading() as r:
        r.con.execute("SELECT count(*) FROM documents").fetchall()
    assert _hub(path).mode == "ro"  # still attached, warm for the next request
    with st.reading() as r:
        assert r.con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


def test_a_writer_of_another_process_gets_the_file_at_once(tmp_path, lingering):
    path = tmp_path / "w.duckdb"
    Store(path).close()
    st = Store(path, read_only=True)
    with st.reading() as r:
        r.con.execute("SELECT 1").fetchall()
    assert _hub(path).mode == "ro"
    done = subprocess.run([sys.executable, "-c", WRITE, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.strip()) < 5.0  # not the 30 s linger, not the 20 s timeout
    deadline = time.monotonic() + 5
    while _hub(path).mode is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    with st.reading() as r:  # and the reader sees what was written
        assert r.con.execute("SELECT count(*) FROM probe").fetchone()[0] == 1


def test_without_linger_the_attachment_goes_at_once(tmp_path):
    storelock.linger_reads(0.0)  # the default of every process but the server
    path = tmp_path / "d.duckdb"
    Store(path).close()
    with Store(path, read_only=True).reading() as r:
        r.con.execute("SELECT 1").fetchall()
    assert _hub(path).mode is None
