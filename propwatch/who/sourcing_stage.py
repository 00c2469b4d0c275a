"""Stage ``sourcing``: how well sourced a story is.

Layer ``sourcing``: :class:`SourcingFlag` spans for anonymous sources (with
their exact phrasing), self-citation (the outlet citing itself, or a source
that "told Sputnik" in a Sputnik story) and evidence claims (photos, videos,
documents, telephone records, invoices, reports) with what the sentence
says about them: asserted, hedged ("allegedly"), absent ("not backed by any
evidence") or merely mentioned. Layer ``sourcing_summary``: one
:class:`SourcingSummary` per story with counts and shares of quotes by
speaker kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..records import Document, Span, layer_record
from ..settings import Field, StageSettings
from ..stages.base import Stage, register_stage


@layer_record("sourcing")
@dataclass(frozen=True, slots=True)
class SourcingFlag(Span):
    """One sourcing flag; ``statement_*`` locate the sentence that says it."""

    layer_name: ClassVar[str]
    flag: str = ""  # anonymous_source | self_citation | evidence_claim
    category: str = ""
    status: str = ""  # evidence_claim: asserted | hedged | absent | mentioned
    statement_start: int = 0
    statement_end: int = 0


@layer_record("sourcing_summary")
@dataclass(frozen=True, slots=True)
class SourcingSummary(Span):
    """Per-story counts (an empty span at 0): quotes by speaker kind and flags."""

    layer_name: ClassVar[str]
    quotes: int = 0
    direct: int = 0
    named_speakers: int = 0
    by_kind: Mapping[str, int] = field(default_factory=dict)
    shares: Mapping[str, float] = field(default_factory=dict)
    anonymous_sources: int = 0
    self_citations: int = 0
    evidence_claims: int = 0
    evidence_absent: int = 0


class SourcingSettings(StageSettings):
    aliases: str = Field("", description='An alias table TOML ("" = packaged), to know the outlet\'s own names.')


@register_stage("sourcing", version=2)
class SourcingStage(Stage):
    requires = ("quotes", "entities", "sentences", "outlet")
    assigns = ("sourcing", "sourcing_summary")
    # English and Russian word lists (propwatch.who.sourcing, propwatch.who.ru)
    languages = ("en", "ru")
    settings_model = SourcingSettings

    def setup(self, resources) -> None:
        from .aliases import load_table

        aliases = self.config.get("aliases", "")
        self._table = resources.get(("aliases", aliases), lambda: load_table(aliases or None))

    def __call__(self, docs: Sequence[Document]) -> list[Document]:
        from .ru import find_flags_ru
        from .sourcing import find_flags, summarize

        self.ensure_setup()
        table = self._table
        out = []
        for doc in docs:
            quotes = doc.layer("quotes")
            sentences = [(s.start, s.end) for s in doc.layer("sentences")]
            find = find_flags_ru if doc.language == "ru" else find_flags
            flags = find(doc.text, sentences, doc.layer("entities"), quotes, doc.outlet, table)
            records = [
                SourcingFlag.of(doc.text, f.start, f.end, flag=f.flag, category=f.category, status=f.status,
                                statement_start=f.statement_start, statement_end=f.statement_end)
                for f in flags
            ]
            counts = summarize(quotes)
            summary = SourcingSummary(
                start=0, end=0, text="", quotes=counts["quotes"], direct=counts["direct"],
                named_speakers=counts["named_speakers"], by_kind=counts["by_kind"], shares=counts["shares"],
                anonymous_sources=sum(1 for f in flags if f.flag == "anonymous_source"),
                self_citations=sum(1 for f in flags if f.flag == "self_citation"),
                evidence_claims=sum(1 for f in flags if f.flag == "evidence_claim"),
                evidence_absent=sum(1 for f in flags if f.flag == "evidence_claim" and f.status == "absent"),
            )
            out.append(doc.with_layer("sourcing", records).with_layer("sourcing_summary", [summary]))
        return out
