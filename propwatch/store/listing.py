"""Listings in SQL over the typed layer tables: stories, quotes, entities.

Each listing filters, sorts and pages in DuckDB and returns plain rows,
without loading documents. Stories keep the store's order (ingested, then
source and position on the page) unless another order is asked for.
Text filters compare with DuckDB's ``lower`` on both sides (Python's
``casefold`` differs from it only for a few letters such as ``ß``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..records import LAYER_RECORDS
from .tables import load_record_types, quote_ident, stored_tables, table_for

UNKNOWN_OUTLET = "(unknown)"
# the store's order: ingested, then source and position on the page, then as written
DOC_ORDER = "d.ingested_at, d.source, d.story_index, d.rowid"

# name -> ORDER BY of the story list (ties always fall back to the store's order)
STORY_ORDERS = {
    "ingested": DOC_ORDER,
    "published": f"d.published DESC NULLS LAST, {DOC_ORDER}",
    "risk": f"r.score DESC NULLS LAST, {DOC_ORDER}",
    "title": f"d.title NULLS LAST, {DOC_ORDER}",
}


@dataclass(frozen=True)
class StoryFilter:
    """Which stories a listing shows; empty fields filter nothing."""

    q: str = ""  # in the title or text, any case
    outlet: str = ""  # the outlet, any case
    language: str = ""  # exactly this code ("und": unknown)


@dataclass(frozen=True)
class StorySummary:
    """One row of the story list: what listings and the index page show."""

    id: str
    title: str | None
    outlet: str | None
    language: str
    published: str | None
    flags: tuple[str, ...]
    source: str
    story_index: int
    near_duplicate_of: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)  # layer -> records, layers stored
    risk_score: float | None = None  # the assessment's score; None when not assessed
    risk_label: str | None = None
    # debunk matches of relation "match" (the same claim as a debunked one); "related" ones never count
    debunked: int = 0

    @classmethod
    def of(cls, doc: Any) -> "StorySummary":
        """The summary of a loaded document (what :func:`list_stories` gives for it)."""
        assessment = doc.layer("assessment")
        return cls(
            id=doc.id, title=doc.title, outlet=doc.outlet, language=doc.language, published=doc.published,
            flags=tuple(doc.flags), source=doc.source, story_index=doc.story_index,
            near_duplicate_of=doc.near_duplicate_of,
            counts={name: len(records) for name, records in doc.layers.items()},
            risk_score=float(assessment[0].score) if assessment and assessment[0].score is not None else None,
            risk_label=assessment[0].label if assessment else None,
            debunked=debunked_count(doc.layer("debunk_matches")),
        )


def debunked_count(matches: Any) -> int:
    """How many debunk matches are the same claim as a debunked one (``relation == "match"``)."""
    return sum(1 for m in matches if getattr(m, "relation", "match") == "match")


def layer_relation(con: Any, layer: str) -> str | None:
    """SQL for all records of ``layer`` as rows (doc_id, seq, <fields>): its typed table
    plus whatever went to the JSON fallback; None when the layer has no record type."""
    load_record_types()
    table = table_for(layer)
    if table is None:
        return None
    parts = []
    if table.layer in stored_tables(con):
        parts.append(f"SELECT doc_id, seq, {table.columns} FROM {quote_ident(table.name)}")
    structure = "'" + f"[{table.structure}]".replace("'", "''") + "'"
    parts.append(
        f"SELECT doc_id, CAST(seq AS INTEGER) AS seq, unnest(r) FROM ("
        f"SELECT doc_id, generate_subscripts(rs, 1) - 1 AS seq, unnest(rs) AS r FROM ("
        f"SELECT doc_id, from_json(records, {structure}) AS rs FROM layer_json "
        f"WHERE layer = '{layer}'))"
    )
    return " UNION ALL ".join(parts)


def _story_where(flt: StoryFilter) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if flt.outlet:
        clauses.append("lower(coalesce(d.outlet, '')) = lower(?)")
        params.append(flt.outlet)
    if flt.language:
        clauses.append("coalesce(nullif(d.language, ''), 'und') = ?")
        params.append(flt.language)
    if flt.q:
        clauses.append("(contains(lower(d.text), lower(?)) OR contains(lower(coalesce(d.title, '')), lower(?)))")
        params += [flt.q, flt.q]
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_stories(
    con: Any, flt: StoryFilter = StoryFilter(), order: str = "ingested", limit: int | None = None, offset: int = 0,
) -> tuple[list[StorySummary], int]:
    """One page of stories matching ``flt`` and the number of all that match.

    The page is cut first (a top-N over the documents table; the risk joins
    in before only when it is the order), then its risk and layer counts
    are joined in, so a page costs about the same on any store size.
    """
    if order not in STORY_ORDERS:
        raise ValueError(f"unknown order {order!r}; use one of {', '.join(STORY_ORDERS)}")
    where, params = _story_where(flt)
    risk = _risk_relation(con)
    by_risk = order == "risk"
    page = f"LIMIT {int(limit)}" if limit is not None else ""
    # a text filter scans every story's text: count in that same scan
    total_col = ", count(*) OVER () AS total" if flt.q else ", NULL AS total"
    rows = con.execute(
        f"""
        WITH page AS (
            SELECT d.id, d.title, d.outlet, coalesce(nullif(d.language, ''), 'und') AS language, d.published, d.flags,
                   d.source, d.story_index, d.near_duplicate_of, d.ingested_at, d.rowid AS doc_pos
                   {", r.score AS risk_score" if by_risk else ""} {total_col}
            FROM documents d {f"LEFT JOIN ({risk}) r ON r.doc_id = d.id" if by_risk else ""}
            {where}
            ORDER BY {STORY_ORDERS[order]} {page} OFFSET {int(offset)}
        ),
        counts AS (
            SELECT s.doc_id, string_agg(s.layer || chr(31) || CAST(s.records AS VARCHAR), chr(30) ORDER BY s.rowid) AS counts
            FROM layer_state s WHERE s.doc_id IN (SELECT id FROM page) GROUP BY s.doc_id
        ),
        debunked AS ({_debunked_relation(con)})
        SELECT d.id, d.title, d.outlet, d.language, d.published, d.flags, d.source, d.story_index,
               d.near_duplicate_of, r.score, r.label, d.total, c.counts, coalesce(m.n, 0)
        FROM page d LEFT JOIN ({risk}) r ON r.doc_id = d.id LEFT JOIN counts c ON c.doc_id = d.id
        LEFT JOIN debunked m ON m.doc_id = d.id
        ORDER BY {STORY_ORDERS[order].replace("r.score", "d.risk_score").replace("d.rowid", "d.doc_pos")}
        """,
        params,
    ).fetchall()
    if rows and rows[0][11] is not None:
        total = rows[0][11]
    else:
        total = con.execute(f"SELECT count(*) FROM documents d {where}", params).fetchone()[0]
    out = []
    for (doc_id, title, outlet, language, published, flags, source, story_index, dup,
         score, label, _, counts, debunked) in rows:
        out.append(StorySummary(
            id=doc_id, title=title, outlet=outlet, language=language, published=published,
            flags=tuple(json.loads(flags) if flags else ()), source=source, story_index=story_index,
            near_duplicate_of=dup or None,
            counts=_counts(counts),
            risk_score=score, risk_label=label, debunked=int(debunked),
        ))
    return out, total


def _debunked_relation(con: Any) -> str:
    """(doc_id, n): the debunk matches of relation "match" of the page's stories. Reads only
    ``doc_id`` and ``relation`` of the stored table (and of the JSON fallback), so a table
    written under an older DebunkMatch type still counts."""
    parts = []
    stored = stored_tables(con).get("debunk_matches")
    if stored is not None:
        parts.append(f"SELECT doc_id, relation FROM {quote_ident(stored[0])}")
    parts.append(
        "SELECT doc_id, json_extract_string(r, '$.relation') AS relation FROM ("
        "SELECT doc_id, unnest(CAST(records AS JSON[])) AS r FROM layer_json WHERE layer = 'debunk_matches')"
    )
    return (f"SELECT x.doc_id, count(*) AS n FROM ({' UNION ALL '.join(parts)}) x "
            "WHERE x.doc_id IN (SELECT id FROM page) AND coalesce(x.relation, 'match') = 'match' GROUP BY x.doc_id")


def _counts(packed: str | None) -> dict[str, int]:
    """layer -> records from "layer\x1fn\x1e..." (string_agg is much faster than a list per row)."""
    out = {}
    for part in (packed or "").split("\x1e") if packed else ():
        layer, _, n = part.rpartition("\x1f")
        if layer in LAYER_RECORDS:
            out[layer] = int(n)
    return out


def _risk_relation(con: Any) -> str:
    rel = layer_relation(con, "assessment")
    if rel is None:
        return "SELECT NULL::VARCHAR AS doc_id, NULL::DOUBLE AS score, NULL::VARCHAR AS label WHERE false"
    return f"SELECT doc_id, score, label FROM ({rel}) WHERE seq = 0"


# ---------------------------------------------------------------- quotes and entities


def quote_rows(con: Any, kind: str | None = None, speaker: str | None = None,
               limit: int | None = None, offset: int = 0, entity_id: str | None = None) -> list[dict]:
    """One row per quote (story order, then position): story id, outlet, speaker, cue, text.

    ``speaker`` matches a part of the entity id (exact case) or of the name (any case);
    ``entity_id`` only the quotes of that one speaker (an entity page).
    """
    rel = layer_relation(con, "quotes")
    if rel is None:
        return []
    clauses, params = [], []
    if entity_id:
        clauses.append("q.speaker.entity_id = ?")
        params.append(entity_id)
    if kind:
        clauses.append("q.speaker.kind = ?")
        params.append(kind)
    if speaker:
        clauses.append("(strpos(coalesce(q.speaker.entity_id, ''), ?) > 0 "
                       "OR strpos(lower(coalesce(q.speaker.name, '')), lower(?)) > 0)")
        params += [speaker, speaker]
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    page = f"LIMIT {int(limit)}" if limit else ""
    rows = con.execute(
        f"""
        SELECT q.doc_id, d.outlet, q.speaker.name, q.speaker.entity_id, q.speaker.kind, q.cue.text,
               q.direct, q."start", q."end", q."text"
        FROM ({rel}) q JOIN documents d ON d.id = q.doc_id
        {where}
        ORDER BY {DOC_ORDER}, q.seq {page} OFFSET {int(offset)}
        """,
        params,
    ).fetchall()
    keys = ("id", "outlet", "speaker", "entity_id", "kind", "cue", "direct", "start", "end", "text")
    return [dict(zip(keys, row)) for row in rows]


def _entity_where(label: str | None, outlet: str | None, entity_id: str | None) -> tuple[str, list[Any]]:
    """The WHERE over mentions ``e`` of stories ``d`` that the entity listings share."""
    clauses, params = [], []
    if entity_id:
        clauses.append("e.entity_id = ?")
        params.append(entity_id)
    if label:
        clauses.append("e.label = ?")
        params.append(label.upper())
    if outlet:
        clauses.append("lower(coalesce(d.outlet, '')) = lower(?)")
        params.append(outlet)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def entity_total(con: Any, label: str | None = None, outlet: str | None = None, min_mentions: int = 1) -> int:
    """How many entities :func:`entity_rows` lists with these filters (over all its pages)."""
    rel = layer_relation(con, "entities")
    if rel is None:
        return 0
    where, params = _entity_where(label, outlet, None)
    return con.execute(
        f"SELECT count(*) FROM (SELECT e.entity_id FROM ({rel}) e JOIN documents d ON d.id = e.doc_id {where} "
        "GROUP BY e.entity_id HAVING count(*) >= ?)", params + [int(min_mentions)],
    ).fetchone()[0]


def entity_rows(con: Any, label: str | None = None, outlet: str | None = None, min_mentions: int = 1,
                limit: int | None = None, offset: int = 0, entity_id: str | None = None) -> list[dict]:
    """One row per canonical entity: mentions, stories and mentions per outlet.

    Rows are sorted by mentions (most first), then id; ``outlets`` lists
    "Outlet: n" most first; ``names`` the surface forms the texts used, most
    used first (ties: first seen first). The name and label shown are those
    of the first mention found by an alias or NER, else of the first mention.
    ``entity_id``: only that entity's row (an entity page).
    """
    rel = layer_relation(con, "entities")
    if rel is None:
        return []
    where, params = _entity_where(label, outlet, entity_id)
    page = f"LIMIT {int(limit)}" if limit else ""
    rows = con.execute(
        f"""
        WITH m AS (
            SELECT e.entity_id, e.name, e.label, e.source, e."text" AS surface, e.doc_id,
                   coalesce(nullif(d.outlet, ''), '{UNKNOWN_OUTLET}') AS doc_outlet,
                   row_number() OVER (ORDER BY {DOC_ORDER}, e.seq) AS ord
            FROM ({rel}) e JOIN documents d ON d.id = e.doc_id
            {where}
        ),
        agg AS (
            SELECT entity_id, count(*) AS mentions, count(DISTINCT doc_id) AS stories,
                   arg_min(name, (CASE WHEN source IN ('alias', 'ner') THEN 0 ELSE 1 END, ord)) AS name,
                   arg_min(label, (CASE WHEN source IN ('alias', 'ner') THEN 0 ELSE 1 END, ord)) AS label
            FROM m GROUP BY entity_id HAVING count(*) >= ?
        ),
        per_outlet AS (SELECT entity_id, doc_outlet, count(*) AS n FROM m GROUP BY ALL),
        per_name AS (SELECT entity_id, surface, count(*) AS n, min(ord) AS first FROM m GROUP BY ALL)
        SELECT a.entity_id, a.name, a.label, a.mentions, a.stories,
               (SELECT list(o.doc_outlet || ': ' || o.n ORDER BY o.n DESC, o.doc_outlet)
                FROM per_outlet o WHERE o.entity_id = a.entity_id) AS outlets,
               (SELECT list(p.surface ORDER BY p.n DESC, p.first)
                FROM per_name p WHERE p.entity_id = a.entity_id) AS names
        FROM agg a ORDER BY a.mentions DESC, a.entity_id {page} OFFSET {int(offset)}
        """,
        params + [int(min_mentions)],
    ).fetchall()
    keys = ("entity_id", "name", "label", "mentions", "stories", "outlets", "names")
    return [dict(zip(keys, row)) for row in rows]
