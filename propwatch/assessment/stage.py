"""Article risk: a calibrated score in [0, 1] with the reasons that make it.

The score is a logistic regression over interpretable factors measured from
what earlier stages found (:mod:`propwatch.assessment.factors`: persuasion
techniques by family, loaded language, anonymous and named sources,
unsourced claims, unverifiable evidence, self-citation, first-person and
opinion voice), learned from labelled articles with outlet-disjoint
cross-validation and calibrated (``models/risk/``, ``train/risk.py``), plus
set weights for what the training data cannot teach: debunk matches that
count against the article, copies, and the outlet's affiliation (a separate
factor; ``use_outlet = false`` drops it). Every reason names its factor, its
contribution to the log-odds (``weight``), a sentence for the analyst and
the spans it rests on.

Honesty rules: each factor's contribution is capped; "high" needs two
independent factors (or one verified debunk match the article carries);
a story in a language the model was not trained for, or whose upstream
layers were not analysed, is "not assessed" with the reason (score None),
never "low".
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from ..ingest.outlets import outlet_by_name
from ..records import Document, Span, layer_record
from ..settings import Field, StageSettings
from ..stages.base import LayerStage, register_stage
from . import factors as F
from .model import RiskModel, load_model, sigmoid

NOT_ASSESSED = "not assessed"


@dataclass(frozen=True, slots=True)
class Evidence(Span):
    """A stretch of the text a reason rests on."""


@dataclass(frozen=True, slots=True)
class Reason:
    factor: str
    weight: float          # contribution to the log-odds of the score (negative: lowers it)
    detail: str
    evidence: tuple[Evidence, ...] = ()
    value: float = 0.0     # the factor as measured (see factors.py)
    group: str = ""        # the evidence layer it rests on (the rules count groups)
    capped: bool = False   # the contribution hit its cap
    learned: bool = True   # False: a set weight (data/assessment.toml), not learned


@layer_record("assessment")
@dataclass(frozen=True, slots=True)
class Assessment(Span):
    """The story's risk with its reasons (an article-level record: an empty span at 0).

    ``status`` is "assessed" or "not_assessed"; a story not assessed has
    ``score`` None, ``label`` "not assessed" and the reason in ``reasons``.
    """

    layer_name: ClassVar[str]
    score: float | None = 0.0
    label: str = "low"
    reasons: tuple[Reason, ...] = ()
    status: str = "assessed"
    model: str = ""
    note: str = ""


@functools.lru_cache(maxsize=8)
def load_weights(path: str = "") -> dict[str, Any]:
    """The set part of the assessment (data/assessment.toml, or ``path``)."""
    if path:
        try:
            return tomllib.loads(Path(path).read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the assessment weights ({exc})") from exc
    return tomllib.loads(resources.files("propwatch").joinpath("data/assessment.toml").read_text("utf-8"))


def _evidence(doc: Document, spans: Sequence[tuple[int, int]]) -> tuple[Evidence, ...]:
    return tuple(Evidence.of(doc.text, s, e) for s, e in spans if 0 <= s < e <= len(doc.text))


def _group_of(weights: Mapping[str, Any]) -> dict[str, str]:
    return {f: g for g, names in weights.get("groups", {}).items() for f in names}


def not_assessed(reason: str, detail: str, model: str = "") -> Assessment:
    return Assessment(start=0, end=0, text="", score=None, label=NOT_ASSESSED, status="not_assessed",
                      reasons=(Reason(reason, 0.0, detail, learned=False),), model=model)


def coverage_gaps(doc: Document, needed: Sequence[str]) -> list[str]:
    """Why the layers the factors read are not there for ``doc`` (empty: all analysed)."""
    gaps = []
    for record in doc.layers.get("coverage", ()):
        layer = getattr(record, "layer", None)
        if layer in needed:
            message = getattr(record, "message", None)
            gaps.append(message if isinstance(message, str) else f"{layer}: not analysed")
    for layer in needed:
        if layer not in doc.layers and not any(g.startswith(f"{layer}:") for g in gaps):
            gaps.append(f"{layer}: not in this pipeline")
    return gaps


def assess(doc: Document, weights: Mapping[str, Any], model: RiskModel | None = None, *,
           use_outlet: bool = True, languages: Sequence[str] | None = ("en",),
           required_layers: Sequence[str] = F.NEEDED_LAYERS, undetermined: str = "en") -> Assessment:
    model = model or load_model()
    language = doc.language if doc.language not in ("", "und", None) else undetermined
    if languages is not None and language not in languages:
        return not_assessed(
            "language", f"not assessed: the risk model was trained on {', '.join(languages) or 'no language'} "
            f"and this story is in {language or 'an undetermined language'}", model.name)
    gaps = coverage_gaps(doc, required_layers)
    if gaps:
        return not_assessed("layers_not_analysed", "not assessed: " + "; ".join(gaps), model.name)

    measured = F.measure(doc, weights.get("factors", {}))
    caps = weights.get("caps", {})
    cap = float(caps.get("factor", 1.5))
    group_of = _group_of(weights)
    reasons: list[Reason] = []
    for name in F.LEARNED:
        if not model.weights.get(name):
            continue
        f = measured.get(name)
        value = f.value if f is not None else 0.0
        contribution, capped = model.contribution(name, value, cap)
        if abs(contribution) < float(weights.get("rules", {}).get("min_shown", 0.05)):
            continue
        typical = model.reference.get(name, 0.0)
        detail = f.detail if f is not None else F.ABSENT.get(name, f"{name}: not found")
        detail += f" (typical training article: {typical:.2f}, this one: {value:.2f})"
        reasons.append(Reason(name, round(contribution, 3), detail, _evidence(doc, f.evidence) if f else (),
                              round(value, 4), group_of.get(name, name), capped))
    sw = weights.get("set_weights", {})
    if "debunked" in measured:
        f = measured["debunked"]
        raw = float(sw.get("debunked_per_match", 1.5)) * f.value
        limit = float(caps.get("debunked", 3.0))
        reasons.append(Reason("debunked", round(min(raw, limit), 3), f.detail, _evidence(doc, f.evidence),
                              f.value, group_of.get("debunked", "debunks"), raw > limit, learned=False))
    if "near_duplicate" in measured:
        f = measured["near_duplicate"]
        reasons.append(Reason("near_duplicate", float(sw.get("near_duplicate", 0.2)), f.detail, (), 1.0,
                              group_of.get("near_duplicate", "copies"), learned=False))
    outlet = outlet_by_name(doc.outlet) if (use_outlet and doc.outlet) else None
    outlet_weights = weights.get("outlet", {})
    if outlet and outlet.affiliation in outlet_weights:
        w = min(cap, float(outlet_weights[outlet.affiliation]))
        reasons.append(Reason(
            "outlet", w, f"{outlet.name} is {outlet.affiliation} ({outlet.country}): {outlet.note}".rstrip(": "),
            (), 1.0, group_of.get("outlet", "outlet"), learned=False))
    elif use_outlet and "russian-law-notice" in outlet_weights:
        # no outlet of the table named: the notice Russian media law requires beside a banned
        # organisation's name says the text comes from media registered in Russia
        notices = F.russian_law_notices(doc.text)
        if notices:
            w = min(cap, float(outlet_weights["russian-law-notice"]))
            reasons.append(Reason(
                "outlet", w, f"outlet not identified, but the text carries the notice Russian media law requires "
                f"beside a banned organisation ({len(notices)}×): media registered in Russia, affiliation unknown",
                _evidence(doc, notices[:3]), float(len(notices)), group_of.get("outlet", "outlet"), learned=False))

    z = model.intercept + sum(r.weight for r in reasons)
    score = round(float(sigmoid(z)), 3)
    bands = weights.get("bands", {"medium": 0.5, "high": 0.8})
    label = "high" if score >= bands["high"] else ("medium" if score >= bands["medium"] else "low")
    note = ""
    if label == "high":
        rules = weights.get("rules", {})
        strong = {r.group for r in reasons if r.weight >= float(rules.get("independent_min", 0.4))}
        verified = any(r.factor == "debunked" and r.weight > 0 for r in reasons)
        if not verified and len(strong) < int(rules.get("independent_groups", 2)):
            label = "medium"
            note = (f"score {score:.2f} is in the high band, but only {len(strong)} independent factor group(s) "
                    "support it and no verified debunk match counts against the article: shown as medium")
    reasons.sort(key=lambda r: -abs(r.weight))
    return Assessment(start=0, end=0, text="", score=score, label=label, reasons=tuple(reasons),
                      status="assessed", model=model.name, note=note)


class AssessmentSettings(StageSettings):
    weights_file: str = Field("", description='A weights TOML to use instead of the packaged one ("" = packaged).')
    model_file: str = Field("", description='A risk model JSON (train/risk.py) instead of the shipped one ("" = shipped).')
    use_outlet: bool = Field(True, description="Let the outlet's documented affiliation count as a (separate, visible) factor.")
    languages: list[str] = Field(
        ["en"], description="Languages the risk model was trained for; stories in others are 'not assessed', never 'low'.")
    required_layers: list[str] = Field(
        list(F.NEEDED_LAYERS),
        description="Layers the factors read; a story for which one was not analysed is 'not assessed'.")


@register_stage("assessment", version=3)
class AssessmentStage(LayerStage):
    """Risk score and reasons from whatever analysis layers the pipeline made."""

    requires = ("sentences",)
    optional = ("techniques", "quotes", "sourcing", "claims", "debunk_matches", "denials", "entities",
                "coverage", "outlet", "flags", "near_duplicate_of", "language")
    assigns = ("assessment",)
    layer = "assessment"
    settings_model = AssessmentSettings

    def predict(self, docs: Sequence[Document]) -> list[list[Assessment]]:
        weights = load_weights(self.config.get("weights_file", ""))
        model = load_model(self.config.get("model_file", ""))
        langs = self.config.get("languages")
        return [[assess(doc, weights, model, use_outlet=bool(self.config.get("use_outlet", True)),
                        languages=langs, required_layers=tuple(self.config.get("required_layers", ())))]
                for doc in docs]
