"""Alerts as data: the rules run after each poll, the ``alerts`` table, and its states.

Three rules, over what the poll stored (``[alerts]`` of the sources file):

- **narrative spread** (``narrative-outlets``, ``narrative-languages``): a
  narrative that a new story joined is now carried by ``narrative_outlets``
  outlets (or in ``narrative_languages`` languages) among its stories ingested
  in the last ``window_hours``; raised once per narrative and threshold;
- **debunked claim** (``debunk``): a new story carries a claim that matches a
  known debunk: a ``match`` that counts against the story (the article
  carries the claim, it does not report or refute it); once per story and case;
- **technique rate** (``technique-rate``): an outlet's persuasion techniques
  per 1,000 words over its latest ``technique_recent`` stories exceed
  ``technique_factor`` times its rate over the ``technique_baseline`` stories
  before them; one open alert per outlet at a time.

An alert is ``open`` when raised; an analyst ``ack``s it (seen, being looked
at) or ``close``s it. Each alert has a stable ``key``, so a rule that fires
again on the next poll does not raise a second one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..errors import NotFoundError
from ..storable import storable
from ..store import Store, now
from .sources import AlertSettings

STATUSES = ("open", "acked", "closed")
KINDS = ("narrative-outlets", "narrative-languages", "debunk", "technique-rate")
MIN_BASELINE_RATE = 0.5  # techniques per 1,000 words: a baseline of none is compared with this
_COLUMNS = "id, kind, key, status, title, details, raised_at, updated_at, updated_by"


@dataclass(frozen=True)
class Alert:
    id: str
    kind: str
    key: str
    title: str
    details: dict[str, Any] = field(default_factory=dict)
    status: str = "open"
    raised_at: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "key": self.key, "status": self.status, "title": self.title,
                "details": self.details, "raised_at": self.raised_at, "updated_at": self.updated_at,
                "updated_by": self.updated_by}


def _alert(kind: str, key: str, title: str, details: dict[str, Any]) -> Alert:
    return Alert("a" + hashlib.sha256(key.encode()).hexdigest()[:12], kind, key, storable(title)[:300], details)


def _from_row(row: Sequence[Any]) -> Alert:
    id_, kind, key, status, title, details, raised, updated, by = row
    iso = lambda t: t.isoformat(timespec="seconds") if t else None  # noqa: E731
    return Alert(id_, kind, key, title, json.loads(details), status, iso(raised), iso(updated), by)


# ---------------------------------------------------------------- rules


def narrative_alerts(store: Store, settings: AlertSettings, doc_ids: Sequence[str]) -> list[Alert]:
    """Narratives the new stories joined, now carried by enough outlets or languages in the window."""
    if not doc_ids or not _has(store, "narrative_members"):
        return []
    since = now() - timedelta(hours=settings.window_hours)
    rows = store.con.execute(
        """SELECT m.narrative_id, list(DISTINCT d.outlet) FILTER (d.outlet IS NOT NULL),
                  list(DISTINCT d.language) FILTER (d.language IS NOT NULL AND d.language <> 'und'),
                  list(DISTINCT d.id)
           FROM narrative_members m JOIN documents d ON d.id = m.doc_id
           WHERE d.ingested_at >= ? AND m.narrative_id IN (
               SELECT narrative_id FROM narrative_members WHERE doc_id IN (SELECT unnest(?)))
           GROUP BY m.narrative_id ORDER BY m.narrative_id""", [since, list(doc_ids)]).fetchall()
    if not rows:
        return []
    from ..narratives.service import narratives_by_id

    labels = {n.id: n.label for n in narratives_by_id(store, [r[0] for r in rows])}
    out = []
    for nid, outlets, languages, docs in rows:
        outlets, languages = sorted(outlets or []), sorted(languages or [])
        details = {"narrative_id": nid, "label": labels.get(nid, ""), "outlets": outlets, "languages": languages,
                   "doc_ids": sorted(docs), "window_hours": settings.window_hours}
        if len(outlets) >= settings.narrative_outlets:
            out.append(_alert("narrative-outlets", f"narrative-outlets:{nid}:{settings.narrative_outlets}",
                              f"Narrative carried by {len(outlets)} outlets in {settings.window_hours:g} h: "
                              f"{labels.get(nid, nid)}", details))
        if len(languages) >= settings.narrative_languages:
            out.append(_alert("narrative-languages", f"narrative-languages:{nid}:{settings.narrative_languages}",
                              f"Narrative in {len(languages)} languages in {settings.window_hours:g} h: "
                              f"{labels.get(nid, nid)}", details))
    return out


def debunk_alerts(store: Store, settings: AlertSettings, doc_ids: Sequence[str]) -> list[Alert]:
    """New stories that carry a claim matching a known debunk (a match that counts against them)."""
    if not settings.debunks or not doc_ids:
        return []
    out = []
    for doc in store.load(list(doc_ids), layers=["debunk_matches"]):
        for m in doc.layer("debunk_matches"):
            if getattr(m, "relation", "match") != "match" or not getattr(m, "counts_against", False):
                continue
            case = m.case_id or m.debunk_id
            out.append(_alert("debunk", f"debunk:{doc.id}:{case}",
                              f"{doc.outlet or 'A story'} carries a debunked claim: {m.debunk_claim}", {
                                  "doc_id": doc.id, "outlet": doc.outlet, "title": doc.title, "url": doc.url,
                                  "claim": m.text, "debunk_id": m.debunk_id, "case_id": m.case_id,
                                  "debunk_claim": m.debunk_claim, "verdict": m.verdict, "case_url": m.url,
                                  "database": m.database, "score": round(float(m.score), 3)}))
    return out


def technique_alerts(store: Store, settings: AlertSettings, doc_ids: Sequence[str]) -> list[Alert]:
    """Outlets of the new stories whose recent technique rate jumped above their baseline."""
    if not doc_ids:
        return []
    outlets = [r[0] for r in store.con.execute(
        "SELECT DISTINCT outlet FROM documents WHERE id IN (SELECT unnest(?)) AND outlet IS NOT NULL ORDER BY 1",
        [list(doc_ids)]).fetchall()]
    open_for = {r[0] for r in store.con.execute(
        "SELECT json_extract_string(details, '$.outlet') FROM alerts WHERE kind = 'technique-rate' AND status <> 'closed'"
    ).fetchall()}
    need = settings.technique_recent + settings.technique_baseline
    out = []
    for outlet in outlets:
        if outlet in open_for:
            continue
        rows = store.con.execute(
            """SELECT d.id, len(string_split_regex(trim(d.text), '\\s+')), coalesce(s.records, 0)
               FROM documents d JOIN layer_state s ON s.doc_id = d.id AND s.layer = 'techniques'
               WHERE d.outlet = ? ORDER BY d.ingested_at DESC, d.rowid DESC LIMIT ?""", [outlet, need]).fetchall()
        if len(rows) < need:
            continue
        recent, base = rows[:settings.technique_recent], rows[settings.technique_recent:]
        rate = lambda part: 1000.0 * sum(r[2] for r in part) / max(1, sum(r[1] for r in part))  # noqa: E731
        now_rate, base_rate = rate(recent), rate(base)
        if now_rate > settings.technique_factor * max(base_rate, MIN_BASELINE_RATE):
            out.append(_alert("technique-rate", f"technique-rate:{outlet}:{recent[0][0]}",
                              f"{outlet}: {now_rate:.1f} techniques per 1,000 words in its latest "
                              f"{len(recent)} stories, {base_rate:.1f} before", {
                                  "outlet": outlet, "recent_rate": round(now_rate, 2), "baseline_rate": round(base_rate, 2),
                                  "recent_doc_ids": [r[0] for r in recent], "baseline_stories": len(base),
                                  "factor": settings.technique_factor}))
    return out


def evaluate(store: Store, settings: AlertSettings, doc_ids: Sequence[str]) -> list[Alert]:
    """Run every rule over the new stories; store and return the alerts that are new."""
    found = [*narrative_alerts(store, settings, doc_ids), *debunk_alerts(store, settings, doc_ids),
             *technique_alerts(store, settings, doc_ids)]
    return raise_alerts(store, found)


# ---------------------------------------------------------------- the table


def raise_alerts(store: Store, alerts: Sequence[Alert]) -> list[Alert]:
    """Store the alerts whose key is not stored yet; those, as stored."""
    if not alerts:
        return []
    unique = list({a.key: a for a in alerts}.values())
    stamp = now()
    with store.transaction():
        known = {r[0] for r in store.con.execute(
            "SELECT key FROM alerts WHERE key IN (SELECT unnest(?))", [[a.key for a in unique]]).fetchall()}
        fresh = [a for a in unique if a.key not in known]
        store.insert_rows("alerts", _COLUMNS, [
            (a.id, a.kind, a.key, "open", a.title, json.dumps(a.details, ensure_ascii=False, default=str), stamp, stamp, None)
            for a in fresh])
    return get_alerts(store, [a.id for a in fresh])


def get_alerts(store: Store, ids: Sequence[str]) -> list[Alert]:
    if not ids or not _has(store, "alerts"):
        return []
    rows = store.con.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id IN (SELECT unnest(?)) ORDER BY raised_at, id",
                             [list(ids)]).fetchall()
    return [_from_row(r) for r in rows]


def list_alerts(store: Store, statuses: Sequence[str] = ("open", "acked"), kind: str | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[Alert], int]:
    """A page of alerts (newest first) in these states, and how many there are in all."""
    if not _has(store, "alerts"):
        return [], 0
    where = "status IN (SELECT unnest(?))" + (" AND kind = ?" if kind else "")
    params: list[Any] = [list(statuses)] + ([kind] if kind else [])
    total = store.con.execute(f"SELECT count(*) FROM alerts WHERE {where}", params).fetchone()[0]
    rows = store.con.execute(f"SELECT {_COLUMNS} FROM alerts WHERE {where} ORDER BY raised_at DESC, id LIMIT ? OFFSET ?",
                             [*params, int(limit), int(offset)]).fetchall()
    return [_from_row(r) for r in rows], int(total)


def set_status(store: Store, alert_id: str, status: str, by: str | None = None) -> Alert:
    """Ack or close (or reopen) one alert; a :class:`NotFoundError` when there is none."""
    if status not in STATUSES:
        raise ValueError(f"alert status must be one of {', '.join(STATUSES)}, got {status!r}")
    with store.transaction():
        found = store.con.execute("SELECT count(*) FROM alerts WHERE id = ?", [alert_id]).fetchone()[0]
        if not found:
            raise NotFoundError(f"no alert {alert_id!r}")
        store.con.execute("UPDATE alerts SET status = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                          [status, now(), by, alert_id])
    return get_alerts(store, [alert_id])[0]


def _has(store: Store, table: str) -> bool:
    return bool(store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()[0])


__all__ = ["Alert", "KINDS", "STATUSES", "debunk_alerts", "evaluate", "get_alerts", "list_alerts", "narrative_alerts",
           "raise_alerts", "set_status", "technique_alerts"]
