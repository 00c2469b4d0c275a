"""Analysts' decisions on machine output, stored in the ``corrections`` table.

The table (migration ``0201_corrections`` in :data:`propwatch.store.MIGRATIONS`)
is append-only: every decision is a row with who made it, when and from
where (the CLI, a page, the API, a Label Studio import), never updated or
deleted, so the history is kept. The decision that counts for an item is
the latest one on its key that no ``undo`` withdrew; withdrawing the latest
brings back the one before it.

A decision is keyed by (``doc_id``, ``layer``, ``item_key``): the story's
content id (the same input gives the same id on every run) and the item's
identity in its layer (:func:`item_key`: its offsets and, where a layer can
hold two items on one stretch, the machine's label). ``propwatch analyze``
rewrites the layer tables; it never touches this one, so a rerun neither
overwrites nor loses a decision (:mod:`.attach` finds the item again in
whatever the machine output is now).

What an analyst can decide, per layer (:data:`DECISIONS`)::

    quotes          accept | reject | speaker (the right speaker: label, detail.entity_id, detail.kind)
    techniques      accept | reject | relabel (another technique) | add (a span the machine missed)
    claims          accept | reject
    debunk_matches  accept (the match is right) | reject (wrong) | stance (supports, denies, ...)
    entities        merge (entity machine_label is the same actor as entity label; every story)
                    | split (this one mention is another actor: label, its entity id)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..errors import InputError, NotFoundError
from ..store import Store, now

CORPUS = ""
"""``doc_id`` of a decision on the whole corpus (an entity merge)."""

DECISIONS: Mapping[str, tuple[str, ...]] = {
    "quotes": ("accept", "reject", "speaker"),
    "techniques": ("accept", "reject", "relabel", "add"),
    "claims": ("accept", "reject"),
    "debunk_matches": ("accept", "reject", "stance"),
    "entities": ("merge", "split"),
}
LAYER_NAMES = {"debunks": "debunk_matches"}
"""Short names the CLI, the forms and the API accept for a layer."""
STANCES = ("supports", "denies", "discusses", "unrelated")
ORIGINS = ("cli", "web", "api", "labelstudio")
NEEDS_LABEL = ("relabel", "add", "speaker", "stance", "merge", "split")
"""Decisions that say what the item should be instead (``label`` is required)."""
MAX_TEXT = 2000
"""Characters of a label or a note kept (a longer one is refused)."""

_COLUMNS = ("id, doc_id, layer, item_key, decision, span_start, span_end, span_text, machine_label, label, "
            "detail, model, analyst, decided_at, note, origin, undoes")


def layer_name(name: str) -> str:
    """The stored layer a correction names (``debunks`` is ``debunk_matches``)."""
    return LAYER_NAMES.get(name, name)


def machine_label(layer: str, record: Any) -> str | None:
    """What the machine said of an item, in one string: the technique, the speaker's
    name, the debunk case, the entity; a claim is just a claim (``None``). ``record``
    is a layer record or its plain form (an output record's item)."""
    def get(obj: Any, name: str) -> Any:
        return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)

    if layer == "quotes":
        return get(get(record, "speaker") or {}, "name")
    field_name = {"techniques": "technique", "debunk_matches": "debunk_id", "entities": "entity_id"}.get(layer)
    return get(record, field_name) if field_name else None


def item_key(layer: str, start: int, end: int, label: str | None) -> str:
    """An item's identity in its layer. A quote or a claim is one per stretch of text,
    so offsets are enough (a fixed speaker does not change which quote it is); a
    stretch can carry two techniques or two debunk cases, so those keys hold the
    machine's label too."""
    if layer in ("quotes", "claims"):
        return f"{start}:{end}"
    return f"{start}:{end}:{label or ''}"


