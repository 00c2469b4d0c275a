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
    r"|\b(?:also known as|is banned in|are banned in|banned in Russia|outlawed in Russia)\b"
    # a glossary line: "“Islamic state” (ISIS) – an Islamist terrorist organization operating in ..."
    r"|^\s*[\"“']?[A-Z][\w\s\"”'’-]{0,60}?(?:\s*\([^()]{1,40}\))?\s+[–—-]\s+(?:an?|the)\s+(?:[\w-]+\s+){0,4}"
    r"(?:group|organi[sz]ation|movement|militia|network|faction|coalition|party|agency|outlet|broadcaster|channel)\b",
    re.I)
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
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(\[])")
_GENERIC = frozenset(
    "say said says tell told state stated report reported according claim claimed year years time day days week "
    "month people country countries world also new one two many part way make made take took give gave use used "
    "government official officials media news article source sources statement information well".split())


@lru_cache(maxsize=1)
def _table():
    from ..who.aliases import load_table

    return load_table()


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    return lexicon.words("stopwords") | lexicon.words("negations") | lexicon.words("news_filler")


# capitalised words that name no actor: months, days, titles, institutions' generic heads
_NOT_NAMES = frozenset(
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday president presidents prime minister ministers secretary "
    "chancellor general professor university organisation organization mr mrs ms dr sir leader leaders "
    "senator governor ambassador spokesman spokeswoman chief head deputy former foreign defense defence "
    "ministry trend breaking exclusive update watch read video photos".split())
# regions a debunk names as one actor: "the West" / "Western" / "the US-led West"; "Europe" / "European"
# / "Brussels" (the EU stays an actor of its own: "the migrant crisis in Europe" is not the EU)
_REGIONS = {"west": "region:west", "western": "region:west", "westerners": "region:west",
            "europe": "region:europe", "european": "region:europe", "europeans": "region:europe",
            "brussels": "region:europe"}


def actors(text: str) -> set[str]:
    """Actor ids a text names: alias table ids (capitals and office holders also count as
    their country), demonyms as their country, regions ("the West", "Europe": one actor
    each), other capitalised names as a slug (titles, months
    and other generic capitalised words left out)."""
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
    # a headline in title case ("WikiLeaks Exposed Clinton Leaked Emails") is no run of names
    title_case = _title_case(text)
    for start, name in _name_runs(text, covered):
        for w in name.split():
            key = w.casefold().strip("’'")
            key = key[:-2] if key.endswith(("'s", "’s")) else key
            if key in table.demonyms:
                out.add(table.demonyms[key])
            elif key in table.countries:
                out.add(table.countries[key])
            elif key in _REGIONS:
                out.add(_REGIONS[key])
        known = table.lookup(name)
        if known is not None:  # an alias the pattern missed ("Hillary Clinton’s")
            if known.kind != "media":
                out.add(known.country or known.id)
                out.update(country for _role, country in known.roles)
            continue
        words = [w for w in re.findall(r"[a-z]+", name.casefold()) if w not in _stop() and w not in _NOT_NAMES
                 and w not in _REGIONS]
        if title_case:
            continue
        # a sentence's first word is capitalised anyway: a name only when it is not a plain word
        at_start = start == 0 or text[max(0, start - 2):start].strip() in {".", "!", "?", "\"", "“", ":"}
        if words and not (at_start and len(name.split()) == 1) and not any(
                w.casefold() in table.demonyms or w.casefold() in table.countries for w in name.split()):
            # a person is named by the surname at least once: "Hillary Clinton" and "Clinton" are one
            out.add("name:" + (stem(words[-1]) if len(words) == 2 and not _ORG_WORD.search(name) else "-".join(stem(w) for w in words)))
    return out


