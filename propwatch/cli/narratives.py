"""Claims and narratives commands: narratives, narrative, checkworthiness."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._safe import cell
from .app import app
from .core import ConfigOpt, ListFormat, StoreOpt, _print_rows, load, open_store


class ScoreFormat(str, Enum):
    tsv = "tsv"
    jsonl = "jsonl"


def _link_params(config: Path | None, store: Path | None):
    from ..narratives.service import link_settings

    return link_settings(load(config, store))


@app.command()
def narratives(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    min_stories: Annotated[int, typer.Option(help="Only narratives carried by at least this many stories.")] = 2,
    limit: Annotated[int, typer.Option(help="At most this many (0: all).")] = 0,
    update: Annotated[bool, typer.Option("--update/--no-update", help="Link the claims of stories not linked yet first.")] = True,
    rebuild: Annotated[bool, typer.Option(help="Forget all links and relink the whole store.")] = False,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """List narratives: one claim carried across stories, with outlets, sources and dates."""
    from ..narratives import list_narratives, update_narratives

    with open_store(config, store, read_only=not (update or rebuild)) as st:
        if update or rebuild:
            params, embedder = _link_params(config, store)
            update_narratives(st, embedder=embedder, params=params, rebuild=rebuild)
        found = list_narratives(st, min_stories=min_stories, limit=limit or None)
    rows = []
    for n in found:
        row = n.to_dict(with_claims=False)
        row.update(outlets=list(n.outlets), sources=list(n.sources), entities=list(n.entities),
                   carried_first=list(n.carried_first), followers=list(n.followers))
        rows.append(row)
    if fmt.value == "table":
        for row in rows:
            row["stories"] = str(row["n_stories"])
            row["seen"] = _seen(row["first_seen"], row["last_seen"])
            row["first"] = ", ".join(row["carried_first"]) or "-"
        _print_rows(rows, "table", ("id", "stories", "outlets", "seen", "first", "label"))
        return 0
    _print_rows(rows, fmt.value, ("id", "label", "n_claims", "n_stories", "outlets", "sources", "first_seen", "last_seen",
                                  "carried_first", "followers"))
    return 0


@app.command()
def narrative(
    narrative_id: Annotated[str, typer.Argument(help="Narrative id (or a unique prefix).")],
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Show one narrative's claims with their outlets, dates and sources."""
    from ..narratives import get_narrative
    from ..narratives.service import narrative_stance

    with open_store(config, store, read_only=True) as st:
        n = get_narrative(st, narrative_id)
        stance = narrative_stance(st, n)
    if fmt.value in ("json", "jsonl"):
        data = dict(n.to_dict(), stance_by_outlet=stance)
        print(json.dumps(data, ensure_ascii=False, indent=2 if fmt.value == "json" else None))
        return 0
    rows = [
        {"published": c.published, "outlet": c.outlet, "attributed_to": c.attributed_to, "claim": c.text,
         "doc_id": c.doc_id, "score": c.score, "checkworthiness": c.checkworthiness}
        for c in n.claims
    ]
    if fmt.value == "table":
        from rich.console import Console

        out = Console(highlight=False)
        out.print(cell(n.id, style="bold") + cell("  ") + cell(n.label), highlight=False)
        dated = n.first_seen or n.last_seen
        out.print(cell(f"{n.n_stories} stories, {len(n.outlets)} outlets: {', '.join(n.outlets)}; "
                       + (f"seen {_seen(n.first_seen, n.last_seen)}" if dated else "undated"), limit=0))
        if n.sources:
            out.print(cell("cited: " + "; ".join(n.sources), limit=0))
        for line in timeline_lines(n):
            out.print(cell(line, limit=0))
        for row in stance:
            out.print(cell(f"  {row['outlet']}: supports {row['supports']}, denies {row['denies']}, "
                           f"discusses {row['discusses']}", limit=0))
        _print_rows(rows, "table", ("published", "outlet", "attributed_to", "claim"))
        return 0
    _print_rows(rows, fmt.value, tuple(rows[0]) if rows else ("claim",))
    return 0


@app.command()
def checkworthiness(
    file: Annotated[Path, typer.Argument(help="Text file (one sentence per line; '-' for stdin), or CSV/TSV with --column.")],
    column: Annotated[Optional[str], typer.Option(help="Score this column of a CSV/TSV file (by header name).")] = None,
    fmt: Annotated[ScoreFormat, typer.Option("--format", "-f")] = ScoreFormat.tsv,
    backend: Annotated[str, typer.Option(help="Check-worthiness backend.")] = "checkworthiness_onnx",
) -> int:
    """Score sentences for check-worthiness: prints score<TAB>sentence (or JSONL)."""
    from ..errors import InputError
    from ..registry import backends

    if str(file) == "-":
        text = sys.stdin.read()
    elif not file.is_file():
        raise InputError(str(file), "no such file", kind="unreadable")
    else:
        text = file.read_text("utf-8", errors="replace")
    if column:
        dialect = "excel-tab" if str(file).endswith((".tsv", ".tab")) or ("\t" in text.split("\n", 1)[0]) else "excel"
        reader = csv.DictReader(text.splitlines(), dialect=dialect)
        if column not in (reader.fieldnames or []):
            raise InputError(str(file), f"no column {column!r}; columns: {', '.join(reader.fieldnames or [])}", kind="no-text-column")
        sentences = [(row.get(column) or "").strip() for row in reader]
    else:
        sentences = [line.strip() for line in text.splitlines()]
    sentences = [s for s in sentences if s]
    scorer = backends.get(backend)()
    scores = scorer.score(sentences) if sentences else []
    for s, score in zip(sentences, scores):
        if fmt.value == "jsonl":
            print(json.dumps({"score": round(float(score), 4), "sentence": s}, ensure_ascii=False))
        else:
            print(f"{float(score):.4f}\t{s}")
    return 0


def timeline_lines(n) -> list[str]:
    """A narrative's timeline as text: who carried it first, who followed (days later), per day."""
    if not n.first_seen:
        return [f"timeline: undated ({n.n_stories} stories without a date)"]
    out = [f"first seen {n.first_seen} by {', '.join(n.carried_first)}"]
    later = [o for o in n.per_outlet if o.first_seen and o.first_seen != n.first_seen]
    if later:
        out.append("followed by " + "; ".join(f"{o.outlet} {o.first_seen} (+{o.days_after_first} d)" for o in later))
    undated = [o.outlet for o in n.per_outlet if not o.first_seen]
    if undated:
        out.append("undated: " + ", ".join(undated))
    out.append("per day: " + ", ".join(f"{day} {count}" for day, count in n.per_day))
    return out


def _seen(first: str | None, last: str | None) -> str:
    """First and last day a narrative was seen; "undated" when none of its stories has a date."""
    if not first and not last:
        return "undated"
    return first if first == last else f"{first or '?'} .. {last or '?'}"
