"""Core commands: analyze, list, show, export, report, schema, rejections, config, stages."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._safe import cell, visible
from .app import app

StoreOpt = Annotated[Optional[Path], typer.Option("--store", "-s", help="DuckDB store file (default: store.path in config, propwatch.duckdb).")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="propwatch.toml to lay over the defaults (default: ./propwatch.toml when present).")]


class RecordFormat(str, Enum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"


class ListFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"
    json = "json"
    csv = "csv"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    parquet = "parquet"


def load(config: Path | None, store: Path | None):
    from ..config import load_config

    overrides = {"store.path": str(store)} if store else None
    return load_config(config, overrides=overrides)


def open_store(config: Path | None, store: Path | None, read_only: bool = False):
    from ..store import Store

    return Store.from_config(load(config, store), read_only=read_only)


def releasing(store, docs, every: int = 500):
    """``docs`` as they come, handing the store back every ``every`` stories: a
    long export lets a waiting ``analyze`` write in between (its next read reopens)."""
    for n, doc in enumerate(docs, start=1):
        yield doc
        if n % every == 0:
            store.release()


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@app.command()
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or - for standard input.")],
    report: Annotated[Optional[Path], typer.Option("--report", "-r", help="Write an HTML report into this folder.")] = None,
    fmt: Annotated[Optional[RecordFormat], typer.Option("--format", "-f", help="Write one record per story (JSON Schema: `propwatch schema`).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the records to this file instead of standard output.")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print one line per committed batch on stderr.")] = False,
    engine: Annotated[Engine, typer.Option("--engine", help="Where the stages run: local (this process) or ray "
                                           "(Ray Data over Parquet shards; [ray] settings, docs/scale.md).")] = Engine.local,
) -> int:
    """Ingest articles, run the pipeline, store the results; optionally write records and a report.

    Exit code 0 when every input was read, 2 when some were rejected (the
    others are stored; the reasons are printed and kept in the store).
    """
    from ..output.records import document_record
    from ..output.writers import RecordWriter
    from ..pipeline import Pipeline
    from ..store import Store

    cfg = load(config, store)
    console = stderr_console()
    st = Store.from_config(cfg)
    pipeline = Pipeline(cfg, store=st)
    layers = cfg.get("output.layers") or None
    out_stream = None
    writer = None
    if fmt is not None or output is not None:
        fmt_value = (fmt or RecordFormat.jsonl).value
        out_stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        writer = RecordWriter(out_stream, fmt_value)

    progress = None
    task = None
    if not quiet and console.is_terminal:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} stories"),
            TimeElapsedColumn(), console=console, transient=True,
        )
        progress.start()
        task = progress.add_task("analyzing", total=None)

    def on_outcome(outcome):
        if writer is not None:
            writer.write(document_record(outcome.document, layers))
        if progress is not None:
            progress.advance(task)

    def on_rejection(rej):
        if not quiet:
            if progress is not None:
                progress.console.print(cell("rejected ", style="yellow") + cell(rej), highlight=False, soft_wrap=True)
            else:
                print(f"rejected: {visible(rej)}", file=sys.stderr)

    def on_batch(n):
        if verbose:
            print(f"committed batch {n}", file=sys.stderr, flush=True)

    try:
        # the writer lock for the whole run: a second analyze on this store waits for this one
        with st.writing():
            summary = pipeline.analyze(paths, on_outcome=on_outcome, on_rejection=on_rejection, on_batch=on_batch,
                                       engine=engine.value)
    finally:
        if progress is not None:
            progress.stop()
        if writer is not None:
            writer.close()
            if output:
                out_stream.close()
    if report is not None:
        from ..output.report import write_report

        with st.reading() as reader:
            docs = reader.load(list(dict.fromkeys(summary.doc_ids)))
            write_report(docs, report, summary.rejected, store=reader)
    pipeline.close()
    st.release()
    if not quiet:
        _print_summary(console, summary, st.path, report)
    return 2 if summary.rejected else 0


def _print_summary(console, summary, store_path: str, report: Path | None) -> None:
    from rich.table import Table

    table = Table(title="propwatch analyze", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("stories", str(summary.stories))
    table.add_row("  new", str(summary.new))
    table.add_row("  updated", str(summary.updated))
    table.add_row("  already stored", str(summary.unchanged))
    table.add_row("near-duplicates flagged", str(summary.near_duplicates))
    if summary.narratives:
        table.add_row("claims linked into narratives", str(summary.narratives.get("claims", 0)))
    table.add_row("rejected inputs", str(len(summary.rejected)))
    table.add_row("time", f"{summary.seconds:.2f} s")
    table.add_row("store", cell(store_path))
    if report is not None:
        table.add_row("report", cell(report / "index.html"))
    console.print(table)
    busy = {k: v for k, v in summary.stage_seconds.items() if v >= 0.01}
    if busy:
        console.print("time per stage: " + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(busy.items(), key=lambda kv: -kv[1])), highlight=False)
    if summary.rejected:
        reasons = Table(title="rejected", title_justify="left")
        for col in ("input", "line", "reason", "detail"):
            reasons.add_column(col, overflow="fold")
        for rej in summary.rejected[:50]:
            reasons.add_row(cell(rej.source), "" if rej.line is None else str(rej.line), cell(rej.kind), cell(rej.reason))
        if len(summary.rejected) > 50:
            reasons.add_row("…", "", "", f"{len(summary.rejected) - 50} more: `propwatch rejections`")
        console.print(reasons)


@app.command("list")
def list_stories(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    outlet: Annotated[Optional[str], typer.Option(help="Only stories from this outlet.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (0: all).")] = 0,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """List stored stories: id, outlet, language, published, title, flags."""

    from ..store.listing import StoryFilter

    with open_store(config, store, read_only=True) as st:
        summaries, _ = st.list_stories(StoryFilter(outlet=outlet or ""), limit=limit or None)
    rows = [{
        "id": s.id, "outlet": s.outlet, "language": s.language, "published": s.published,
        "title": s.title, "source": s.source, "story_index": s.story_index, "flags": list(s.flags),
    } for s in summaries]
    _print_rows(rows, fmt.value, ("id", "outlet", "language", "published", "title", "flags"))
    return 0


def _print_rows(rows: list[dict], fmt: str, columns: tuple[str, ...]) -> None:
    from ..output.writers import RecordWriter

    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for col in columns:
            if col in ("id", "stage"):
                table.add_column(col, no_wrap=True, min_width=16)
            else:
                table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*[cell(", ".join(map(str, v)) if isinstance(v, list) else v) for v in (row.get(c) for c in columns)])
        Console(highlight=False).print(table)
        return
    if fmt == "csv":
        import csv

        from ..output.writers import spreadsheet_safe

        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else list(columns), extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: spreadsheet_safe(";".join(map(str, v)) if isinstance(v, list) else v) for k, v in row.items()})
        return
    writer = RecordWriter(sys.stdout, fmt)
    for row in rows:
        writer.write(row)
    writer.close()


@app.command()
def show(
    doc_id: Annotated[str, typer.Argument(help="Story id (or a unique prefix of at least 4 characters).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Show one stored story with its layers."""
    from ..output.records import document_record

    with open_store(config, store, read_only=True) as st:
        doc = st.get(doc_id)
        sources = st.sources_of(doc.id)
    record = document_record(doc)
    if fmt == "json":
        print(json.dumps(record, ensure_ascii=False, indent=2))
        return 0
    if fmt != "text":
        raise typer.BadParameter("use text or json", param_hint="--format")
    from .render import render_story

    render_story(record, sources)
    return 0


