"""Precision checks of a debunk match on news text: is the span a claim, is it the same proposition,
and what does the article do with it.

Retrieval (:mod:`.search`) ranks debunks by how much they share with a sentence; on news
most sentences have no known match and the nearest debunk shares a topic, not a claim.
Three checks sit between a candidate and a *match*:

- :func:`claim_filter`: the span must be a claim: not a byline, a caption or page
  boilerplate, not a definition ("ISIS, a terrorist group banned in Russia"), not a
  casualty tally of one event ("the strike killed 12 civilians") and long enough.
  Parenthetical definitions inside a claim are cut out first (:func:`claim_text`).
- :func:`proposition`: the span and one unit of the debunk (its title, or one sentence
  of its summary) must name the same actors (through the alias table: "Ankara",
  "Turkish" and "Turkey" are one actor; ISIS, ISIL, Daesh and "Islamic State" one
  group), share two predicate words (one when the unit has one) that are not actor names or news filler, and agree in
  polarity (a negation on one side only fails it).
- :func:`article_relation`: for a match, what the article does with the claim, from the
  span and the sentence before it: ``refutes`` (a denial or verdict cue: "denied",
  "baseless", "no evidence", the cues of :mod:`.denials`), ``reports`` (attributed
  neutrally: "X said / claimed / alleged", "according to", hedges such as
  "reportedly"), else ``carries`` (in the article's own voice, or attributed with a
  vouching verb: "confirmed", "revealed", "proved").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import lexicon
from .text import stem

# ------------------------------------------------------------------ the claim filter

_BOILERPLATE = re.compile(
    r"^\s*(?:by\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}\s*$|\(?(?:reporting|writing|editing|additional reporting) by\b|"
    r"(?:photo|image|picture|file photo|video)\s*(?:credit)?\s*[:(]|copyright\b|©|all rights reserved|"
    r"subscribe\b|sign up\b|click here|follow us|share (?:this|on)\b|read more\b|related:|advertisement\b|"
    r"this (?:article|story) (?:was|first|originally)\b)", re.I)
_CAPTION = re.compile(r"\((?:AFP|AP|Reuters|Getty|EPA|file|TASS|RIA|Sputnik|Anadolu|photo)[^)]{0,40}(?:photo|image|images)?\)\s*$", re.I)
# "(ISIS, a terrorist group banned in Russia – approx.)", "(also known as ISIL)"
_PAREN_DEF = re.compile(
    r"\s*[(\[][^()\[\]]{0,120}?(?:banned in|outlawed in|prohibited in|terrorist (?:group|organi[sz]ation)|"
    r"also known as|a\.?k\.?a\.?|formerly|approx\.)[^()\[\]]{0,80}[)\]]", re.I)
_DEFINITION = re.compile(
    r"^\s*(?:the\s+)?[\"“']?[A-Z][\w\s\"”'’()-]{0,60}?,?\s+(?:is|was|are|were)\s+(?:an?|the)\s+"
    r"(?:[\w-]+\s+){0,4}(?:group|organi[sz]ation|movement|militia|network|faction|coalition|party|agency|outlet|"
    r"news agency|broadcaster|channel|term|acronym|name)\b"
    r"|\b(?:also known as|is banned in|are banned in|banned in Russia|outlawed in Russia)\b", re.I)
_TALLY_NUMBER = (r"(?:\d[\d,.]*|dozens|scores|hundreds|thousands|two|three|four|five|six|seven|eight|nine|ten|"
                 r"eleven|twelve|twenty|thirty|forty|fifty|a hundred)")
_TALLY = re.compile(
    r"\b" + _TALLY_NUMBER + r"\b[^.;]{0,60}?\b(?:people|civilians|children|soldiers|fighters|militants|"
    r"troops|persons|others|residents|policemen|police officers|servicemen|members)?\b[^.;]{0,30}?"
    r"\b(?:killed|dead|died|wounded|injured|hurt|slain|lost their lives|perished)\b"
    r"|\b(?:killed|killing|wounding|injuring|left)\s+(?:at least\s+|more than\s+|nearly\s+|about\s+|some\s+)?"
    + _TALLY_NUMBER + r"\b"
    r"|\bdeath toll\b|\bcasualt(?:y|ies)\b", re.I)
# a tally that blames someone on purpose is a claim, not a tally
_ACCUSATION = re.compile(
    r"\b(?:deliberately|intentionally|on purpose|accus\w+|blam\w+|responsib\w+|war crimes?|massacre\w*|"
    r"genocide|staged|fake[ds]?|provocation|cover(?:ed)? up|lie[sd]?)\b", re.I)


def claim_text(text: str) -> str:
    """The span's text with parenthetical definitions cut out (what the checks read)."""
    return re.sub(r"\s{2,}", " ", _PAREN_DEF.sub("", text)).strip()


