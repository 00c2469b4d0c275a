"""Article risk: a score in [0, 1] with the reasons that make it.

The score combines what earlier stages found (persuasion techniques,
anonymous sourcing, unsourced claims, debunked claims, the outlet's
documented affiliation, self-citation, unverifiable evidence, copies of
other stories) with weights kept as data in ``data/assessment.toml``.
Every reason names its factor, its weight, a sentence for the analyst and
the spans of the text it rests on, so the score can always be checked.
"""

from __future__ import annotations

import functools
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from ..ingest.outlets import outlet_by_name
from ..records import Document, Span, layer_record, record_to_dict
from ..settings import Field, StageSettings
from ..stages.base import LayerStage, register_stage


@dataclass(frozen=True, slots=True)
class Evidence(Span):
    """A stretch of the text a reason rests on."""


@dataclass(frozen=True, slots=True)
class Reason:
    factor: str
    weight: float
    detail: str
    evidence: tuple[Evidence, ...] = ()


@layer_record("assessment")
@dataclass(frozen=True, slots=True)
class Assessment(Span):
    """The story's risk score with its reasons (an article-level record: an empty span at 0)."""

    layer_name: ClassVar[str]
    score: float = 0.0
    label: str = "low"
    reasons: tuple[Reason, ...] = ()


@functools.lru_cache(maxsize=8)
def load_weights(path: str = "") -> dict[str, Any]:
    if path:
        return tomllib.loads(Path(path).read_text("utf-8"))
    return tomllib.loads(resources.files("propwatch").joinpath("data/assessment.toml").read_text("utf-8"))


def _plain(record: Any) -> dict[str, Any]:
    return record_to_dict(record)


def _evidence(doc: Document, records: Sequence[Mapping[str, Any]], limit: int = 5) -> tuple[Evidence, ...]:
    out = []
    for r in records[:limit]:
        start, end = r.get("start"), r.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(doc.text):
            out.append(Evidence.of(doc.text, start, end))
    return tuple(out)


def _label(name: str) -> str:
    from ..techniques.inventory import label

    return label(name)


def assess(doc: Document, weights: Mapping[str, Any]) -> Assessment:
    reasons: list[Reason] = []
    n_words = max(1, len(doc.text.split()))

    w = weights["techniques"]
    techniques = [t for t in map(_plain, doc.layer("techniques")) if float(t.get("score", 1.0)) >= w["min_score"]]
    if techniques:
        density = 100.0 * len(techniques) / n_words
        counts = Counter(t.get("technique", "?") for t in techniques)
        top = ", ".join(f"{_label(k)} ×{v}" for k, v in counts.most_common(4))
        strongest = sorted(techniques, key=lambda t: -float(t.get("score", 0.0)))
        reasons.append(Reason(
            "techniques", round(min(w["cap"], w["per_span_density"] * density), 3),
            f"{len(techniques)} persuasion-technique spans ({density:.1f} per 100 words): {top}",
            _evidence(doc, strongest),
        ))

    quotes = [_plain(q) for q in doc.layer("quotes")]
    anonymous = [q for q in quotes if (q.get("speaker") or {}).get("kind") == "anonymous"]
    if anonymous:
        w = weights["anonymous_sources"]
        share = len(anonymous) / len(quotes)
        who = sorted({(q.get("speaker") or {}).get("text") or (q.get("speaker") or {}).get("name") or "?" for q in anonymous})
        reasons.append(Reason(
            "anonymous_sources", round(min(w["cap"], w["base"] + w["share_weight"] * share), 3),
            f"{len(anonymous)} of {len(quotes)} quotes come from anonymous sources ({'; '.join(who[:3])})",
            _evidence(doc, anonymous),
        ))

    w = weights["unsourced_claims"]
    claims = [c for c in map(_plain, doc.layer("claims")) if float(c.get("checkworthiness", 0.0)) >= w["min_checkworthiness"]]
    if not quotes and len(claims) >= w["min_claims"] and "claims" in doc.layers and "quotes" in doc.layers:
        reasons.append(Reason(
            "unsourced_claims", w["weight"],
            f"{len(claims)} check-worthy claims and no quoted source", _evidence(doc, claims, 3),
        ))

    found = [_plain(m) for m in doc.layer("debunk_matches")]
    matches = [m for m in found if m.get("relation", "match") == "match"]
    related = [m for m in found if m.get("relation") == "related"]
    for group, factor, verb in ((matches, "debunked", "match"), (related, "related_debunks", "resemble")):
        if group:
            best = max(group, key=lambda m: float(m.get("score", 0.0)))
            where = best.get("database") or "a debunk database"
            reasons.append(Reason(
                factor, weights[factor]["weight"],
                f"{len(group)} claim(s) {verb} debunked claims in {where}, e.g. “{best.get('debunk_claim', '')[:160]}”",
                _evidence(doc, group),
            ))

    outlet = outlet_by_name(doc.outlet) if doc.outlet else None
    if outlet and outlet.affiliation in weights["outlet"]:
        reasons.append(Reason(
            "outlet", weights["outlet"][outlet.affiliation],
            f"{outlet.name} is {outlet.affiliation} ({outlet.country}): {outlet.note}".rstrip(": "),
        ))

    sourcing = [_plain(s) for s in doc.layer("sourcing")]
    own = [s for s in sourcing if s.get("flag") == "self_citation"]
    if own:
        reasons.append(Reason(
            "self_citation", weights["self_citation"]["weight"],
            f"cites its own earlier reporting {len(own)} time(s)", _evidence(doc, own),
        ))
    evidence = [s for s in sourcing if s.get("flag") == "evidence_claim" and s.get("status") in ("asserted", "hedged")]
    if evidence:
        w = weights["evidence_claims"]
        reasons.append(Reason(
            "evidence_claims", round(min(w["cap"], w["per_claim"] * len(evidence)), 3),
            f"{len(evidence)} appeal(s) to evidence the reader cannot check (documents, photos, records)",
            _evidence(doc, evidence),
        ))

    if "near-duplicate" in doc.flags:
        reasons.append(Reason(
            "near_duplicate", weights["near_duplicate"]["weight"],
            f"nearly the same text as an earlier story ({doc.near_duplicate_of or '?'})",
        ))

    remaining = 1.0
    for reason in reasons:
        remaining *= 1.0 - max(0.0, min(1.0, reason.weight))
    score = round(1.0 - remaining, 3)
    bands = weights["bands"]
    label = "high" if score >= bands["high"] else ("medium" if score >= bands["medium"] else "low")
    reasons.sort(key=lambda r: -r.weight)
    return Assessment(start=0, end=0, text="", score=score, label=label, reasons=tuple(reasons))


class AssessmentSettings(StageSettings):
    weights_file: str = Field("", description='A weights TOML to use instead of the packaged one ("" = packaged).')


@register_stage("assessment", version=1)
class AssessmentStage(LayerStage):
    """Risk score and reasons from whatever analysis layers the pipeline made."""

    requires = ("sentences",)
    optional = ("techniques", "quotes", "sourcing", "claims", "debunk_matches", "denials", "entities",
                "outlet", "flags", "near_duplicate_of")
    assigns = ("assessment",)
    layer = "assessment"
    settings_model = AssessmentSettings

    def predict(self, docs: Sequence[Document]) -> list[list[Assessment]]:
        weights = load_weights(self.config.get("weights_file", ""))
        return [[assess(doc, weights)] for doc in docs]
