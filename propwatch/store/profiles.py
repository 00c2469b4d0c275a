"""Corpus profiles in SQL over the store: narratives, outlets, entities, debunk cases.

What the workbench's narrative, outlet, entity and debunk pages (and their
JSON API) show, and what ``propwatch narratives`` lists, is read here:
each function filters, groups, sorts and pages in DuckDB and returns plain
rows. A store that lacks a table (no narratives linked yet, no debunks
imported) gives empty rows, not an error.

Outlets are named as stored; a story without one counts under
:data:`~propwatch.store.listing.UNKNOWN_OUTLET`. Days are the first ten
characters of ``published`` (the metadata stage writes ISO dates).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .listing import DOC_ORDER, UNKNOWN_OUTLET, layer_relation

OUTLET = f"coalesce(nullif(d.outlet, ''), '{UNKNOWN_OUTLET}')"
DAY = "left(nullif(d.published, ''), 10)"
LANGUAGE = "coalesce(nullif(d.language, ''), 'und')"
WORDS = r"len(regexp_split_to_array(trim(d.text), '\s+'))"

# name -> ORDER BY of the narrative list (ties end on the id, so a page is stable)
NARRATIVE_ORDERS = {
    "size": "n_outlets DESC, n_stories DESC, n_claims DESC, first_seen NULLS LAST, narrative_id",
    "first_seen": "first_seen NULLS LAST, n_outlets DESC, n_stories DESC, narrative_id",
    "last_seen": "last_seen DESC NULLS LAST, n_outlets DESC, n_stories DESC, narrative_id",
    "stories": "n_stories DESC, n_outlets DESC, n_claims DESC, narrative_id",
    "outlets": "n_outlets DESC, first_seen NULLS LAST, n_stories DESC, narrative_id",
    "languages": "n_languages DESC, n_outlets DESC, n_stories DESC, narrative_id",
    "newest": "first_seen DESC NULLS LAST, n_outlets DESC, n_stories DESC, narrative_id",
}
# name -> ORDER BY of the outlet list
OUTLET_ORDERS = {
    "stories": "stories DESC, outlet",
    "name": "lower(outlet), outlet",
    "last_seen": "last_seen DESC NULLS LAST, outlet",
    "debunked": "debunked DESC, stories DESC, outlet",
}

# name -> ORDER BY of the entity list
ENTITY_ORDERS = {
    "mentions": "mentions DESC, stories DESC, entity_id",
    "stories": "stories DESC, mentions DESC, entity_id",
    "outlets": "n_outlets DESC, mentions DESC, entity_id",
    "quotes": "quotes DESC, mentions DESC, entity_id",
    "name": "lower(name), entity_id",
    "last_seen": "last_seen DESC NULLS LAST, mentions DESC, entity_id",
}


def has_table(con: Any, name: str) -> bool:
    """Whether the store has table ``name`` (an older or read-only store may lack it)."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])


def _relation(con: Any, layer: str, columns: str) -> str:
    """A built-in layer's records as rows (doc_id, seq, ``columns``)."""
    return f"SELECT doc_id, seq, {columns} FROM ({layer_relation(con, layer)})"


def _order(orders: dict[str, str], order: str) -> str:
    if order not in orders:
        raise ValueError(f"unknown order {order!r}; use one of {', '.join(orders)}")
    return orders[order]


def _page(limit: int | None, offset: int) -> str:
    return (f"LIMIT {int(limit)} " if limit is not None else "") + f"OFFSET {int(offset)}"


# ---------------------------------------------------------------- narratives


@dataclass(frozen=True)
class NarrativeRow:
    """One line of the narrative list: how big a narrative is and when it was seen."""

    id: str
    n_claims: int
    n_stories: int
    outlets: tuple[str, ...]  # most stories first
    languages: tuple[str, ...]
    first_seen: str | None
    last_seen: str | None
    outlet_stories: int = 0  # stories of the outlet asked for (``outlet=``)
    outlet_first_seen: str | None = None


