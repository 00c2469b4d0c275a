"""The report's narratives page: each narrative with its outlets, sources, timeline and claims."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

STANCE_LABELS = ("supports", "denies", "discusses", "unrelated")


def timeline_svg(per_day: list[dict[str, Any]], width: int = 640, height: int = 70) -> Markup:
    """Bars of claims per day between the first and last day (an inline SVG, no script)."""
    days = sorted((date.fromisoformat(d["day"]), int(d["count"])) for d in per_day if d.get("day"))
    if not days:
        return Markup("")
    first, last = days[0][0], days[-1][0]
    span = max(1, (last - first).days + 1)
    counts = dict(days)
    top = max(counts.values())
    bar = max(2.0, width / span - 1)
    parts = [f'<svg width="{width}" height="{height + 16}" role="img" aria-label="claims per day">']
    for offset in range(span):
        day = first + timedelta(days=offset)
        n = counts.get(day, 0)
        if not n:
            continue
        h = max(2.0, (height - 4) * n / top)
        x = offset * width / span
        parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}"><title>{day}: {n}</title></rect>')
    parts.append(f'<text x="0" y="{height + 12}">{escape(str(first))}</text>')
    if last != first:
        parts.append(f'<text x="{width}" y="{height + 12}" text-anchor="end">{escape(str(last))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def carriers_table(n: dict[str, Any]) -> Markup:
    """Who carried the narrative first and who followed: one row per outlet, in the order the
    outlets took it up (first day, days after the narrative's first day, stories); escaped."""
    rows = n.get("per_outlet") or []
    if not rows:
        return Markup("")
    first = set(n.get("carried_first") or ())
    parts = ['<table class="carriers"><thead><tr><th>outlet</th><th>first carried</th><th>days after first</th>'
             "<th>stories</th><th></th></tr></thead><tbody>"]
    for o in rows:
        after = "" if o.get("days_after_first") is None else f"+{int(o['days_after_first'])}"
        role = "first" if o["outlet"] in first else ("followed" if o.get("first_seen") else "undated")
        parts.append(f"<tr><td>{escape(o['outlet'])}</td><td>{escape(o.get('first_seen') or 'undated')}</td>"
                     f"<td>{escape(after)}</td><td>{int(o['n_stories'])}</td><td>{escape(role)}</td></tr>")
    parts.append("</tbody></table>")
    return Markup("".join(parts))


def narratives_context(store: Any) -> list[dict[str, Any]]:
    from ..narratives.service import get_narrative, narrative_report_data, narrative_stance

    from ..debunks.stance import StanceModel

    data = narrative_report_data(store)
    model = StanceModel.load() if data else None  # once for every narrative of the page
    for n in data:
        n["timeline"] = timeline_svg(n.get("per_day", [])) + carriers_table(n)
        n["stance"] = {
            row["outlet"]: {label: row.get(label, 0) for label in STANCE_LABELS}
            for row in narrative_stance(store, get_narrative(store, n["id"]), model=model)
        }
    return data


def write_narratives_page(store: Any, out: Path, base: dict[str, Any]) -> dict[str, str] | None:
    from ..narratives.service import _has_tables

    if not _has_tables(store):
        return None
    env = base["env"]
    context = {k: v for k, v in base.items() if k != "env"}
    html = env.get_template("narratives.html").render(
        root="", **context, narratives=narratives_context(store), stance_labels=STANCE_LABELS,
    )
    (out / "narratives.html").write_text(html, "utf-8")
    return {"href": "narratives.html", "label": "Narratives"}
