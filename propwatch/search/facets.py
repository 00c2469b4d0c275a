"""Facet filters, facet counts, sorting and paging of a search, in SQL over the store.

The full-text index (:mod:`propwatch.search.index`) only says which
stories match the words and how well; everything else is asked of the
DuckDB store, which is always current: the matching ids and their ranks
go in as two list parameters, and one query counts every facet while
another cuts the page. Facets:

==============  =========================================================
``outlet``      the story's outlet ("(unknown)" when none was found)
``country``     the outlet's country in data/outlets.csv ("unknown")
``affiliation`` the outlet's affiliation there (state-controlled, ...)
``language``    the story's language code ("und": unknown)
``technique``   a persuasion technique found in it (PTC names)
``narrative``   a narrative one of its claims belongs to
``entity``      an actor it mentions (canonical entity id)
``risk``        the assessment's band: low, medium, high, not assessed
``debunked``    yes when a debunk match counts against it: the same claim
                as a debunked one, which the story carries (a "related"
                match, or one the story reports or refutes, never counts)
``published``   month of publication (filter with ``from`` / ``to``)
==============  =========================================================

Values selected within one facet are alternatives (any of them), facets
combine with AND. The counts of a facet are taken over the stories that
match the words and every *other* facet's selection, so the values an
analyst could add to a selection keep their counts; a facet with nothing
selected counts exactly the current result set.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..ingest.outlets import outlet_by_name
from ..store.listing import DOC_ORDER, UNKNOWN_OUTLET, layer_relation
from ..store.tables import quote_ident, stored_tables

# facet name -> the column of the per-story relation it reads (multi-valued facets: None)
SINGLE = {"outlet": "outlet", "country": "country", "affiliation": "affiliation", "language": "language",
          "risk": "risk", "debunked": "debunked"}
MULTI = ("technique", "narrative", "entity")
FACETS = (*SINGLE, *MULTI, "published")
RISK_BANDS = ("high", "medium", "low", "not assessed")
SORTS = {
    "relevance": f"b.rank NULLS LAST, b.published DESC NULLS LAST, {DOC_ORDER}",
    "date": f"b.published DESC NULLS LAST, {DOC_ORDER}",
    "risk": f"b.score DESC NULLS LAST, {DOC_ORDER}",
    "title": f"b.title NULLS LAST, {DOC_ORDER}",
}
FACET_VALUES = 20  # values shown per facet, most stories first
_MONTH = re.compile(r"^\d{4}-\d{2}")


@dataclass(frozen=True)
class Selection:
    """What the analyst picked: values per facet, and a publication date range
    (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, both ends included)."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    published_from: str = ""
    published_to: str = ""


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class Hit:
    """One story of a result page."""

    id: str
    title: str | None
    outlet: str
    country: str
    affiliation: str
    language: str
    published: str | None
    risk_score: float | None
    risk_band: str
    risk_reason: str  # the reason that raised the score most (or why it was not assessed)
    techniques: int
    debunked: int  # debunk matches that count against the story
    snippet: str = ""  # filled in from the index (see propwatch.search.service)


