"""Corpus-level listings over documents in memory: canonical entities and quotes.

Over a store, ``propwatch entities`` and ``propwatch quotes`` list in SQL
(:meth:`propwatch.store.Store.entity_rows`, :meth:`~propwatch.store.Store.quote_rows`);
these functions give the same rows for documents that are not stored, and
tests/store/test_listing.py holds the two to each other.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from ..records import Document

UNKNOWN_OUTLET = "(unknown)"


def entity_table(docs: Iterable[Document], label: str | None = None, outlet: str | None = None,
                 min_mentions: int = 1) -> list[dict]:
    """One row per canonical entity: mentions, stories and mentions per outlet.

    Rows are sorted by mentions (most first), then id; ``outlets`` lists
    "Outlet: n" most first; ``names`` the surface forms the texts used.
    """
    mentions: Counter[str] = Counter()
    stories: dict[str, set[str]] = defaultdict(set)
    per_outlet: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    info: dict[str, tuple[str, str, str]] = {}
    for doc in docs:
        if outlet and (doc.outlet or "").casefold() != outlet.casefold():
            continue
        for m in doc.layer("entities"):
            if label and m.label != label.upper():
                continue
            mentions[m.entity_id] += 1
            stories[m.entity_id].add(doc.id)
            per_outlet[m.entity_id][doc.outlet or UNKNOWN_OUTLET] += 1
            names[m.entity_id][m.text] += 1
            if m.entity_id not in info or m.source in ("alias", "ner") and info[m.entity_id][2] not in ("alias", "ner"):
                info[m.entity_id] = (m.name, m.label, m.source)
    rows = []
    for eid, n in sorted(mentions.items(), key=lambda kv: (-kv[1], kv[0])):
        if n < min_mentions:
            continue
        name, lab, _ = info[eid]
        rows.append({
            "entity_id": eid,
            "name": name,
            "label": lab,
            "mentions": n,
            "stories": len(stories[eid]),
            "outlets": [f"{o}: {c}" for o, c in sorted(per_outlet[eid].items(), key=lambda kv: (-kv[1], kv[0]))],
            "names": [s for s, _ in names[eid].most_common()],
        })
    return rows


def quote_table(docs: Iterable[Document], kind: str | None = None, speaker: str | None = None) -> list[dict]:
    """One row per quote: story, outlet, speaker (name, id, kind), cue, direct, text."""
    rows = []
    for doc in docs:
        for q in doc.layer("quotes"):
            sp = q.speaker
            if kind and sp.kind != kind:
                continue
            if speaker and speaker not in (sp.entity_id or "") and speaker.casefold() not in (sp.name or "").casefold():
                continue
            rows.append({
                "id": doc.id, "outlet": doc.outlet, "speaker": sp.name, "entity_id": sp.entity_id,
                "kind": sp.kind, "cue": q.cue.text if q.cue else None, "direct": q.direct,
                "start": q.start, "end": q.end, "text": q.text,
            })
    return rows
