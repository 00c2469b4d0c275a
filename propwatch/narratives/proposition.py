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

The other way round, a *frame* says when two claims that read apart are one
proposition: a contested action (FRAMES: trading oil, moving people across a
border) stated in words that share little ("Turkey is the main consumer of the
oil" / "Islamic State selling oil to Turkey"; "safe passage into Syria" /
"transfer of those who joined IS to Syrian territory" / "crossing into Syria
is easy"). A claim states a frame when a word of its action is near a word of
its theme (:func:`frame_of`); two claims share it (:func:`frames_match`) when
they state the same frame (across a border: one of them says what moves,
fighters, migrants or goods, and the other says the same, or nothing when
people move: "crossing into Syria is easy") and name at least two actors in
common (who
does it, and to or with whom: "Turkey buys oil from IS" is not "Turkey buys
oil from Iran").

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

_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (English) stem of a word, cached: stemming is most of the cost of reading a claim."""
    return _STEMMER.stemWord(word)


def stems(words: Iterable[str]) -> list[str]:
    return [stem(w) for w in words]

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


# contested actions (see the module docstring): name -> (action stems, theme stems or None, window).
# A theme of None means a destination: within ``window`` words after the action word, a preposition
# ("into", "to", "across") and, within three words, a border word or a place the claim names
# ("passage into Syria", "transfer of those who joined IS to Syrian territory"), or a border word
# right after it ("cross the border").
FRAMES: dict[str, tuple[frozenset[str], frozenset[str] | None, int]] = {
    "oil-trade": (frozenset("buy bought purchas sell sold sale consum import export trade trader smuggl traffick "
                            "deal dealer".split()), frozenset("oil crude petroleum".split()), 4),
    "border-crossing": (frozenset("cross passag transfer transit infiltr smuggl enter entri sneak".split()), None, 8),
}
_DESTINATION = frozenset("border frontier territori countri".split())
_TOWARD = frozenset("into to across over through inside".split())
# who or what moves across the border (words within _MOVER_WINDOW of the action word): a claim about
# fighters is not one about migrants or weapons; those who "joined" an organisation the claim names,
# or passage "for" it, are its fighters
_MOVERS = {"fighters": frozenset("milit fighter jihadist terrorist extremist insurg rebel recruit takfiri mercenari".split()),
           "migrants": frozenset("migrant refuge immigr asylum civilian caravan".split()),
           "goods": frozenset("weapon missil rocket drug money cash shipment cargo document materi".split())}
_MOVER_WINDOW = 6
_PLACE_KINDS = ("gpe:", "loc:")


def _slug_words(entities: Iterable[str], kinds: tuple[str, ...]) -> set[str]:
    return {w for e in entities if e.startswith(kinds) for w in e.split(":", 1)[1].split("-")}


def _mover(stems: list[str], words: list[str], i: int, orgs: set[str]) -> str | None:
    lo, hi = max(0, i - _MOVER_WINDOW), i + 1 + _MOVER_WINDOW
    found = {m for m, ws in _MOVERS.items() if ws & set(stems[lo:hi])}
    if any(st in ("join", "for") and orgs & set(words[k + 1:k + 4]) for k, st in enumerate(stems[lo:hi], start=lo)):
        found.add("fighters")
    return found.pop() if len(found) == 1 else None


def frame_of(text: str, entities: Iterable[str] = ()) -> tuple[str, str | None] | None:
    """The frame (FRAMES) a claim states and, across a border, what moves ("fighters", "migrants",
    "goods" or None: not said), or None: the first frame whose action word has a theme word within
    its window (before or after), or a destination after it."""
    entities = tuple(entities)
    words = _WORD.findall(text.casefold().replace("’", "'"))
    stemmed = stems(words)
    places = _slug_words(entities, _PLACE_KINDS)
    for name, (action, theme, window) in FRAMES.items():
        for i, st in enumerate(stemmed):
            if st not in action:
                continue
            if theme is not None:
                if any(t in theme for t in stemmed[max(0, i - window):i] + stemmed[i + 1:i + 1 + window]):
                    return name, None
                continue
            after = range(i + 1, min(i + 1 + window, len(words)))
            hit = any(t in _DESTINATION for t in stemmed[i + 1:i + 3]) or any(
                words[k] in _TOWARD and any(stemmed[m] in _DESTINATION or words[m] in places
                                           for m in range(k + 1, min(k + 4, len(words))))
                for k in after)
            if hit:
                return name, _mover(stemmed, words, i, _slug_words(entities, ("org:",)))
    return None


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
            out.add(stem(nxt))
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
    frame: tuple[str, str | None] | None = None  # the contested action it states, and who moves (frame_of)

    @classmethod
    def of(cls, text: str, entities: Iterable[str] = ()) -> "Proposition":
        words = frozenset(tokens(text))
        entities = frozenset(entities)
        actors = frozenset(a for e in entities for a in actor_ids(e))
        return cls(entities, actors, words, frozenset(stems(sorted(words))), negated_words(text),
                   numbers(text), frame_of(text, entities))

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


def frames_match(a: Proposition, b: Proposition) -> bool:
    """Both claims state one frame and name at least two actors in common; across a border, one of
    them at least says what moves and the other says the same, or nothing when people move."""
    if a.frame is None or b.frame is None or a.frame[0] != b.frame[0]:
        return False
    if FRAMES[a.frame[0]][1] is None:
        movers = {a.frame[1], b.frame[1]} - {None}
        if len(movers) != 1 or movers == {"goods"} and None in (a.frame[1], b.frame[1]):
            return False
    return len(a.actors & b.actors) >= 2


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


__all__ = ["FRAMES", "PREDICATE_CLASSES", "Proposition", "frame_of", "frames_match", "predicate_classes", "actors_conflict", "conflict", "negated", "negated_words", "numbers", "numbers_conflict",
           "polarity_conflict"]