def claim_filter(text: str, min_words: int = 6) -> str | None:
    """Why the span is not a claim to match (``byline``, ``caption``, ``definition``,
    ``tally``, ``short``, ``question``), or ``None`` when it is one."""
    body = claim_text(text)
    if _BOILERPLATE.search(body):
        return "byline"
    if _CAPTION.search(body):
        return "caption"
    if len(body.split()) < min_words:
        return "short"
    if body.rstrip(" \"”'’").endswith("?"):
        return "question"
    if _DEFINITION.search(body):
        return "definition"
    if _TALLY.search(body) and not _ACCUSATION.search(body):
        return "tally"
    return None


# ------------------------------------------------------------------ actors and predicates

_CAP = re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_UNIT_LEAD = re.compile(r"^\s*(?:(?:last|this|next)\s+week'?s\s+trend|trend|breaking)\s*:\s*", re.I)
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")
_GENERIC = frozenset(
    "say said says tell told state stated report reported according claim claimed year years time day days week "
    "month people country countries world also new one two many part way make made take took give gave use used "
    "government official officials media news article source sources statement information".split())


@lru_cache(maxsize=1)
def _table():
    from ..who.aliases import load_table

    return load_table()


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    return lexicon.words("stopwords") | lexicon.words("negations") | lexicon.words("news_filler")


def actors(text: str) -> set[str]:
    """Actor ids a text names: alias table ids (capitals and office holders also count as
    their country), demonyms as their country, other capitalised names as a slug."""
    table = _table()
    out: set[str] = set()
    covered: list[tuple[int, int]] = []
    for m in table.pattern().finditer(text):
        actor = table.lookup(m.group(0))
        if actor is None:
            continue
        if actor.kind == "media":
            continue
        out.add(actor.country or actor.id)
        out.update(country for _role, country in actor.roles)
        covered.append(m.span())
    for m in _CAP.finditer(text):
        if any(s <= m.start() < e for s, e in covered):
            continue
        for w in m.group(0).split():
            key = w.casefold().strip("’'")
            key = key[:-2] if key.endswith(("'s", "’s")) else key
            if key in table.demonyms:
                out.add(table.demonyms[key])
            elif key in table.countries:
                out.add(table.countries[key])
        name = m.group(0)
        if table.lookup(name) is not None:
            continue
        words = [w for w in re.findall(r"[a-z]+", name.casefold()) if w not in _stop()]
        # a sentence's first word is capitalised anyway: a name only when it is not a plain word
        at_start = m.start() == 0 or text[max(0, m.start() - 2):m.start()].strip() in {".", "!", "?", "\"", "“", ":"}
        if words and not (at_start and len(name.split()) == 1) and not any(
                w.casefold() in table.demonyms or w.casefold() in table.countries for w in name.split()):
            # a person is named by the surname at least once: "Hillary Clinton" and "Clinton" are one
            out.add("name:" + (stem(words[-1]) if len(words) == 2 and not _ORG_WORD.search(name) else "-".join(stem(w) for w in words)))
    return out


_ORG_WORD = re.compile(r"\b(?:Foundation|Party|Union|Council|Ministry|Department|Agency|Service|Office|Committee|"
                       r"Institute|Bank|Company|Corporation|Army|Forces|Front|Movement|Republic|State|News|Times|Post)\b")
# predicate words that say the same thing ("purchase" / "buy"): stem -> one key
_SAME_PREDICATE = {
    "purchas": "buy", "bought": "buy", "acquir": "buy", "sold": "sell", "sale": "sell", "smuggl": "sell",
    "financ": "fund", "funnel": "fund", "sponsor": "fund", "arm": "weapon", "weapon": "weapon",
    "found": "creat", "invasion": "invad", "occupi": "invad", "seiz": "invad", "annex": "invad",
    "meddl": "interfer", "influenc": "interfer", "hacker": "hack", "stag": "fake", "fabricat": "fake",
    "provocation": "fake", "talk": "negotiat", "negotiation": "negotiat", "deal": "negotiat",
}


def _actor_stems(text: str) -> set[str]:
    """Stems of the words that name actors (left out of the predicate)."""
    table = _table()
    out = set()
    for m in list(table.pattern().finditer(text)) + list(_CAP.finditer(text)):
        out.update(stem(w) for w in re.findall(r"[a-z]+", m.group(0).casefold()))
    return out


def predicate(text: str) -> set[str]:
    """Content stems that are not actor names, stop words or news filler."""
    names = _actor_stems(text)
    stems = {stem(w) for w in re.findall(r"[a-z]{3,}", text.casefold()) if w not in _stop() and w not in _GENERIC}
    stems = stems - names - {stem(w) for w in _GENERIC}
    numbers = {f"#{n}" for n in re.findall(r"\d+(?:[.,]\d+)?", text) if len(n) > 1 and not re.fullmatch(r"(?:19|20)\d\d", n)}
    return {_same_predicate(w) for w in stems} | numbers


def _same_predicate(word: str) -> str:
    for key, value in _SAME_PREDICATE.items():
        if word.startswith(key):
            return value
    return word