def _name_runs(text: str, covered: list[tuple[int, int]]):
    """``(start, run)`` for each run of capitalised words, the parts an alias covers cut out
    ("Putin's Crimea annexation": "Crimea" after the alias "Putin")."""
    for m in _CAP.finditer(text):
        pos = m.start()
        for s, e in sorted(covered):
            if e <= pos or s >= m.end():
                continue
            if s > pos:
                yield from ((pos + r.start(), r.group(0)) for r in _CAP.finditer(text[pos:s]))
            pos = max(pos, e)
        if pos < m.end():
            for r in _CAP.finditer(text[pos:m.end()]):
                yield pos + r.start(), r.group(0)


def _title_case(text: str) -> bool:
    """Most words capitalised: a headline, where capitals do not mark names."""
    ws = re.findall(r"[A-Za-z][\w’'-]*", text)
    return len(ws) >= 5 and sum(w[0].isupper() for w in ws) >= 0.7 * len(ws)


_ORG_WORD = re.compile(r"\b(?:Foundation|Party|Union|Council|Ministry|Department|Agency|Service|Office|Committee|"
                       r"Institute|Bank|Company|Corporation|Army|Forces|Front|Movement|Republic|State|News|Times|Post)\b")
# predicate words that say the same thing ("purchase" / "buy"): stem -> one key
_SAME_PREDICATE = {
    "purchas": "buy", "bought": "buy", "consum": "buy", "import": "buy", "stolen": "steal", "stole": "steal",
    "loot": "steal", "proof": "evidenc", "acquir": "buy", "sold": "sell", "sale": "sell", "smuggl": "sell",
    "financ": "fund", "funnel": "fund", "sponsor": "fund", "arm": "weapon", "weapon": "weapon",
    "invasion": "invad", "occupi": "invad", "seiz": "invad", "annex": "invad",
    "meddl": "interfer", "influenc": "interfer", "hacker": "hack", "stag": "fake", "fabricat": "fake",
    "provocation": "fake", "talk": "negotiat", "negotiation": "negotiat", "deal": "negotiat",
}


# words whose stem is another word's ("founded" stems to "found", as "found" of "find" does)
_SAME_WORD = {"founded": "creat", "founding": "creat", "founder": "creat", "founders": "creat"}


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
    stems = {_SAME_WORD.get(w) or stem(w) for w in re.findall(r"[a-z]{3,}", text.casefold())
             if w not in _stop() and w not in _GENERIC and w not in _NOT_NAMES and w not in _REGIONS}
    stems = stems - names - {stem(w) for w in _GENERIC}
    numbers = {f"#{n}" for n in re.findall(r"\d+(?:[.,]\d+)?", text) if len(n) > 1 and not re.fullmatch(r"(?:19|20)\d\d", n)}
    return {_same_predicate(w) for w in stems} | numbers


def _same_predicate(word: str) -> str:
    for key, value in _SAME_PREDICATE.items():
        if word.startswith(key) or word.startswith(value):  # "interfere" and "influence" alike
            return value
    return word


def _predicate_key(word: str) -> str:
    """A lower-cased word as predicate() files it: its stem, through the synonym keys."""
    return _same_predicate(_SAME_WORD.get(word) or stem(word))


def _capital_words(text: str) -> set[str]:
    """Stems of capitalised words that are no actor of the alias table ("Uranium" in a headline):
    a predicate word of the other side may be written with a capital here."""
    table = _table()
    covered = [m.span() for m in table.pattern().finditer(text) if table.lookup(m.group(0)) is not None]
    out = set()
    for m in _CAP.finditer(text):
        for wm in re.finditer(r"[A-Za-z]{3,}", m.group(0)):
            if any(s <= m.start() + wm.start() < e for s, e in covered):
                continue
            f = wm.group(0).casefold()
            if f not in _stop() and f not in _GENERIC and f not in _NOT_NAMES and f not in _REGIONS \
                    and f not in table.demonyms and f not in table.countries:
                out.add(_same_predicate(stem(f)))
    return out


