"""Corrections commands: ``corrections list|add|undo|export|labelstudio-export|labelstudio-import``."""

from __future__ import annotations

import getpass
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .core import ConfigOpt, ListFormat, StoreOpt, _print_rows, open_store

corrections_app = typer.Typer(help="Analysts' corrections of the machine's output: record, list, undo, export.",
                              no_args_is_help=True)
app.add_typer(corrections_app, name="corrections")


class TrainingLayer(str, Enum):
    quotes = "quotes"
    techniques = "techniques"
    claims = "claims"
    debunks = "debunks"


class TrainingFormat(str, Enum):
    jsonl = "jsonl"


def _me() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment (a container without a user entry)
        return ""


AnalystOpt = Annotated[str, typer.Option("--analyst", "-a", help="Who decides (default: your login name).")]
COLUMNS = ("id", "decided_at", "analyst", "decision", "layer", "doc_id", "start", "end", "text", "machine_label",
           "label", "note")
TABLE_COLUMNS = ("#", "when", "analyst", "decision", "layer", "story", "item", "label")


@corrections_app.command("list")
def list_(
    layer: Annotated[Optional[str], typer.Option(help="Only this layer (quotes, techniques, claims, debunks, entities).")] = None,
    analyst: Annotated[str, typer.Option(help="Only this analyst's decisions.")] = "",
    story: Annotated[Optional[str], typer.Option(help="Only this story's current decisions (an id or a unique prefix).")] = None,
    history: Annotated[bool, typer.Option("--history", help="Every decision ever made, undos included (default: the current one per item).")] = False,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """List decisions: by default the one that counts on each item, oldest first."""
    from ..corrections.decisions import corrections, layer_name

    with open_store(config, store, read_only=True) as st:
        doc_ids = [st.get(story).id] if story else None
        found = corrections(st.con, doc_ids, layer_name(layer) if layer else None, history=history, analyst=analyst)
    if fmt is ListFormat.table:
        rows = [{"#": c.id, "when": c.decided_at.isoformat(" ", "minutes"), "analyst": c.analyst,
                 "decision": c.decision, "layer": c.layer, "story": c.doc_id[:8] or "(all)",
                 "item": (c.text or "")[:60], "label": c.label or ""} for c in found]
        _print_rows(rows, "table", TABLE_COLUMNS)
        return 0
    rows = [c.to_dict() for c in found]
    if fmt is ListFormat.csv:
        for row in rows:
            row["detail"] = json.dumps(row["detail"], ensure_ascii=False) if row["detail"] else ""
    _print_rows(rows, fmt.value, COLUMNS)
    return 0


@corrections_app.command("add")
def add(
    story: Annotated[str, typer.Argument(help="The story's id (or a unique prefix); ignored for an entity merge.")],
    layer: Annotated[str, typer.Option(help="quotes, techniques, claims, debunks or entities.")],
    decision: Annotated[str, typer.Option(help="accept, reject; relabel or add (techniques); speaker (quotes); stance (debunks); merge or split (entities).")],
    start: Annotated[Optional[int], typer.Option(help="The item's first character in the story's text.")] = None,
    end: Annotated[Optional[int], typer.Option(help="One past the item's last character.")] = None,
    label: Annotated[Optional[str], typer.Option(help="The new value: technique, speaker, stance, the entity merged into or split off to.")] = None,
    machine_label: Annotated[Optional[str], typer.Option(help="The machine's label, to pick one of two items on a stretch (a merge: the entity merged).")] = None,
    entity_id: Annotated[Optional[str], typer.Option(help="A fixed speaker's entity id (per:...).")] = None,
    kind: Annotated[Optional[str], typer.Option(help="A fixed speaker's kind (person, organization, media, document, anonymous, unknown).")] = None,
    note: Annotated[str, typer.Option(help="Why, for the next analyst.")] = "",
    analyst: AnalystOpt = "",
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Record one decision on a story's machine output; prints it as JSON."""
    from ..corrections import Decision, record_decision

    detail = {k: v for k, v in (("entity_id", entity_id), ("kind", kind)) if v}
    corpus_wide = decision == "merge"
    with open_store(config, store) as st:
        stored = record_decision(st, Decision(
            "" if corpus_wide else story, layer, decision, analyst or _me(), start, end,
            machine_label=machine_label, label=label, detail=detail, note=note, origin="cli"))
    print(json.dumps(stored.to_dict(), ensure_ascii=False))
    return 0


@corrections_app.command("undo")
def undo_(
    correction: Annotated[int, typer.Argument(help="The id of the decision to withdraw (`propwatch corrections list`).")],
    analyst: AnalystOpt = "",
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Withdraw a decision (it stays in the history; the one before it on the item counts again)."""
    from ..corrections import undo

    with open_store(config, store) as st:
        stored = undo(st, correction, analyst or _me(), origin="cli")
    print(json.dumps(stored.to_dict(), ensure_ascii=False))
    return 0


def _output(output: Optional[Path]):
    return output.open("w", encoding="utf-8", newline="\n") if output else sys.stdout


@corrections_app.command("export")
def export(
    layer: Annotated[TrainingLayer, typer.Option(help="The layer whose decisions become examples.")],
    fmt: Annotated[TrainingFormat, typer.Option("--format", "-f")] = TrainingFormat.jsonl,
    analyst: Annotated[str, typer.Option(help="Only this analyst's decisions.")] = "",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default: standard output).")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Training examples from the decisions: one JSON line per decided item with the story's
    text, the offsets, the analyst's label (null and positive=false for a rejected item)
    and label_source "analyst"."""
    from ..corrections.training import gold_examples

    n = 0
    with open_store(config, store, read_only=True) as st:
        stream = _output(output)
        for example in gold_examples(st, layer.value, analyst=analyst):
            stream.write(json.dumps(example, ensure_ascii=False) + "\n")
            n += 1
        if output:
            stream.close()
    print(f"wrote {n} {layer.value} examples" + (f" to {output}" if output else ""), file=sys.stderr)
    return 0


@corrections_app.command("labelstudio-export")
def labelstudio_export(
    layer: Annotated[TrainingLayer, typer.Option(help="The layer whose spans are the tasks' predictions.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="tasks JSON to write (default: standard output).")] = None,
    label_config: Annotated[Optional[Path], typer.Option("--label-config", help="Also write the project's labelling config (XML) here.")] = None,
    story: Annotated[Optional[list[str]], typer.Option(help="Only these stories (repeat; default: all).")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Label Studio tasks: each story's text with the machine's spans as predictions (import
    them into a project set up with --label-config)."""
    from ..corrections import training

    with open_store(config, store, read_only=True) as st:
        ids = [st.get(s).id for s in story] if story else None
        tasks = list(training.labelstudio_tasks(st, layer.value, ids))
    stream = _output(output)
    json.dump(tasks, stream, ensure_ascii=False, indent=1)
    stream.write("\n")
    if output:
        stream.close()
    if label_config:
        label_config.write_text(training.label_config(layer.value), "utf-8")
    print(f"wrote {len(tasks)} tasks" + (f" to {output}" if output else ""), file=sys.stderr)
    return 0


@corrections_app.command("labelstudio-import")
def labelstudio_import(
    file: Annotated[Path, typer.Argument(help="A Label Studio project exported as JSON (tasks with annotations).")],
    analyst: Annotated[str, typer.Option("--analyst", "-a", help="Name every decision so (default: labelstudio:<annotator's email>).")] = "",
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> int:
    """Store completed Label Studio annotations as decisions: a machine span kept is
    accepted (relabelled when its technique changed), one left out rejected, a technique
    span drawn anew added. Importing the same file again stores nothing new."""
    from ..corrections.training import import_labelstudio

    with open_store(config, store) as st:
        report = import_labelstudio(st, file, analyst=analyst)
    for why in report.skipped[:20]:
        print(f"skipped: {why}", file=sys.stderr)
    print(json.dumps(report.to_dict(), ensure_ascii=False))
    return 0