def narrative_page(con: Any, min_stories: int = 2, min_outlets: int = 1, order: str = "size",
                   limit: int | None = None, offset: int = 0, outlet: str | None = None) -> tuple[list[NarrativeRow], int]:
    """One page of narratives carried by at least ``min_stories`` stories and ``min_outlets``
    outlets (``outlet``: only those that outlet carried), and how many there are in all.

    The ``size`` order is the one ``propwatch narratives`` has always listed in: most
    outlets, then stories, then claims, then the earliest first seen.
    """
    if not has_table(con, "narrative_members"):
        return [], 0
    sort = _order(NARRATIVE_ORDERS, order)
    mine = f"lower({OUTLET}) = lower($outlet)"
    rows = con.execute(
        f"""
        WITH m AS (
            SELECT nm.narrative_id, nm.doc_id, nullif(d.outlet, '') AS outlet, {LANGUAGE} AS language, {DAY} AS day,
                   {mine if outlet else 'false'} AS mine
            FROM narrative_members nm JOIN documents d ON d.id = nm.doc_id
        ),
        agg AS (
            SELECT narrative_id, count(*) AS n_claims, count(DISTINCT doc_id) AS n_stories,
                   count(DISTINCT outlet) AS n_outlets, min(day) AS first_seen, max(day) AS last_seen,
                   list(DISTINCT language ORDER BY language) AS languages, count(DISTINCT language) AS n_languages,
                   count(DISTINCT doc_id) FILTER (WHERE mine) AS outlet_stories,
                   min(day) FILTER (WHERE mine) AS outlet_first_seen
            FROM m GROUP BY narrative_id
            HAVING count(DISTINCT doc_id) >= $min_stories AND count(DISTINCT outlet) >= $min_outlets
                   {'AND bool_or(mine)' if outlet else ''}
        ),
        page AS (SELECT *, count(*) OVER () AS total FROM agg ORDER BY {sort} {_page(limit, offset)}),
        per_outlet AS (
            SELECT narrative_id, outlet, count(DISTINCT doc_id) AS n FROM m
            WHERE outlet IS NOT NULL AND narrative_id IN (SELECT narrative_id FROM page) GROUP BY ALL
        )
        SELECT p.narrative_id, p.n_claims, p.n_stories,
               (SELECT list(o.outlet ORDER BY o.n DESC, o.outlet) FROM per_outlet o WHERE o.narrative_id = p.narrative_id),
               p.languages, p.first_seen, p.last_seen, p.outlet_stories, p.outlet_first_seen, p.total
        FROM page p ORDER BY {sort}
        """,
        {"min_stories": int(min_stories), "min_outlets": int(min_outlets), **({"outlet": outlet} if outlet else {})},
    ).fetchall()
    total = rows[0][-1] if rows else _narrative_total(con, min_stories, min_outlets, outlet, offset)
    return [NarrativeRow(r[0], r[1], r[2], tuple(r[3] or ()), tuple(r[4] or ()), r[5], r[6], r[7], r[8])
            for r in rows], total


def _narrative_total(con: Any, min_stories: int, min_outlets: int, outlet: str | None, offset: int) -> int:
    """The total of a page past the end (a page's rows carry it otherwise)."""
    if not offset:
        return 0
    return narrative_page(con, min_stories, min_outlets, "stories", 1, 0, outlet)[1]


def narrative_cases(con: Any, narrative_id: str) -> list[dict]:
    """The debunk cases a narrative's claims match (``relation = 'match'`` on a span that overlaps
    a member claim): the case, how many of the narrative's stories match it and how many carry it
    (``counts_against``), most carried first."""
    if not has_table(con, "narrative_members"):
        return []
    rel = _relation(con, "debunk_matches", '"start", "end", debunk_id, case_id, debunk_claim, url, database, relation, '
                                          "counts_against")
    rows = con.execute(
        f"""
        WITH claim AS (
            SELECT doc_id, CAST(split_part(span, '-', 1) AS BIGINT) AS s, CAST(split_part(span, '-', 2) AS BIGINT) AS e
            FROM (SELECT doc_id, split_part(claim_key, ':', -1) AS span FROM narrative_members WHERE narrative_id = ?)
        )
        SELECT m.debunk_id, any_value(m.case_id), any_value(m.debunk_claim), any_value(m.url), any_value(m.database),
               count(DISTINCT m.doc_id), count(DISTINCT m.doc_id) FILTER (WHERE m.counts_against)
        FROM ({rel}) m JOIN claim c ON c.doc_id = m.doc_id AND m."start" < c.e AND c.s < m."end"
        WHERE m.relation = 'match' GROUP BY m.debunk_id ORDER BY 7 DESC, 6 DESC, m.debunk_id
        """,
        [narrative_id],
    ).fetchall()
    keys = ("debunk_id", "case_id", "claim", "case_url", "database", "matched", "carried")
    return [dict(zip(keys, r)) for r in rows]


