"""The browsable lists and profiles of the workbench, and their JSON twins.

Narratives (:mod:`.narratives_pages`), outlets, actors (entities) and
debunk cases: each a list sorted, filtered and paged in SQL with its state
in the query string (:mod:`.page_state`), and a profile page; the API
(``/api/<list>``, ``/api/<list>/<id>``) answers the same parameters with
the same rows, paged as ``{total, limit, offset, next, items}``. A filter
value the store does not know, or a number that is not one, is a 400; an
unknown id a 404, in the one error shape.
"""

from __future__ import annotations

from . import narratives_pages

routes = [*narratives_pages.routes]
nav = [*narratives_pages.nav]