@dataclass(frozen=True)
class Decision:
    """What an analyst decides, before it is stored.

    ``start``/``end`` pick the item (and ``machine_label`` when a stretch holds
    several); for ``add`` they are the new span and ``label`` its technique. A
    ``merge`` has no offsets (it holds in every story): ``machine_label`` is the
    entity merged, ``label`` the one it is merged into.
    """

    doc_id: str
    layer: str
    decision: str
    analyst: str
    start: int | None = None
    end: int | None = None
    machine_label: str | None = None
    label: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    origin: str = "cli"
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Correction:
    """A stored decision (``undoes``: for an ``undo``, the id it withdraws)."""

    id: int
    doc_id: str
    layer: str
    item_key: str
    decision: str
    start: int | None
    end: int | None
    text: str | None
    machine_label: str | None
    label: str | None
    detail: Mapping[str, Any]
    model: str | None
    analyst: str
    decided_at: datetime
    note: str
    origin: str
    undoes: int | None = None

    @property
    def analyst_label(self) -> str | None:
        """What the item is in the analyst's word: the machine's label when accepted,
        the new one when changed, ``None`` when rejected."""
        if self.decision == "reject":
            return None
        if self.decision == "accept":
            return self.machine_label if self.layer != "claims" else "claim"
        return self.label

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (the API, the export of decisions)."""
        return {
            "id": self.id, "doc_id": self.doc_id, "layer": self.layer, "item_key": self.item_key,
            "decision": self.decision, "start": self.start, "end": self.end, "text": self.text,
            "machine_label": self.machine_label, "label": self.label, "detail": dict(self.detail),
            "model": self.model, "analyst": self.analyst, "decided_at": self.decided_at.isoformat(),
            "note": self.note, "origin": self.origin, "undoes": self.undoes,
        }


def _bad(decision: Decision, reason: str) -> InputError:
    where = f"correction of {decision.layer} in {decision.doc_id or 'the corpus'}"
    return InputError(where, reason, kind="bad-correction")


def _checked(decision: Decision) -> Decision:
    """``decision`` with its layer's stored name, or :class:`InputError` saying what is wrong."""
    decision = replace(decision, layer=layer_name(decision.layer))
    allowed = DECISIONS.get(decision.layer)
    if allowed is None:
        raise _bad(decision, f"layer {decision.layer!r} takes no corrections; use one of "
                             f"{', '.join(sorted({*DECISIONS, *LAYER_NAMES}))}")
    if decision.decision not in allowed:
        raise _bad(decision, f"{decision.decision!r} is not a decision on {decision.layer}; use one of {', '.join(allowed)}")
    if not decision.analyst.strip():
        raise _bad(decision, "a decision needs the analyst who made it")
    if decision.origin not in ORIGINS:
        raise _bad(decision, f"origin {decision.origin!r} is not one of {', '.join(ORIGINS)}")
    label = (decision.label or "").strip()
    if decision.decision in NEEDS_LABEL and not label:
        raise _bad(decision, f"{decision.decision!r} needs the new label")
    for name, value in (("label", decision.label), ("note", decision.note), ("machine_label", decision.machine_label)):
        if value is not None and len(value) > MAX_TEXT:
            raise _bad(decision, f"the {name} is {len(value)} characters; at most {MAX_TEXT}")
    if decision.layer == "techniques" and decision.decision in ("relabel", "add"):
        from ..techniques.inventory import PTC_TECHNIQUES

        if label not in PTC_TECHNIQUES:
            raise _bad(decision, f"unknown technique {label!r}; use one of {', '.join(PTC_TECHNIQUES)}")
    if decision.decision == "stance" and label not in STANCES:
        raise _bad(decision, f"unknown stance {label!r}; use one of {', '.join(STANCES)}")
    if decision.decision == "speaker":
        from ..who.quotes_stage import SPEAKER_KINDS

        kind = decision.detail.get("kind")
        if kind is not None and kind not in SPEAKER_KINDS:
            raise _bad(decision, f"unknown speaker kind {kind!r}; use one of {', '.join(SPEAKER_KINDS)}")
    if decision.decision == "merge":
        if not (decision.machine_label or "").strip():
            raise _bad(decision, "a merge names the entity merged (machine_label) and the one it goes into (label)")
        if decision.machine_label == label:
            raise _bad(decision, "an entity cannot be merged into itself")
    return replace(decision, label=(label or None) if decision.decision in NEEDS_LABEL else None)


def _offsets(decision: Decision) -> tuple[int, int]:
    if decision.start is None or decision.end is None:
        raise _bad(decision, "the item's offsets (start and end) are needed")
    if isinstance(decision.start, bool) or isinstance(decision.end, bool) \
            or not isinstance(decision.start, int) or not isinstance(decision.end, int):
        raise _bad(decision, f"offsets must be whole numbers, not {decision.start!r} and {decision.end!r}")
    return decision.start, decision.end