# ---------------------------------------------------------------- outlets


def outlet_page(con: Any, order: str = "stories", limit: int | None = None, offset: int = 0,
                name: str | None = None) -> tuple[list[dict], int]:
    """One page of outlets: stories, first and last day, languages, techniques in the outlet's own
    voice per story, claims matching a debunked one that the stories carry; and how many outlets
    (``name``: that outlet's row only, any case)."""
    sort = _order(OUTLET_ORDERS, order)
    rows = con.execute(
        f"""
        WITH docs AS (SELECT d.id, {OUTLET} AS outlet, {DAY} AS day, {LANGUAGE} AS language FROM documents d),
        tech AS (SELECT doc_id, count(*) AS n FROM ({_relation(con, 'techniques', 'quoted')}) WHERE NOT coalesce(quoted, false) GROUP BY doc_id),
        deb AS (SELECT doc_id, count(*) AS n FROM ({_relation(con, 'debunk_matches', 'counts_against')}) WHERE counts_against GROUP BY doc_id),
        agg AS (
            SELECT docs.outlet, count(*) AS stories, min(day) AS first_seen, max(day) AS last_seen,
                   list(DISTINCT language ORDER BY language) AS languages, coalesce(sum(tech.n), 0) AS techniques,
                   coalesce(sum(deb.n), 0) AS debunked
            FROM docs LEFT JOIN tech ON tech.doc_id = docs.id LEFT JOIN deb ON deb.doc_id = docs.id
            {'WHERE lower(docs.outlet) = lower($name)' if name is not None else ''} GROUP BY docs.outlet
        )
        SELECT outlet, stories, first_seen, last_seen, languages, techniques, debunked, count(*) OVER ()
        FROM agg ORDER BY {sort} {_page(limit, offset)}
        """,
        {"name": name} if name is not None else {},
    ).fetchall()
    total = rows[0][-1] if rows else 0 if name is not None else con.execute(
        f"SELECT count(DISTINCT {OUTLET}) FROM documents d").fetchone()[0]
    keys = ("outlet", "stories", "first_seen", "last_seen", "languages", "techniques", "debunked")
    return [dict(zip(keys, r[:-1])) for r in rows], total


def outlet_exists(con: Any, outlet: str) -> str | None:
    """The outlet's name as stored (any case given), or None when no story has it."""
    row = con.execute(f"SELECT {OUTLET} FROM documents d WHERE lower({OUTLET}) = lower(?) LIMIT 1", [outlet]).fetchone()
    return row[0] if row else None


def stories_per_day(con: Any, outlet: str) -> tuple[list[tuple[str, int]], int]:
    """(day, stories) of the outlet, oldest first, and how many of its stories have no date."""
    rows = con.execute(
        f"SELECT {DAY} AS day, count(*) FROM documents d WHERE lower({OUTLET}) = lower(?) GROUP BY day ORDER BY day NULLS LAST",
        [outlet],
    ).fetchall()
    return [(day, n) for day, n in rows if day], sum(n for day, n in rows if not day)


def _analysed(con: Any, layer: str) -> str:
    """Stories whose ``layer`` was made (stored and not marked "not analysed" for their language)."""
    not_analysed = _relation(con, "coverage", '"layer"')
    return (f"SELECT doc_id FROM layer_state WHERE layer = '{layer}' "
            f"EXCEPT SELECT doc_id FROM ({not_analysed}) WHERE \"layer\" = '{layer}'")


def technique_totals(con: Any) -> dict[str, tuple[int, int]]:
    """outlet -> (stories, words) the techniques stage analysed. Counting words reads every text
    (seconds on a big store): a caller showing many outlets keeps this and passes it on."""
    rows = con.execute(
        f"SELECT {OUTLET}, count(*), coalesce(sum({WORDS}), 0) FROM documents d "
        f"WHERE d.id IN ({_analysed(con, 'techniques')}) GROUP BY 1"
    ).fetchall()
    return {outlet: (int(n), int(words)) for outlet, n, words in rows}


