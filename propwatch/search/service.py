"""One search: the words through the index, the selection and the page through the store.

:func:`search` brings the index beside the store up to date (cheap when it
is current), asks it which stories hold the words and how well, and hands
those ids to :class:`~propwatch.search.facets.Corpus`, which filters by the
selected facets, counts every facet and cuts the page in DuckDB. A search
with no words lists every story. :func:`selection_from` turns query
parameters (the API's and the page's) into a :class:`Selection`, refusing
what it cannot understand: an unknown facet value is a
:class:`~propwatch.errors.QueryError` naming the values it knows, never a
filter silently ignored.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any

from ..errors import QueryError
from ..techniques.inventory import LABELS
from .facets import FACETS, RISK_BANDS, SORTS, Corpus, FacetValue, Hit, Selection
from .index import SNIPPET_CLOSE, SNIPPET_OPEN, SearchIndex, index_path
from .query import Query, parse

_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
# facets whose values come from a fixed vocabulary (the others name stored things)
_VOCABULARY = {"risk": RISK_BANDS, "debunked": ("yes", "no")}
FACET_CACHE = 256  # search results, facet counts and the top reasons kept per process while the store is unchanged
_facet_cache: OrderedDict[tuple, tuple[int, dict]] = OrderedDict()
_facet_lock = threading.Lock()
# what the facet counts depend on: stories, layers written, narrative links (a few aggregates)
_STATE_SQL = """
SELECT (SELECT count(*) || '|' || coalesce(max(ingested_at)::VARCHAR, '') FROM documents),
       (SELECT count(*) || '|' || coalesce(max(created_at)::VARCHAR, '') FROM layer_state),
       (SELECT count(*) || '|' || coalesce(bit_xor(hash(claim_key || narrative_id)), 0) FROM narrative_members)
"""


@dataclass(frozen=True)
class SearchResult:
    """One page of a search, its facet counts, and what was asked."""

    query: Query
    selection: Selection
    sort: str
    limit: int
    offset: int
    total: int
    hits: list[Hit]
    facets: Mapping[str, list[FacetValue]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The API's answer: paging, the stories, the facet counts."""
        return {
            "q": str(self.query), "sort": self.sort, "total": self.total, "limit": self.limit, "offset": self.offset,
            "selection": {k: list(v) for k, v in self.selection.values.items() if v},
            "from": self.selection.published_from or None, "to": self.selection.published_to or None,
            "items": [{**hit.__dict__, "snippet": plain_snippet(hit.snippet)} for hit in self.hits],
            "facets": {name: [v.__dict__ for v in values] for name, values in self.facets.items()},
        }


def technique_name(value: str) -> str:
    """The technique a filter value names: its inventory name, its label, or either
    written with spaces, hyphens or underscores in any case ("doubt", "Name calling")."""
    wanted = re.sub(r"[\s_\-,/]+", "", value.casefold())
    for name, text in LABELS.items():
        if wanted in (re.sub(r"[\s_\-,/]+", "", name.casefold()), re.sub(r"[\s_\-,/]+", "", text.casefold())):
            return name
    raise QueryError(f"technique {value[:60]!r} is not in the inventory; use one of "
                     + ", ".join(sorted(LABELS.values())))