@app.command()
def schema() -> int:
    """Print the JSON Schema of the output records."""
    from ..output.records import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.jsonl,
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o",
        help="File to write; a folder (ending with / or existing) gets one table per file (parquet, csv).")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Export every stored story: records as in `analyze --format`, typed Parquet, or flat CSV tables.

    `--format parquet --output stories.parquet` writes one row per story with a typed
    list column per layer; `--output DIR/` writes stories.parquet and one file per layer.
    `--format csv --output DIR/` writes stories.csv, quotes.csv, claims.csv, techniques.csv
    and debunk_matches.csv, one row per record, for a spreadsheet.
    """
    from ..output.parquet import export_csv_tables, export_parquet, is_folder
    from ..output.records import document_record
    from ..output.writers import RecordWriter

    cfg = load(config, store)
    layers = cfg.get("output.layers") or None
    from ..store import Store

    with Store.from_config(cfg, read_only=True) as st:
        if fmt is ExportFormat.parquet:
            if output is None:
                raise typer.BadParameter("parquet needs --output FILE or --output DIR/", param_hint="--output")
            n = export_parquet(st, output)
            print(f"wrote {n} stories to {output}", file=sys.stderr)
            return 0
        if fmt is ExportFormat.csv and output is not None and is_folder(output):
            counts = export_csv_tables(st, output)
            print(f"wrote {counts['stories']} stories to {Path(output) / 'stories.csv'}, "
                  + ", ".join(f"{n} {name}" for name, n in counts.items() if name != "stories"), file=sys.stderr)
            return 0
        stream = Path(output).open("w", encoding="utf-8", newline="") if output else sys.stdout
        writer = RecordWriter(stream, fmt.value)
        for doc in releasing(st, st.iter_documents()):
            writer.write(document_record(doc, layers))
        writer.close()
        if output:
            stream.close()
    return 0


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the HTML report.")] = Path("propwatch-report"),
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Write the HTML report for every stored story."""
    from ..output.report import write_report

    with open_store(config, store, read_only=True) as st:
        result = write_report(releasing(st, st.iter_documents()), out, st.rejections(), store=st)
    print(f"wrote {result.stories} stories to {result.index}", file=sys.stderr)
    return 0