def technique_rates(con: Any, outlet: str, totals: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """Per technique, the outlet's spans (its own voice: spans inside a quote are the speaker's)
    per story and per 1,000 words, beside the same rates over the whole corpus.

    Only stories the techniques stage analysed count, in the outlet and in the corpus;
    ``totals``: :func:`technique_totals` when the caller has it."""
    base = (f"SELECT d.id, lower({OUTLET}) = lower($outlet) AS mine FROM documents d "
            f"WHERE d.id IN ({_analysed(con, 'techniques')})")
    rows = con.execute(
        f"""
        SELECT t.technique, count(*) FILTER (WHERE a.mine) AS n_outlet, count(*) AS n_corpus
        FROM ({_relation(con, 'techniques', 'technique, quoted')}) t JOIN ({base}) a ON a.id = t.doc_id
        WHERE NOT coalesce(t.quoted, false) GROUP BY t.technique ORDER BY n_outlet DESC, n_corpus DESC, t.technique
        """,
        {"outlet": outlet},
    ).fetchall()
    totals = technique_totals(con) if totals is None else totals
    own = [v for k, v in totals.items() if k.lower() == outlet.lower()]  # the outlet in any case, as the filters
    totals = (sum(n for n, _ in own), sum(w for _, w in own), sum(n for n, _ in totals.values()),
              sum(w for _, w in totals.values()))
    stories, words, all_stories, all_words = totals

    def rate(n: int, d: int, per: int = 1) -> float | None:
        return round(per * n / d, 3) if d else None

    return {
        "stories": stories, "words": words, "corpus_stories": all_stories, "corpus_words": all_words,
        "techniques": [
            {"technique": tech, "spans": n, "per_story": rate(n, stories), "per_1000_words": rate(n, words, 1000),
             "corpus_spans": n_all, "corpus_per_story": rate(n_all, all_stories),
             "corpus_per_1000_words": rate(n_all, all_words, 1000)}
            for tech, n, n_all in rows
        ],
    }


def sourcing_rates(con: Any, outlet: str) -> dict[str, Any]:
    """How the outlet sources its stories (the sourcing layer), beside the corpus: anonymous
    sources and self-citations per story, and the share of stories with at least one."""
    rel = _relation(con, "sourcing_summary", "anonymous_sources, self_citations, quotes")
    row = con.execute(
        f"""
        WITH s AS (SELECT x.*, lower({OUTLET}) = lower(?) AS mine FROM ({rel}) x JOIN documents d ON d.id = x.doc_id
                   WHERE x.seq = 0)
        SELECT count(*) FILTER (WHERE mine), sum(anonymous_sources) FILTER (WHERE mine),
               count(*) FILTER (WHERE mine AND anonymous_sources > 0), sum(self_citations) FILTER (WHERE mine),
               count(*) FILTER (WHERE mine AND self_citations > 0), sum(quotes) FILTER (WHERE mine),
               count(*), sum(anonymous_sources), count(*) FILTER (WHERE anonymous_sources > 0),
               sum(self_citations), count(*) FILTER (WHERE self_citations > 0), sum(quotes)
        FROM s
        """,
        [outlet],
    ).fetchone()
    out: dict[str, Any] = {}
    for scope, (stories, anon, anon_stories, selfc, self_stories, quotes) in (("outlet", row[:6]), ("corpus", row[6:])):
        stories = stories or 0
        out[scope] = {
            "stories": stories, "quotes": int(quotes or 0),
            "anonymous_sources": int(anon or 0), "self_citations": int(selfc or 0),
            "anonymous_per_story": round((anon or 0) / stories, 3) if stories else None,
            "stories_with_anonymous": round(anon_stories / stories, 3) if stories else None,
            "self_citations_per_story": round((selfc or 0) / stories, 3) if stories else None,
            "stories_with_self_citation": round(self_stories / stories, 3) if stories else None,
        }
    return out


RISK_BANDS = ("high", "medium", "low", "not assessed")


def risk_bands(con: Any, outlet: str) -> dict[str, int]:
    """How many of the outlet's stories the assessment put in each band (:data:`RISK_BANDS`;
    "not assessed": no assessment, or one that did not score the story)."""
    rel = _relation(con, "assessment", "label, status")
    rows = con.execute(
        f"""
        SELECT CASE WHEN a.label IN ('high', 'medium', 'low') AND coalesce(a.status, 'assessed') = 'assessed'
                    THEN a.label ELSE 'not assessed' END AS band, count(DISTINCT d.id)
        FROM documents d LEFT JOIN ({rel}) a ON a.doc_id = d.id AND a.seq = 0
        WHERE lower({OUTLET}) = lower(?) GROUP BY band
        """,
        [outlet],
    ).fetchall()
    found = dict(rows)
    return {band: int(found.get(band, 0)) for band in RISK_BANDS}


def debunked_claims(con: Any, outlet: str | None = None, debunk_id: str | None = None,
                    counted_only: bool = True) -> list[dict]:
    """Debunk matches of stored stories, with the story and the case: an outlet's (``outlet``)
    or a case's (``debunk_id``). ``counted_only``: only matches the story carries
    (``counts_against``), the ones that count as a debunked claim; else every match and
    related debunk, counted ones first."""
    clauses, params = [], []
    if outlet is not None:
        clauses.append(f"lower({OUTLET}) = lower(?)")
        params.append(outlet)
    if debunk_id is not None:
        clauses.append("m.debunk_id = ?")
        params.append(debunk_id)
    if counted_only:
        clauses.append("m.counts_against")
    rel = _relation(con, "debunk_matches", '"start", "end", "text", debunk_id, debunk_claim, case_id, url, relation, '
                                          "article_relation, counts_against, score")
    rows = con.execute(
        f"""
        SELECT m.doc_id, d.title, {OUTLET}, d.published, m."start", m."end", m."text", m.debunk_id, m.debunk_claim,
               m.case_id, m.url, m.relation, m.article_relation, coalesce(m.counts_against, false), m.score
        FROM ({rel}) m JOIN documents d ON d.id = m.doc_id
        {('WHERE ' + ' AND '.join(clauses)) if clauses else ''}
        ORDER BY coalesce(m.counts_against, false) DESC, m.relation = 'match' DESC, d.published NULLS LAST, {DOC_ORDER}, m.seq
        """,
        params,
    ).fetchall()
    keys = ("doc_id", "title", "outlet", "published", "start", "end", "text", "debunk_id", "debunk_claim", "case_id",
            "case_url", "relation", "article_relation", "counts_against", "score")
    return [dict(zip(keys, r)) for r in rows]


def case_stances(con: Any, debunk_id: str) -> dict[tuple[str, int, int], str]:
    """(doc id, start, end) -> the stance of a story's span towards a debunked claim (the stance
    stage's ``debunk:<id>`` records)."""
    rel = _relation(con, "stances", '"start", "end", target, stance')
    rows = con.execute(f'SELECT doc_id, "start", "end", stance FROM ({rel}) WHERE target = ?',
                       [f"debunk:{debunk_id}"]).fetchall()
    return {(d, s, e): stance for d, s, e, stance in rows}



# ---------------------------------------------------------------- entities


def entity_timeline(con: Any, entity_id: str) -> list[tuple[str, str, int]]:
    """(outlet, day, mentions) of one entity; undated mentions have day None."""
    rel = _relation(con, "entities", "entity_id")
    return con.execute(
        f"SELECT {OUTLET}, {DAY} AS day, count(*) FROM ({rel}) e JOIN documents d ON d.id = e.doc_id "
        "WHERE e.entity_id = ? GROUP BY ALL ORDER BY day NULLS LAST, 1",
        [entity_id],
    ).fetchall()


def said_about(con: Any, entity_id: str, limit: int | None = 50, offset: int = 0) -> tuple[list[dict], int]:
    """The sentences that mention an entity, oldest story first, each with the claim it holds
    (its check-worthiness and narrative) when it is one; and how many sentences in all."""
    ents = _relation(con, "entities", 'entity_id, "start", "end"')
    sents = _relation(con, "sentences", '"start", "end", "text"')
    claims = _relation(con, "claims", '"start", "end", checkworthiness')
    narrative = ("(SELECT nm.narrative_id FROM narrative_members nm WHERE nm.claim_key = "
                 "c.doc_id || ':' || c.\"start\" || '-' || c.\"end\")") if has_table(con, "narrative_members") else "NULL"
    rows = con.execute(
        f"""
        WITH hit AS (
            SELECT DISTINCT s.doc_id, s."start", s."end", s."text" FROM ({ents}) e
            JOIN ({sents}) s ON s.doc_id = e.doc_id AND s."start" <= e."start" AND e."end" <= s."end"
            WHERE e.entity_id = ?
        ),
        marked AS (
            SELECT h.doc_id, h."start", h."end", h."text", max(c.checkworthiness) AS checkworthiness,
                   arg_max({narrative}, c.checkworthiness) AS narrative_id
            FROM hit h LEFT JOIN ({claims}) c ON c.doc_id = h.doc_id AND c."start" < h."end" AND h."start" < c."end"
            GROUP BY ALL
        )
        SELECT m.doc_id, d.title, {OUTLET}, d.published, m."start", m."end", m."text", m.checkworthiness,
               m.narrative_id, count(*) OVER ()
        FROM marked m JOIN documents d ON d.id = m.doc_id
        ORDER BY d.published NULLS LAST, {DOC_ORDER}, m."start" {_page(limit, offset)}
        """,
        [entity_id],
    ).fetchall()
    keys = ("doc_id", "title", "outlet", "published", "start", "end", "text", "checkworthiness", "narrative_id")
    return [dict(zip(keys, r[:-1])) for r in rows], (rows[0][-1] if rows else 0)


def _mentions(con: Any) -> str:
    return f"""SELECT e.doc_id, e.entity_id, e."text", e.label, e.name, e.kind, {OUTLET} AS outlet, {DAY} AS day
               FROM ({_relation(con, 'entities', 'entity_id, "text", label, name, kind')}) e
               JOIN documents d ON d.id = e.doc_id WHERE e.entity_id IS NOT NULL AND e.entity_id <> ''"""


def _speakers(con: Any) -> str:
    return f"SELECT doc_id, seq, speaker.entity_id AS entity_id FROM ({_relation(con, 'quotes', 'speaker')})"


def entity_page(con: Any, order: str = "mentions", limit: int | None = 50, offset: int = 0, label: str | None = None,
                outlet: str | None = None, q: str | None = None) -> tuple[list[dict], int]:
    """One page of the actors the entities stage found: name (the form most mentions use), type
    (label), kind, mentions, stories, outlets, quotes they are the speaker of, first and last day;
    and how many actors in all. ``label``: one type only; ``outlet``: actors that outlet mentions
    (its mentions counted); ``q``: a name or id containing this text."""
    sort = _order(ENTITY_ORDERS, order)
    where, params = [], {}
    if label:
        where.append("lower(label) = lower($label)")
        params["label"] = label
    if outlet:
        where.append("lower(outlet) = lower($outlet)")
        params["outlet"] = outlet
    rows = con.execute(
        f"""
        WITH m AS ({_mentions(con)}),
        agg AS (
            SELECT entity_id, mode(name) AS name, mode(label) AS label, max(kind) AS kind, count(*) AS mentions,
                   count(DISTINCT doc_id) AS stories, count(DISTINCT outlet) AS n_outlets,
                   min(day) AS first_seen, max(day) AS last_seen
            FROM m {('WHERE ' + ' AND '.join(where)) if where else ''} GROUP BY entity_id
        ),
        said AS (SELECT q.entity_id, count(*) AS quotes FROM ({_speakers(con)}) q JOIN documents d ON d.id = q.doc_id
                 {f"WHERE lower({OUTLET}) = lower($outlet)" if outlet else ""} GROUP BY q.entity_id),
        page AS (
            SELECT agg.*, coalesce(said.quotes, 0) AS quotes FROM agg LEFT JOIN said USING (entity_id)
            {'WHERE contains(lower(agg.name), lower($q)) OR contains(lower(agg.entity_id), lower($q))' if q else ''}
        )
        SELECT entity_id, name, label, kind, mentions, stories, n_outlets, quotes, first_seen, last_seen, count(*) OVER ()
        FROM page ORDER BY {sort} {_page(limit, offset)}
        """,
        {**params, **({"q": q} if q else {})},
    ).fetchall()
    keys = ("id", "name", "label", "kind", "mentions", "stories", "outlets", "quotes", "first_seen", "last_seen")
    if rows:
        return [dict(zip(keys, r[:-1])) for r in rows], rows[0][-1]
    return [], (entity_page(con, order, 1, 0, label, outlet, q)[1] if offset else 0)


def entity_names(con: Any, entity_ids: Sequence[str]) -> dict[str, str]:
    """entity id -> the name most of its mentions use, for the actors a page links to."""
    if not entity_ids:
        return {}
    rel = _relation(con, "entities", "entity_id, name")
    rows = con.execute(f"SELECT entity_id, mode(name) FROM ({rel}) WHERE entity_id IN (SELECT unnest(?)) GROUP BY entity_id",
                       [list(dict.fromkeys(entity_ids))]).fetchall()
    return dict(rows)


def entity_labels(con: Any) -> list[str]:
    """The entity types (labels) the store's mentions have, for a filter."""
    rel = _relation(con, "entities", "label")
    return [r[0] for r in con.execute(f"SELECT DISTINCT label FROM ({rel}) WHERE label IS NOT NULL ORDER BY 1").fetchall()]


def entity_summary(con: Any, entity_id: str) -> dict[str, Any] | None:
    """One actor: name, type, kind, mentions, stories, first and last day, the forms the text
    uses for it (with counts), mentions per outlet; None when no story mentions it."""
    rows = con.execute(
        f"""WITH m AS ({_mentions(con)}) SELECT "text", label, name, kind, outlet, day, doc_id FROM m
            WHERE entity_id = ?""",
        [entity_id],
    ).fetchall()
    if not rows:
        return None

    def ranked(values: Sequence[Any]) -> list[tuple[Any, int]]:
        counts: dict[Any, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))

    days = sorted(r[5] for r in rows if r[5])
    return {
        "id": entity_id, "name": ranked([r[2] for r in rows])[0][0], "label": ranked([r[1] for r in rows])[0][0],
        "kind": max((r[3] or "" for r in rows)), "mentions": len(rows), "stories": len({r[6] for r in rows}),
        "first_seen": days[0] if days else None, "last_seen": days[-1] if days else None,
        "forms": [{"text": t, "mentions": n} for t, n in ranked([r[0] for r in rows])],
        "by_outlet": [{"outlet": o, "mentions": n} for o, n in ranked([r[4] for r in rows])],
    }


