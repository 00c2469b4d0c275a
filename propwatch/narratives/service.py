"""Narratives over the store: link new claims, read narratives back.

    from propwatch.store import Store
    from propwatch.narratives import update_narratives, list_narratives, narrative_report_data

    with Store("propwatch.duckdb") as store:
        update_narratives(store)                 # links claims of stories not linked yet
        for n in list_narratives(store):         # narratives seen in >= 2 stories
            print(n.id, n.label, n.outlets, n.first_seen, n.last_seen)
        data = narrative_report_data(store)      # JSON-ready, with per-day counts

Tables (migration ``0100_narratives`` in ``store.MIGRATIONS``):
``claim_vectors`` (one embedding per claim, keyed ``doc_id:start-end``),
``narrative_members`` (claim -> narrative, the claim it linked to, the
score), ``narrative_docs`` (stories already linked). Narrative summaries
are computed from the members on read, so they are never stale.

Incremental: a run loads the stored vectors into the index (no
re-embedding), then embeds and links only the claims of stories not in
``narrative_docs``; earlier claims change narrative only when a new claim
shows two narratives are one (a merge; the older id survives). ``rebuild=True`` forgets everything and relinks the
whole store in canonical order (the same result as one run over all).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import NotFoundError
from ..narratives_crossling import link_across_languages, own_narratives
from .linker import ClaimItem, Linker, LinkParams

@dataclass(frozen=True)
class NarrativeClaim:
    key: str
    doc_id: str
    text: str
    normalized: str
    outlet: str | None
    published: str | None
    attributed_to: str | None
    checkworthiness: float
    linked_to: str | None
    score: float | None


@dataclass(frozen=True)
class OutletSpan:
    """One outlet's part in a narrative: when it first and last carried it, in how many stories."""

    outlet: str
    first_seen: str | None
    last_seen: str | None
    n_stories: int
    n_claims: int
    days_after_first: int | None  # days between the narrative's first day and this outlet's (None: undated)


@dataclass(frozen=True)
class Narrative:
    """One claim carried by one or more stories: who carries it, who is cited, since when."""

    id: str
    label: str
    n_claims: int
    n_stories: int
    outlets: tuple[str, ...]
    sources: tuple[str, ...]  # who the stories attribute it to, most cited first
    first_seen: str | None
    last_seen: str | None
    per_day: tuple[tuple[str, int], ...]  # (YYYY-MM-DD, claims that day); undated claims are left out
    entities: tuple[str, ...] = ()
    claims: tuple[NarrativeClaim, ...] = field(default=())
    # the timeline: per outlet in the order it took the narrative up (undated outlets last);
    # who carried it first (the outlets of its first day) and who followed
    per_outlet: tuple[OutletSpan, ...] = ()
    carried_first: tuple[str, ...] = ()
    followers: tuple[str, ...] = ()
    undated_stories: int = 0

    def to_dict(self, with_claims: bool = True) -> dict[str, Any]:
        d = asdict(self)
        d["per_day"] = [{"day": day, "count": c} for day, c in self.per_day]
        d["per_outlet"] = [asdict(o) for o in self.per_outlet]
        if not with_claims:
            d.pop("claims")
        return d


def _migrate(store) -> None:
    """Apply ``0100_narratives`` (in ``store.MIGRATIONS``) to a store opened before it existed."""
    if not _has_tables(store):
        store.migrate()


def claim_items(doc) -> list[ClaimItem]:
    """The linker's view of a document's ``claims`` layer."""
    out = []
    for c in doc.layer("claims"):
        att = getattr(c, "attributed_to", None)
        out.append(
            ClaimItem(
                key=f"{doc.id}:{c.start}-{c.end}",
                doc_id=doc.id,
                text=c.text,
                normalized=getattr(c, "normalized", "") or c.text,
                entities=tuple(getattr(c, "entities", ()) or ()),
                outlet=doc.outlet,
                published=doc.published,
                attributed_to=getattr(att, "name", None) if att else None,
                checkworthiness=float(getattr(c, "checkworthiness", 0.0)),
            )
        )
    return out


def index_file(store) -> str | None:
    """The saved HNSW graph beside a store file (none for an in-memory store)."""
    return None if store.path == ":memory:" else store.path + ".claims.usearch"


