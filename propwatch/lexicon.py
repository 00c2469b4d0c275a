"""Word lists: one home for each, as data files in ``propwatch/data/words/``.

A list is a UTF-8 text file, one entry a line (an entry may be several
words: "pointed out"); ``#`` starts a comment, blank lines are skipped. The
comment at the top of each file says what the list is for and who reads it.
A *table* file maps a head word to its forms, one head word a line::

    say: said, says, say

:func:`words` gives a plain list as a set; :func:`forms` and :func:`heads`
give the two sides of a table; :func:`alternation` turns entries into a
regular-expression alternation (longest first, white space matching any
run of white space). The files are packaged data and never change while a
process runs, so each is read once.

    >>> "said" in forms("speech_verbs") and "say" in heads("speech_verbs")
    True
    >>> "the" in words("stopwords")
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files("propwatch").joinpath(f"data/words/{name}.txt").read_text("utf-8")
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(re.sub(r"\s+", " ", line))
    return out


@lru_cache(maxsize=None)
def entries(name: str) -> tuple[str, ...]:
    """The entries of list ``name`` in file order (duplicates dropped)."""
    return tuple(dict.fromkeys(_lines(name)))


@lru_cache(maxsize=None)
def words(name: str) -> frozenset[str]:
    """The entries of list ``name`` (``data/words/<name>.txt``) as a set."""
    return frozenset(entries(name))


@lru_cache(maxsize=None)
def table(name: str) -> dict[str, tuple[str, ...]]:
    """A table file: head word -> its forms (``head: form, form``), in file order."""
    out: dict[str, tuple[str, ...]] = {}
    for line in _lines(name):
        head, sep, rest = line.partition(":")
        if not sep:
            raise ValueError(f"data/words/{name}.txt: {line!r} is not 'head: form, form'")
        forms_ = tuple(f.strip() for f in rest.split(",") if f.strip())
        out[head.strip()] = tuple(dict.fromkeys(out.get(head.strip(), ()) + forms_))
    return out


@lru_cache(maxsize=None)
def forms(name: str) -> frozenset[str]:
    """Every form listed in table ``name``."""
    return frozenset(f for fs in table(name).values() for f in fs)


@lru_cache(maxsize=None)
def heads(name: str) -> frozenset[str]:
    """The head words (lemmas) of table ``name``."""
    return frozenset(table(name))


def forms_of(name: str, lemmas: Iterable[str]) -> frozenset[str]:
    """The forms table ``name`` lists for ``lemmas`` (a rule that wants some speech verbs, not all)."""
    entries = table(name)
    missing = [lemma for lemma in lemmas if lemma not in entries]
    if missing:
        raise KeyError(f"data/words/{name}.txt has no {', '.join(missing)}")
    return frozenset(f for lemma in lemmas for f in entries[lemma])


def alternation(items: Iterable[str]) -> str:
    """A regex alternation of ``items`` (no group): longest first, escaped, any white space between words."""
    parts = sorted(set(items), key=lambda w: (-len(w), w))
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in parts)


__all__ = ["alternation", "entries", "forms", "forms_of", "heads", "table", "words"]
