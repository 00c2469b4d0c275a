"""Analysts' decisions as training data: gold-style JSONL, and Label Studio tasks both ways.

:func:`gold_examples` gives one example per decided item of a layer, on the
story's text with the item's offsets and the analyst's label::

    {"doc_id": "7c3f...", "layer": "techniques", "text": "<the story>", "start": 298, "end": 309,
     "span": "disgraceful", "label": "Loaded_Language", "positive": true, "label_source": "analyst",
     "decision": "accept", "machine_label": "Loaded_Language", "model": "techniques.v1",
     "analyst": "ana", "decided_at": "2026-12-03T06:10:00", "status": "attached"}

``positive`` is false for a rejected item (not a technique, not a quote,
not a claim, not the same claim as the debunk): a hard negative for the
model that proposed it. Decisions whose item the machine no longer finds
are kept (``status`` "orphaned"): the text never changes under a story id,
so their offsets still hold.

:func:`labelstudio_tasks` writes the machine output as Label Studio tasks
with predictions (:func:`label_config` is the project's labelling config);
:func:`import_labelstudio` reads a Label Studio JSON export and stores
what the annotators did as decisions: a machine span they kept with its
label is accepted, kept with another technique relabelled, left out
rejected, and a technique span they drew that the machine missed added.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ..errors import InputError, NotFoundError
from .attach import place
from .decisions import DECISIONS, Correction, Decision, corrections, item_key, layer_name, machine_label, record_decision

TRAINING_LAYERS = ("quotes", "techniques", "claims", "debunk_matches")
# layer -> the Label Studio labels of its spans (techniques: one per technique)
SPAN_LABEL = {"quotes": "Quote", "claims": "Claim", "debunk_matches": "Debunked claim"}


def _check_layer(layer: str) -> str:
    name = layer_name(layer)
    if name not in TRAINING_LAYERS:
        raise InputError(f"layer {layer!r}", f"no training data for it; use one of quotes, techniques, claims, debunks",
                         kind="bad-correction")
    return name


def gold_examples(store: Any, layer: str, analyst: str = "") -> Iterator[dict[str, Any]]:
    """The current decision on each item of ``layer`` as a training example (see the
    module doc), story by story in the store's order of decisions."""
    layer = _check_layer(layer)
    decided = corrections(store.con, layer=layer, analyst=analyst)
    by_doc: dict[str, list[Correction]] = {}
    for c in decided:
        by_doc.setdefault(c.doc_id, []).append(c)
    for doc_id, items in by_doc.items():
        doc = store.get(doc_id)
        records = doc.layer(layer)
        for c in items:
            status, index = place(c, records)
            yield _example(doc, c, status, records[index] if index is not None else None)
        store.release()


def _example(doc: Any, c: Correction, status: str, record: Any) -> dict[str, Any]:
    label = c.analyst_label
    out = {
        "doc_id": doc.id, "layer": c.layer, "text": doc.text, "start": c.start, "end": c.end, "span": c.text,
        "label": label, "positive": c.decision != "reject", "label_source": "analyst", "decision": c.decision,
        "machine_label": c.machine_label, "model": c.model, "analyst": c.analyst,
        "decided_at": c.decided_at.isoformat(), "status": status, "note": c.note,
    }
    if c.layer == "quotes" and c.decision in ("accept", "speaker"):
        machine = record.speaker if record is not None else None
        out["speaker_entity_id"] = (c.detail.get("entity_id") if c.decision == "speaker"
                                    else getattr(machine, "entity_id", None))
    if c.layer == "debunk_matches":
        out["stance"] = c.label if c.decision == "stance" else None
        out["label"] = c.machine_label if c.decision != "reject" else None
    return out


# ---------------------------------------------------------------- Label Studio


def label_config(layer: str) -> str:
    """The Label Studio labelling config of a layer's tasks (``<Labels>`` over ``<Text>``)."""
    from ..techniques.inventory import PTC_TECHNIQUES

    layer = _check_layer(layer)
    names = PTC_TECHNIQUES if layer == "techniques" else (SPAN_LABEL[layer],)
    labels = "\n".join(f"    <Label value={quoteattr(n)}/>" for n in names)
    return (f'<View>\n  <Labels name="label" toName="text">\n{labels}\n  </Labels>\n'
            f'  <Text name="text" value="$text"/>\n</View>\n')


def _span_label(layer: str, record: Any) -> str:
    return record.technique if layer == "techniques" else SPAN_LABEL[layer]


def labelstudio_tasks(store: Any, layer: str, doc_ids: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    """One Label Studio task per story: its text, and the machine's spans of ``layer`` as a prediction."""
    layer = _check_layer(layer)
    ids = list(doc_ids) if doc_ids is not None else [r[0] for r in store.con.execute(
        "SELECT id FROM documents ORDER BY ingested_at, source, story_index, rowid").fetchall()]
    for i in range(0, len(ids), 200):
        docs = {d.id: d for d in store.load(ids[i:i + 200], layers=[layer])}
        for doc_id in ids[i:i + 200]:
            doc = docs.get(doc_id)
            if doc is None:
                raise NotFoundError(f"no document {doc_id!r} in {store.path}")
            stage = store.con.execute("SELECT stage FROM layer_state WHERE doc_id = ? AND layer = ?",
                                      [doc.id, layer]).fetchone()
            result = [{"id": f"{layer}-{n}", "from_name": "label", "to_name": "text", "type": "labels",
                       "value": {"start": r.start, "end": r.end, "text": r.text, "labels": [_span_label(layer, r)]},
                       **({"score": float(r.score)} if getattr(r, "score", None) is not None else {})}
                      for n, r in enumerate(doc.layer(layer))]
            yield {
                "data": {"text": doc.text, "doc_id": doc.id, "layer": layer, "title": doc.title or "",
                         "outlet": doc.outlet or ""},
                "predictions": [{"model_version": stage[0] if stage else "", "result": result}],
            }
        store.release()


@dataclass
class LabelStudioImport:
    """What an import of a Label Studio export did."""

    source: str
    tasks: int = 0
    annotations: int = 0
    stored: dict[str, int] = field(default_factory=dict)  # decision -> how many were stored
    unchanged: int = 0  # the same decision was already the annotator's current one
    skipped: list[str] = field(default_factory=list)  # why an annotation or span was not stored

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "tasks": self.tasks, "annotations": self.annotations, "stored": self.stored,
                "unchanged": self.unchanged, "skipped": len(self.skipped), "skipped_reasons": self.skipped[:20]}