def _load_linker(store, dim: int, params: LinkParams, embedder_name: str, verifier=None) -> Linker:
    linker = Linker(dim=dim, params=params, verifier=verifier)
    rows = store.con.execute(
        """SELECT m.claim, m.narrative_id, v.vector FROM narrative_members m
           JOIN claim_vectors v USING (claim_key) ORDER BY m.seq"""
    ).fetchall()
    if rows:
        items = [ClaimItem(**{**json.loads(c), "entities": tuple(json.loads(c).get("entities", ()))}) for c, _, _ in rows]
        vecs = np.asarray([v for _, _, v in rows], dtype=np.float32)
        # claims joined across languages stay, for the linker, in the narrative they founded
        own = own_narratives(store)
        nids = [own.get(it.key, nid) for it, (_, nid, _) in zip(items, rows)]
        linker.restore(items, vecs, nids, index_file=index_file(store))
    return linker


def link_settings(config) -> tuple[LinkParams, str | None]:
    """Linking parameters and embedder from the ``[narratives]`` config section."""
    section = dict(config.get("narratives", {}) or {})
    known = set(LinkParams.__dataclass_fields__)
    return LinkParams(**{k: v for k, v in section.items() if k in known}), section.get("embedder") or None


def update_narratives(store, embedder: str | None = None, params: LinkParams | None = None,
                      rebuild: bool = False, batch_size: int = 500) -> dict[str, int]:
    """Link the claims of stories not linked yet; returns counts."""
    from ..embeddings import DEFAULT_BACKEND, get_embedder
    from .verify import load_verifier

    _migrate(store)
    params = params or LinkParams()
    verifier = load_verifier(params.verifier)  # a bad setting fails before anything is deleted
    emb = get_embedder(embedder)
    embedder_name = embedder or DEFAULT_BACKEND
    if rebuild:
        import os

        if index_file(store) and os.path.exists(index_file(store)):
            os.remove(index_file(store))
        with store.transaction():
            for t in ("narrative_members", "narrative_docs", "claim_vectors"):
                store.con.execute(f"DELETE FROM {t}")
    linker = _load_linker(store, int(getattr(emb, "dim", 384) or 384), params, embedder_name, verifier)
    done = {r[0] for r in store.con.execute("SELECT doc_id FROM narrative_docs").fetchall()}
    todo = [r[0] for r in store.con.execute("SELECT id FROM documents ORDER BY id").fetchall() if r[0] not in done]
    items: list[ClaimItem] = []
    for i in range(0, len(todo), batch_size):
        for doc in store.load(todo[i:i + batch_size], layers=["claims"]):
            items.extend(claim_items(doc))
    items.sort(key=ClaimItem.sort_key)
    cached = {}
    if items:
        rows = store.con.execute(
            "SELECT claim_key, vector FROM claim_vectors WHERE embedder = ? AND claim_key IN (SELECT unnest(?))",
            [embedder_name, [it.key for it in items]],
        ).fetchall()
        cached = {k: np.asarray(v, np.float32) for k, v in rows}
    need = [it for it in items if it.key not in cached]
    if need:
        vecs = emb.embed([it.normalized for it in need])
        cached.update({it.key: v for it, v in zip(need, vecs)})
    dim = int(getattr(emb, "dim", 384) or 384)
    vectors = np.asarray([cached[it.key] for it in items], np.float32).reshape(len(items), dim)
    seq0 = len(linker.items)
    assignments = linker.add(items, vectors)
    by_key = {it.key: it for it in items}
    from ..store import now

    with store.transaction():
        # one statement per table (DuckDB's executemany runs row by row)
        store.insert_rows("claim_vectors", "claim_key, doc_id, embedder, vector",
                      [(it.key, it.doc_id, embedder_name, cached[it.key].tolist()) for it in need], replace=True)
        member_rows = [
            (a.key, a.narrative_id, by_key[a.key].doc_id, seq0 + n, a.linked_to, a.score,
             json.dumps(asdict(by_key[a.key]), ensure_ascii=False))
            for n, a in enumerate(assignments)
        ]
        store.insert_rows("narrative_members", "claim_key, narrative_id, doc_id, seq, linked_to, score, claim",
                      member_rows, replace=True)
        moved = [(nid, key) for key, nid in sorted(linker.moved.items()) if key not in by_key]
        if moved:  # earlier claims whose narrative was merged into an older one
            store.con.executemany("UPDATE narrative_members SET narrative_id = ? WHERE claim_key = ?", moved)
        stamp = now()
        store.insert_rows("narrative_docs", "doc_id, linked_at", [(d, stamp) for d in todo], replace=True)
    if index_file(store) and items:
        linker.save_index(index_file(store))
    crossed = link_across_languages(store) if items else {}
    return {"stories": len(todo), "claims": len(items), "embedded": len(need),
            "new_narratives": len({a.narrative_id for a in assignments if a.linked_to is None}),
            "joined_across_languages": crossed.get("joined", 0)}