@app.command()
def rejections(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """List the inputs that were rejected, with the reason."""
    with open_store(config, store, read_only=True) as st:
        rows = [{"source": r.source, "line": r.line, "kind": r.kind, "reason": r.reason} for r in st.rejections()]
    _print_rows(rows, fmt.value, ("source", "line", "kind", "reason"))
    return 0


@app.command("config")
def show_config(config: ConfigOpt = None, store: StoreOpt = None) -> int:
    """Print the merged configuration (defaults + propwatch.toml) as JSON."""
    cfg = load(config, store)
    print(json.dumps({"origin": cfg.origin, **cfg.data}, indent=2, default=str))
    return 0


@app.command()
def stages(fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table) -> int:
    """List the registered stages with what they require and assign, and the languages they analyse."""
    from ..registry import stages as registry

    rows = []
    for ref in registry.names():
        cls = registry.get(ref)
        langs = cls.languages
        rows.append({
            "stage": ref, "kind": cls.kind, "requires": list(cls.requires), "assigns": list(cls.assigns),
            "languages": "any" if langs is None else list(langs),
            "settings": sorted(getattr(cls, "defaults", {})),
        })
    _print_rows(rows, fmt.value, ("stage", "kind", "requires", "assigns", "languages", "settings"))
    return 0


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (any form: 127.0.0.1, ::1, 127.1, 0.0.0.0, a name); "
                                           "pages open without a login only on loopback.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8765,
    token: Annotated[Optional[str], typer.Option(envvar="PROPWATCH_API_TOKEN",
                                                 help="Analyst token (default: a new random one, printed).")] = None,
    read_token: Annotated[Optional[str], typer.Option(envvar="PROPWATCH_READ_TOKEN",
                                                      help="Token of the read-only reader role.")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Everyone reads only: no analyze, no corrections.")] = False,
    login: Annotated[bool, typer.Option("--login", help="Ask for a login on loopback too.")] = False,
    allow_host: Annotated[Optional[list[str]], typer.Option(help="Another Host name the server answers to (repeatable).")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Serve the web workbench and the HTTP API over the store."""
    from ..store import Store
    from ..web import ServeOptions, create_app
    from ..web.auth import Tokens, new_token
    from ..web.serving import allowed_hosts, is_loopback, run

    cfg = load(config, store)
    # opened per request and released after it: CLI commands and `analyze` share the file meanwhile
    st = Store.from_config(cfg, read_only=read_only)
    token = token or new_token()
    tokens = Tokens(token, read_token or None, open=is_loopback(host) and not login, read_only=read_only)
    options = ServeOptions(host=host, port=port, tokens=tokens, allowed_hosts=allowed_hosts(host, tuple(allow_host or ())))
    app = create_app(cfg, options, store=st)

    def announce(url: str) -> None:
        print(f"propwatch workbench on {url}  (store {st.path})", file=sys.stderr)
        print(f"API token: {token}", file=sys.stderr, flush=True)

    try:
        run(app, options, announce)
    except KeyboardInterrupt:
        pass
    finally:
        app.state.web.close()
    return 0
