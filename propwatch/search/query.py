"""The search query language, parsed into terms and written as an FTS5 MATCH string.

An analyst types::

    grain ashtar            both words (AND is the default)
    "grain convoy"          the words next to each other, in this order
    sanction*               any word starting with "sanction"
    militia OR army         either word
    -rumour  /  NOT rumour  stories without the word

Words are what SQLite's ``unicode61`` tokenizer calls words (letters and
digits of any script), so a term like ``U.S.`` is the phrase ``u s``.
Each term also matches its Snowball stem (English for Latin words,
Russian for Cyrillic ones) in the index's ``stems`` column, so
``sanctions`` finds "sanctioned"; a prefix or a phrase of one word
matches its exact form in the other columns as well.

The MATCH string is built from the parsed words only: every word is a
double-quoted FTS5 string, column names are constants, and nothing the
user typed reaches FTS5 as syntax. A query that cannot be parsed raises
:class:`~propwatch.errors.QueryError` with a message that says what to
change (the API answers 400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import snowballstemmer

from ..errors import QueryError

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
# the columns of the index that hold the words as written (propwatch.search.index)
EXACT_COLUMNS = ("title", "body", "said", "names")
STEM_COLUMN = "stems"

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
# a quoted phrase, or a run of anything but space and quote
_ITEM = re.compile(r'(-?)"([^"]*)("?)|(\S+)')


def words(text: str) -> list[str]:
    """The words of ``text``, case-folded, as the index tokenizes them."""
    return _WORD.findall(text.casefold())


class Stemmer:
    """Snowball stems by script: Russian for Cyrillic words, English for Latin ones,
    other words unchanged. Each word is stemmed once per instance (one index run, one query)."""

    def __init__(self) -> None:
        self._english = snowballstemmer.stemmer("english")
        self._russian = snowballstemmer.stemmer("russian")
        self._seen: dict[str, str] = {}

    def stem(self, word: str) -> str:
        stem = self._seen.get(word)
        if stem is None:
            if _CYRILLIC.search(word):
                stem = self._russian.stemWord(word)
            elif _LATIN.search(word):
                stem = self._english.stemWord(word)
            else:
                stem = word
            self._seen[word] = stem
        return stem

    def text(self, text: str) -> str:
        """``text`` as its stems, space-separated (the index's ``stems`` column)."""
        return " ".join(self.stem(w) for w in words(text))


@dataclass(frozen=True)
class Term:
    """One searchable item: a word, or a phrase of several words in order."""

    words: tuple[str, ...]
    prefix: bool = False
    phrase: bool = False  # typed in quotes

    def match(self, stemmer: Stemmer) -> str:
        """This term as an FTS5 expression over the exact columns and, unless it is a
        prefix, the stems column."""
        exact = _quoted(self.words) + ("*" if self.prefix else "")
        columns = "{" + " ".join(EXACT_COLUMNS) + "}"
        if self.prefix:
            return f"{columns} : {exact}"
        stems = _quoted(tuple(stemmer.stem(w) for w in self.words))
        return f"({columns} : {exact} OR {STEM_COLUMN} : {stems})"

    def __str__(self) -> str:
        text = " ".join(self.words)
        if self.phrase or len(self.words) > 1:
            text = f'"{text}"'
        return text + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Query:
    """What a story must contain: every group (each group: any one of its terms),
    and none of the excluded terms."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.groups and not self.excluded

    def match(self) -> str:
        """The FTS5 MATCH string of what a story must contain ("" when only exclusions)."""
        stemmer = Stemmer()
        parts = [_any(group, stemmer) for group in self.groups]
        return " AND ".join(parts)

    def excluded_match(self) -> str:
        """The FTS5 MATCH string of what a story must not contain ("" when nothing is excluded)."""
        return _any(self.excluded, Stemmer()) if self.excluded else ""

    def __str__(self) -> str:
        parts = [" OR ".join(str(t) for t in group) for group in self.groups]
        parts += [f"-{t}" for t in self.excluded]
        return " ".join(parts)


def _quoted(items: tuple[str, ...]) -> str:
    return '"' + " ".join(items).replace('"', '""') + '"'


def _any(terms: tuple[Term, ...], stemmer: Stemmer) -> str:
    return terms[0].match(stemmer) if len(terms) == 1 else "(" + " OR ".join(t.match(stemmer) for t in terms) + ")"


def parse(text: str) -> Query:
    """The query an analyst typed; raises QueryError when it cannot be understood."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the search is {len(text)} characters long; shorten it to {MAX_QUERY_CHARS} or fewer")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    negate_next = False
    for m in _ITEM.finditer(text):
        minus, phrase, closed, bare = m.groups()
        if phrase is not None and not closed:
            raise QueryError(f"unclosed quote in {text!r}: close the phrase with another \"")
        if bare in ("OR", "|"):
            if not groups or pending_or or negate_next:
                raise QueryError(f"OR needs a term on each side in {text!r}")
            pending_or = True
            continue
        if bare == "AND":
            continue
        if bare == "NOT":
            negate_next = True
            continue
        term, negative = _term(phrase, minus, bare)
        negative = negative or negate_next
        negate_next = False
        if term is None:
            continue  # punctuation only: nothing to search for
        if negative:
            if pending_or:
                raise QueryError(f"OR cannot join an excluded term in {text!r}: write the exclusion apart")
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if pending_or:
        raise QueryError(f"OR needs a term on each side in {text!r}")
    if negate_next:
        raise QueryError(f"NOT needs a term after it in {text!r}")
    query = Query(tuple(tuple(g) for g in groups), tuple(excluded))
    count = sum(len(g) for g in query.groups) + len(query.excluded)
    if count > MAX_TERMS:
        raise QueryError(f"the search has {count} terms; use at most {MAX_TERMS}")
    if text.strip() and query.empty:
        raise QueryError(f"no words to search for in {text!r}")
    return query


def _term(phrase: str | None, minus: str, bare: str | None) -> tuple[Term | None, bool]:
    """One parsed item as a term (None when it holds no words) and whether it is excluded."""
    if phrase is not None:
        found = tuple(words(phrase))
        return (Term(found, phrase=True) if found else None), bool(minus)
    negative = bare.startswith("-") and len(bare) > 1
    body = bare[1:] if negative else bare
    prefix = body.endswith("*")
    if prefix:
        body = body.rstrip("*")
        if not words(body):
            raise QueryError(f"{bare!r}: a prefix needs at least one letter or digit before the *")
    found = tuple(words(body))
    return (Term(found, prefix=prefix) if found else None), negative