_NEG = re.compile(r"\b(?:not|never|no|none|nobody|nothing|neither|nor|cannot|without|n[’']t|den(?:y|ies|ied)|"
                  r"false(?:ly)?|fake|refut\w+|reject\w+)\b", re.I)


def negated(text: str) -> bool:
    return bool(_NEG.search(text))


# where a sentence's clauses meet: a negation in one ("he wants them not to be great") says nothing
# of another ("Obama, who founded ISIS by the way")
_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:()—–]|\s-\s|\b(?:who|which|but|while|whereas|although|though)\b)\s*", re.I)


def negated_near(text: str, words: set[str]) -> bool:
    """Whether a clause of ``text`` that holds one of ``words`` (predicate stems) is negated; the
    whole text when no clause holds any."""
    holding = []
    for clause in _CLAUSE_BREAK.split(text):
        if {_predicate_key(w) for w in re.findall(r"[a-z]{3,}", clause.casefold())} & words:
            holding.append(clause)
    return any(negated(c) for c in holding) if holding else negated(text)


# where one sentence of a debunk holds two propositions: "X did not interfere in A, nor has X anything
# to do with B"; "//" joins two claims in EUvsDisinfo summaries
_CLAUSE = re.compile(r"\s*(?://|;|,?\s+\bnor\b(?=\s)|,\s*(?:but|while|whereas)\b)\s*", re.I)
_BRACKETS = re.compile(r"\s*[(\[][^()\[\]]{0,200}[)\]]")


def units(claim: str, title: str | None = None) -> list[str]:
    """The propositions of a debunk: its title and each sentence of its claim, and each clause
    of those (split at "//", ";", "nor", ", but"; a "nor" clause keeps its negation), with
    bracketed asides ("[In the referendum]", "(Organisation for the Prohibition of ...)") cut."""
    out = []
    for part in [title or "", *_SENT.split(claim or "")]:
        part = _UNIT_LEAD.sub("", part).strip()
        pieces = [part]
        # "Turkey buys oil from ISIL and sells it to Ukraine": the main clause is a proposition too
        lead = re.split(r",?\s+and\s+(?=(?:then\s+)?[a-z]+s\b(?! of\b))", part, maxsplit=1)
        if len(lead) == 2:
            pieces.append(lead[0])
        bits = _CLAUSE.split(part)
        if len(bits) > 1:
            seps = _CLAUSE.findall(part)
            pieces += [("not " if re.search(r"\bnor\b", sep, re.I) else "") + b for sep, b in zip(["", *seps], bits)]
        for piece in pieces:
            piece = re.sub(r"\s{2,}", " ", _BRACKETS.sub("", piece)).strip(" ,.")
            if len(piece.split()) >= 3 and piece not in out:
                out.append(piece)
    return out


# verbs that carry another verb's proposition: "Turkey plans to invade Syria", "Russia says the West staged it"
_CARRIER_VERBS = frozenset(
    "say claim state report tell announce plan want try seek intend begin start continue attempt aim threaten "
    "decide agree prepare go allege insist suggest believe think".split())


@lru_cache(maxsize=1)
def _parser():
    """spaCy's small English pipeline (the entities stage's), or None when it is not installed."""
    try:
        from ..who.nlp import load_pipeline

        return load_pipeline("auto")
    except Exception:  # noqa: BLE001 - no spaCy or no model: the verb check is left out
        return None


@lru_cache(maxsize=65536)
def head_verb(unit: str, nlp=None) -> str | None:
    """The stem of the verb a debunk unit asserts ("founded" in "Obama has founded ISIS", "invade" in
    "Turkey plans to invade Syria"), or None for a verbless or copular unit ("No evidence of ...",
    "Ukraine is the new base for ISIS") or without a parser. ``nlp``: the pipeline to parse with (the
    stage passes the process's own, ``Resources.spacy``); None loads the small English one here."""
    nlp = nlp if nlp is not None else _parser()
    if nlp is None:
        return None
    root = next((t for t in nlp(unit) if t.dep_ == "ROOT"), None)
    for _ in range(2):  # "Russia says the West plans to stage ...": at most two carriers deep
        if root is None or root.pos_ != "VERB" or root.lemma_.casefold() not in _CARRIER_VERBS:
            break
        carried = next((c for c in root.children if c.dep_ in ("ccomp", "xcomp") and c.pos_ == "VERB"), None)
        if carried is None:
            break
        root = carried
    if root is None or root.pos_ != "VERB" or root.lemma_.casefold() in ("be", "have"):
        return None
    word = root.text.casefold()
    if word in _stop() or word in _GENERIC:
        return None
    return _predicate_key(word)


