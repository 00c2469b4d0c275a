"""Terminal rendering of one story record (``propwatch show``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ._safe import cell, masked

_STYLES = ["on dark_red", "on dark_green", "on dark_blue", "on purple4", "on dark_orange3", "on deep_pink4", "on dark_cyan", "on grey37"]


def render_story(record: dict[str, Any], sources: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold")
    meta.add_column()
    info = record.get("outlet_info") or {}
    outlet = record.get("outlet") or "unknown"
    if info:
        outlet += f"  [{info.get('country', '')}{' · ' + info['affiliation'] if info.get('affiliation') else ''}]"
    rows = [
        ("id", record["id"] + (f"  (input id {record['external_id']})" if record.get("external_id") else "")),
        ("outlet", outlet + (f"  ({record['outlet_evidence']})" if record.get("outlet_evidence") else "")),
        ("published", record.get("published") or "unknown"),
        ("language", f"{record['language']} ({record['language_score']:.2f})"),
        ("source", f"{record['source']}" + (f" · {record['source_record']}" if record.get("source_record") else "") + f" · story {record['story_index'] + 1}"),
        ("flags", ", ".join(record.get("flags") or []) or "none"),
    ]
    if record.get("input_fields"):
        rows.append(("input fields", json.dumps(record["input_fields"], ensure_ascii=False, sort_keys=True)[:500]))
    if len(sources) > 1:
        rows.append(("also in", "; ".join(s["source"] for s in sources[1:])))
    for key, value in rows:
        meta.add_row(key, cell(value))
    console.print(Panel(meta, title=cell(record.get("title") or "(untitled)", style="bold"), title_align="left"))
    skipped = [c.get("layer", "") for c in record.get("coverage") or []]
    if skipped:
        console.print(Text(f"not analysed (language {record.get('language') or 'und'}): {', '.join(skipped)}", style="bold yellow"))
    for a in record.get("assessment") or []:
        style = {"high": "bold red", "medium": "bold yellow", "not assessed": "bold yellow"}.get(a.get("label"), "bold green")
        score = a.get("score")
        console.print(Text(f"risk {score:.2f} ({a.get('label', '?')})" if score is not None
                           else f"risk: {a.get('label') or 'not assessed'}", style=style))
        if a.get("note"):
            console.print(Text(f"  {a['note']}", style="dim"))
        for reason in a.get("reasons") or []:
            console.print(cell(f"  {reason.get('weight', 0.0):+.2f}  {reason.get('detail', '')}"))
            for e in (reason.get("evidence") or [])[:2]:
                console.print(cell(f"         “{e.get('text', '')}”", style="dim"))

    matches = record.get("debunk_matches") or []
    for relation, heading in (("match", "known debunked claims (the same claim)"),
                              ("related", "related debunked claims (weaker: not the same claim, never counted)")):
        picked = [m for m in matches if (m.get("relation") or "match") == relation]
        if picked:
            console.print(Text(heading, style="bold red" if relation == "match" else "dim"))
            for m in picked:
                console.print(cell(debunk_line(m), limit=0, style="" if relation == "match" else "dim"))

    text = Text(masked(record["text"]))  # unsafe characters masked one for one: the span offsets hold
    techniques = record.get("techniques") or []
    names = sorted({t["technique"] for t in techniques})
    style_of = {name: _STYLES[i % len(_STYLES)] for i, name in enumerate(names)}
    for q in record.get("quotes") or []:
        text.stylize("underline", q["start"], q["end"])
    for t in techniques:
        text.stylize(style_of[t["technique"]], t["start"], t["end"])
    for m in matches:
        if (m.get("relation") or "match") == "match":
            text.stylize("bold red", m["start"], m["end"])
    console.print(text)
    console.print()
    if techniques:
        counts = Counter(t["technique"] for t in techniques)
        legend = Text("techniques: ")
        for name, n in counts.most_common():
            legend.append(f" {name} ×{n} ", style=style_of[name])
            legend.append(" ")
        console.print(legend)
    layers = Table(title="layers", title_justify="left", show_header=True)
    layers.add_column("layer")
    layers.add_column("records", justify="right")
    for key, value in record.items():
        if isinstance(value, list) and key not in ("flags", "credits", "cleaning", "coverage"):
            layers.add_row(key, "not analysed" if key in skipped else str(len(value)))
    console.print(layers)
    steps = ", ".join(step["op"] for step in record.get("cleaning", []))
    console.print(Text(f"cleaning: {steps}", style="dim"))


def debunk_line(m: dict[str, Any]) -> str:
    """One debunk match as the analyst cites it: the case id and link, date, outlets, the claims."""
    case = m.get("case_id") or m.get("debunk_id", "")
    where = "; ".join(x for x in (
        m.get("case_date") or "",
        ", ".join(m.get("case_outlets") or ()),
        ", ".join(m.get("case_countries") or ()),
        ", ".join(m.get("case_languages") or ()),
    ) if x)
    return (f"  {m.get('database') or 'debunk'} case {case}" + (f"  {m['url']}" if m.get("url") else "  (no case link in the export)")
            + (f"\n    [{where}]" if where else "")
            + f"\n    story: {m.get('text', '')}\n    debunked claim: {m.get('debunk_claim', '')}"
            + (f"\n    score {float(m['score']):.2f}" if m.get("score") is not None else ""))