def narratives_by_id(store, ids: Sequence[str] | None = None) -> list[Narrative]:
    """The narratives ``ids`` (all when None) with their claims, summarised from the members."""
    if not _has_tables(store):  # a store opened read-only before any linking
        return []
    q = "SELECT narrative_id, claim_key, claim, linked_to, score, seq FROM narrative_members"
    params: list[Any] = []
    if ids is not None:
        q += " WHERE narrative_id IN (SELECT unnest(?))"
        params.append(list(ids))
    groups: dict[str, list] = defaultdict(list)
    for nid, key, claim, linked, score, seq in store.con.execute(q + " ORDER BY seq", params).fetchall():
        groups[nid].append((json.loads(claim), linked, score))
    vec_rows = store.con.execute(
        "SELECT claim_key, vector FROM claim_vectors WHERE claim_key IN (SELECT claim_key FROM narrative_members"
        + (" WHERE narrative_id IN (SELECT unnest(?))" if ids is not None else "") + ")",
        params,
    ).fetchall()
    vecs = {k: np.asarray(v, np.float32) for k, v in vec_rows}
    return [_summarize(nid, members, vecs) for nid, members in groups.items()]


def _summarize(nid: str, members: list, vecs: dict[str, np.ndarray]) -> Narrative:
    claims = [
        NarrativeClaim(
            key=c["key"], doc_id=c["doc_id"], text=c["text"], normalized=c["normalized"], outlet=c.get("outlet"),
            published=c.get("published"), attributed_to=c.get("attributed_to"),
            checkworthiness=float(c.get("checkworthiness", 0.0)), linked_to=linked, score=score,
        )
        for c, linked, score in members
    ]
    claims.sort(key=lambda c: (c.published or "9999", c.doc_id, c.key))
    keyed = [c for c in claims if c.key in vecs]
    label = claims[0].normalized
    if keyed:
        label = narrative_label([c.normalized for c in keyed], np.stack([vecs[c.key] for c in keyed]))
    outlets = Counter(c.outlet for c in claims if c.outlet)
    sources = Counter(c.attributed_to for c in claims if c.attributed_to)
    days = Counter(c.published[:10] for c in claims if c.published)
    dated = sorted(days)
    ents = Counter(e for c, _, _ in members for e in c.get("entities", ()))
    per_outlet, first, followers = timeline(claims)
    return Narrative(
        id=nid,
        label=label,
        n_claims=len(claims),
        n_stories=len({c.doc_id for c in claims}),
        outlets=tuple(o for o, _ in sorted(outlets.items(), key=lambda kv: (-kv[1], kv[0]))),
        sources=tuple(s for s, _ in sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        first_seen=dated[0] if dated else None,
        last_seen=dated[-1] if dated else None,
        per_day=tuple((d, days[d]) for d in dated),
        entities=tuple(e for e, _ in sorted(ents.items(), key=lambda kv: (-kv[1], kv[0]))),
        claims=tuple(claims),
        per_outlet=per_outlet,
        carried_first=first,
        followers=followers,
        undated_stories=len({c.doc_id for c in claims if not c.published}),
    )


def timeline(claims: Sequence[NarrativeClaim]) -> tuple[tuple[OutletSpan, ...], tuple[str, ...], tuple[str, ...]]:
    """(per outlet spans in the order the outlets took the narrative up, the outlets that carried
    it on its first day, the outlets that followed). A story without an outlet counts under
    ``"(unknown outlet)"``; undated outlets come last and are neither first nor followers."""
    by_outlet: dict[str, list[NarrativeClaim]] = defaultdict(list)
    for c in claims:
        by_outlet[c.outlet or "(unknown outlet)"].append(c)
    days = sorted(c.published[:10] for c in claims if c.published)
    start = days[0] if days else None
    spans = []
    for outlet, cs in by_outlet.items():
        dated = sorted(c.published[:10] for c in cs if c.published)
        after = None
        if dated and start:
            from datetime import date

            after = (date.fromisoformat(dated[0]) - date.fromisoformat(start)).days
        spans.append(OutletSpan(outlet, dated[0] if dated else None, dated[-1] if dated else None,
                                len({c.doc_id for c in cs}), len(cs), after))
    spans.sort(key=lambda o: (o.first_seen or "9999", -o.n_stories, o.outlet))
    first = tuple(o.outlet for o in spans if start and o.first_seen == start)
    followers = tuple(o.outlet for o in spans if o.first_seen and o.first_seen != start)
    return tuple(spans), first, followers


def narrative_label(texts: Sequence[str], vectors: np.ndarray, margin: float = 0.1) -> str:
    """A narrative's readable label: the shortest of its claims whose mean cosine to the others is
    within ``margin`` of the most central one (a headline rather than a paragraph-long quote)."""
    central = vectors @ vectors.sum(axis=0) / len(texts)
    near = [i for i in range(len(texts)) if central[i] >= central.max() - margin]
    return texts[min(near, key=lambda i: (len(texts[i]), i))]


def list_narratives(store, min_stories: int = 2, min_outlets: int = 1, limit: int | None = None) -> list[Narrative]:
    """Narratives carried by at least ``min_stories`` stories, biggest first: most outlets, then
    stories, claims, earliest first seen (filtered, sorted and cut in SQL by
    :func:`propwatch.store.profiles.narrative_page`; only the narratives listed are summarised)."""
    from ..store.profiles import narrative_page

    rows, _ = narrative_page(store.con, min_stories, min_outlets, "size", limit or None)
    found = {n.id: n for n in narratives_by_id(store, [r.id for r in rows])}
    return [found[r.id] for r in rows]


def get_narrative(store, narrative_id: str) -> Narrative:
    found = narratives_by_id(store, [narrative_id])
    if not found:
        prefix = store.con.execute(
            "SELECT DISTINCT narrative_id FROM narrative_members WHERE narrative_id LIKE ? LIMIT 2", [narrative_id + "%"]
        ).fetchall() if _has_tables(store) else []
        if len(prefix) == 1:
            found = narratives_by_id(store, [prefix[0][0]])
    if not found:
        raise NotFoundError(f"no narrative {narrative_id!r}: run `propwatch narratives` to list them")
    return found[0]


def _has_tables(store) -> bool:
    return bool(store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'narrative_members'").fetchone()[0])


def narrative_stance(store, narrative: "Narrative", model=None) -> list[dict[str, Any]]:
    """Per outlet, how its stories stand towards the narrative's claim (supports,
    denies, discusses), from the stance model and the stories' explicit denials."""
    from ..debunks.stance import stance_by_outlet

    doc_ids = list(dict.fromkeys(c.doc_id for c in narrative.claims))
    docs = store.load(doc_ids, layers=["sentences", "quotes", "denials"])
    return [o.to_dict() for o in stance_by_outlet(narrative.label, docs, model=model)]


def narratives_of_document(store, doc_id: str) -> dict[str, str]:
    """claim key -> narrative id for one story (for the report's story page)."""
    if not _has_tables(store):
        return {}
    return dict(store.con.execute(
        "SELECT claim_key, narrative_id FROM narrative_members WHERE doc_id = ?", [doc_id]).fetchall())


def narrative_report_data(store, min_stories: int = 2, limit: int = 50) -> list[dict[str, Any]]:
    """JSON-ready narratives for the HTML report: label, outlets, sources, dates,
    ``per_day`` ([{day, count}], for a timeline) and the member claims."""
    return [n.to_dict() for n in list_narratives(store, min_stories=min_stories, limit=limit)]



__all__ = [
    "Narrative",
    "NarrativeClaim",
    "OutletSpan",
    "timeline",
    "claim_items",
    "get_narrative",
    "list_narratives",
    "narrative_label",
    "narrative_report_data",
    "narrative_stance",
    "narratives_by_id",
    "narratives_of_document",
    "link_settings",
    "update_narratives",
]
