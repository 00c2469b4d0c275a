"""Do two claims state one proposition? Who, does what, with which polarity.

An embedding reads two claims about the same actors or the same event as
alike whatever they say of them: "the plague is spread by fleas" and "the
plague has reached the capital", or two template sentences about two
different detainees. The linker's score rewards shared words; these checks
say when a pair cannot be one proposition however alike it reads:

- ``actors``: both claims name actors and neither names any of the other's;
  or each names a person the other does not (two people, one template). An
  actor counts as named by the other claim when it is among its entities (a
  demonym as its country: "Turkish" names Turkey) or its last name word is
  among its words (the entity tagger misses names);
- ``polarity``: one claim negates something ("Turkey does *not buy* the
  oil") and the other negates nothing ("Turkey buys the oil"). Matching the
  negated word against the other claim's words (so that "he did not have a
  license" may join "he was charged") linked more wrong pairs than right ones
  on the real-news gold's tune split (B3 P 0.952 -> 0.914, R +0.002);
- ``numbers``: both claims give figures and share none ("rose 0.6 points" /
  "fell 0.7 points", "5,200 troops" / "15,000 troops": two statements);
- ``predicate``: what the claims say of their actors (predicate words,
  :func:`propwatch.narratives.linker.predicate_words`) overlaps too little;
  this one needs the corpus's word weights and is the linker's.

:class:`Proposition` holds what the checks read of one claim (made once per
claim); :func:`conflict` says why two cannot be one, or None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from .. import lexicon
from .matching import tokens

_STEM = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_NEGATIONS = (lexicon.words("negations") - {"n't", "without"}) | {"deny", "denies", "denied", "denying"}
# "not only ... but", "no doubt", "no longer" and the like do not negate the claim
_NOT_NEGATING = re.compile(r"\b(?:not only|no doubt|no longer|not least|nothing but|no matter|no sooner|not just|"
                           r"never before|no less than|no more than|not until|not yet|whether or not)\b", re.I)
_AUX = frozenset("a an the be been being is are was were am do does did have has had will would shall should can could "
                 "may might must to that this any ever even yet also so too very really".split())
_PERSON = ("person:", "per:")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")
_WORDS = {w: str(i) for i, w in enumerate("two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                                          "fifteen sixteen seventeen eighteen nineteen twenty".split(), start=2)}
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(_WORDS) + r")\b", re.I)


@lru_cache(maxsize=1)
def _demonyms() -> dict[str, str]:
    from ..who.aliases import load_table

    return dict(load_table().demonyms)


# predicate words (Snowball stems) that say one thing: "buys oil from" / "sells oil to" /
# "purchases oil", "safe passage" / "transfer" / "crossing into Syria"
PREDICATE_CLASSES = {
    "trade": "buy bought purchas sell sold sale consum import export trade trader",
    "cross": "cross passag transfer transit infiltr enter entri",
    "support": "support aid arm fund financ back help assist sponsor suppli",
    "let": "let allow permit facilit enabl toler",
    "close": "close closur seal shut block",
    "accuse": "accus blame alleg charg",
    "deny": "deni reject dismiss refut",
}
_CLASS_OF = {w: "=" + c for c, ws in PREDICATE_CLASSES.items() for w in ws.split()}


def predicate_classes(stems: Iterable[str]) -> frozenset[str]:
    """Predicate stems with the words of one class (PREDICATE_CLASSES) as that class ("=trade")."""
    return frozenset(_CLASS_OF.get(w, w) for w in stems)


def actor_ids(entity: str) -> frozenset[str]:
    """An entity and what it stands for: "norp:turkish" is also "gpe:turkey"."""
    kind, _, slug = entity.partition(":")
    country = _demonyms().get(slug.replace("-", " ")) if kind == "norp" else None
    return frozenset((entity, country)) if country else frozenset((entity,))


def negated_words(text: str) -> frozenset[str]:
    """Stems of the words a claim negates: the first content word after each negation
    ("does not buy oil" -> buy; "wasn't unusual" -> unusual; "denied sending troops" -> send)."""
    words = _WORD.findall(_NOT_NEGATING.sub(" ", text).casefold().replace("’", "'"))
    out = set()
    for i, w in enumerate(words):
        neg = w in _NEGATIONS or w.endswith("n't")
        if not neg:
            continue
        for nxt in words[i + 1:i + 5]:
            if nxt in _AUX or nxt in _NEGATIONS:
                continue
            out.add(_STEM.stemWord(nxt))
            break
    return frozenset(out)


def negated(text: str) -> bool:
    """The claim negates something."""
    return bool(negated_words(text))


def numbers(text: str) -> frozenset[str]:
    """The figures a claim gives, as written without thousands separators ("5,200" -> "5200"),
    number words two to twenty as digits ("Seventeen people" -> "17")."""
    out = {_WORDS[m.group(0).lower()] for m in _NUMBER_WORD.finditer(text)}
    for m in _NUMBER.finditer(text):
        n = m.group(0)
        out.add(n.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", n) else n)
    return frozenset(out)


@dataclass(frozen=True)
class Proposition:
    """What the checks read of one claim."""

    entities: frozenset[str]
    actors: frozenset[str]  # the entities and what they stand for (actor_ids)
    words: frozenset[str]  # tokens (matching.tokens) of the text
    stems: frozenset[str]  # their Snowball stems
    negated: frozenset[str]  # stems of the words it negates
    numbers: frozenset[str]

    @classmethod
    def of(cls, text: str, entities: Iterable[str] = ()) -> "Proposition":
        words = frozenset(tokens(text))
        entities = frozenset(entities)
        actors = frozenset(a for e in entities for a in actor_ids(e))
        return cls(entities, actors, words, frozenset(_STEM.stemWords(sorted(words))), negated_words(text),
                   numbers(text))

    def names(self, entity: str) -> bool:
        """This claim names ``entity``: among its entities, or its last name word among its words."""
        if actor_ids(entity) & self.actors:
            return True
        name = tokens(entity.split(":", 1)[-1].replace("-", " "))
        return bool(name) and name[-1] in self.words


def actors_conflict(a: Proposition, b: Proposition) -> bool:
    """Both name actors and neither names any of the other's, or each names a person the other
    does not and they name no person in common."""
    if a.entities and b.entities and not any(b.names(e) for e in a.entities) and not any(a.names(e) for e in b.entities):
        return True
    pa = [e for e in a.entities if e.startswith(_PERSON)]
    pb = [e for e in b.entities if e.startswith(_PERSON)]
    if not pa or not pb:
        return False
    shared = any(b.names(e) for e in pa) or any(a.names(e) for e in pb)
    return not shared and any(not b.names(e) for e in pa) and any(not a.names(e) for e in pb)


def polarity_conflict(a: Proposition, b: Proposition) -> bool:
    """One claim negates something and the other negates nothing."""
    return bool(a.negated) != bool(b.negated)


def numbers_conflict(a: Proposition, b: Proposition) -> bool:
    return bool(a.numbers) and bool(b.numbers) and not a.numbers & b.numbers


def conflict(a: Proposition, b: Proposition, check_numbers: bool = True) -> str | None:
    """Why two claims cannot be one proposition ("actors", "polarity", "numbers"), or None."""
    if actors_conflict(a, b):
        return "actors"
    if polarity_conflict(a, b):
        return "polarity"
    if check_numbers and numbers_conflict(a, b):
        return "numbers"
    return None


__all__ = ["PREDICATE_CLASSES", "Proposition", "predicate_classes", "actors_conflict", "conflict", "negated", "negated_words", "numbers", "numbers_conflict",
           "polarity_conflict"]
