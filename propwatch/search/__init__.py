"""Search over a store: words in a full-text index, facets and pages in SQL.

:func:`~propwatch.search.service.search` is what the workbench, the API and
``propwatch search`` call; :mod:`~propwatch.search.query` parses what an
analyst types, :mod:`~propwatch.search.index` keeps the SQLite FTS5 index
beside the store, :mod:`~propwatch.search.facets` counts and pages in DuckDB.
"""

from __future__ import annotations

from .facets import FACETS, RISK_BANDS, SORTS, FacetValue, Hit, Selection
from .query import Query, parse
from .service import SearchResult, search, selection_from

__all__ = ["FACETS", "RISK_BANDS", "SORTS", "FacetValue", "Hit", "Query", "SearchResult", "Selection", "parse",
           "search", "selection_from"]
