"""A trained ranker of candidate speakers for each quote.

The rules of :mod:`propwatch.who.quotes` pick one speaker per quote; this
module lists the speakers a quote could have instead (the people, bodies and
outlets named in its sentence, the one after it and the three before it, the
subjects of speech verbs there, the rules' pick and the previous quote's
speaker), describes each with a few numbers (kind, distance in sentences and
characters, whether it is the cue's subject, whether the text names it inside
another quote, gender and number agreement with a pronoun subject, ...) and
scores them with a logistic model trained on the real-news quote gold
(``train/speakers.py``; weights and model card in
``propwatch/models/speakers/``). The best candidate wins when its probability
clears the threshold of its group (named: person, organization, media; other:
anonymous, document); otherwise the quote gets no speaker: a wrong name is
worse than none.

``speaker_candidates`` (compute) is apart from ``SpeakerRanker.choose``
(the model call), so tests build candidates without weights and score canned
features without a parse. Evaluated in plain Python: no scikit-learn at run
time.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .entities import Mention
from .speakers import MEDIA_NAME, PRONOUNS, SpeakerGuess, SpeakerResolver, _plural, gender_of

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "speakers"
KINDS = ("person", "organization", "media", "document", "anonymous")
NAMED = ("person", "organization", "media")
SPEECH_LEMMAS_EXTRA = {"accord"}
BEFORE_SENTENCES = 3

FEATURES = (
    "bias_rule_none", "rule_pronoun", "rule_kind_person", "rule_kind_organization", "rule_kind_media",
    "rule_kind_document", "rule_kind_anonymous", "rule_kind_unknown",
    "is_rule", "is_rule_x_pronoun", "is_rule_x_person",
    "kind_person", "kind_organization", "kind_media", "kind_document", "kind_anonymous",
    "src_mention", "src_subject", "src_subject_pronoun", "src_prev_quote",
    "cue_subject", "speech_subject",
    "same_sentence", "before_1", "before_2", "before_3", "after", "log_chars",
    "nearest_before", "nearest_person_before", "nearest_after", "rank_before",
    "same_paragraph", "in_other_quote", "possessive", "after_preposition",
    "log_mentions_window", "log_mentions_doc", "first_in_doc", "single_word", "has_entity",
    "pron_he", "pron_she", "pron_they", "pron_it", "gender_match", "gender_clash", "number_match", "number_clash",
    "quote_direct", "quote_mixed", "quote_has_cue", "quote_line_start", "prev_quote_same",
    "src_surface", "surface_covered", "surface_extra", "described", "proper_name", "fits_rule_description",
    "is_subject", "acronym_mismatch", "pron_from_cue", "src_earlier_quote", "src_protagonist", "protagonist",
)
EARLIER_CHARS = 2500  # speakers of quotes this far back stay candidates (a long interview: "she said" ...)
TITLE_WORDS = {"the", "a", "an", "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen", "president", "former", "of"}


@dataclass
class Candidate:
    """One possible speaker of a quote with its features (names from FEATURES, missing = 0)."""

    guess: SpeakerGuess
    key: str
    features: dict[str, float] = field(default_factory=dict)
    spans: list[tuple[int, int]] = field(default_factory=list)


def _key(g: SpeakerGuess) -> str:
    if g.entity_id:
        return g.entity_id
    return re.sub(r"\W+", " ", (g.name or "").casefold()).strip()


def _mention_guess(m: Mention) -> SpeakerGuess | None:
    if not m.name or not m.name[:1].isupper():
        return None
    if m.label == "PERSON" and not MEDIA_NAME.search(m.name):
        return SpeakerGuess(m.name, m.entity_id, "person", m.start, m.end)
    if m.kind == "media" or MEDIA_NAME.search(m.name):
        return SpeakerGuess(m.name, m.entity_id, "media", m.start, m.end)
    if m.label in ("ORG", "NORP", "GPE"):
        return SpeakerGuess(m.name, m.entity_id, "organization", m.start, m.end)
    return None


def _words(s: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]+", s.casefold()) if w not in TITLE_WORDS}


def _surface_guess(text: str, m: Mention, g: SpeakerGuess) -> SpeakerGuess | None:
    """The mention as the story writes it, when its words are not all in the name it was given."""
    suffix = re.match(r"\s+(?:Jr|Sr)\b\.?|\s+(?:II|III|IV)\b", text[m.end:m.end + 6])
    end = m.end + (suffix.end() if suffix else 0)  # "Trump Jr." is not the Trump the alias table knows
    surface = re.sub(r"['’]s$", "", text[m.start:end]).strip()
    if not surface or not surface[:1].isupper() or _words(surface) <= _words(g.name or ""):
        return None
    return SpeakerGuess(surface, None, g.kind, m.start, end)


class _Sentences:
    def __init__(self, text: str, sentences: list[tuple[int, int]]):
        spans = sorted(sentences) or [(0, len(text))]
        self.starts = [s for s, _ in spans]
        self.spans = spans

    def index(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)


def speaker_candidates(text: str, sdoc, mentions: list[Mention], sentences: list[tuple[int, int]], quotes,
                       resolver: SpeakerResolver) -> list[list[Candidate]]:
    """For each quote (``quotes.Found``, in story order) the speakers it could have, with features."""
    sents = _Sentences(text, sentences)
    quoted = sorted((q.start, q.end) for q in quotes)
    speech = _speech_subjects(sdoc, resolver)
    doc_counts: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    named_mentions = []
    for m in mentions:
        g = _mention_guess(m)
        if g is None:
            continue
        k = _key(g)
        doc_counts[k] = doc_counts.get(k, 0) + 1
        first_seen.setdefault(k, m.start)
        named_mentions.append((m, g, k))
    first_key = min(first_seen, key=first_seen.get) if first_seen else None
    people = sorted((k for _, g, k in named_mentions if g.kind == "person"), key=lambda k: -doc_counts[k])
    protagonist = people[0] if people and doc_counts[people[0]] >= 3 else None
    protagonist_guess = next((g for _, g, k in named_mentions if k == protagonist), None)
    ordered = sorted(quotes, key=lambda q: q.start)
    out = []
    for qi, q in enumerate(quotes):
        i0, i1 = sents.index(q.start), sents.index(max(q.start, q.end - 1))
        lo = sents.spans[max(0, i0 - BEFORE_SENTENCES)][0]
        hi = sents.spans[min(len(sents.spans) - 1, i1 + 1)][1]
        cands: dict[str, Candidate] = {}

        def add(g: SpeakerGuess, src: str, at: tuple[int, int] | None, *flags: str):
            if g is None or g.kind not in KINDS or not g.name:
                return
            k = _key(g)
            c = cands.get(k)
            if c is None:
                c = cands[k] = Candidate(g, k)
            elif g.entity_id and not c.guess.entity_id:
                c.guess = g
            c.features[src] = 1.0
            c.features.update(dict.fromkeys(flags, 1.0))
            if at is not None:
                c.spans.append(at)

        for m, g, k in named_mentions:
            if lo <= m.start < hi and not (q.start <= m.start < q.end):
                add(g, "src_mention", (m.start, m.end))
                surface = _surface_guess(text, m, g)
                if surface is not None:  # "Trump Jr." that the entities stage named "Donald Trump"
                    add(surface, "src_surface", (m.start, m.end))
        for (s0, s1), g, pronoun in speech:
            if lo <= s0 < hi and not (q.start <= s0 < q.end):
                add(g, "src_subject_pronoun" if pronoun else "src_subject", (s0, s1), "speech_subject")
        rule = q.speaker
        rule_span = (rule.start, rule.end) if rule is not None and rule.start is not None else None
        if rule is not None:
            add(rule, "is_rule", rule_span)
        pos = ordered.index(q)
        prev = ordered[pos - 1] if pos > 0 else None
        if prev is not None and prev.speaker is not None and prev.end >= lo:
            add(prev.speaker, "src_prev_quote", None)
        for earlier in ordered[max(0, pos - 12):pos]:  # the story's earlier speakers: a pronoun's chain
            sp = earlier.speaker
            if sp is not None and q.start - earlier.end <= EARLIER_CHARS and sp.start is not None:
                add(sp, "src_earlier_quote", (sp.start, sp.end) if text[sp.start:sp.end].casefold() not in PRONOUNS
                    else (earlier.start, earlier.start))
        if protagonist_guess is not None:
            add(protagonist_guess, "src_protagonist", None)
            cands[protagonist].features["protagonist"] = 1.0
        out.append(_describe(text, sents, q, list(cands.values()), rule, quoted, doc_counts, first_key, sdoc,
                             prev, i0, i1, resolver.subjects or set()))
    return out


def _speech_subjects(sdoc, resolver: SpeakerResolver) -> list[tuple[tuple[int, int], SpeakerGuess, bool]]:
    """The subject of every speech verb ("X said"), and X of "according to X", resolved by the rules
    (a pronoun takes its antecedent)."""
    from .quotes import BELIEF_LEMMAS, SPEECH_LEMMAS

    out = []
    for t in sdoc or ():
        if t.lemma_ == "accord":
            to = [c for c in t.children if c.lower_ == "to"]
            objs = [o for c in to for o in c.children if o.dep_ == "pobj"]
            spans = [(o.left_edge.idx, o.idx + len(o)) for o in objs]
        elif t.pos_ in ("VERB", "AUX") and (t.lemma_ in SPEECH_LEMMAS or t.lemma_ in BELIEF_LEMMAS):
            spans = [(c.left_edge.idx, c.idx + len(c)) for c in t.children if c.dep_ in ("nsubj", "nsubjpass")]
        else:
            continue
        for s0, s1 in spans:
            if "\n" in resolver.text[s0:s1] or s1 - s0 > 120:
                continue
            pronoun = resolver.text[s0:s1].casefold() in PRONOUNS
            out.append(((s0, s1), resolver.resolve(s0, s1), pronoun))
    return out


def _describe(text, sents, q, cands: list[Candidate], rule, quoted, doc_counts, first_key, sdoc, prev, i0, i1,
              subjects):
    rule_phrase = text[rule.start:rule.end].casefold() if rule is not None and rule.start is not None else ""
    pron = rule_phrase if rule_phrase in PRONOUNS else ""
    cue_spans = _cue_subject_spans(sdoc, q)
    pron_from_cue = False
    if not pron:  # the rules found no pronoun speaker, but the cue's subject may be one
        pron = next((text[a:b].casefold() for a, b in cue_spans if text[a:b].casefold() in PRONOUNS), "")
        pron_from_cue = bool(pron)
    # "The FBI director": the words a described rule pick uses, to find the person it describes
    rule_desc = sorted(_words(rule.name or "")) if rule is not None and rule.kind == "person" and re.match(
        r"(?:the|a|an)\s+[a-z]", rule.name or "", re.I) and not rule.entity_id else []
    content = text[q.start:q.end]
    quote_level = {
        "bias_rule_none": float(rule is None or rule.kind == "unknown"),
        "rule_pronoun": float(bool(pron)),
        f"rule_kind_{rule.kind if rule is not None else 'unknown'}": 1.0,
        "pron_he": float(pron in ("he", "him")), "pron_she": float(pron in ("she", "her")),
        "pron_they": float(pron in ("they", "we")), "pron_it": float(pron == "it"),
        "quote_direct": float(q.direct), "quote_mixed": float(not q.direct and bool(re.search(r"[\"“”«»]", content))),
        "quote_has_cue": float(q.cue is not None), "pron_from_cue": float(pron_from_cue),
        "quote_line_start": float(text[:max(0, q.start - 1)].rstrip(" \"“«").endswith("\n") or q.start <= 1),
    }
    before = []
    for c in cands:
        f = c.features
        f.update(quote_level)
        f[f"kind_{c.guess.kind}"] = 1.0
        if f.get("is_rule"):
            f["is_rule_x_pronoun"] = float(bool(pron))
            f["is_rule_x_person"] = float(c.guess.kind == "person")
        spans = c.spans or ([(c.guess.start, c.guess.end)] if c.guess.start is not None else [])
        best = None  # (chars, span) nearest to the quote
        for s0, s1 in spans:
            d = q.start - s1 if s1 <= q.start else (s0 - q.end if s0 >= q.end else 0)
            if best is None or d < best[0]:
                best = (max(0, d), (s0, s1))
        if best is None:
            f["log_chars"] = math.log1p(2000)
            continue
        d, (s0, s1) = best
        f["log_chars"] = math.log1p(d)
        si = sents.index(s0)
        if i0 <= si <= i1:
            f["same_sentence"] = 1.0
        elif si > i1:
            f["after"] = 1.0
        else:
            f[f"before_{min(3, i0 - si)}"] = 1.0
        if s1 <= q.start:
            before.append((q.start - s1, c))
        between = text[min(s1, q.start):max(s0, q.end)] if s0 >= q.end else text[s1:q.start]
        f["same_paragraph"] = float("\n" not in between)
        f["in_other_quote"] = float(any(a <= s0 < b for a, b in quoted if not (a == q.start and b == q.end)))
        f["possessive"] = float(bool(re.match(r"['’]s?\b", text[s1:s1 + 2])))
        prev_word = text[max(0, s0 - 12):s0].split()
        f["after_preposition"] = float(bool(prev_word) and prev_word[-1].casefold() in
                                       {"of", "for", "to", "with", "from", "on", "at", "by", "against", "about"})
        f["cue_subject"] = float(any(a < s1 and s0 < b for a, b in cue_spans))
        f["log_mentions_window"] = math.log1p(len(c.spans))
        f["log_mentions_doc"] = math.log1p(doc_counts.get(c.key, 0))
        f["first_in_doc"] = float(c.key == first_key)
        f["single_word"] = float(len((c.guess.name or "").split()) == 1)
        f["has_entity"] = float(bool(c.guess.entity_id))
        name_words = _words(c.guess.name or "")
        written = [(a, b) for a, b in spans if text[a:b].casefold() not in PRONOUNS] or [(s0, s1)]
        w0, w1 = min(written, key=lambda sp: abs(sp[0] - q.start))
        surf = _words(text[w0:w1])
        letters = re.sub(r"[^A-Za-z]", "", text[w0:w1])
        initials = "".join(w[0] for w in (c.guess.name or "").split() if w[:1].isupper())
        f["acronym_mismatch"] = float(letters.isupper() and 2 <= len(letters) <= 5 and len(name_words) >= 2
                                      and letters != initials.upper())
        f["is_subject"] = float(any(a <= i < b for a, b in spans for i in range(a, b) if i in subjects))
        f["surface_covered"] = len(name_words & surf) / len(name_words) if name_words else 0.0
        f["surface_extra"] = float(bool(surf - name_words))
        f["described"] = float(bool(re.match(r"(?:the|a|an|his|her|their|its|one|some)\s", c.guess.name or "", re.I))
                               and not (c.guess.name or "")[4:5].isupper())
        f["proper_name"] = float(all(w[:1].isupper() for w in (c.guess.name or "x").split()))
        if rule_desc and not f.get("is_rule") and c.guess.kind == "person":
            near = " ".join(text[max(0, a - 50):b + 50].casefold() for a, b in spans)
            f["fits_rule_description"] = float(all(w in near for w in rule_desc))
        g = gender_of(c.guess.name) if c.guess.kind == "person" else None
        plural = c.guess.kind in ("organization", "media") or _plural(c.guess)
        if pron in ("he", "him", "she", "her"):
            want = "m" if pron in ("he", "him") else "f"
            f["gender_match"] = float(g == want)
            f["gender_clash"] = float(g is not None and g != want)
            f["number_clash"] = float(plural)
        elif pron in ("they", "we"):
            f["number_match"] = float(plural)
        if prev is not None and prev.speaker is not None and _key(prev.speaker) == c.key:
            f["prev_quote_same"] = 1.0
    before.sort(key=lambda b: b[0])
    for rank, (_, c) in enumerate(before):
        c.features["rank_before"] = min(rank, 5) / 5
    if before:
        before[0][1].features["nearest_before"] = 1.0
        people = [c for _, c in before if c.guess.kind == "person"]
        if people:
            people[0].features["nearest_person_before"] = 1.0
    after = [c for c in cands if c.features.get("after")]
    if after:
        min(after, key=lambda c: c.features["log_chars"]).features["nearest_after"] = 1.0
    return cands


def _cue_subject_spans(sdoc, q) -> list[tuple[int, int]]:
    if sdoc is None or q.cue is None:
        return []
    tok = next((t for t in sdoc if t.idx <= q.cue[0] < t.idx + len(t)), None)
    if tok is None:
        return []
    out = []
    for t in (tok, tok.head):
        for c in t.children:
            if c.dep_ in ("nsubj", "nsubjpass"):
                out.append((c.left_edge.idx, c.right_edge.idx + len(c.right_edge)))
            if c.lower_ == "to" and t.lemma_ == "accord":
                out += [(o.left_edge.idx, o.right_edge.idx + len(o.right_edge)) for o in c.children]
        if out:
            break
    return out


@dataclass(frozen=True)
class SpeakerRanker:
    """Logistic weights over FEATURES (standardized with ``mean``/``scale``) and the two thresholds."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold_named: float
    threshold_other: float
    version: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> SpeakerRanker:
        p = Path(path) if path else MODEL_DIR / "model.json"
        d = json.loads(p.read_text("utf-8"))
        return cls(tuple(d["features"]), tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]), float(d["intercept"]),
                   float(d["threshold_named"]), float(d["threshold_other"]), str(d.get("version", "")))

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef):
            z += w * ((features.get(name, 0.0) - mu) / sd)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def choose(self, candidates: list[Candidate], quote=None) -> tuple[SpeakerGuess, float]:
        """The best candidate that clears its threshold, or no speaker; with the best probability."""
        scored = sorted(((self.probability(c.features), c) for c in candidates), key=lambda s: -s[0])
        for p, c in scored:
            if p >= (self.threshold_named if c.guess.kind in NAMED else self.threshold_other):
                return c.guess, p
            break  # only the best candidate may speak
        return SpeakerGuess(None, None, "unknown"), scored[0][0] if scored else 0.0


def rerank(text: str, sdoc, mentions, sentences, quotes, resolver, ranker) -> None:
    """Replace each quote's speaker by the ranker's choice (``ranker.choose``)."""
    for q, cands in zip(quotes, speaker_candidates(text, sdoc, mentions, sentences, quotes, resolver)):
        q.speaker = ranker.choose(cands, q)[0] if cands else SpeakerGuess(None, None, "unknown")