# one event seen from either side: "the Foundation sold uranium to Russia" / "Russia's purchase of uranium"
_CONVERSE = {"buy": "sell", "sell": "buy"}


def _verb_in(verb: str, words: set[str]) -> bool:
    """Whether the span says the unit's verb: the same stem or synonym key, its converse, or the same
    first five letters ("organised" / "organisers", "invaded" / "invading")."""
    return verb in words or _CONVERSE.get(verb) in words or (
        len(verb) >= 5 and any(len(w) >= 5 and w[:5] == verb[:5] for w in words))


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
    coverage: float = 0.0


def _is_party(actor_id: str) -> bool:
    """A person or organisation (not a country, region or other place)."""
    if actor_id.startswith(("per:", "org:")):
        return True
    if actor_id.startswith("name:"):
        table = _table()
        return actor_id[5:] not in table.countries and not any(
            a.id == actor_id for a in table.actors.values() if a.label in ("GPE", "LOC"))
    return False


def proposition(span: str, claim: str, title: str | None = None, min_predicate: int = 2,
                min_coverage: float = 0.0, allow_negation: bool = True, check_verb: bool = True,
                nlp=None) -> Proposition:
    """Whether ``span`` states one proposition of the debunk, or its exact negation: the same
    actors, a shared predicate (``min_predicate`` words, fewer when the unit has fewer), and
    ``min_coverage`` of the unit's actors and predicate words. Two actors are needed where the
    unit names two; one is enough, and coverage is not asked, when the span shares every predicate
    word of the unit (at least two: "Russians attempted to interfere in our elections" and "Russia
    did not interfere with the elections in the US or France"). With ``check_verb`` the verb the
    unit asserts (:func:`head_verb`) must be in the span. Opposite polarity
    (one side negated) is the same proposition negated when ``allow_negation``: then
    ``polarity_agrees`` is false, and the article does not carry the debunked claim. The best
    unit is reported: the first that passes naming no actor the span lacks, else the passing one with
    the same polarity, else the closest."""
    text = claim_text(span)
    s_actors, s_pred, s_neg, s_caps = actors(text), predicate(text), negated(text), _capital_words(text)
    best: Proposition | None = None
    best_key: tuple = (-1,)
    for unit in units(claim, title):
        u_actors, u_pred = actors(unit), predicate(unit)
        shared = s_actors & u_actors
        # a predicate word may be capitalised on one side ("US Uranium Assets" / "U.S. uranium")
        u_pred = u_pred | (_capital_words(unit) & s_pred)
        pred = (s_pred | s_caps) & u_pred
        need_pred = max(1, min(min_predicate, len(u_pred)))
        whole_predicate = len(u_pred) >= 2 and u_pred <= pred
        need = min(1 if whole_predicate else 2, len(u_actors))
        # the span's negation is read in the clause that says the unit's predicate
        polarity = negated(unit) == (negated_near(text, u_pred) if s_neg else False)
        missing = u_actors - s_actors
        ok_actors = len(shared) >= need and (need > 0 or len(pred) >= need_pred + 1) and (
            # a person or organisation the unit names must be in the span (a place may be left out:
            # "Turkey buys ISIS oil" states "Turkey buys oil from ISIL and sells it to Ukraine")
            not any(_is_party(a) for a in missing)) and (
            # a one-word predicate ("war", "created") says little: then every actor must be there
            len(u_pred) > 1 or not missing)
        covered = 1.0 if whole_predicate else (len(shared) + len(pred)) / max(len(u_actors) + len(u_pred), 1)
        # the unit's own verb must be said ("all terrorists since 9/11 were residents" does not say that
        # "the 9/11 attack was organised by the US"); a negated reading needs a verb to negate ("the
        # evidence of collusion would be covered up" is no denial of "No evidence of Trump collusion")
        verb = head_verb(unit, nlp) if check_verb else None
        verb_ok = verb is None or _verb_in(verb, s_pred | s_caps)
        flip_ok = polarity or not check_verb or (verb is not None and verb_ok)
        same = (ok_actors and len(pred) >= need_pred and (polarity or allow_negation) and covered >= min_coverage
                and verb_ok and flip_ok)
        reason = "" if same else ("actors" if not ok_actors else "predicate" if len(pred) < need_pred
                                  else "polarity" if not polarity and not allow_negation
                                  else "coverage" if covered < min_coverage else "verb" if not verb_ok
                                  else "negation")
        p = Proposition(same, unit, tuple(sorted(shared)), tuple(sorted(missing)), tuple(sorted(pred)),
                        polarity, reason, round(covered, 4))
        if same and polarity and not p.missing_actors:
            return p
        key = (int(same), int(polarity), int(not p.missing_actors), len(shared) + len(pred), len(shared))
        if key > best_key:
            best, best_key = p, key
    return best or Proposition(False, reason="no-unit")


