"""Charts of the workbench, drawn on the server as inline SVG (no script, no remote library).

:func:`time_chart` draws counts over time (stories per day per outlet, an
entity's mentions): stacked bars, one colour per series, on a date axis
whose bins grow from days to weeks to months with the span, a count axis
with round ticks and grid lines, and a legend. :func:`rate_chart` draws
one bar per row against a reference mark (an outlet's technique rate
against the corpus average). Every tick has one label and every label a
tick; every bar has a ``<title>`` with its exact value. Text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

# one colour per series, in legend order; chosen to stay apart for the common colour blindnesses
PALETTE = ("#3366aa", "#ee8833", "#229977", "#cc4466", "#8866bb", "#999933", "#55aadd", "#aa6633", "#666666")
OTHER = "other"
MAX_SERIES = len(PALETTE)  # more series are summed under "other" (the last colour)
FONT = 'font-family="sans-serif" font-size="11"'


@dataclass(frozen=True)
class Bins:
    """How a date axis is cut: ``unit`` day | week | month, and the bins' first days."""

    unit: str
    starts: tuple[date, ...]

    def index(self, day: date) -> int:
        """The bin that holds ``day``."""
        return _bisect(self.starts, day)

    def label(self, start: date) -> str:
        return start.strftime("%Y-%m") if self.unit == "month" else start.isoformat()


