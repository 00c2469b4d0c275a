"""The watch command: poll outlets' feeds and sitemaps, analyse new stories, raise alerts."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from ._safe import visible
from .app import app
from .core import ConfigOpt, ListFormat, StoreOpt, _print_rows, load


@app.command()
def watch(
    sources: Annotated[Path, typer.Argument(help="Sources file (TOML): the outlets, their feeds and sitemaps.")],
    once: Annotated[bool, typer.Option("--once", help="Poll every outlet once, then exit (for cron and tests).")] = False,
    status: Annotated[bool, typer.Option("--status", help="Per outlet: last poll, items new/seen/failed, errors; polls nothing.")] = False,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="--status and --once output.")] = ListFormat.table,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per poll on stderr.")] = False,
) -> int:
    """Watch outlets: poll their RSS/Atom feeds and sitemaps politely, analyse and link each new story, raise alerts.

    Without --once it runs until stopped (Ctrl-C or SIGTERM), polling each
    outlet when its interval has passed. Exit code with --once: 0 when every
    feed and item was read, 2 when some failed (the rest are stored; the
    reasons are printed and kept: --status).
    """
    from ..store import Store
    from ..watch.sources import load_sources
    from ..watch.state import WatchState

    src = load_sources(sources)
    cfg = load(config, store)
    if status:
        with Store.from_config(cfg, read_only=Path(cfg.store_path).exists()) as st:
            rows = [s.to_dict() for s in WatchState(st).status([o.name for o in src.outlets])] \
                if _has_watch(st) else []
        _status_rows(rows, fmt.value)
        return 0

    from ..watch.watcher import Watcher

    watcher = Watcher(src, cfg)
    failed = False

    def report(summary) -> None:
        nonlocal failed
        failed = failed or any(p.errors or p.failed for p in summary.polls)
        if quiet:
            return
        for p in summary.polls:
            line = f"{p.source}: {p.new} new, {p.seen} seen, {p.failed} failed, {p.unchanged} unchanged"
            print(visible(line + (f", {len(p.errors)} errors" if p.errors else "")), file=sys.stderr)
            for err in p.errors[:10]:
                print(f"  {visible(err)}", file=sys.stderr)
        for alert in summary.alerts:
            print(f"alert {alert.id} {alert.kind}: {visible(alert.title)}", file=sys.stderr)

    try:
        if once:
            with watcher.store.writing():
                summary = watcher.poll()
            report(summary)
            if fmt.value != "table":
                _print_rows([summary.to_dict()], fmt.value, ("new",))
            return 2 if failed else 0
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        try:
            watcher.run(lambda: bool(stopping), on_poll=report)
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        watcher.close()


def _has_watch(st) -> bool:
    return bool(st.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'watch_sources'").fetchone()[0])


def _status_rows(rows: list[dict], fmt: str) -> None:
    if fmt != "table":
        _print_rows(rows, fmt, ("name",))
        return
    for row in rows:
        row["last error"] = row["last_error"] or "-"
        row["last poll"] = row["last_poll"] or "never"
        row["new/seen/failed"] = f"{row['items_new']}/{row['items_seen']}/{row['items_failed']}"
    _print_rows(rows, "table", ("name", "polls", "last poll", "new/seen/failed", "stored", "failing", "last error"))
    if rows and any(r["errors"] for r in rows):
        print(json.dumps({r["name"]: r["errors"] for r in rows if r["errors"]}, ensure_ascii=False, indent=1)[:4000])
