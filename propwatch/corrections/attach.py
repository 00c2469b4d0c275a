"""Decisions on the machine output as it is now, and the corrected view of a story.

A rerun of ``propwatch analyze`` on the same input gives the same story id
and text, and usually the same items: each decision is found again by its
key. When a new model or setting changes the output under a decision, it
is looked for in this order, and never dropped:

1. **attached**: an item with the decision's key (same offsets and label);
2. **moved**: the item of the layer that overlaps the decided stretch most,
   by at least :data:`MIN_OVERLAP` of their union, with the same machine
   label (a quote or a claim: any of the layer); the decision holds for it;
3. **orphaned**: nothing there any more. The decision is kept, listed with
   the story's decisions on the text it was made on, and still exported as
   training data on its own offsets.

An analyst's ``add`` (a span the machine missed) stands on its own offsets
(**added**) and is ``attached`` once the machine finds that span too. Entity
merges hold for every mention of the merged id, in every story.

The store keeps the machine output; :func:`corrected_record` applies the
decisions on reading: a rejected item leaves its layer, a relabelled
technique, a fixed speaker or stance, a mention split off to another actor
takes the analyst's value (the
machine's stays under ``machine``), an added span joins its layer, and each
item an analyst decided carries ``analyst`` ("verified by an analyst").
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .decisions import Correction, corrections, entity_merges, item_key, machine_label

MIN_OVERLAP = 0.5
"""Overlap (intersection over union of characters) for a decision to follow a moved item."""
STATUSES = ("attached", "moved", "added", "orphaned")


@dataclass(frozen=True)
class Verdict:
    """One decision as it stands against the story's current machine output."""

    correction: Correction
    status: str  # one of STATUSES
    index: int | None  # the item's position in its layer (None: orphaned or added)

    def to_dict(self) -> dict[str, Any]:
        return {**self.correction.to_dict(), "status": self.status, "index": self.index}


def _span(item: Any) -> tuple[int, int]:
    if isinstance(item, Mapping):
        return int(item["start"]), int(item["end"])
    return int(item.start), int(item.end)


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Characters two stretches share over the characters either covers."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if inter > 0 and union > 0 else 0.0


def place(c: Correction, items: Sequence[Any]) -> tuple[str, int | None]:
    """Where decision ``c`` stands among ``items`` (records or plain dicts of its layer)."""
    keys = [item_key(c.layer, *_span(r), machine_label(c.layer, r)) for r in items]
    if c.item_key in keys:
        return "attached", keys.index(c.item_key)
    if c.decision == "add":
        return "added", None
    same = [(i, overlap(_span(r), (c.start, c.end))) for i, r in enumerate(items)
            if c.layer in ("quotes", "claims") or machine_label(c.layer, r) == c.machine_label]
    best = max(same, key=lambda pair: pair[1], default=(None, 0.0))
    return ("moved", best[0]) if best[1] >= MIN_OVERLAP else ("orphaned", None)


def verdicts(doc_id: str, layers: Mapping[str, Sequence[Any]], decided: Sequence[Correction]) -> list[Verdict]:
    """Each current decision on story ``doc_id`` placed on its layers (layer -> items)."""
    out = []
    for c in decided:
        if c.doc_id != doc_id or c.start is None:
            continue
        status, index = place(c, layers.get(c.layer) or ())
        out.append(Verdict(c, status, index))
    return out


def story_verdicts(con: Any, doc: Any) -> list[Verdict]:
    """The current decisions on one loaded story, placed on its stored layers."""
    return verdicts(doc.id, doc.layers, corrections(con, [doc.id]))


def _mark(c: Correction, status: str) -> dict[str, Any]:
    return {"decision": c.decision, "label": c.label, "analyst": c.analyst, "decided_at": c.decided_at.isoformat(),
            "status": status, "correction_id": c.id, "note": c.note}