def overlap(span: str, claim: str, title: str | None = None) -> tuple[int, int]:
    """The most actors and predicate words ``span`` shares with one unit of the debunk
    (what a *related* debunk needs: the same actor doing something of the same kind)."""
    text = claim_text(span)
    s_actors, s_pred, s_caps = actors(text), predicate(text), _capital_words(text)
    best = (0, 0)
    for unit in units(claim, title):
        # as in proposition(): a word capitalised on one side only may still be a predicate word
        u_pred = predicate(unit) | (_capital_words(unit) & s_pred)
        shared = (len(s_actors & actors(unit)), len((s_pred | s_caps) & u_pred))
        best = max(best, shared, key=lambda t: (min(t), t))
    return best


def is_cut(debunk) -> bool:
    """A claim cut short where the export has only a truncated title ("Hillary Clinton's top secret
    emails will be used in the…"): what it claims cannot be read, so it is never a match."""
    return (getattr(debunk, "claim", "") or "").rstrip().endswith(("…", "..."))


def pick_match(span: str, candidates, min_score: float, min_fused: float, min_coverage: float = 0.7,
               alternative_min_fused: float = 0.18, depth: int = 10, allow_negation: bool = True, nlp=None):
    """The candidate (a :class:`~propwatch.debunks.search.Match`) the span states, with its
    :class:`Proposition`, or ``None``.

    The top candidate must reach ``min_score`` and ``min_fused``: that decides whether the span
    matches at all. When the top does not state the span's proposition (or its negation), a later
    candidate may, but only whole (its verb said, every actor named, the same polarity). Which case it matches is then
    chosen among the first ``depth`` candidates that state the same proposition (the top, and the
    others with ``alternative_min_fused`` fused similarity): the one naming every actor of its unit
    first ("Turkey is the main consumer of ISIS oil": "Turkey buys oil from ISIL" before "ISIS oil is
    bought by Israel via Turkey", which names a buyer the span does not), then the one with the same
    polarity, the higher coverage, the higher rank. ``nlp``: the spaCy pipeline the verb check parses
    debunk units with (:func:`head_verb`)."""
    if not candidates:
        return None
    top = candidates[0]
    if top.score < min_score or top.fused < min_fused or is_cut(top.debunk):
        return None
    first = proposition(span, top.debunk.claim, top.debunk.title, min_coverage=min_coverage,
                        allow_negation=allow_negation, nlp=nlp)

    def stating(negation: bool):
        """(rank, candidate, proposition) for the later candidates close enough that state it."""
        for rank, cand in enumerate(candidates[1:depth], start=1):
            if cand.fused < alternative_min_fused or is_cut(cand.debunk):
                continue
            prop = proposition(span, cand.debunk.claim, cand.debunk.title, min_coverage=min_coverage,
                               allow_negation=negation, nlp=nlp)
            if prop.same:
                yield rank, cand, prop

    if not first.same:
        # the closest case says another thing of the same story ("IS steals oil bought by Israel via
        # Turkey" for "Turkish authorities purchase oil from ISIS"): a case further down may still
        # state the span's proposition whole, its verb said, every actor named, the same polarity
        return next(((cand, prop) for _, cand, prop in stating(False)
                     if prop.polarity_agrees and not prop.missing_actors and head_verb(prop.unit, nlp)), None)
    best, best_key = (top, first), (not first.missing_actors, first.polarity_agrees, first.coverage, 0)
    if not first.missing_actors and first.polarity_agrees:
        return best
    for rank, cand, prop in stating(allow_negation):
        key = (not prop.missing_actors, prop.polarity_agrees, prop.coverage, -rank)
        if key > best_key:
            best, best_key = (cand, prop), key
    return best


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


