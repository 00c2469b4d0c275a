"""Debunk and stance commands: ``debunks import``, ``debunks search``, ``debunks list``, ``stance``."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._safe import cell, visible
from .app import app
from .core import ConfigOpt, StoreOpt, open_store

debunks_app = typer.Typer(help="Debunk databases: import checked claims, search them.", no_args_is_help=True)
app.add_typer(debunks_app, name="debunks")


class ImportFormat(str, Enum):
    auto = "auto"
    euvsdisinfo = "euvsdisinfo"
    claimreview = "claimreview"
    csv = "csv"


class SearchFormat(str, Enum):
    jsonl = "jsonl"
    trec = "trec"
    table = "table"


class EmbedderChoice(str, Enum):
    auto = "auto"
    claims = "claims"
    backend = "backend"
    hash = "hash"


class PairFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    table = "table"


@debunks_app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="EUvsDisinfo CSV export, ClaimReview JSON/JSON-LD/JSONL, or CSV with a 'claim' column.")],
    fmt: Annotated[ImportFormat, typer.Option("--format", "-f", help="Input format (default: sniffed).")] = ImportFormat.auto,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Import debunks into the store; re-importing a file adds nothing, and a case already
    stored from another export is merged (one entry). Rejected rows are summarised (count,
    kinds, first lines); exit 0 when the file gave what it could, 2 when every row was rejected."""
    from ..debunks.db import SHOWN_REJECTIONS, DebunkDB

    failed = False
    with open_store(config, store) as st:
        db = DebunkDB(st)
        for path in files:
            report = db.import_file(path, None if fmt is ImportFormat.auto else fmt.value)
            for rej in report.rejected[:SHOWN_REJECTIONS]:
                print(f"rejected: {visible(str(rej))}", file=sys.stderr)
            if len(report.rejected) > SHOWN_REJECTIONS:
                print(f"rejected: ... and {len(report.rejected) - SHOWN_REJECTIONS} more "
                      "(all of them are in the store's rejections table)", file=sys.stderr)
            print(("imported " if report.ok else "not imported: ") + report.summary(), file=sys.stderr)
            summary = report.to_dict()
            summary.pop("rejections")
            summary["total_in_store"] = db.count()
            print(json.dumps(summary, ensure_ascii=False))
            failed = failed or not report.ok
    return 2 if failed else 0


def read_queries(path: Path) -> list[tuple[str, str]]:
    """``id<TAB>text`` lines (blank lines skipped); a line without a tab is an error."""
    from ..errors import InputError

    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise InputError(str(path), "expected id<TAB>text", kind="bad-tsv", line=n)
        qid, text = line.split("\t", 1)
        out.append((qid.strip(), text.strip()))
    return out


