"""watch without --once: outlets polled as they fall due, until stopped (in process, and as a real process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from propwatch.config import load_config
from propwatch.store import Store
from propwatch.watch.sources import load_sources
from propwatch.watch.watcher import Watcher

from texts import SPINE_STAGES
from watch.outlets import STORIES
from watch.site import Page, Site, article, rss


def serve(site: Site, keys: list[str]) -> None:
    for key in keys:
        site.routes[f"/{key}"] = Page(article(*STORIES[key]))
    site.routes["/rss"] = Page(rss("Ledger", [(site.url(f"/{k}"), STORIES[k][0], "") for k in keys]),
                               content_type="application/rss+xml", etag=f'"{len(keys)}"')


def write_files(tmp_path, site: Site, interval_minutes: float):
    sources = tmp_path / "sources.toml"
    sources.write_text("[watch]\nper_host_interval = 0.0\n\n"
                       f'[[outlets]]\nname = "Coastal Ledger"\nfeeds = ["{site.url("/rss")}"]\ninterval = {interval_minutes}\n\n'
                       f'[[outlets]]\nname = "Paused Weekly"\nfeeds = ["{site.url("/paused")}"]\nenabled = false\n', "utf-8")
    config = tmp_path / "propwatch.toml"
    stages = ", ".join(f'"{s}"' for s in SPINE_STAGES)
    config.write_text(f'[store]\npath = "{tmp_path / "run.duckdb"}"\n\n[pipeline]\nstages = [{stages}]\n\n'
                      "[ingest]\nallow_private_addresses = true\n", "utf-8")
    return sources, config


@pytest.mark.slow  # several seconds: CI runs it with -m slow
def test_outlets_are_polled_when_due_until_stopped(tmp_path):
    with Site() as site:
        serve(site, ["ledger/fire"])
        sources, config = write_files(tmp_path, site, 0.005)  # every 0.3 s
        watcher = Watcher(load_sources(sources), load_config(config))
        polls = []

        def on_poll(summary):
            polls.append(summary)
            if len(polls) == 1:
                serve(site, ["ledger/bridge", "ledger/fire"])

        watcher.run(lambda: len(polls) >= 3, on_poll=on_poll, idle=0.1)
        watcher.close()
    assert [p.new for p in polls] == [1, 1, 0]
    assert [[x.source for x in p.polls] for p in polls] == [["Coastal Ledger"]] * 3  # the disabled outlet never
    assert not site.hits_of("/paused")
    with Store(tmp_path / "run.duckdb", read_only=True) as store:
        assert store.count() == 2


@pytest.mark.slow  # a real process, started and stopped with SIGTERM
def test_watch_runs_as_a_process_and_stops_on_sigterm(tmp_path):
    with Site() as site:
        serve(site, ["ledger/fire"])
        sources, config = write_files(tmp_path, site, 0.01)  # every 0.6 s
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.Popen([sys.executable, "-m", "propwatch", "watch", str(sources), "--config", str(config)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 60
            while not site.hits_of("/ledger/fire") and time.monotonic() < deadline:
                time.sleep(0.1)
            serve(site, ["ledger/bridge", "ledger/fire"])
            while not site.hits_of("/ledger/bridge") and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)  # another poll or two: nothing new
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert "Coastal Ledger: 1 new" in err and "Coastal Ledger: 0 new, 0 seen" in err
    assert len(site.hits_of("/ledger/fire")) == 1 and len(site.hits_of("/ledger/bridge")) == 1
    with Store(tmp_path / "run.duckdb", read_only=True) as store:
        assert store.count() == 2
