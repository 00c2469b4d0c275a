"""Normalized claim text for matching: aliases and pronouns resolved, attribution cut.

"According to the report, Daesh sells its oil to Ankara" and "Turkey buys
oil from the Islamic State" should look alike to the linker. So a claim's
``normalized`` text:

- drops a leading or trailing attribution ("According to X,", "X said
  that", ", a report says") -- who said it is kept apart, in
  ``Claim.attributed_to``;
- replaces every known alias with its canonical name ("Daesh", "ISIL" ->
  "Islamic State"; "Ankara", "Turkish authorities" -> "Turkey"), from the
  ``entities`` layer when the story has one, else from the alias table
  (``data/aliases.toml``, the one the ``entities`` stage resolves with);
- replaces a subject pronoun that opens the claim ("It", "They", "He")
  with the last compatible entity named before it in the story, unless the
  pronoun is an expletive ("It is clear that ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import lexicon
from ..who.aliases import load_table
from ..who.entities import STATE_BODIES

_EXPLETIVE = re.compile(
    r"^(it)\s+(is|was|'s|has been|seems|seemed|appears|appeared|remains|would be|will be|may be|might be)\s+"
    r"(\w+ly\s+)?(clear|obvious|likely|unlikely|possible|impossible|important|necessary|true|false|known|said|"
    r"reported|believed|thought|expected|evident|time|not|no|a|an|the|hard|easy|difficult|worth|noteworthy|notable)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"^(It|They|He|She|Its|Their|His|Her)\b")
_PRONOUN_KIND = {"it": ("GPE", "ORG", "NORP", "LOC", "FAC"), "its": ("GPE", "ORG", "NORP", "LOC", "FAC"),
                 "they": ("ORG", "NORP", "GPE"), "their": ("ORG", "NORP", "GPE"),
                 "he": ("PERSON",), "his": ("PERSON",), "she": ("PERSON",), "her": ("PERSON",)}

# a speech or belief verb (data/words/speech_verbs.txt, belief_verbs.txt), perhaps after has/have/had
_SAY = r"(?:(?:has |have |had )?(?:" + lexicon.alternation(lexicon.forms("speech_verbs") | lexicon.forms("belief_verbs")) + r"))"
_PAREN = re.compile(r"\s*\([^)]{0,200}\)")
_FILLER = re.compile(r"^(?:earlier|meanwhile|moreover|however|besides|furthermore|in addition|also|true|indeed|at the same time)\s*,\s*", re.IGNORECASE)
_LEAD_ATTR = [
    re.compile(r"^(?:but\s+|and\s+)?(?:[\w.'’-]+\s+){1,10}?(?:told|tells|informed)\s+(?:[\w.'’-]+\s+){1,6}?that\s+", re.IGNORECASE),
    re.compile(r"^(?:but\s+|and\s+)?(?:[\w.'’-]+\s+){1,10}?(?:\([^)]*\)\s*)?" + _SAY + r"(?:\s+on\s+\w+)?\s+that\s+", re.IGNORECASE),
    re.compile(r"^(?:but\s+|and\s+|however,?\s+)?according to [^,]{2,120},\s*", re.IGNORECASE),
    re.compile(r"^(?:but\s+|and\s+)?(?:[A-Z][\w.'’-]*\s*){1,8}(?:\([^)]*\)\s*)?" + _SAY + r"(?: on \w+)?(?: that|,)\s+", re.UNICODE),
    re.compile(r"^(?:the|a|an)\s+[\w\s'’-]{2,60}?\s+" + _SAY + r"(?: on \w+)?(?: that|,)\s+", re.IGNORECASE),
    re.compile(r"^[\w\s«»\"“”'’.-]{2,60}?\s(?:report|study|document|documents|investigation|analysis|statement)\s+"
               r"(?:says|said|claims|claimed|shows|showed|suggests|reveals|revealed|states|stated)(?: that)?\s+", re.IGNORECASE),
    re.compile(r"^(?:the|a|an)\s+(?:new\s+|recent\s+|secret\s+|leaked\s+)?(?:report|study|document|documents|"
               r"investigation|analysis|source|sources|statement)\s+(?:says|said|claims|claimed|shows|showed|suggests|"
               r"reveals|revealed|states|stated)\s+", re.IGNORECASE),
    re.compile(r"^(?:he|she|they|it|we|i)\s+" + _SAY + r"(?: that|,)\s+", re.IGNORECASE),
]
_TRAIL_ATTR = [
    re.compile(r",[\"”»’']?\s+(?:[\w'’.-]+\s+){0,8}?" + _SAY + r"\b.*$", re.IGNORECASE),
    re.compile(r",?\s+according to [^,.;]{2,120}(?=[.!?;]?\s*$)", re.IGNORECASE),
    re.compile(r",\s+(?:[\w'’.-]+\s+){0,8}?" + _SAY + r"(?:\s+[\w'’.-]+){0,8}(?=[.!?]?\s*$)", re.IGNORECASE),
]
_DENIAL = re.compile(r"\b(?:reject\w*|den(?:y|ies|ied)|dismiss\w*|refut\w*|not|never|no)\b", re.IGNORECASE)
_QUOTES = re.compile(r"[\"“”«»„]")


@dataclass(frozen=True)
class EntityRef:
    """An entity named in the story: where, which, and its canonical name."""

    start: int
    end: int
    entity_id: str
    name: str
    label: str


def find_entities(text: str) -> list[EntityRef]:
    """Entities from the alias table, for a story without an ``entities`` layer.

    Without a parse, a capital always stands for its country ("Ankara" ->
    Turkey), as does "<demonym> authorities / government / officials"; a
    leading "the" goes with the name it precedes.
    """
    table = load_table()
    out, taken = [], bytearray(len(text) + 1)
    for m in _state_pattern(table).finditer(text):
        if m.group(1)[0].isupper():
            actor = table.actors[table.demonyms[m.group(1).casefold()]]
            out.append(EntityRef(m.start(), m.end(), actor.id, actor.name, actor.label))
            taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for m in table.pattern().finditer(text):
        alias, start = m.group(), m.start()
        actor = table.lookup(alias)
        if actor is None or any(taken[start:m.end()]):
            continue
        if alias in table.verify and not _is_acronym_context(text, start, m.end()):
            continue
        if actor.country:
            actor = table.actors[actor.country]
        if text[max(0, start - 4):start].casefold() == "the ":
            start -= 4
        out.append(EntityRef(start, m.end(), actor.id, actor.name, actor.label))
    return sorted(out, key=lambda e: e.start)


def _state_pattern(table) -> re.Pattern:
    names = sorted((d for d in table.demonyms if len(d) > 2), key=len, reverse=True)
    bodies = STATE_BODIES[:-1] + "|officials)"
    return re.compile(r"(?:\b[Tt]he\s+)?\b(" + "|".join(re.escape(n) for n in names) + r")\s+" + bodies + r"\b", re.I)


def _is_acronym_context(text: str, start: int, end: int) -> bool:
    """'IS' the group, not 'IS' in an all-caps heading."""
    window = text[max(0, start - 30): end + 30]
    letters = [c for c in window if c.isalpha()]
    return not letters or sum(c.isupper() for c in letters) / len(letters) < 0.6


def strip_attribution(text: str) -> str:
    s = _PAREN.sub("", text.strip())
    s = _FILLER.sub("", s)
    for rx in _LEAD_ATTR:
        m = rx.match(s)
        if m and _DENIAL.search(m.group(0)):
            continue  # "X rejected claims that ...": the rest is denied, not asserted
        if m and len(s) - m.end() > 15:
            s = s[m.end():]
            break
    for rx in _TRAIL_ATTR:
        m = rx.search(s)
        if m and m.start() > 15:
            s = s[: m.start()]
            break
    s = _QUOTES.sub("", s).strip()
    return s[:1].upper() + s[1:] if s else s


def normalize_claim(text: str, entities: list[EntityRef], antecedent: EntityRef | None = None,
                    person_antecedent: EntityRef | None = None) -> str:
    """The claim with aliases -> canonical names, an opening pronoun resolved, attribution cut.

    ``entities`` are the mentions inside ``text`` (offsets relative to it).
    """
    pieces, pos = [], 0
    for e in sorted(entities, key=lambda e: e.start):
        if e.start < pos:
            continue
        pieces.append(text[pos:e.start])
        pieces.append(e.name)
        pos = e.end
    pieces.append(text[pos:])
    s = strip_attribution("".join(pieces))
    m = _PRONOUN.match(s)
    if m and not _EXPLETIVE.match(s):
        word = m.group(1).casefold()
        kinds = _PRONOUN_KIND[word]
        ref = person_antecedent if "PERSON" in kinds else antecedent
        if ref is not None and ref.label in kinds:
            repl = ref.name + ("'s" if word in ("its", "their", "his", "her") else "")
            s = repl + s[m.end():]
    return re.sub(r"\s+", " ", s).strip()


__all__ = ["EntityRef", "find_entities", "normalize_claim", "strip_attribution"]