def _bisect(starts: Sequence[date], day: date) -> int:
    lo, hi = 0, len(starts)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if starts[mid] <= day:
            lo = mid
        else:
            hi = mid
    return lo


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def date_bins(first: date, last: date, max_days: int = 92, max_weeks: int = 104) -> Bins:
    """Day bins for a span up to ``max_days`` days, weeks (from Monday) up to ``max_weeks``, months beyond."""
    span = (last - first).days + 1
    if span <= max_days:
        return Bins("day", tuple(first + timedelta(days=i) for i in range(span)))
    if span <= 7 * max_weeks:
        start = first - timedelta(days=first.weekday())
        return Bins("week", tuple(start + timedelta(weeks=i) for i in range((last - start).days // 7 + 1)))
    starts, day = [], date(first.year, first.month, 1)
    while day <= last:
        starts.append(day)
        day = _month_after(day)
    return Bins("month", tuple(starts))


def nice_ticks(top: float, most: int = 5) -> list[float]:
    """Round tick values from 0 covering ``top``: steps of 1, 2 or 5 times a power of ten, at most
    ``most`` steps (whole steps when ``top`` is 1 or more, so counts get whole ticks)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if top >= 1:
        step = max(step, 1.0)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def _x_ticks(bins: Bins, most: int = 8) -> list[int]:
    """Indices of the bins that get a tick: every k-th bin, k chosen from round steps so at most
    ``most`` ticks fall on the axis (weeks of days, quarters and years of months)."""
    steps = {"day": (1, 2, 7, 14, 28), "week": (1, 2, 4, 8, 13, 26, 52), "month": (1, 3, 6, 12, 24, 60, 120)}[bins.unit]
    n = len(bins.starts)
    step = next((s for s in steps if math.ceil(n / s) <= most), math.ceil(n / most))
    return list(range(0, n, step))


def _top_series(series: Mapping[str, Mapping[str, int]]) -> list[tuple[str, dict[str, int]]]:
    """Series by total (largest first); past :data:`MAX_SERIES`, the rest summed as "other"."""
    ranked = sorted(series.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    if len(ranked) <= MAX_SERIES:
        return [(name, dict(counts)) for name, counts in ranked]
    head = [(name, dict(counts)) for name, counts in ranked[:MAX_SERIES - 1]]
    rest: dict[str, int] = {}
    for _, counts in ranked[MAX_SERIES - 1:]:
        for day, n in counts.items():
            rest[day] = rest.get(day, 0) + n
    return head + [(OTHER, rest)]


def _days(counts: Mapping[str, int]) -> dict[date, int]:
    out: dict[date, int] = {}
    for day, n in counts.items():
        try:
            d = date.fromisoformat(str(day)[:10])
        except ValueError:
            continue  # an undated or malformed day is not drawn; callers report undated counts
        out[d] = out.get(d, 0) + int(n)
    return out


def time_chart(series: Mapping[str, Mapping[str, int]], label: str, unit: str = "stories",
               width: int = 760, height: int = 260) -> Markup:
    """Stacked bars of counts per day (``series``: name -> {YYYY-MM-DD: n}) on a date axis.

    ``label`` names the chart for screen readers; ``unit`` is what is counted ("stories",
    "mentions"). Empty when nothing is dated."""
    parsed = [(name, _days(counts)) for name, counts in _top_series(series)]
    parsed = [(name, counts) for name, counts in parsed if counts]
    if not parsed:
        return Markup("")
    days = sorted({d for _, counts in parsed for d in counts})
    bins = date_bins(days[0], days[-1])
    stacks = [[0] * len(bins.starts) for _ in parsed]
    for k, (_, counts) in enumerate(parsed):
        for d, n in counts.items():
            stacks[k][bins.index(d)] += n
    totals = [sum(col) for col in zip(*stacks)]
    ticks = nice_ticks(max(totals))
    legend_rows = math.ceil(len(parsed) / 4)
    left, right, top, bottom = 48, 12, 12, 44 + 18 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    y_of = lambda v: top + plot_h - plot_h * v / ticks[-1]  # noqa: E731
    slot = plot_w / len(bins.starts)
    bar = max(1.0, slot * 0.8)
    per = {"day": "per day", "week": "per week", "month": "per month"}[bins.unit]
    out = [f'<svg class="chart time-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
           f"<title>{escape(label)}</title>"]
    for value in ticks:  # count axis: grid line, tick and label at each round value
        y = y_of(value)
        out.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<line class="tick y-tick" x1="{left - 4}" x2="{left}" y1="{y:.1f}" y2="{y:.1f}" stroke="#333"/>')
        out.append(f'<text class="y-label" x="{left - 7}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{_number(value)}</text>')
    out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" transform="rotate(-90 12 {top + plot_h / 2:.1f})" '
               f'text-anchor="middle" {FONT}>{escape(unit)} {per}</text>')
    for i, start in enumerate(bins.starts):
        base = 0
        x = left + i * slot + (slot - bar) / 2
        for k, (name, _) in enumerate(parsed):
            n = stacks[k][i]
            if not n:
                continue
            y0, y1 = y_of(base), y_of(base + n)
            colour = PALETTE[min(k, len(PALETTE) - 1)]
            out.append(f'<rect class="bar" x="{x:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{y0 - y1:.1f}" fill="{colour}">'
                       f"<title>{escape(name)}, {escape(bins.label(start))}: {n} {escape(unit)}</title></rect>")
            base += n
    axis_y = top + plot_h
    out.append(f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="#333"/>')
    out.append(f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{axis_y}" stroke="#333"/>')
    for i in _x_ticks(bins):  # date axis: a tick and one label at the start of every k-th bin
        x = left + i * slot + slot / 2
        out.append(f'<line class="tick x-tick" x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 5}" stroke="#333"/>')
        out.append(f'<text class="x-label" x="{x:.1f}" y="{axis_y + 17}" text-anchor="middle" {FONT}>'
                   f"{escape(bins.label(bins.starts[i]))}</text>")
    for k, (name, counts) in enumerate(parsed):  # legend: four series a row
        lx, ly = left + (k % 4) * (plot_w / 4), axis_y + 32 + 18 * (k // 4)
        colour = PALETTE[min(k, len(PALETTE) - 1)]
        out.append(f'<rect x="{lx:.1f}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>')
        name_text = name if len(name) <= 28 else name[:27] + "…"
        out.append(f'<text class="legend" x="{lx + 14:.1f}" y="{ly}" {FONT}>{escape(name_text)} ({sum(counts.values())})</text>')
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class RateRow:
    """One bar of :func:`rate_chart`: the value and the reference it is read against."""

    label: str
    value: float
    reference: float | None


def rate_chart(rows: Sequence[RateRow], label: str, unit: str, reference_name: str = "corpus average",
               width: int = 760) -> Markup:
    """Horizontal bars (one per row) with a mark at each row's reference, on an axis with round
    ticks; ``unit`` names the axis ("per 1,000 words"). Empty without rows."""
    if not rows:
        return Markup("")
    top_value = max(max(r.value, r.reference or 0.0) for r in rows)
    ticks = nice_ticks(top_value)
    left, right, top, row_h = 240, 16, 26, 22
    plot_w = width - left - right
    height = top + row_h * len(rows) + 40
    x_of = lambda v: left + plot_w * v / ticks[-1]  # noqa: E731
    out = [f'<svg class="chart rate-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">', f"<title>{escape(label)}</title>",
           f'<rect x="{left}" y="6" width="10" height="10" fill="{PALETTE[0]}"/>'
           f'<text x="{left + 14}" y="15" {FONT}>this outlet</text>'
           f'<line x1="{left + 110}" x2="{left + 110}" y1="4" y2="18" stroke="#cc4466" stroke-width="2"/>'
           f'<text x="{left + 116}" y="15" {FONT}>{escape(reference_name)}</text>']
    axis_y = top + row_h * len(rows)
    for value in ticks:
        x = x_of(value)
        out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{axis_y}" stroke="#e3e3e3"/>')
        out.append(f'<line class="tick x-tick" x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 5}" stroke="#333"/>')
        out.append(f'<text class="x-label" x="{x:.1f}" y="{axis_y + 17}" text-anchor="middle" {FONT}>{_number(value)}</text>')
    for i, r in enumerate(rows):
        y = top + i * row_h
        name = r.label if len(r.label) <= 38 else r.label[:37] + "…"
        out.append(f'<text class="row-label" x="{left - 6}" y="{y + 15}" text-anchor="end" {FONT}>{escape(name)}</text>')
        ref = "" if r.reference is None else f"; {escape(reference_name)} {_number(round(r.reference, 3))}"
        out.append(f'<rect class="bar" x="{left}" y="{y + 4}" width="{max(0.0, x_of(r.value) - left):.1f}" height="{row_h - 8}" '
                   f'fill="{PALETTE[0]}"><title>{escape(r.label)}: {_number(round(r.value, 3))} {escape(unit)}{ref}</title></rect>')
        if r.reference is not None:
            x = x_of(r.reference)
            out.append(f'<line class="reference" x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + row_h - 1}" '
                       f'stroke="#cc4466" stroke-width="2"/>')
    out.append(f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="#333"/>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{axis_y + 33}" text-anchor="middle" {FONT}>{escape(unit)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


__all__ = ["Bins", "PALETTE", "RateRow", "date_bins", "nice_ticks", "rate_chart", "time_chart"]