def _apply(layer: str, item: dict[str, Any], c: Correction, record: dict[str, Any]) -> None:
    """The analyst's value on one item of the corrected view (the machine's under ``machine``)."""
    if c.decision == "relabel":
        item["machine"] = {"technique": item.get("technique")}
        item["technique"] = c.label
    elif c.decision == "speaker":
        old = dict(item.get("speaker") or {})
        item["machine"] = {"speaker": old}
        item["speaker"] = {"name": c.label, "entity_id": c.detail.get("entity_id"),
                           "kind": c.detail.get("kind") or old.get("kind") or "unknown",
                           "start": None, "end": None, "text": None}
    elif c.decision == "split":
        item["machine"] = {"entity_id": item.get("entity_id")}
        item["entity_id"] = c.label
    elif c.decision == "stance":
        target = f"debunk:{item.get('debunk_id')}"
        stances = [s for s in record.get("stances") or [] if s.get("target") == target
                   and overlap(_span(s), _span(item)) >= MIN_OVERLAP]
        item["machine"] = {"stance": stances[0].get("stance") if stances else None}
        item["stance"] = c.label
        for s in stances:
            s.setdefault("machine", {"stance": s.get("stance"), "by": s.get("by")})
            s["stance"], s["by"] = c.label, "analyst"
            s["analyst"] = _mark(c, "attached")


def _added(c: Correction) -> dict[str, Any]:
    return {"start": c.start, "end": c.end, "text": c.text, "technique": c.label, "score": None, "quoted": False}


def _merge_ids(record: dict[str, Any], merges: Mapping[str, str]) -> None:
    """Merged entity ids replaced by the id they went into, wherever the record names one."""
    for item in record.get("entities") or []:
        target = merges.get(item.get("entity_id"))
        if target:
            item.setdefault("machine", {"entity_id": item["entity_id"]})
            item["entity_id"] = item["merged_into"] = target
    for item in record.get("quotes") or []:
        speaker = item.get("speaker") or {}
        target = merges.get(speaker.get("entity_id"))
        if target:
            item["speaker"] = {**speaker, "entity_id": target, "merged_from": speaker["entity_id"]}
    for item in record.get("claims") or []:
        if any(e in merges for e in item.get("entities") or []):
            item["entities"] = list(dict.fromkeys(merges.get(e, e) for e in item["entities"]))


def apply_corrections(record: Mapping[str, Any], placed: Sequence[Verdict],
                      merges: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The corrected view of a story's output record (see the module doc); ``record``
    is left as it is. ``corrections`` lists every decision on the story with its
    status, ``rejected`` the items analysts took out (with the decision)."""
    out = copy.deepcopy(dict(record))
    drop: dict[str, set[int]] = {}
    rejected = []
    latest: dict[tuple[str, int], Verdict] = {}
    for v in placed:  # two decisions landing on one item (a moved one and an attached one): the later counts
        if v.index is not None and v.index < len(out.get(v.correction.layer) or []):
            key = (v.correction.layer, v.index)
            if key not in latest or latest[key].correction.id < v.correction.id:
                latest[key] = v
    for (layer, index), v in latest.items():
        c, item = v.correction, out[layer][index]
        if c.decision == "reject":
            drop.setdefault(layer, set()).add(index)
            rejected.append({"layer": layer, "item": dict(item), "analyst": _mark(c, v.status)})
            continue
        _apply(layer, item, c, out)
        item["analyst"] = _mark(c, v.status)
    for layer, indexes in drop.items():
        out[layer] = [item for i, item in enumerate(out[layer]) if i not in indexes]
    for v in placed:
        if v.status == "added":
            added = {**_added(v.correction), "analyst": _mark(v.correction, v.status)}
            out.setdefault(v.correction.layer, []).append(added)
            out[v.correction.layer].sort(key=lambda item: (item["start"], item["end"]))
    if merges:
        _merge_ids(out, merges)
    out["corrections"] = [v.to_dict() for v in placed]
    out["rejected"] = rejected
    return out


def corrected_record(con: Any, doc: Any, record: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`apply_corrections` of one loaded story ``doc`` (``record``: its output
    record), reading its decisions and the entity merges from the store's connection."""
    return apply_corrections(record, story_verdicts(con, doc), entity_merges(con))


__all__ = ["MIN_OVERLAP", "STATUSES", "Verdict", "apply_corrections", "corrected_record", "overlap", "place",
           "story_verdicts", "verdicts"]