_NEG = re.compile(r"\b(?:not|never|no|none|nobody|nothing|neither|nor|cannot|without|n[’']t|den(?:y|ies|ied)|"
                  r"false(?:ly)?|fake|refut\w+|reject\w+)\b", re.I)


def negated(text: str) -> bool:
    return bool(_NEG.search(text))


def units(claim: str, title: str | None = None) -> list[str]:
    """The propositions of a debunk: its title and each sentence of its claim."""
    out = []
    for part in [title or "", *(_SENT.split(claim or ""))]:
        part = _UNIT_LEAD.sub("", part).strip()
        if len(part.split()) >= 3 and part not in out:
            out.append(part)
    return out


@dataclass(frozen=True)
class Proposition:
    """How a span and the closest unit of a debunk compare."""

    same: bool
    unit: str = ""
    shared_actors: tuple[str, ...] = ()
    missing_actors: tuple[str, ...] = ()
    shared_predicate: tuple[str, ...] = ()
    polarity_agrees: bool = True
    reason: str = ""


def proposition(span: str, claim: str, title: str | None = None, min_predicate: int = 2,
                min_coverage: float = 0.0) -> Proposition:
    """Whether ``span`` states one proposition of the debunk: same actors, a shared predicate,
    the same polarity. The best unit is reported (the first that passes, else the closest)."""
    text = claim_text(span)
    s_actors, s_pred, s_neg = actors(text), predicate(text), negated(text)
    best: Proposition | None = None
    best_key = (-1, -1)
    for unit in units(claim, title):
        u_actors, u_pred = actors(unit), predicate(unit)
        shared = s_actors & u_actors
        need = min(2, len(u_actors))
        need_pred = max(1, min(min_predicate, len(u_pred)))
        pred = s_pred & u_pred
        polarity = negated(unit) == s_neg
        ok_actors = len(shared) >= need and (need > 0 or len(pred) >= need_pred + 1)
        covered = (len(shared) + len(pred)) / max(len(u_actors) + len(u_pred), 1)
        same = ok_actors and len(pred) >= need_pred and polarity and covered >= min_coverage
        reason = "" if same else ("actors" if not ok_actors else "predicate" if len(pred) < need_pred
                                  else "polarity" if not polarity else "coverage")
        p = Proposition(same, unit, tuple(sorted(shared)), tuple(sorted(u_actors - s_actors)), tuple(sorted(pred)),
                        polarity, reason)
        if same:
            return p
        key = (len(shared), len(pred))
        if key > best_key:
            best, best_key = p, key
    return best or Proposition(False, reason="no-unit")


# ------------------------------------------------------------------ the article's relation

_REFUTE = re.compile(
    r"\b(?:den(?:y|ies|ied|ying|ial)|reject(?:s|ed|ing)?|refut\w+|debunk\w*|dismiss(?:es|ed|ing)?|rebut\w*|"
    r"baseless|groundless|unfounded|untrue|not true|false(?:ly|hood)?|fake news|hoax|fabricat\w+|no evidence|"
    r"without (?:any )?evidence|conspiracy theor\w+|disinformation|misinformation|propaganda|myths?|lies|"
    r"nonsense|absurd|debunked|discredited|misleading)\b", re.I)
_ATTRIBUTE = re.compile(
    r"\b(?:said|says|say|told|claim(?:s|ed|ing)?|alleg(?:e|es|ed|ing|edly|ation|ations)|accus(?:e|es|ed|ing|ation|ations)|"
    r"assert(?:s|ed)?|insist(?:s|ed)?|argu(?:e|es|ed)|maintain(?:s|ed)|suggest(?:s|ed)|(?-i:stat(?:e|es|ed))|"
    r"according to|reportedly|purportedly|supposedly|was quoted|in an interview|wrote|tweeted|posted|"
    r"believes?|thinks?|speculat\w+|theor(?:y|ies|ize|ised|ized))\b", re.I)
_VOUCH = re.compile(r"\b(?:confirm(?:s|ed|ing)?|reveal(?:s|ed|ing)?|prov(?:e|es|ed|en)|expos(?:e|es|ed|ing)|"
                    r"uncover(?:s|ed)?|evidence (?:shows|that)|it is (?:clear|known|no secret)|in fact|undeniabl\w+)\b", re.I)


def article_relation(span: str, before: str = "") -> str:
    """``refutes`` | ``reports`` | ``carries``: what the article does with the claim in ``span``
    (``before``: the text just before it, e.g. the previous sentence)."""
    near = f"{before[-200:]} {span}"
    if _REFUTE.search(span) or _REFUTE.search(before[-160:]):
        return "refutes"
    if _VOUCH.search(span):
        return "carries"
    if _ATTRIBUTE.search(span) or re.search(r"[\"“«][^\"”»]{20,}[\"”»]", span) or (
            _ATTRIBUTE.search(near) and re.search(r"^\s*[\"“«]", span)):
        return "reports"
    return "carries"


__all__ = ["Proposition", "actors", "article_relation", "claim_filter", "claim_text", "negated", "predicate",
           "proposition", "units"]