def quotes_by(con: Any, entity_id: str, limit: int | None = 50, offset: int = 0) -> tuple[list[dict], int]:
    """What an actor is quoted saying (quotes whose speaker resolves to it), oldest story first,
    with the story and the cue; and how many quotes in all."""
    rel = _relation(con, "quotes", '"start", "end", "text", direct, cue, speaker')
    rows = con.execute(
        f"""
        SELECT q.doc_id, d.title, {OUTLET}, d.published, q."start", q."end", q."text", q.direct, q.cue."text",
               q.speaker."text", count(*) OVER ()
        FROM ({rel}) q JOIN documents d ON d.id = q.doc_id WHERE q.speaker.entity_id = ?
        ORDER BY d.published NULLS LAST, {DOC_ORDER}, q."start" {_page(limit, offset)}
        """,
        [entity_id],
    ).fetchall()
    keys = ("doc_id", "title", "outlet", "published", "start", "end", "text", "direct", "cue", "speaker_text")
    return [dict(zip(keys, r[:-1])) for r in rows], (rows[0][-1] if rows else 0)


def entity_stories(con: Any, entity_id: str, limit: int | None = 50, offset: int = 0) -> tuple[list[dict], int]:
    """The stories that mention an actor, newest first, with the mentions in each; and how many."""
    rows = con.execute(
        f"""
        WITH m AS ({_mentions(con)})
        SELECT d.id, d.title, {OUTLET}, d.published, count(*) AS mentions, count(*) OVER ()
        FROM m JOIN documents d ON d.id = m.doc_id WHERE m.entity_id = ?
        GROUP BY d.id, d.title, d.outlet, d.published, d.ingested_at, d.source, d.story_index, d.rowid
        ORDER BY d.published DESC NULLS LAST, {DOC_ORDER} {_page(limit, offset)}
        """,
        [entity_id],
    ).fetchall()
    keys = ("doc_id", "title", "outlet", "published", "mentions")
    return [dict(zip(keys, r[:-1])) for r in rows], (rows[0][-1] if rows else 0)