def _read_export(path: Path) -> list[Mapping[str, Any]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text: export the project as JSON from Label Studio",
                         kind="encoding") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not JSON ({exc.msg} at line {exc.lineno}): export the project as JSON",
                         kind="bad-json") from None
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(t, Mapping) for t in data):
        raise InputError(str(path), "a Label Studio export is a JSON list of tasks", kind="bad-json")
    return data


def _annotator(annotation: Mapping[str, Any]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, Mapping):
        who = who.get("email") or who.get("username") or who.get("id")
    return f"labelstudio:{who}" if who not in (None, "") else "labelstudio"


def _spans(annotation: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    out = []
    for r in annotation.get("result") or []:
        value = r.get("value") if isinstance(r, Mapping) else None
        if not isinstance(value, Mapping) or r.get("type") != "labels":
            continue
        start, end, labels = value.get("start"), value.get("end"), value.get("labels") or []
        if isinstance(start, int) and isinstance(end, int) and labels:
            out.extend((start, end, str(label)) for label in labels)
    return out


def import_labelstudio(store: Any, path: str | Path, analyst: str = "") -> LabelStudioImport:
    """Store the completed annotations of a Label Studio JSON export as decisions (see
    the module doc). ``analyst`` names them all; else each annotator is
    ``labelstudio:<email>``. Importing the same file again stores nothing new."""
    path = Path(path)
    report = LabelStudioImport(str(path))
    for task in _read_export(path):
        report.tasks += 1
        data = task.get("data") if isinstance(task.get("data"), Mapping) else {}
        where = f"task {task.get('id', report.tasks)}"
        doc_id, layer = data.get("doc_id"), layer_name(str(data.get("layer") or ""))
        if not isinstance(doc_id, str) or layer not in TRAINING_LAYERS:
            report.skipped.append(f"{where}: no doc_id and layer in its data (not a propwatch task)")
            continue
        try:
            doc = store.get(doc_id)
        except NotFoundError:
            report.skipped.append(f"{where}: no story {doc_id} in this store")
            continue
        for annotation in task.get("annotations") or []:
            if not isinstance(annotation, Mapping) or annotation.get("was_cancelled"):
                continue
            report.annotations += 1
            who = analyst or _annotator(annotation)
            for decision in _decisions(doc, layer, _spans(annotation), who, report, where):
                _store_once(store, decision, report)
    return report


def _decisions(doc: Any, layer: str, spans: list[tuple[int, int, str]], who: str, report: LabelStudioImport,
               where: str) -> Iterator[Decision]:
    """An annotation compared with the machine's spans, as decisions."""
    drawn = {(s, e): label for s, e, label in spans}
    for r in doc.layer(layer):
        label = drawn.pop((r.start, r.end), None)
        machine = machine_label(layer, r)
        if label is None:
            yield Decision(doc.id, layer, "reject", who, r.start, r.end, machine_label=machine, origin="labelstudio")
        elif layer == "techniques" and label != r.technique:
            yield Decision(doc.id, layer, "relabel", who, r.start, r.end, machine_label=machine, label=label,
                           origin="labelstudio")
        else:
            yield Decision(doc.id, layer, "accept", who, r.start, r.end, machine_label=machine, origin="labelstudio")
    for (start, end), label in drawn.items():
        if "add" in DECISIONS[layer]:
            yield Decision(doc.id, layer, "add", who, start, end, label=label, origin="labelstudio")
        else:
            report.skipped.append(f"{where}: a {layer} span at {start}:{end} the machine did not find "
                                  f"(only technique spans can be added)")


def _store_once(store: Any, decision: Decision, report: LabelStudioImport) -> None:
    label = decision.label if decision.decision not in ("accept", "reject") else None
    key = item_key(decision.layer, decision.start, decision.end, decision.machine_label or decision.label)
    current = [c for c in corrections(store.con, [decision.doc_id], decision.layer, analyst=decision.analyst)
               if c.doc_id == decision.doc_id and c.item_key == key]
    if current and current[-1].decision == decision.decision and current[-1].label == label:
        report.unchanged += 1
        return
    try:
        record_decision(store, decision)
    except InputError as exc:
        report.skipped.append(f"{decision.doc_id} {decision.start}:{decision.end}: {exc.reason}")
        return
    report.stored[decision.decision] = report.stored.get(decision.decision, 0) + 1


__all__ = ["LabelStudioImport", "TRAINING_LAYERS", "gold_examples", "import_labelstudio", "label_config",
           "labelstudio_tasks"]