_DENIAL_VERB = re.compile(r"\b(?:den(?:y|ies|ied|ying)|reject(?:s|ed|ing)?|dismiss(?:es|ed|ing)?|rebuff(?:s|ed)?)\b", re.I)


def inside_quotation(before: str) -> bool:
    """Whether the text just before a span leaves a quotation open in its paragraph (a quote of
    several sentences: the span is someone's words)."""
    para = before.rsplit("\n", 1)[-1]
    curly = para.count("“") - para.count("”") + para.count("«") - para.count("»")
    return curly > 0 or (para.count('"') % 2 == 1 and "“" not in para)


def article_relation(span: str, before: str = "", polarity_agrees: bool = True, claim: str = "",
                     attributed: bool = False) -> str:
    """``refutes`` | ``reports`` | ``carries``: what the article does with the claim in ``span``
    (``before``: the text just before it, e.g. the previous sentence). When the span states the
    debunked claim negated (``polarity_agrees`` false: "Russians attempted to interfere in our
    elections" against "Russia did not interfere"), the article refutes it, unless the negation is
    someone's denial that the span reports ("Kremlin sources have denied the claims that ...",
    against "the story of Russia's involvement is debunked"): then it ``reports`` the claim. A refuting
    cue that the debunked ``claim`` holds itself ("No evidence of ...") is not read as a refutation.
    A span the claims stage ``attributed`` to someone, or inside a quotation left open before it,
    is reported."""
    if not polarity_agrees:
        return "reports" if _DENIAL_VERB.search(span) else "refutes"
    near = f"{before[-200:]} {span}"
    # a cue the debunked claim itself holds ("No evidence of collusion", "the attack was staged")
    # is the claim said again, not a refutation of it
    own = {m.group(0).casefold() for m in _REFUTE.finditer(claim)}
    if any(m.group(0).casefold() not in own for m in _REFUTE.finditer(span)) or any(
            m.group(0).casefold() not in own for m in _REFUTE.finditer(before[-160:])):
        return "refutes"
    if _VOUCH.search(span):
        return "carries"
    if attributed or inside_quotation(before) or _ATTRIBUTE.search(span) or re.search(
            r"[\"“«][^\"”»]{20,}[\"”»]", span) or (_ATTRIBUTE.search(near) and re.search(r"^\s*[\"“«]", span)):
        return "reports"
    return "carries"


__all__ = ["Proposition", "actors", "head_verb", "inside_quotation", "is_cut", "overlap", "pick_match", "article_relation", "claim_filter", "claim_text", "negated", "predicate",
           "proposition", "units"]