def _find_item(store: Store, decision: Decision) -> tuple[Any, Any]:
    """The story and the machine's item the decision is about (None for a new span)."""
    doc = store.get(decision.doc_id)
    start, end = _offsets(decision)
    if decision.decision == "add":
        if not 0 <= start < end <= len(doc.text):
            raise _bad(decision, f"offsets {start}:{end} are outside the story's {len(doc.text)} characters")
        return doc, None
    found = [r for r in doc.layer(decision.layer)
             if (r.start, r.end) == (start, end)
             and decision.machine_label in (None, machine_label(decision.layer, r))]
    if not found:
        label = f" labelled {decision.machine_label!r}" if decision.machine_label else ""
        raise NotFoundError(f"story {doc.id} has no {decision.layer} item at {start}:{end}{label}")
    if len({machine_label(decision.layer, r) for r in found}) > 1:
        raise _bad(decision, f"several {decision.layer} items at {start}:{end}: name the machine's label to pick one")
    return doc, found[0]


def _merged_entity(store: Store, decision: Decision) -> None:
    """Both entities of a merge are ones the store has seen."""
    from ..store.listing import layer_relation

    relation = layer_relation(store.con, "entities")
    known = {r[0] for r in store.con.execute(
        f"SELECT DISTINCT entity_id FROM ({relation}) WHERE entity_id IN (?, ?)",
        [decision.machine_label, decision.label]).fetchall()}
    missing = [e for e in (decision.machine_label, decision.label) if e not in known]
    if missing:
        raise NotFoundError(f"no entity {missing[0]!r} is mentioned in {store.path}")


def record_decision(store: Store, decision: Decision) -> Correction:
    """Check ``decision`` against the story's machine output and store it.

    Raises :class:`InputError` (kind ``bad-correction``) for a decision that makes
    no sense and :class:`NotFoundError` for a story, item or entity that is not there.
    """
    decision = _checked(decision)
    detail = json.dumps(dict(decision.detail), ensure_ascii=False, default=str)
    if decision.decision == "merge":
        _merged_entity(store, decision)
        row = (CORPUS, decision.layer, decision.machine_label, "merge", None, None, None, decision.machine_label,
               decision.label, detail, None)
    else:
        doc, record = _find_item(store, decision)
        start, end = _offsets(decision)
        machine = machine_label(decision.layer, record) if record is not None else None
        if decision.decision == "split" and decision.label == machine:
            raise _bad(decision, f"the mention is {machine!r} already; a split names another entity")
        key = item_key(decision.layer, start, end, decision.label if record is None else machine)
        row = (doc.id, decision.layer, key, decision.decision, start, end, doc.text[start:end], machine,
               decision.label, detail, _model_of(store, doc.id, decision.layer))
    return _insert(store, row + (decision.analyst.strip(), decision.decided_at or now(), decision.note,
                                 decision.origin, None))


def undo(store: Store, correction_id: int, analyst: str, origin: str = "cli") -> Correction:
    """Withdraw the decision ``correction_id`` (kept in the history, with the undo)."""
    if not analyst.strip():
        raise InputError(f"undo of correction {correction_id}", "an undo needs the analyst who made it",
                         kind="bad-correction")
    rows = store.con.execute(f"SELECT {_COLUMNS} FROM corrections WHERE id = ?", [int(correction_id)]).fetchall()
    if not rows:
        raise NotFoundError(f"no correction {correction_id} in {store.path}")
    old = _correction(rows[0])
    if old.decision == "undo":
        raise InputError(f"undo of correction {correction_id}", "it is an undo itself; decide again instead",
                         kind="bad-correction")
    if store.con.execute("SELECT 1 FROM corrections WHERE undoes = ?", [old.id]).fetchone():
        raise InputError(f"undo of correction {correction_id}", "it was undone already", kind="bad-correction")
    row = (old.doc_id, old.layer, old.item_key, "undo", old.start, old.end, old.text, old.machine_label,
           old.label, "{}", old.model, analyst.strip(), now(), "", origin, old.id)
    return _insert(store, row)


def _insert(store: Store, row: tuple) -> Correction:
    with store.transaction():
        new_id = store.con.execute(
            "INSERT INTO corrections (doc_id, layer, item_key, decision, span_start, span_end, span_text, "
            "machine_label, label, detail, model, analyst, decided_at, note, origin, undoes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", list(row),
        ).fetchone()[0]
    return _correction((new_id, *row))