@debunks_app.command()
def search(
    text: Annotated[Optional[str], typer.Argument(help="A claim to look up.")] = None,
    queries: Annotated[Optional[Path], typer.Option("--queries", "-q", help="TSV file: id<TAB>text per line.")] = None,
    k: Annotated[int, typer.Option("--top", "-k", help="Matches per query.")] = 10,
    fmt: Annotated[SearchFormat, typer.Option("--format", "-f", help="jsonl, trec (qid Q0 docid rank score tag) or table.")] = SearchFormat.jsonl,
    tag: Annotated[str, typer.Option(help="Run tag in TREC output.")] = "propwatch",
    embedder: Annotated[EmbedderChoice, typer.Option(help="Dense part: auto (the claim matcher if installed), claims (the claim matcher), backend (plain MiniLM), or the hashing fake.")] = EmbedderChoice.auto,
    min_score: Annotated[Optional[float], typer.Option(help="Drop matches below this fused score.")] = None,
    cross_encoder: Annotated[bool, typer.Option(help="Re-read the top candidates with the claim cross-encoder (when installed); slower, better ranked on CLEF-2020.")] = True,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Rank the imported debunks against one claim or a file of claims."""
    from ..debunks.db import DebunkDB
    from ..debunks.search import DebunkIndex
    from ..embeddings import get_embedder
    from ..errors import ConfigError

    if (text is None) == (queries is None):
        raise ConfigError("give either TEXT or --queries FILE.tsv")
    items = [("q1", text)] if text is not None else read_queries(queries)
    with open_store(config, store) as st:
        index = DebunkIndex.from_db(DebunkDB(st), embedder=get_embedder(embedder.value),
                                    cross_encoder="auto" if cross_encoder else None)
    results = index.search_many([t for _, t in items], k=k, min_score=min_score)
    if fmt is SearchFormat.table:
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for col in ("query", "rank", "score", "case", "date", "claim", "outlets", "url"):
            table.add_column(col, overflow="fold")
        for (qid, _), matches in zip(items, results):
            for m in matches:
                d = m.debunk
                table.add_row(cell(qid), str(m.rank), f"{m.score:.3f}", cell(d.case_id or d.id), cell(d.date), cell(d.claim),
                              cell(", ".join(d.outlets) or d.claimant), cell(d.url))
        Console().print(table)
        return 0
    for (qid, _), matches in zip(items, results):
        for m in matches:
            if fmt is SearchFormat.trec:
                print(f"{qid} Q0 {m.debunk.id} {m.rank} {m.score:.6f} {tag}")
            else:
                print(json.dumps({"query_id": qid, "match": index.is_match(m), **m.to_dict(), **case_fields(m.debunk)},
                                 ensure_ascii=False))
    return 0


def case_fields(d) -> dict:
    """The database's own reference of a debunk: case id, link, date, outlets, countries, languages."""
    return {"case_id": d.case_id, "case_url": d.url, "case_date": d.date, "case_outlets": list(d.outlets),
            "case_countries": list(d.countries), "case_languages": list(d.languages)}


@debunks_app.command("list")
def list_debunks(
    limit: Annotated[int, typer.Option(help="At most this many (0: all).")] = 20,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Imported debunks as JSONL (id, claim, verdict, database) and the imports made."""
    from ..debunks.db import DebunkDB

    with open_store(config, store) as st:
        db = DebunkDB(st)
        for n, d in enumerate(db.all()):
            if limit and n >= limit:
                break
            print(json.dumps({"id": d.id, "claim": d.claim, "verdict": d.verdict, "database": d.database, "url": d.url,
                              **case_fields(d)}, ensure_ascii=False))
    return 0


@app.command()
def stance(
    pairs: Annotated[Path, typer.Option("--pairs", "-p", help="CSV with columns claim, text, optional id.")],
    fmt: Annotated[PairFormat, typer.Option("--format", "-f")] = PairFormat.jsonl,
) -> int:
    """Does each text support, deny, discuss a claim, or is it unrelated? One label and its scores per row."""
    from ..errors import InputError
    from ..debunks.stance import StanceModel

    with pairs.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().casefold() for f in reader.fieldnames or []}
        if not {"claim", "text"} <= fields:
            raise InputError(str(pairs), "needs columns 'claim' and 'text'", kind="no-text-column")
        rows = [{k.strip().casefold(): v for k, v in r.items()} for r in reader]
    model = StanceModel.load()
    results = model.predict([(r["claim"] or "", r["text"] or "") for r in rows])
    out_rows = [
        {"id": r.get("id") or str(n), "label": res.label, "stance": res.stance, **{f"p_{k}": round(v, 4) for k, v in res.scores.items()}}
        for n, (r, res) in enumerate(zip(rows, results), 1)
    ]
    if fmt is PairFormat.jsonl:
        for row in out_rows:
            print(json.dumps(row, ensure_ascii=False))
    elif fmt is PairFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(out_rows[0]) if out_rows else ["id", "label"])
        writer.writeheader()
        from ..output.writers import spreadsheet_safe

        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in out_rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for col in (out_rows[0] if out_rows else {"id": 0, "label": 0}):
            table.add_column(col)
        for row in out_rows:
            table.add_row(*[cell(v) for v in row.values()])
        Console().print(table)
    return 0