def selection_from(params: Mapping[str, Sequence[str]] | Any) -> Selection:
    """A selection from query parameters: each facet repeatable (``outlet=RT&outlet=TASS``)
    or comma-free single values, ``from`` and ``to`` as dates. ``params`` is a mapping of
    lists or anything with ``getlist`` (Starlette's query parameters)."""
    def values(name: str) -> list[str]:
        got = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
        got = [got] if isinstance(got, str) else list(got)
        return [v.strip() for v in got if v and v.strip()]

    chosen: dict[str, tuple[str, ...]] = {}
    for facet in FACETS:
        if facet == "published":
            continue
        picked = values(facet)
        if facet == "technique":
            picked = [technique_name(v) for v in picked]
        elif facet in _VOCABULARY:
            for v in picked:
                if v not in _VOCABULARY[facet]:
                    raise QueryError(f"{facet} {v[:40]!r} is not one of {', '.join(_VOCABULARY[facet])}")
        if picked:
            chosen[facet] = tuple(dict.fromkeys(picked))
    bounds = []
    for name in ("from", "to"):
        found = values(name)
        bound = found[-1] if found else ""
        if bound and not _DATE.fullmatch(bound):
            raise QueryError(f"{name} {bound[:40]!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
        bounds.append(bound)
    return Selection(chosen, bounds[0], bounds[1])


def _check_known(corpus: Corpus, selection: Selection) -> None:
    for facet in ("outlet", "narrative", "entity"):
        for value in selection.values.get(facet, ()):
            if not corpus.has_value(facet, value):
                raise QueryError(f"no {facet} {value[:60]!r} in this store")


def search(store: Any, text: str = "", selection: Selection | None = None, sort: str = "", limit: int = 50,
           offset: int = 0, with_facets: bool = True, index: SearchIndex | None = None) -> SearchResult:
    """Search the stories of ``store`` (a :class:`propwatch.store.Store`) for the words of
    ``text`` (see :mod:`propwatch.search.query`) within ``selection``; one page in ``sort``
    order ("relevance" when there are words, else "date"). Raises QueryError for a search
    it cannot run. A search asked again while the store is unchanged (a reload, a shared
    link, the next analyst) is answered from this process's cache."""
    query = parse(text or "")
    selection = selection or Selection()
    sort = sort or ("relevance" if query.groups else "date")
    if sort not in SORTS:
        raise QueryError(f"sort {sort[:40]!r} is not one of {', '.join(SORTS)}")
    state = store_state(store)

    def run() -> SearchResult:
        return _search(store, state, query, selection, sort, limit, offset, with_facets, index)

    if state is None:
        return run()
    return _cached(("result", state, str(query), _selection_key(selection), sort, limit, offset, with_facets), run)


def _search(store: Any, state: tuple | None, query: Query, selection: Selection, sort: str, limit: int, offset: int,
            with_facets: bool, index: SearchIndex | None) -> SearchResult:
    corpus = Corpus(store.con)
    _check_known(corpus, selection)
    hits: list[tuple[str, float]] | None = None
    own = index is None
    index = index or SearchIndex(index_path(store.path))
    try:
        if not query.empty:
            index.sync(store.con)
            hits = index.search(query)
        total, facets = cached_facets(store, state, corpus, query, hits, selection) if with_facets else (None, {})
        page = corpus.page(hits, selection, sort, limit, offset, reasons=cached_reasons(store, state, corpus))
        if total is None:
            total = corpus.facets(hits, replace(selection))[0]
        snippets = index.snippets(query, [h.id for h in page]) if query.groups and page else {}
    finally:
        if own:
            index.close()
    page = [replace(h, snippet=snippets.get(h.id, "")) for h in page]
    return SearchResult(query, selection, sort, limit, offset, total, page, facets)


def store_state(store: Any) -> tuple | None:
    """What the facet counts and reasons depend on (None for an in-memory store: not cached)."""
    return None if store.path == ":memory:" else (os.path.realpath(store.path), *store.con.execute(_STATE_SQL).fetchone())


def _cached(key: tuple, compute: Any) -> Any:
    with _facet_lock:
        found = _facet_cache.get(key)
        if found is not None:
            _facet_cache.move_to_end(key)
            return found
    found = compute()
    with _facet_lock:
        _facet_cache[key] = found
        while len(_facet_cache) > FACET_CACHE:
            _facet_cache.popitem(last=False)
    return found


def cached_facets(store: Any, state: tuple | None, corpus: Corpus, query: Query,
                  hits: list[tuple[str, float]] | None, selection: Selection) -> tuple[int, Mapping[str, list[FacetValue]]]:
    """The facet counts of a search, from the cache while the store has not changed."""
    if state is None:
        return corpus.facets(hits, selection)
    return _cached(("facets", state, str(query), _selection_key(selection)), lambda: corpus.facets(hits, selection))


def _selection_key(selection: Selection) -> tuple:
    return tuple(sorted(selection.values.items())), selection.published_from, selection.published_to


def cached_reasons(store: Any, state: tuple | None, corpus: Corpus) -> Mapping[str, str] | None:
    """Every story's top risk reason, kept while the store has not changed (None: read per page)."""
    return None if state is None else _cached(("reasons", state), corpus.top_reasons)


def plain_snippet(snippet: str) -> str:
    """A snippet without its match marks (for JSON and the terminal)."""
    return snippet.replace(SNIPPET_OPEN, "").replace(SNIPPET_CLOSE, "")


def html_snippet(snippet: str) -> str:
    """A snippet as HTML: the text escaped, then the matching words in ``<mark>``."""
    return escape(snippet).replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>")


__all__ = ["SearchResult", "html_snippet", "plain_snippet", "search", "selection_from", "technique_name"]