def entity_narratives(con: Any, entity_id: str, limit: int = 50) -> list[dict]:
    """The narratives whose claims name an actor, with how many of their claims do (most first)."""
    if not has_table(con, "narrative_members"):
        return []
    rows = con.execute(
        """
        SELECT narrative_id, count(*) FILTER (WHERE list_contains(CAST(json_extract(claim, '$.entities') AS VARCHAR[]), $id))
               AS naming, count(*) AS claims, count(DISTINCT doc_id) AS stories
        FROM narrative_members GROUP BY narrative_id HAVING naming > 0
        ORDER BY naming DESC, stories DESC, narrative_id LIMIT $limit
        """,
        {"id": entity_id, "limit": int(limit)},
    ).fetchall()
    return [dict(zip(("narrative_id", "claims_naming", "claims", "stories"), r)) for r in rows]


def story_titles(con: Any, doc_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """doc id -> (title, published) for the stories a page links to."""
    if not doc_ids:
        return {}
    rows = con.execute("SELECT id, title, published FROM documents WHERE id IN (SELECT unnest(?))",
                       [list(dict.fromkeys(doc_ids))]).fetchall()
    return {i: (t, p) for i, t, p in rows}


# ---------------------------------------------------------------- debunk cases


def debunk_page(con: Any, limit: int | None = 50, offset: int = 0,
                ids: Sequence[str] | None = None) -> tuple[list[dict], int]:
    """Imported debunks, newest case first (or the ``ids`` asked for, in that order), each with
    how many stored stories match it, how many of those carry it (counted) and how many are
    only related; and how many debunks there are in all (or were asked for)."""
    if not has_table(con, "debunks"):
        return [], 0
    matches = _relation(con, "debunk_matches", "debunk_id, relation, counts_against")
    chosen = "WHERE d.id IN (SELECT unnest($ids))" if ids is not None else ""
    rows = con.execute(
        f"""
        WITH m AS (
            SELECT debunk_id, count(DISTINCT doc_id) FILTER (WHERE relation = 'match') AS matched,
                   count(DISTINCT doc_id) FILTER (WHERE counts_against) AS carried,
                   count(DISTINCT doc_id) FILTER (WHERE relation <> 'match') AS related
            FROM ({matches}) GROUP BY debunk_id
        )
        SELECT d.id, d.case_id, d.claim, d.title, d.claim_date, d.database, d.verdict, d.url, d.outlets,
               coalesce(m.matched, 0), coalesce(m.carried, 0), coalesce(m.related, 0), count(*) OVER ()
        FROM debunks d LEFT JOIN m ON m.debunk_id = d.id {chosen}
        ORDER BY d.claim_date DESC NULLS LAST, d.id {'' if ids is not None else _page(limit, offset)}
        """,
        {"ids": list(ids)} if ids is not None else {},
    ).fetchall()
    keys = ("id", "case_id", "claim", "title", "date", "database", "verdict", "url", "outlets", "matched", "carried",
            "related")
    out = [dict(zip(keys, r[:-1]), outlets=json.loads(r[8] or "[]")) for r in rows]
    if ids is not None:
        where = {row["id"]: row for row in out}
        out = [where[i] for i in ids if i in where]
        return out, len(out)
    total = rows[0][-1] if rows else con.execute("SELECT count(*) FROM debunks").fetchone()[0]
    return out, total


def debunk_id_of(con: Any, key: str) -> str | None:
    """The stored debunk a case page names: its database's case id, or propwatch's own id."""
    if not has_table(con, "debunks"):
        return None
    row = con.execute("SELECT id FROM debunks WHERE case_id = ? OR id = ? ORDER BY case_id = ? DESC LIMIT 1",
                      [key, key, key]).fetchone()
    return row[0] if row else None


__all__ = [
    "ENTITY_ORDERS", "NARRATIVE_ORDERS", "OUTLET_ORDERS", "RISK_BANDS", "NarrativeRow", "case_stances", "debunk_id_of",
    "debunk_page",
    "debunked_claims", "entity_labels", "entity_names", "entity_narratives", "entity_page", "entity_stories", "entity_summary",
    "entity_timeline", "has_table", "narrative_cases", "narrative_page", "outlet_exists", "outlet_page", "quotes_by",
    "risk_bands", "said_about", "sourcing_rates", "stories_per_day", "story_titles", "technique_rates", "technique_totals",
]
