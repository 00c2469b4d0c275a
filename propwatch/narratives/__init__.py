"""Narratives: the same claim across stories and outlets, with a timeline.

See :mod:`propwatch.narratives.linker` (how claims are linked),
:mod:`propwatch.narratives.service` (the store side and the read API) and
:mod:`propwatch.narratives.matching` (the similarity scorer).
"""

from .linker import ClaimItem, LinkParams, Linker
from .service import (
    Narrative,
    get_narrative,
    list_narratives,
    narrative_report_data,
    narratives_of_document,
    update_narratives,
)

__all__ = [
    "ClaimItem",
    "LinkParams",
    "Linker",
    "Narrative",
    "get_narrative",
    "list_narratives",
    "narrative_report_data",
    "narratives_of_document",
    "update_narratives",
]
