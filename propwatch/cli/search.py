"""The search command: the workbench's search from the terminal."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ._safe import cell
from .app import app
from .core import ConfigOpt, ListFormat, StoreOpt, _print_rows, open_store


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", prefix*, a OR b, -without (empty: every story).')] = "",
    outlet: Annotated[Optional[list[str]], typer.Option(help="Only this outlet (repeatable: any of them).")] = None,
    language: Annotated[Optional[list[str]], typer.Option(help="Only this language code (repeatable).")] = None,
    technique: Annotated[Optional[list[str]], typer.Option(help='Only stories with this technique ("doubt", "Name calling").')] = None,
    risk: Annotated[Optional[list[str]], typer.Option(help="Only this risk band: high, medium, low, not assessed.")] = None,
    narrative: Annotated[Optional[list[str]], typer.Option(help="Only stories carrying this narrative id.")] = None,
    entity: Annotated[Optional[list[str]], typer.Option(help="Only stories mentioning this entity id.")] = None,
    debunked: Annotated[Optional[str], typer.Option(help="yes: only stories carrying a debunked claim; no: none.")] = None,
    date_from: Annotated[Optional[str], typer.Option("--from", help="Published on or after (YYYY, YYYY-MM, YYYY-MM-DD).")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="Published on or before.")] = None,
    sort: Annotated[str, typer.Option(help="relevance (with words), date, risk or title.")] = "",
    limit: Annotated[int, typer.Option(help="Stories to show.")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    facets: Annotated[bool, typer.Option("--facets", help="Also print the facet counts.")] = False,
    reindex: Annotated[bool, typer.Option("--reindex", help="Rebuild the search index from the store first.")] = False,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Search stories: full-text words, filters by outlet, technique, risk, narrative, entity and date."""
    from ..search import search as run, selection_from
    from ..search.index import SearchIndex, index_path

    params = {"outlet": outlet or [], "language": language or [], "technique": technique or [], "risk": risk or [],
              "narrative": narrative or [], "entity": entity or [], "debunked": [debunked] if debunked else [],
              "from": [date_from] if date_from else [], "to": [date_to] if date_to else []}
    if limit < 1 or offset < 0:
        raise typer.BadParameter("--limit must be 1 or more and --offset 0 or more")
    with open_store(config, store, read_only=True) as st:
        with SearchIndex(index_path(st.path)) as index:
            if reindex:
                report = index.sync(st.con, rebuild=True)
                print(f"search index rebuilt: {report.added} stories in {report.seconds:.1f} s", file=sys.stderr)
            result = run(st, query, selection_from(params), sort, limit, offset, with_facets=True, index=index)
    rows = [{"id": h.id, "outlet": h.outlet, "published": h.published, "risk": h.risk_band,
             "score": None if h.risk_score is None else round(h.risk_score, 2),
             "why": h.risk_reason if fmt is not ListFormat.table or len(h.risk_reason) <= 70 else h.risk_reason[:69] + "…",
             "techniques": h.techniques, "debunked": h.debunked, "title": h.title,
             "language": h.language} for h in result.hits]
    shown = f"{result.offset + 1}-{result.offset + len(rows)}" if rows else "none"
    print(f"{result.total} stories match; showing {shown}", file=sys.stderr)
    _print_rows(rows, fmt.value, ("id", "outlet", "published", "risk", "why", "techniques", "debunked", "title"))
    if facets:
        for name, values in result.facets.items():
            if values:
                counts = "; ".join(f"{cell(v.label if len(v.label) <= 60 else v.label[:59] + '…')} {v.count}" for v in values)
                print(f"{name}: {counts}")
    return 0
