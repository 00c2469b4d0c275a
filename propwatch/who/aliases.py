"""The alias table and deterministic entity ids.

``data/aliases.toml`` lists canonical actors with the names text uses for
them (any script). Ids are ``<prefix>:<slug>`` of the canonical name, so the
same actor gets the same id in every story and every run; an actor that is
not in the table gets the slug of the longest name its story uses, with
transliteration variants folded (Sergei / Sergey -> ``sergey``).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

LABEL_PREFIX = {"PERSON": "per", "ORG": "org", "GPE": "gpe", "LOC": "loc", "NORP": "norp", "FAC": "fac"}


@dataclass(frozen=True)
class Actor:
    """One canonical entity of the alias table."""

    id: str
    name: str
    label: str
    kind: str = ""  # "media" for news outlets
    country: str | None = None  # for a capital: the country's id
    roles: tuple[tuple[str, str], ...] = ()  # (role, country id) offices held


@dataclass
class AliasTable:
    actors: dict[str, Actor] = field(default_factory=dict)
    # alias (casefolded, or exact for case-sensitive ones) -> actor id
    folded: dict[str, str] = field(default_factory=dict)
    exact: dict[str, str] = field(default_factory=dict)
    verify: set[str] = field(default_factory=set)
    demonyms: dict[str, str] = field(default_factory=dict)  # casefolded demonym -> country id
    countries: dict[str, str] = field(default_factory=dict)  # casefolded country alias -> id
    given_names: dict[str, str] = field(default_factory=dict)
    endings: list[tuple[str, str]] = field(default_factory=list)
    roles: dict[str, list[str]] = field(default_factory=dict)
    _pattern: re.Pattern | None = None

    # ------------------------------------------------------------ lookup
    def lookup(self, name: str) -> Actor | None:
        """The actor ``name`` is an alias of (exact-case aliases first)."""
        name = _clean_name(name)
        actor_id = self.exact.get(name) or self.folded.get(name.casefold())
        if actor_id is None and name[:4].casefold() == "the ":
            actor_id = self.exact.get(name[4:]) or self.folded.get(name[4:].casefold())
        return self.actors.get(actor_id) if actor_id else None

    def pattern(self) -> re.Pattern:
        """One regex that finds every alias (longest first) at word edges."""
        if self._pattern is None:
            names = sorted(set(self.exact) | set(self.folded), key=len, reverse=True)
            parts = []
            for n in names:
                body = re.sub("['’]", "['’]", re.escape(n))
                if n in self.exact:
                    parts.append(f"(?-i:{body})")
                else:
                    parts.append(body)
            self._pattern = re.compile(r"(?<![\w@#/-])(?:" + "|".join(parts) + r")(?![\w/])", re.I)
        return self._pattern

    def entity_id(self, name: str, label: str) -> str:
        """The id of ``name`` as ``label``: the table's id, else a folded slug."""
        actor = self.lookup(name)
        if actor is not None:
            return actor.id
        prefix = LABEL_PREFIX.get(label, "ent")
        return f"{prefix}:{self.slug(name, person=(label == 'PERSON'))}"

    def slug(self, name: str, person: bool = False) -> str:
        words = slug_words(name)
        if person and words:
            words = [self.given_names.get(w, w) for w in words]
            last = words[-1]
            for old, new in self.endings:
                if last.endswith(old):
                    words[-1] = last[: -len(old)] + new
                    break
        return "-".join(words) or "unnamed"


def slug_words(name: str) -> list[str]:
    # diacritics fold away ("Erdoğan" -> erdogan), but the Cyrillic й stays a letter (ё is written е)
    text = _clean_name(name).replace("й", "\0").replace("Й", "\1").replace("ё", "е").replace("Ё", "Е")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("\0", "й").replace("\1", "й")
    text = text.replace("ı", "i").replace("ß", "ss").casefold()
    text = re.sub(r"['’`]s\b", "", text)
    return [w for w in re.split(r"[^\w]+", text) if w and w != "_"]


def _clean_name(name: str) -> str:
    name = name.replace("’", "'").strip().strip("«»“”\"'‘’„").strip()
    name = re.sub(r"\s+", " ", name)
    return re.sub(r"['’]s$", "", name)


def _case_sensitive(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return len(alias) <= 4 or (len(letters) > 0 and all(c.isupper() for c in letters))


def build_table(data: dict) -> AliasTable:
    table = AliasTable()
    translit = data.get("transliteration", {})
    for canon, variants in translit.get("given_names", {}).items():
        for v in variants:
            table.given_names[v] = canon
    table.endings = [tuple(pair) for pair in translit.get("endings", [])]
    table.roles = {k: list(v) for k, v in data.get("roles", {}).items()}

    def add_alias(alias: str, actor_id: str) -> None:
        alias = alias.replace("’", "'")
        if _case_sensitive(alias):
            table.exact.setdefault(alias, actor_id)
        else:
            table.folded.setdefault(alias.casefold(), actor_id)

    for row in data.get("entity", []):
        roles = tuple(tuple(r.split(":", 1)) for r in row.get("roles", []))
        actor = Actor(id=row["id"], name=row["name"], label=row.get("label", "ORG"), kind=row.get("kind", ""), roles=roles)
        table.actors[actor.id] = actor
        for alias in [row["name"], *row.get("aliases", [])]:
            add_alias(alias, actor.id)
            if actor.label == "GPE":
                table.countries[alias.casefold()] = actor.id
        table.verify.update(row.get("verify", []))
        if row.get("capital"):
            cap_id = f"gpe:{table.slug(row['capital'])}"
            table.actors[cap_id] = Actor(id=cap_id, name=row["capital"], label="GPE", country=actor.id)
            for alias in row.get("capital_aliases", [row["capital"]]):
                add_alias(alias, cap_id)
        for demonym in row.get("demonyms", []):
            table.demonyms[demonym.casefold()] = actor.id
    return table


@lru_cache(maxsize=8)
def load_table(path: str | None = None) -> AliasTable:
    """The packaged alias table, or the TOML file at ``path``."""
    if path:
        text = Path(path).read_text("utf-8")
    else:
        text = resources.files("propwatch").joinpath("data/aliases.toml").read_text("utf-8")
    return build_table(tomllib.loads(text))
