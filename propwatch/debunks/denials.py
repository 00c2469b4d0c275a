"""Stage ``denials``: explicit denials inside a story, who denies what.

Rule-based over sentences. A denial cue is a denying verb (deny, reject,
refute, dismiss, rebut, dispute, debunk, contradict), a speech act that
is negated ("did not say", "I did not make such a comment", "never
said"), a verdict word about a claim ("no evidence", "baseless",
"fabricated", "fake news", "not true") or an evaluation of someone's
words ("described X's comments as 'immoral'", "called the report lies").
"did not deny" and the like are not denials.

The denier comes from the quote that holds the cue or shares its sentence
(layer ``quotes``: speaker name, entity id, kind) when there is one, else
from the sentence: a "by X" agent, or the subject before the cue. The
denied thing is the object of the cue ("Antonov's comments", "the
allegations that ..."). A denial is linked to the quote, to the claim
(layer ``claims``) it overlaps or shares the most words with, and to a
debunk match in the same sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import lexicon
from ..records import Document, Span, layer_record
from ..settings import Field, StageSettings
from ..stages.base import LayerStage, register_stage

_EVAL_WORDS = (
    r"lies?|lying|immoral|absurd\w*|baseless|groundless|nonsense|fabricat\w+|false(?:hood)?s?|untrue|slander\w*|"
    r"provocation|provocative|fake(?: news)?|ridiculous|propaganda|disinformation|misinformation|hoax|"
    r"insinuations?|speculations?|fiction|fantasy|fantasies|libel\w*|unfounded|misleading|a lie"
)
_Q = "[\"'“”‘’«»]?"
CUES: list[tuple[str, re.Pattern[str]]] = [
    ("evaluation", re.compile(
        r"\b(?P<cue>described|called|branded|labell?ed|termed|dismissed|characteri[sz]ed|denounced)\s+"
        r"(?P<obj>[^.;:!?]{2,120}?)\s+as\s+" + _Q + r"(?:an?\s+|pure\s+|outright\s+|complete\s+|utter\s+)?(?P<verdict>" + _EVAL_WORDS + r")\b", re.I)),
    ("evaluation", re.compile(
        r"\b(?P<cue>called|branded|termed)\s+(?P<obj>(?:the|these|those|this|such|his|her|their|its)\s+[^.;:!?]{2,80}?)\s+" + _Q +
        r"(?:an?\s+|pure\s+|outright\s+)?(?P<verdict>" + _EVAL_WORDS + r")\b", re.I)),
    ("negated-speech", re.compile(
        r"\b(?P<cue>(?:did\s+not|didn[’']t|never|have\s+not|haven[’']t|has\s+not|hasn[’']t)\s+"
        r"(?:ever\s+)?(?:say|said|state|stated|claim|claimed|tell|told|announce|announced|"
        r"promise|promised|order|ordered|authori[sz]e|authori[sz]ed|"
        r"(?:make|made|give|gave|issue|issued)(?=\s+(?:\w+\s+){0,2}(?:comments?|statements?|remarks?|claims?|"
        r"accusations?|allegations?|promises?|orders?|permission|instructions?|such))))\b(?P<obj>[^.;!?]{0,120})", re.I)),
    ("verb", re.compile(
        r"(?<!not )(?<!never )(?<!n't )\b(?P<cue>den(?:y|ies|ied|ying|ial)|reject(?:s|ed|ing)?|refut(?:e|es|ed|ing)|"
        r"dismiss(?:es|ed|ing)?|rebut(?:s|ted|ting)?|disput(?:ed|ing)|disputes?(?=\s+(?:that|the|these|those|this|his|her|their|its|claims?|reports?|allegations?)\b)|debunk(?:s|ed|ing)?|"
        r"contradict(?:s|ed|ing)?|repudiat(?:e|es|ed|ing))\b(?P<obj>[^.;!?]{0,160})", re.I)),
    ("verdict", re.compile(
        r"\b(?P<cue>no\s+evidence|not\s+true|baseless|groundless|fabricated|fabrication|(?:is|are|was|were|as|it)\s+fake\s+news|"
        r"(?:is|are|was|were)\s+(?:a\s+)?(?:lie|lies|false|untrue|nonsense|absurd)|"
        r"has\s+nothing\s+to\s+do\s+with|categorically)\b(?P<obj>[^.;!?]{0,120})", re.I)),
]
_NEGATED_CUE = re.compile(r"\b(?:not|never|n[’']t|no one|nobody)\s+(?:\w+\s+)?$", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:can|could|would|should|might|may|must|cannot|will|(?:were|was|try|tries|tried|trying|wants?|wanted|seeks?|sought|seeking|order|used|able)\s+to)\s+(?:\w+ly\s+)?$", re.I)
_WITHHOLD = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:(?:his|her|their|its|them|him|me|us|you)\s+)?(?:(?:basic|constitutional|natural|civil|human|legal|\w+'s)\s+)*(?:rights?|access|entry|visas?|bail|permission|liberty|service|benefits?|dreams?)\b|^\s*of\b", re.I)
_COPULA_CUE = re.compile(r"^(?:is|are|was|were)\b|^(?:baseless|groundless|fabricated)$", re.I)
_ATTRIBUTIVE = re.compile(r"\b(?:a|an|the|this|that|its|their|his|her|undisputed|much|hotly)\s+$", re.I)
_LEAD = re.compile(r"^(?:(?:but|and|however|meanwhile|later|earlier|yet|also|still|so|then|instead)[,\s]+)+", re.I)
_PASSIVE = re.compile(r"\b(?:was|were|been|is|are|being)\s+(?:\w+ly\s+)?$", re.I)
_BY = re.compile(r"\bby\s+((?:[A-Z][\w’'.-]+\s*){1,5})")
# a speech verb before a denial's object: "X told reporters he did not ..." (data/words/speech_verbs.txt)
_SPEECH = re.compile(r"\b(?:" + lexicon.alternation(lexicon.forms_of(
    "speech_verbs", ("tell", "say", "write", "state", "add", "insist", "stress", "declare"))) + r")\b", re.I)


@dataclass(frozen=True, slots=True)
class Denier:
    """Who denies: a name as written, the entity id when known, and how it was found."""

    name: str
    entity_id: str | None = None
    kind: str | None = None  # person | organization | ... (from the quote speaker)
    found_by: str = "subject"  # quote | agent | subject


@layer_record("denials")
@dataclass(frozen=True, slots=True)
class Denial(Span):
    """An explicit denial; the span is its sentence."""

    layer_name: ClassVar[str]
    cue: str = ""
    cue_kind: str = ""  # evaluation | negated-speech | verb | verdict
    cue_start: int = 0
    cue_end: int = 0
    denier: Denier | None = None
    denied: str | None = None  # the thing denied, as written
    verdict: str | None = None  # the evaluation word ("immoral", "lies") when there is one
    quote_start: int | None = None
    quote_end: int | None = None
    claim_start: int | None = None
    claim_end: int | None = None
    debunk_id: str | None = None


def _get(rec: Any, name: str, default: Any = None) -> Any:
    return getattr(rec, name, default)


def _subject(prefix: str) -> str | None:
    """The grammatical subject before the cue, roughly: the clause start up to the verb."""
    clause = re.split(r"[;:]|\b(?:that|while|which|after|because|when|if|although|though|since|where|who)\b|\band\b(?=\s+(?:i|we|he|she|they)\b)", prefix, flags=re.I)[-1]
    clause = re.sub(r",[^,]*,", " ", clause)  # drop ", however," and appositions
    if "," in clause:  # "In a statement, Manafort"
        clause = clause.rsplit(",", 1)[1]
    clause = _LEAD.sub("", clause.strip()).strip(" ,\"'“”")
    clause = re.sub(r"\s+(?:has|have|had|was|were|is|are|also|again|quickly|firmly|flatly|strongly|publicly|later|then|swiftly|categorically|has since|have since)\s*$", "", clause, flags=re.I)
    clause = re.sub(r"(?:\s+(?:has|have|had|also|again|still|never|first|\w+ly))+$", "", clause, flags=re.I).strip()
    ws = clause.split()
    if not ws or len(ws) > 10 or clause.casefold() in ("there", "it", "this", "that"):
        return None
    return clause


def _overlap(a: str, b: str) -> int:
    wa = {w for w in re.findall(r"\w+", a.casefold()) if len(w) > 3}
    wb = {w for w in re.findall(r"\w+", b.casefold()) if len(w) > 3}
    return len(wa & wb)


def find_denials(doc: Document) -> list[Denial]:
    text = doc.text
    quotes = list(doc.layer("quotes"))
    claims = list(doc.layer("claims"))
    matches = list(doc.layer("debunk_matches"))
    out: list[Denial] = []
    for sent in doc.layer("sentences"):
        s0, stext = sent.start, sent.text
        found = None
        for kind, pattern in CUES:
            for m in pattern.finditer(stext):
                before = stext[:m.start("cue")]
                if kind != "negated-speech" and _NEGATED_CUE.search(before):
                    continue  # "did not deny"
                if kind == "verb" and _ATTRIBUTIVE.search(before):
                    continue  # "a disputed incursion"
                if kind == "negated-speech" and re.match(r"\s*(?:whether|why|how|when|if|what|where|who)\b", m.group("obj") or "", re.I):
                    continue  # "officials haven't said whether ...": silence, not denial
                if re.search(r"\bneither\b[^.]*\bnor\b", before, re.I):
                    continue  # "neither X nor Y have denied"
                if kind == "verb" and _HYPOTHETICAL.search(before):
                    continue  # "if he were to deny", "he can dismiss"
                if kind == "verb" and m.group("cue").casefold().startswith("den") and _WITHHOLD.search(m.group("obj") or ""):
                    continue  # "denied his right", "denial of due process": withholding, not denying
                if kind == "verdict" and m.group("cue").casefold() == "categorically" and not re.search(r"\bden|reject|refut", stext, re.I):
                    continue
                found = (kind, m)
                break
            if found:
                break
        if not found:
            continue
        kind, m = found
        cue_start, cue_end = s0 + m.start("cue"), s0 + m.end("cue")
        obj = (m.group("obj") or "").strip(" ,\"'“”‘’") or None
        if obj and kind == "verb":
            obj = re.split(r"\s*,\s*(?:saying|adding|and|but|calling)\b|\s+(?:saying|adding)\b", obj)[0].strip() or None
        verdict = m.groupdict().get("verdict")
        # the quote holding the cue, else one in the sentence
        quote = next((q for q in quotes if _get(q, "start") <= cue_start < _get(q, "end")), None)
        if quote is None:
            quote = next((q for q in quotes if _get(q, "start") < sent.end and s0 < _get(q, "end")), None)
        denier = None
        if quote is not None and _get(quote, "speaker"):
            sp = _get(quote, "speaker")
            name = _get(sp, "name")
            if name:
                denier = Denier(name=name, entity_id=_get(sp, "entity_id"), kind=_get(sp, "kind"), found_by="quote")
        passive = _PASSIVE.search(stext[:m.start("cue")]) if kind in ("verb", "evaluation") else None
        if passive:  # "the claims were dismissed by X as baseless": the subject is what is denied
            obj = _subject(stext[:passive.start()]) or obj
        copula = kind == "verdict" and _COPULA_CUE.search(m.group("cue"))
        if copula:  # "the report was false": the subject is what is denied; the denier is who says so
            prefix = stext[:m.start("cue")]
            speech = list(_SPEECH.finditer(prefix))
            if speech:
                obj = prefix[speech[-1].end():].strip(" ,\"'“”") or obj
                obj = re.sub(r"^that\s+", "", obj or "") or None
                if denier is None and _subject(prefix[:speech[-1].start()]):
                    denier = Denier(name=_subject(prefix[:speech[-1].start()]), found_by="subject")
            else:
                obj = _subject(prefix) or obj
        elif denier is None:
            agent = _BY.search(stext[m.end("cue"):m.end("cue") + 80]) if passive else None
            if agent:
                denier = Denier(name=agent.group(1).strip(), found_by="agent")
            elif passive:
                denier = None
            else:
                prefix = stext[:m.start("cue")]
                speech = list(_SPEECH.finditer(prefix))
                if kind == "negated-speech" and speech:  # X told reporters that "I did not ..."
                    prefix = prefix[:speech[0].start()]
                subj = _subject(prefix)
                if subj:
                    denier = Denier(name=subj, found_by="subject")
        claim = next((c for c in claims if _get(c, "start") < sent.end and s0 < _get(c, "end")), None)
        if claim is None and obj:
            scored = [(_overlap(obj, _get(c, "text", "")), c) for c in claims]
            scored = [x for x in scored if x[0] >= 2]
            claim = max(scored, key=lambda x: x[0])[1] if scored else None
        debunk = next((d for d in matches if _get(d, "start") < sent.end and s0 < _get(d, "end")), None)
        out.append(Denial(
            start=s0, end=sent.end, text=stext, cue=text[cue_start:cue_end], cue_kind=kind,
            cue_start=cue_start, cue_end=cue_end, denier=denier, denied=obj, verdict=verdict,
            quote_start=_get(quote, "start") if quote is not None else None,
            quote_end=_get(quote, "end") if quote is not None else None,
            claim_start=_get(claim, "start") if claim is not None else None,
            claim_end=_get(claim, "end") if claim is not None else None,
            debunk_id=_get(debunk, "debunk_id") if debunk is not None else None,
        ))
    return out


class DenialSettings(StageSettings):
    """``denials`` has no settings."""


@register_stage("denials", version=1)
class DenialStage(LayerStage):
    requires = ("sentences",)
    # the quote a denial is in, and the claim and known debunk it denies
    optional = ("quotes", "claims", "debunk_matches")
    assigns = ("denials",)
    languages = ("en",)  # English models and word lists (propwatch.languages routes the rest)
    layer = "denials"
    settings_model = DenialSettings

    def predict(self, docs: Sequence[Document]) -> list[list[Denial]]:
        return [find_denials(doc) for doc in docs]


__all__ = ["CUES", "Denial", "DenialStage", "Denier", "find_denials"]