class Corpus:
    """The SQL of one search over the store read through DuckDB connection ``con``."""

    def __init__(self, con: Any):
        self.con = con
        outlets = [r[0] for r in con.execute("SELECT DISTINCT outlet FROM documents WHERE outlet IS NOT NULL").fetchall()]
        self.outlets = sorted(outlets)
        rows = [(name, _outlet(name)) for name in outlets]
        self._outlet_params = [
            [name for name, _ in rows],
            [o.country if o and o.country else "unknown" for _, o in rows],
            [o.affiliation if o and o.affiliation else "unknown" for _, o in rows],
        ]
        self._tables = stored_tables(con)

    # ------------------------------------------------------------ relations

    def _layer(self, layer: str, columns: str) -> str:
        rel = layer_relation(self.con, layer)
        if rel is None:
            return f"SELECT NULL::VARCHAR AS doc_id, {', '.join(f'NULL::VARCHAR AS {c}' for c in columns.split(', '))} WHERE false"
        return f"SELECT doc_id, {columns} FROM ({rel})"

    def _counted_debunks(self) -> str:
        """(doc_id, n): debunk matches that count against the story (``relation`` match and
        ``counts_against``); a table written before ``counts_against`` existed counts none."""
        parts = []
        stored = self._tables.get("debunk_matches")
        if stored is not None and '"counts_against"' in stored[1]:
            parts.append(f"SELECT doc_id, relation, counts_against FROM {quote_ident(stored[0])}")
        parts.append(
            "SELECT doc_id, json_extract_string(r, '$.relation'), "
            "coalesce(TRY_CAST(json_extract(r, '$.counts_against') AS BOOLEAN), false) FROM ("
            "SELECT doc_id, unnest(CAST(records AS JSON[])) AS r FROM layer_json WHERE layer = 'debunk_matches')"
        )
        union = " UNION ALL ".join(parts)
        return (f"SELECT doc_id, count(*) AS n FROM ({union}) x(doc_id, relation, counts_against) "
                "WHERE coalesce(relation, 'match') = 'match' AND counts_against GROUP BY doc_id")

    def multi_relation(self, facet: str) -> str:
        """(doc_id, value, label) of a multi-valued facet, one row per story and value."""
        if facet == "technique":
            return f"SELECT DISTINCT doc_id, technique AS value FROM ({self._layer('techniques', 'technique')})"
        if facet == "entity":
            return (f"SELECT DISTINCT doc_id, entity_id AS value FROM ({self._layer('entities', 'entity_id')}) "
                    "WHERE entity_id IS NOT NULL AND entity_id <> ''")
        # a narrative is a claim carried by two stories or more: a claim of one story is none
        return ("SELECT DISTINCT doc_id, narrative_id AS value FROM narrative_members WHERE narrative_id IN "
                "(SELECT narrative_id FROM narrative_members GROUP BY 1 HAVING count(DISTINCT doc_id) >= 2)")

    def _with(self, hits: Sequence[tuple[str, float]] | None, selection: Selection) -> tuple[str, list[Any], dict[str, str]]:
        """The WITH clause of a search (the ``base`` relation: one row per candidate story with
        its facet values and one boolean per active selection), its parameters and the
        conditions by facet."""
        params: list[Any] = list(self._outlet_params)
        hit_cte, hit_join = "", ""
        if hits is not None:
            hit_cte = "hits AS (SELECT unnest($4::VARCHAR[]) AS doc_id, unnest($5::DOUBLE[]) AS rank),"
            hit_join = "JOIN hits h ON h.doc_id = d.id"
            params += [[h[0] for h in hits], [float(h[1]) for h in hits]]
        conditions: dict[str, str] = {}
        for facet, values in selection.values.items():
            if not values:
                continue
            params.append(list(values))
            slot = f"${len(params)}::VARCHAR[]"
            if facet == "outlet":
                conditions[facet] = f"list_contains(list_transform({slot}, lambda v: lower(v)), lower(outlet))"
            elif facet in SINGLE:
                conditions[facet] = f"list_contains({slot}, {SINGLE[facet]})"
            else:
                conditions[facet] = (f"id IN (SELECT doc_id FROM ({self.multi_relation(facet)}) "
                                     f"WHERE list_contains({slot}, value))")
        dates = []
        for bound, op in ((selection.published_from, ">="), (selection.published_to, "<=")):
            if bound:
                params.append(bound)
                dates.append(f"substr(published, 1, {len(bound)}) {op} ${len(params)}")
        if dates:
            conditions["published"] = "(" + " AND ".join(dates) + ")"
        flags = "".join(f", {cond} AS {quote_ident('c_' + facet)}" for facet, cond in conditions.items())
        sql = f"""
        WITH {hit_cte}
        outlets AS (SELECT unnest($1::VARCHAR[]) AS outlet, unnest($2::VARCHAR[]) AS country,
                           unnest($3::VARCHAR[]) AS affiliation),
        risk AS (SELECT doc_id, score, label, reasons FROM ({layer_relation(self.con, 'assessment') or
                 "SELECT NULL::VARCHAR AS doc_id, 0 AS seq, NULL::DOUBLE AS score, NULL::VARCHAR AS label, NULL::JSON AS reasons WHERE false"}) WHERE seq = 0),
        debunks AS ({self._counted_debunks()}),
        story AS (
            SELECT d.id, d.title, d.published, d.ingested_at, d.source, d.story_index, d.rowid AS pos,
                   coalesce(nullif(d.outlet, ''), '{UNKNOWN_OUTLET}') AS outlet,
                   coalesce(o.country, 'unknown') AS country, coalesce(o.affiliation, 'unknown') AS affiliation,
                   coalesce(nullif(d.language, ''), 'und') AS language,
                   r.score, coalesce(r.label, 'not assessed') AS risk,
                   coalesce(m.n, 0) AS debunks, CASE WHEN m.n > 0 THEN 'yes' ELSE 'no' END AS debunked,
                   {"h.rank" if hits is not None else "NULL::DOUBLE"} AS rank
            FROM documents d {hit_join}
            LEFT JOIN outlets o ON o.outlet = d.outlet
            LEFT JOIN risk r ON r.doc_id = d.id
            LEFT JOIN debunks m ON m.doc_id = d.id
        ),
        base AS (SELECT *{flags} FROM story)
        """
        return sql, params, conditions

    @staticmethod
    def _where(conditions: Mapping[str, str], but: str = "") -> str:
        flags = [quote_ident("c_" + f) for f in conditions if f != but]
        return ("WHERE " + " AND ".join(flags)) if flags else ""

    # ------------------------------------------------------------ counts and pages

    def facets(self, hits: Sequence[tuple[str, float]] | None, selection: Selection) -> tuple[int, dict[str, list[FacetValue]]]:
        """How many stories match in all, and the counts of every facet's values."""
        sql, params, conditions = self._with(hits, selection)
        parts = [f"SELECT '_total' AS facet, NULL AS value, count(*) AS n FROM base {self._where(conditions)}"]
        for facet, column in SINGLE.items():
            parts.append(f"SELECT '{facet}', {column}, count(*) FROM base {self._where(conditions, facet)} GROUP BY 2")
        for facet in MULTI:
            parts.append(f"SELECT '{facet}', v.value, count(*) FROM base b JOIN ({self.multi_relation(facet)}) v "
                         f"ON v.doc_id = b.id {self._where(conditions, facet)} GROUP BY 2")
        parts.append(f"SELECT 'published', CASE WHEN regexp_matches(coalesce(published, ''), '^\\d{{4}}-\\d{{2}}') "
                     f"THEN substr(published, 1, 7) ELSE 'unknown' END, count(*) FROM base "
                     f"{self._where(conditions, 'published')} GROUP BY 2")
        rows = self.con.execute(
            sql + " SELECT facet, value, n FROM (" + " UNION ALL ".join(parts) + ") "
            "QUALIFY facet IN ('_total', 'published') OR row_number() OVER (PARTITION BY facet ORDER BY n DESC, value) <= "
            f"{FACET_VALUES}",
            params,
        ).fetchall()
        total = 0
        found: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS}
        for facet, value, n in rows:
            if facet == "_total":
                total = int(n)
            else:
                found[facet].append((value, int(n)))
        return total, self._labelled(found, selection)

    def _labelled(self, found: Mapping[str, list[tuple[str, int]]], selection: Selection) -> dict[str, list[FacetValue]]:
        from ..techniques.inventory import label

        names = {
            "entity": self._names("entity", [v for v, _ in found["entity"]]),
            "narrative": self._names("narrative", [v for v, _ in found["narrative"]]),
        }
        out: dict[str, list[FacetValue]] = {}
        for facet, values in found.items():
            chosen = {v.casefold() for v in selection.values.get(facet, ())}
            if facet == "published":
                ordered = sorted(values, key=lambda x: (x[0] == "unknown", x[0]))
            elif facet == "risk":
                ordered = sorted(values, key=lambda x: RISK_BANDS.index(x[0]) if x[0] in RISK_BANDS else len(RISK_BANDS))
            else:
                ordered = sorted(values, key=lambda x: (-x[1], x[0]))
            out[facet] = [
                FacetValue(value, label(value) if facet == "technique" else names.get(facet, {}).get(value, value),
                           n, value.casefold() in chosen)
                for value, n in ordered
            ]
        return out

    def _names(self, facet: str, values: Sequence[str]) -> dict[str, str]:
        """Readable labels of entity ids (their canonical name) and narrative ids (their first claim)."""
        if not values:
            return {}
        if facet == "entity":
            sql = (f"SELECT entity_id, mode(name) FROM ({self._layer('entities', 'entity_id, name')}) "
                   "WHERE entity_id IN (SELECT unnest(?)) GROUP BY 1")
        else:
            sql = ("SELECT narrative_id, arg_min(coalesce(json_extract_string(claim, '$.normalized'), "
                   "json_extract_string(claim, '$.text')), seq) FROM narrative_members "
                   "WHERE narrative_id IN (SELECT unnest(?)) GROUP BY 1")
        return {k: v for k, v in self.con.execute(sql, [list(values)]).fetchall() if v}

    def top_reasons(self) -> dict[str, str]:
        """story id -> the detail of the reason that raised its risk most (the first reason when
        none raised it): :func:`top_reason` for every assessed story, in one query."""
        rel = layer_relation(self.con, "assessment")
        if rel is None:
            return {}
        sql = f"""
        WITH r AS (SELECT doc_id, unnest(reasons) AS x, generate_subscripts(reasons, 1) AS i FROM ({rel}) WHERE seq = 0)
        SELECT doc_id, coalesce(arg_max(coalesce(x.detail, x.factor), x.weight) FILTER (WHERE x.weight > 0),
                                arg_min(coalesce(x.detail, x.factor), i))
        FROM r GROUP BY doc_id
        """
        try:
            return {doc_id: reason or "" for doc_id, reason in self.con.execute(sql).fetchall()}
        except duckdb.Error:  # reasons stored as JSON text (an old store): read per page instead
            return {}

    def page(self, hits: Sequence[tuple[str, float]] | None, selection: Selection, sort: str,
             limit: int, offset: int, reasons: Mapping[str, str] | None = None) -> list[Hit]:
        """One page of the stories that match, in ``sort`` order (see :data:`SORTS`); ``reasons``:
        :meth:`top_reasons` when the caller keeps them (reading reasons per page costs a scan)."""
        sql, params, conditions = self._with(hits, selection)
        order = SORTS[sort].replace("d.", "b.").replace("b.rowid", "b.pos")
        known = bool(reasons)
        rows = self.con.execute(
            sql + f"""
            , page AS (SELECT * FROM base b {self._where(conditions)} ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)})
            SELECT b.id, b.title, b.outlet, b.country, b.affiliation, b.language, b.published, b.score, b.risk,
                   {"NULL" if known else "to_json(r.reasons)"}, coalesce(s.records, 0), b.debunks
            FROM page b {"" if known else "LEFT JOIN risk r ON r.doc_id = b.id"}
            LEFT JOIN layer_state s ON s.doc_id = b.id AND s.layer = 'techniques'
            ORDER BY {order}
            """,
            params,
        ).fetchall()
        return [Hit(id=r[0], title=r[1], outlet=r[2], country=r[3], affiliation=r[4], language=r[5], published=r[6],
                    risk_score=r[7], risk_band=r[8],
                    risk_reason=(reasons or {}).get(r[0], "") if known else top_reason(r[9]),
                    techniques=int(r[10]), debunked=int(r[11]))
                for r in rows]

    # ------------------------------------------------------------ what a selection may name

    def has_value(self, facet: str, value: str) -> bool:
        """Whether the store knows ``value`` of a facet that names stored things (outlet,
        narrative, entity); the other facets are checked against their vocabularies."""
        if facet == "outlet":
            return value.casefold() in {o.casefold() for o in self.outlets} | {UNKNOWN_OUTLET}
        if facet == "entity":
            sql = f"SELECT 1 FROM ({self._layer('entities', 'entity_id')}) WHERE entity_id = ? LIMIT 1"
        else:
            sql = "SELECT 1 FROM narrative_members WHERE narrative_id = ? LIMIT 1"
        return self.con.execute(sql, [value]).fetchone() is not None


@functools.lru_cache(maxsize=4096)
def _outlet(name: str) -> Any:
    """The outlets table's entry of an outlet name (looked up once per name and process)."""
    return outlet_by_name(name)


def top_reason(reasons: str | None) -> str:
    """The detail of the reason that raised the risk most (the first one when none raised it)."""
    items = json.loads(reasons) if reasons else []
    if not items:
        return ""
    raising = [r for r in items if (r.get("weight") or 0) > 0]
    best = max(raising, key=lambda r: r["weight"]) if raising else items[0]
    return str(best.get("detail") or best.get("factor") or "")