def _model_of(store: Store, doc_id: str, layer: str) -> str | None:
    """The stage (name and version) whose output the analyst judged."""
    row = store.con.execute("SELECT stage FROM layer_state WHERE doc_id = ? AND layer = ?", [doc_id, layer]).fetchone()
    return row[0] if row else None


def _correction(row: Sequence[Any]) -> Correction:
    (cid, doc_id, layer, key, decision, start, end, text, machine, label, detail, model, analyst, at, note,
     origin, undoes) = row
    return Correction(int(cid), doc_id, layer, key, decision, start, end, text, machine, label,
                      json.loads(detail) if detail else {}, model, analyst, at, note or "", origin,
                      int(undoes) if undoes is not None else None)


def corrections(con: Any, doc_ids: Sequence[str] | None = None, layer: str | None = None,
                history: bool = False, analyst: str = "") -> list[Correction]:
    """Stored decisions in the order they were made: the current one per item, or every
    decision ever made (undos included) with ``history``.

    ``doc_ids`` limits them to those stories (and the corpus-wide merges); ``analyst``
    to one analyst's decisions (the current one per item among theirs)."""
    clauses, params = [], []
    if doc_ids is not None:
        clauses.append("(doc_id IN (SELECT unnest(?)) OR doc_id = '')")
        params.append(list(doc_ids))
    if layer:
        clauses.append("layer = ?")
        params.append(layer_name(layer))
    if analyst:
        clauses.append("analyst = ?")
        params.append(analyst)
    if history:
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        sql = f"SELECT {_COLUMNS} FROM corrections {where} ORDER BY id"
    else:
        clauses += ["decision <> 'undo'", "id NOT IN (SELECT undoes FROM corrections WHERE undoes IS NOT NULL)"]
        sql = (f"SELECT {_COLUMNS} FROM corrections WHERE {' AND '.join(clauses)} "
               "QUALIFY row_number() OVER (PARTITION BY doc_id, layer, item_key ORDER BY id DESC) = 1 ORDER BY id")
    return [_correction(r) for r in con.execute(sql, params).fetchall()]


def recent(con: Any, layer: str = "", analyst: str = "", limit: int = 50, offset: int = 0) -> tuple[list[Correction], int]:
    """One page of every decision, newest first (undos too), and how many there are."""
    clauses, params = [], []
    if layer:
        clauses.append("layer = ?")
        params.append(layer_name(layer))
    if analyst:
        clauses.append("analyst = ?")
        params.append(analyst)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    total = con.execute(f"SELECT count(*) FROM corrections {where}", params).fetchone()[0]
    rows = con.execute(f"SELECT {_COLUMNS} FROM corrections {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                       [*params, int(limit), int(offset)]).fetchall()
    return [_correction(r) for r in rows], int(total)


def undone(con: Any, ids: Sequence[int]) -> set[int]:
    """Which of the decisions ``ids`` an undo withdrew."""
    if not ids:
        return set()
    rows = con.execute("SELECT undoes FROM corrections WHERE undoes IN (SELECT unnest(?))", [list(ids)]).fetchall()
    return {int(r[0]) for r in rows}


def analysts(con: Any) -> list[str]:
    """Everyone who made a decision, by name."""
    return [r[0] for r in con.execute("SELECT DISTINCT analyst FROM corrections ORDER BY analyst").fetchall()]


def entity_merges(con: Any) -> dict[str, str]:
    """Entity id -> the id analysts merged it into, followed to the end of a chain
    (a -> b, b -> c gives a -> c; a cycle stops before it would repeat)."""
    direct = {c.machine_label: c.label for c in corrections(con, [], layer="entities") if c.decision == "merge"}
    out = {}
    for source in direct:
        seen, target = {source}, direct[source]
        while target in direct and direct[target] not in seen:
            seen.add(target)
            target = direct[target]
        out[source] = target
    return out


__all__ = ["CORPUS", "DECISIONS", "LAYER_NAMES", "STANCES", "Correction", "Decision", "analysts", "corrections",
           "entity_merges", "item_key", "layer_name", "machine_label", "recent", "record_decision", "undo", "undone"]
