"""The interpretable factors of an article's risk, measured from its layers.

Each factor is a number that is 0 when the factor is absent (so a story with
nothing found contributes nothing) and the spans of the text it rests on.
The learned model (:mod:`propwatch.assessment.model`) weighs them; the
factors themselves are plain counts and shares an analyst can recompute:

========================  ====================================================
factor                    value
========================  ====================================================
loaded_language           share of sentences with a loaded-language span
emotional_appeals         fear/prejudice, flag-waving, exaggeration spans per 100 words
attacks                   name calling, doubt, whataboutism, bandwagon spans per 100 words
simplification            black-and-white, causal oversimplification, slogans,
                          clichés, repetition spans per 100 words
appeal_to_authority       appeal-to-authority spans per 100 words
anonymous_sources         share of the quotes whose speaker is anonymous
named_sources             quotes from a named speaker per sentence (lowers the risk
                          when the model learns so)
unsourced_claims          share of sentences that are check-worthy claims with no
                          quote and no attribution
evidence_claims           appeals to evidence the reader cannot check (count)
self_citation             the outlet citing its own reporting (count)
first_person              first-person pronouns outside quotes per 100 words
opinion_markers           opinion cues outside quotes ("I think", "must",
                          "!", "clearly") per 100 words
debunked                  debunk matches that count against the article (count;
                          only ``counts_against`` matches: a match the article
                          reports or refutes does not count)
near_duplicate            1 when the story copies an earlier one
outlet                    the outlet's documented affiliation (separate, can be off)
========================  ====================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..records import Document

FAMILIES: dict[str, tuple[str, ...]] = {
    "emotional_appeals": ("Appeal_to_fear-prejudice", "Flag-Waving", "Exaggeration,Minimisation"),
    "attacks": ("Name_Calling,Labeling", "Doubt", "Whataboutism,Straw_Men,Red_Herring",
                "Bandwagon,Reductio_ad_hitlerum"),
    "simplification": ("Black-and-White_Fallacy", "Causal_Oversimplification", "Slogans",
                       "Thought-terminating_Cliches", "Repetition"),
    "appeal_to_authority": ("Appeal_to_Authority",),
}
LOADED = "Loaded_Language"

# The factors the learned model weighs, in the model file's order.
LEARNED = ("loaded_language", "emotional_appeals", "attacks", "simplification", "appeal_to_authority",
           "anonymous_sources", "named_sources", "unsourced_claims", "evidence_claims", "self_citation",
           "first_person", "opinion_markers")
# Factors with set (not learned) weights: the training data has no debunk database,
# no copies and no outlet of the affiliations the table lists.
SET = ("debunked", "near_duplicate", "outlet")
# The layers the learned factors read: if an upstream stage did not analyse one of
# these for the story, the article is not assessed.
NEEDED_LAYERS = ("techniques", "quotes", "claims", "sourcing")

# What a reason says when a learned factor is not found in the story.
ABSENT = {
    "loaded_language": "no loaded language found",
    "emotional_appeals": "no appeals to fear, flag-waving or exaggeration found",
    "attacks": "no name calling, doubt or whataboutism found",
    "simplification": "no black-and-white or oversimplifying spans found",
    "appeal_to_authority": "no appeal to authority found",
    "anonymous_sources": "no anonymous sources",
    "named_sources": "no quotes from named speakers",
    "unsourced_claims": "no check-worthy claim without a source",
    "evidence_claims": "no appeal to evidence the reader cannot check",
    "self_citation": "no self-citation",
    "first_person": "no first-person narration",
    "opinion_markers": "no opinion cues outside quotes",
}

NAMED_KINDS = ("person", "organization", "media", "document")


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    detail: str
    evidence: tuple[tuple[int, int], ...] = ()   # (start, end) offsets into the text
    extra: Mapping[str, Any] = field(default_factory=dict)


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _spans(records: Iterable[Any], limit: int = 5) -> tuple[tuple[int, int], ...]:
    out = []
    for r in records:
        start, end = _get(r, "start"), _get(r, "end")
        if isinstance(start, int) and isinstance(end, int) and end > start:
            out.append((start, end))
        if len(out) >= limit:
            break
    return tuple(out)


def _label(name: str) -> str:
    from ..techniques.inventory import LABELS

    return LABELS.get(name, name)


_QUOTED = re.compile(r"[\"“”«»„][^\"“”«»„]{0,600}[\"“”«»„]")


def _outside_quotes(text: str, quotes: Sequence[Any]) -> str:
    """The text with quoted passages (quote records and anything between quote marks) blanked."""
    chars = list(text)
    for q in quotes:
        start, end = _get(q, "start"), _get(q, "end")
        if isinstance(start, int) and isinstance(end, int):
            for i in range(max(0, start), min(len(chars), end)):
                chars[i] = " "
    masked = "".join(chars)
    return _QUOTED.sub(lambda m: " " * len(m.group(0)), masked)


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    alts = sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len, reverse=True)
    return re.compile(r"(?<![\w'’])(?:" + "|".join(alts) + r")(?![\w'’])", re.IGNORECASE)


def _matches(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def measure(doc: Document, settings: Mapping[str, Any]) -> dict[str, Factor]:
    """Every factor of ``doc`` that applies (value > 0), by name.

    ``settings`` is the ``[factors]`` table of ``data/assessment.toml``
    (technique ``min_score``, check-worthiness threshold, the opinion and
    first-person word lists).
    """
    text = doc.text
    n_words = max(1, len(text.split()))
    per100 = 100.0 / n_words
    sentences = list(doc.layer("sentences"))
    n_sent = max(1, len(sentences))
    out: dict[str, Factor] = {}

    def add(name: str, value: float, detail: str, evidence=(), **extra) -> None:
        if value > 0:
            out[name] = Factor(name, float(value), detail, tuple(evidence), extra)

    # persuasion techniques, by family
    min_score = float(settings.get("min_technique_score", 0.0))
    techniques = [t for t in doc.layer("techniques") if float(_get(t, "score", 1.0) or 0.0) >= min_score]
    strongest = sorted(techniques, key=lambda t: -float(_get(t, "score", 0.0) or 0.0))
    loaded = [t for t in strongest if _get(t, "technique") == LOADED]
    if loaded and sentences:
        hit = {i for i, s in enumerate(sentences) for t in loaded
               if _get(t, "start", 0) < _get(s, "end", 0) and _get(t, "end", 0) > _get(s, "start", 0)}
        add("loaded_language", len(hit) / n_sent,
            f"{len(hit)} of {len(sentences)} sentences use loaded language ({len(loaded)} spans)", _spans(loaded))
    for family, names in FAMILIES.items():
        spans = [t for t in strongest if _get(t, "technique") in names]
        if spans:
            counts: dict[str, int] = {}
            for t in spans:
                counts[_get(t, "technique")] = counts.get(_get(t, "technique"), 0) + 1
            top = ", ".join(f"{_label(k)} ×{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
            add(family, len(spans) * per100, f"{len(spans)} spans ({len(spans) * per100:.1f} per 100 words): {top}",
                _spans(spans))

    # sources
    quotes = list(doc.layer("quotes"))
    kinds = [(_get(_get(q, "speaker"), "kind", "unknown") or "unknown") for q in quotes]
    anonymous = [q for q, k in zip(quotes, kinds) if k == "anonymous"]
    if anonymous:
        who = sorted({_get(_get(q, "speaker"), "text") or _get(_get(q, "speaker"), "name") or "?" for q in anonymous})
        add("anonymous_sources", len(anonymous) / len(quotes),
            f"{len(anonymous)} of {len(quotes)} quotes come from anonymous sources ({'; '.join(who[:3])})",
            _spans(anonymous))
    named = [q for q, k in zip(quotes, kinds) if k in NAMED_KINDS]
    if named:
        add("named_sources", min(1.0, len(named) / n_sent),
            f"{len(named)} quotes from named speakers in {len(sentences)} sentences", _spans(named, 3))

    min_cw = float(settings.get("min_checkworthiness", 0.5))
    claims = [c for c in doc.layer("claims") if float(_get(c, "checkworthiness", 0.0) or 0.0) >= min_cw]
    quoted = [(_get(q, "start", 0), _get(q, "end", 0)) for q in quotes]
    unsourced = []
    for c in claims:
        if _get(c, "attributed_to") is not None:
            continue
        s, e = _get(c, "start", 0), _get(c, "end", 0)
        sent = next((x for x in sentences if _get(x, "start", 0) <= s < _get(x, "end", 0)), None)
        lo, hi = (_get(sent, "start", s), _get(sent, "end", e)) if sent is not None else (s, e)
        if not any(qs < hi and qe > lo for qs, qe in quoted):
            unsourced.append(c)
    if unsourced:
        add("unsourced_claims", min(1.0, len(unsourced) / n_sent),
            f"{len(unsourced)} check-worthy claims with no quote or attribution", _spans(unsourced, 3))

    sourcing = list(doc.layer("sourcing"))
    evidence = [s for s in sourcing if _get(s, "flag") == "evidence_claim" and _get(s, "status") in ("asserted", "hedged")]
    if evidence:
        add("evidence_claims", len(evidence),
            f"{len(evidence)} appeal(s) to evidence the reader cannot check (documents, photos, records)",
            _spans(evidence))
    own = [s for s in sourcing if _get(s, "flag") == "self_citation"]
    if own:
        add("self_citation", len(own), f"cites its own earlier reporting {len(own)} time(s)", _spans(own))

    # voice: first person and opinion, outside quotes
    narration = _outside_quotes(text, quotes)
    first = _matches(_pattern(settings.get("first_person", ())), narration)
    if first:
        add("first_person", len(first) * per100,
            f"{len(first)} first-person words outside quotes ({len(first) * per100:.1f} per 100 words)", first[:5])
    opinion = _matches(_pattern(settings.get("opinion_markers", ())), narration)
    opinion += [(m.start(), m.end()) for m in re.finditer(r"!+|\?(?=\s*$|\s+[A-Z])", narration, re.M)]
    if opinion:
        opinion.sort()
        add("opinion_markers", len(opinion) * per100,
            f"{len(opinion)} opinion cues outside quotes ({len(opinion) * per100:.1f} per 100 words)", opinion[:5])

    # debunks: only matches that count against the article (the article carries the claim)
    found = list(doc.layer("debunk_matches"))
    against = [m for m in found if _get(m, "counts_against", False) is True and _get(m, "relation", "match") == "match"]
    if against:
        best = max(against, key=lambda m: float(_get(m, "score", 0.0) or 0.0))
        where = _get(best, "database") or "a debunk database"
        case = _get(best, "debunk_id") or ""
        add("debunked", len(against),
            f"{len(against)} claim(s) the article carries match debunked claims in {where}"
            f"{f' (case {case})' if case else ''}, e.g. “{(_get(best, 'debunk_claim') or '')[:160]}”",
            _spans(against), verified=True)

    if "near-duplicate" in (doc.flags or ()):
        add("near_duplicate", 1.0, f"nearly the same text as an earlier story ({doc.near_duplicate_of or '?'})")
    return out


def vector(factors: Mapping[str, Factor], names: Sequence[str] = LEARNED) -> list[float]:
    return [factors[n].value if n in factors else 0.0 for n in names]


# The notice Russian media law makes media registered in Russia print beside the name of an
# organisation banned there ("ISIS, a terrorist group banned in Russia"; in translations often
# with the translator's "approx."). Outside Russian-registered media and their copies it is rare
# (none of the labelled training articles, nor PTC, FNC-1 or SemEval-2023, carries it).
RUSSIAN_LAW_NOTICE = re.compile(
    r"\b(?:(?:terrorist|extremist)\s+(?:group|organi[sz]ation|movement)s?\s*(?:,\s*(?:which\s+is\s+)?|\s+(?:which|that)\s+(?:is|are)\s+)?"
    r"(?:banned|outlawed|prohibited|forbidden)\s+in\s+(?:Russia|the\s+Russian\s+Federation)|"
    r"(?:banned|outlawed|prohibited)\s+in\s+(?:Russia|the\s+Russian\s+Federation)\b[^.)]{0,20}?[–—-]\s*(?:approx|ed)\.?|"
    r"(?:organi[sz]ation|group)\s+(?:is\s+)?(?:recogni[sz]ed\s+as\s+(?:a\s+)?(?:terrorist|extremist)\s+and\s+)?"
    r"(?:banned|outlawed|prohibited)\s+in\s+(?:Russia|the\s+Russian\s+Federation))", re.I)


def russian_law_notices(text: str) -> list[tuple[int, int]]:
    """Spans of the notice Russian media law requires beside a banned organisation's name."""
    return [m.span() for m in RUSSIAN_LAW_NOTICE.finditer(text)]
