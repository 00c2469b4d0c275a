"""Who-commands: canonical entities and quotes across the store."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .app import app
from .core import ConfigOpt, ListFormat, StoreOpt, _print_rows, open_store


@app.command()
def entities(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    label: Annotated[Optional[str], typer.Option(help="Only this label: PERSON, ORG, GPE, LOC, NORP, FAC.")] = None,
    outlet: Annotated[Optional[str], typer.Option(help="Only mentions in stories from this outlet.")] = None,
    min_mentions: Annotated[int, typer.Option(help="Only entities mentioned at least this often.")] = 1,
    limit: Annotated[int, typer.Option(help="At most this many rows (0: all).")] = 0,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """List canonical entities across the store with mention counts per outlet."""
    with open_store(config, store, read_only=True) as st:
        rows = st.entity_rows(label=label, outlet=outlet, min_mentions=min_mentions, limit=limit or None)
    _print_rows(rows, fmt.value, ("entity_id", "name", "label", "mentions", "stories", "outlets", "names"))
    return 0


@app.command()
def quotes(
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    kind: Annotated[Optional[str], typer.Option(help="Only this speaker kind: person, organization, media, document, anonymous, unknown.")] = None,
    speaker: Annotated[Optional[str], typer.Option(help="Only speakers whose name or entity id contains this.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (0: all).")] = 0,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """List stored quotes with their speakers."""
    with open_store(config, store, read_only=True) as st:
        rows = st.quote_rows(kind=kind, speaker=speaker, limit=limit or None)
    _print_rows(rows, fmt.value, ("id", "outlet", "speaker", "kind", "cue", "direct", "text"))
    return 0
