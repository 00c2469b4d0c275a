"""Agreement between analysts, and between each analyst and the machine, from the store's decisions.

    python eval/agreement.py --store propwatch.duckdb            # every layer, a table
    python eval/agreement.py --store s.duckdb --layer techniques  # one layer
    python eval/agreement.py --store s.duckdb --format json       # one JSON object per line

The decisions are those analysts made in the workbench, with ``propwatch
corrections add`` or through a Label Studio import (``propwatch corrections
labelstudio-import``). Per layer it prints, for each analyst against the
machine and for each pair of analysts on the items both decided: the items
compared, the share with the same label, and Cohen's kappa (``-`` when it
is undefined: one side gave every item the same label, as the machine does
for claims). How labels are read is in :mod:`propwatch.corrections.agreement`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from propwatch.corrections.agreement import between_analysts, with_machine  # noqa: E402
from propwatch.corrections.decisions import DECISIONS, layer_name  # noqa: E402
from propwatch.store import Store  # noqa: E402

LAYERS = [name for name in DECISIONS if name != "entities"]


def measures(store: Store, layers: list[str]) -> list:
    """Analyst-machine rows first, then analyst pairs, layer by layer."""
    machine, pairs = with_machine(store.con, layers), between_analysts(store.con, layers)
    return [row for layer in layers for row in (*[m for m in machine if m.layer == layer],
                                                 *[p for p in pairs if p.layer == layer])]


def table(rows: list) -> str:
    lines = [f"{'layer':<16}{'first':<20}{'second':<20}{'items':>6}{'agree':>8}{'kappa':>8}"]
    for r in rows:
        kappa = f"{r.kappa:.3f}" if r.kappa is not None else "-"
        lines.append(f"{r.layer:<16}{r.first[:19]:<20}{r.second[:19]:<20}{r.items:>6}{r.observed:>8.3f}{kappa:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=Path("propwatch.duckdb"))
    ap.add_argument("--layer", choices=[*LAYERS, "debunks"], action="append",
                    help="A layer to measure (repeat for several; default: all).")
    ap.add_argument("--format", choices=["table", "json"], default="table")
    args = ap.parse_args(argv)
    layers = [layer_name(name) for name in args.layer] if args.layer else LAYERS
    with Store(args.store, read_only=True) as store:
        rows = measures(store, layers)
    if args.format == "json":
        for row in rows:
            print(json.dumps(row.to_dict()))
    elif rows:
        print(table(rows))
    else:
        print(f"no decisions in {args.store} to compare", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
