"""Entity mentions resolved to canonical actors.

Sources of mentions, strongest first: the alias table, in-text definitions
("Free Syrian Army (FSA)"), spaCy's named entities (with their common errors
fixed where the table or rules know better), surname-only and title-only
mentions resolved to a full name in the same story ("Lavrov", "the Turkish
president"), and "<demonym> authorities" as the state.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from .aliases import AliasTable

KEPT_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}
HONORIFICS = re.compile(
    r"^(?:(?:President|Prime Minister|Premier|Minister|Chancellor|Colonel|Col\.|General|Gen\.|Lieutenant|Lt\.|"
    r"Major|Maj\.|Captain|Capt\.|Sergeant|Admiral|Commander|Dr\.?|Mr\.?|Mrs\.?|Ms\.?|Prof\.?|Sir|Senator|Sen\.|"
    r"Ambassador|Governor|Gov\.|Mayor|Judge|Sheikh|Imam|Ayatollah|King|Queen|Prince|Pope|Father|Secretary|"
    r"Spokesman|Spokeswoman|Deputy|Foreign|Defen[cs]e|Interior|Health|Finance|Opposition|Kremlin|Pentagon|"
    r"State|Speaker|Director|Chairman|Chief|Head|politician|analyst|expert)\s+)+"
)
ORG_WORDS = re.compile(
    r"\b(?:Ministry|Office|Party|Army|Council|Agency|Service|Committee|Front|Brigade|Forces|Commission|"
    r"Organi[sz]ation|Union|Institute|Center|Centre|Bank|Company|Corporation|University|Parliament|Duma|"
    r"Government|Court|Police|Navy|Guard|Movement|Group|Network|Foundation|Association)\b"
)
STATE_BODIES = r"(?:authorities|government|leadership|administration|regime|side)"


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    label: str
    entity_id: str
    name: str
    source: str  # alias | definition | ner | surname | title | state
    kind: str = ""  # "media" for news outlets


@dataclass
class Options:
    capitals_as_states: bool = True
    resolve_titles: bool = True


def find_mentions(text: str, sdoc: Any, table: AliasTable, options: Options | None = None) -> list[Mention]:
    """Every entity mention in ``text``, resolved, sorted, without overlaps."""
    options = options or Options()
    chosen: list[Mention] = []
    taken = bytearray(len(text) + 1)

    def claim(m: Mention) -> bool:
        if m.end <= m.start or any(taken[m.start:m.end]):
            return False
        taken[m.start:m.end] = b"\x01" * (m.end - m.start)
        chosen.append(m)
        return True

    definitions = _definitions(text, sdoc, table)
    for m in _alias_mentions(text, sdoc, table, options, definitions):
        claim(m)
    for m in _state_mentions(text, table, options):
        claim(m)
    for m in _ner_mentions(text, sdoc, table):
        claim(m)
    chosen.sort(key=lambda m: m.start)
    chosen = _vote_types(chosen, table)
    chosen = _consolidate_people(text, chosen, table, claim)
    chosen = _consolidate_organizations(text, chosen, claim)
    if options.resolve_titles:
        titles = list(_title_mentions(text, chosen, table))
        for t in titles:  # a title mention swallows the mentions inside it
            inside = [m for m in chosen if t.start <= m.start and m.end <= t.end]
            if any(m.label == "PERSON" for m in inside):
                continue
            for m in inside:
                chosen.remove(m)
                taken[m.start:m.end] = b"\x00" * (m.end - m.start)
            claim(t)
    chosen.sort(key=lambda m: m.start)
    return chosen


# ------------------------------------------------------------ alias table
def _alias_mentions(text, sdoc, table, options, definitions):
    for m in table.pattern().finditer(text):
        alias = m.group()
        if alias in definitions:
            actor_id, name, label = definitions[alias]
            yield Mention(m.start(), m.end(), label, actor_id, name, "definition")
            continue
        actor = table.lookup(alias)
        if actor is None:
            continue
        if alias in table.verify and not _plausible_acronym(text, sdoc, m.start(), m.end()):
            continue
        if actor.country and options.capitals_as_states and _used_as_actor(text, sdoc, m.start(), m.end()):
            country = table.actors[actor.country]
            yield Mention(m.start(), m.end(), "GPE", country.id, country.name, "state")
            continue
        yield Mention(m.start(), m.end(), actor.label, actor.id, actor.name, "alias", actor.kind)
    for alias, (actor_id, name, label) in definitions.items():
        for m in re.finditer(r"(?<![\w-])" + re.escape(alias) + r"(?!\w)", text):
            yield Mention(m.start(), m.end(), label, actor_id, name, "definition")


def _tokens(sdoc, start, end):
    span = sdoc.char_span(start, end, alignment_mode="expand")
    return list(span) if span is not None else []


def _plausible_acronym(text, sdoc, start, end) -> bool:
    """False for "IS" the verb, or an acronym-looking word in an all-caps line."""
    toks = _tokens(sdoc, start, end)
    if toks and all(t.pos_ in ("AUX", "VERB") for t in toks):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start: line_end if line_end >= 0 else len(text)]
    words = [w for w in re.findall(r"[^\W\d_]{2,}", line)]
    caps = sum(1 for w in words if w.isupper())
    if len(words) >= 3 and caps / len(words) > 0.6:
        return False
    before = text[max(0, start - 12):start]
    return not re.search(r"\b(?:it|this|that|what|there|he|she|who|which)\s+$", before, re.I)


def _used_as_actor(text, sdoc, start, end) -> bool:
    """A place name used as a state actor: subject, possessive ("Ankara's offer")."""
    if re.match(r"['’]s\b", text[end:end + 3]):
        return True
    for tok in _tokens(sdoc, start, end):
        if tok.dep_ in ("nsubj", "nsubjpass", "poss"):
            return True
        if tok.dep_ == "conj" and tok.head.dep_ in ("nsubj", "nsubjpass"):
            return True
        if tok.dep_ == "pobj" and tok.head.lower_ in ("by", "between") and tok.head.head.pos_ in ("VERB", "NOUN"):
            return True
    return False


def _state_mentions(text, table, options):
    if not options.capitals_as_states:
        return
    names = sorted((d for d in table.demonyms if len(d) > 2), key=len, reverse=True)
    rx = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\s+" + STATE_BODIES + r"\b", re.I)
    for m in rx.finditer(text):
        if not m.group(1)[0].isupper():
            continue
        country = table.actors[table.demonyms[m.group(1).casefold()]]
        start = m.start()
        if text[max(0, start - 4):start].casefold() == "the ":
            start -= 4
        yield Mention(start, m.end(), "GPE", country.id, country.name, "state")


# ----------------------------------------------------------- definitions
_DEF = re.compile(r"[(\[]\s*([A-Z][A-Za-z.]{0,2}[A-Z.][A-Za-z./]{0,12}|[A-Z]{2,})\s*(?=[),\]])")


def _definitions(text, sdoc, table) -> dict[str, tuple[str, str, str]]:
    """Abbreviations defined in the text: "Free Syrian Army (FSA)" -> FSA."""
    out: dict[str, tuple[str, str, str]] = {}
    ents = [(e.start_char, e.end_char, e) for e in sdoc.ents]
    for m in _DEF.finditer(text):
        before = text[:m.start()].rstrip(" «»“”\"")
        long_name, label = _long_name_before(before, ents, table)
        if not long_name or len(long_name.split()) < 2:
            continue  # "Kosovo (KFOR)" is no definition
        actor = table.lookup(long_name)
        actor_id = actor.id if actor else table.entity_id(long_name, label)
        name = actor.name if actor else long_name
        label = actor.label if actor else label
        for abbr in m.group(1).split("/"):
            abbr = abbr.strip(".")
            if len(abbr) < 2 or abbr.casefold() == long_name.casefold():
                continue
            if table.lookup(abbr) is not None:
                continue  # the table knows this name already
            if abbr[0].casefold() != long_name[0].casefold():
                continue
            out[abbr] = (actor_id, name, label)
    return out


def _long_name_before(before: str, ents, table) -> tuple[str, str]:
    end = len(before)
    for s, e, ent in ents:
        if e == end and ent.label_ in KEPT_LABELS and len(ent) > 1:
            return re.sub(r"^(?:the|The)\s+", "", ent.text), ent.label_
    m = table.pattern().search(before[-60:])
    last = None
    for last in table.pattern().finditer(before[-60:]):
        pass
    if last is not None and len(before[-60:]) == last.end():
        actor = table.lookup(last.group())
        if actor:
            return actor.name, actor.label
    words = re.findall(r"(?:[A-Z][\w’'-]*|of|the|and|for|al)(?=\s|$)", before[-80:])
    cap = re.search(r"((?:[A-Z][\w’'-]*\s+)(?:(?:of|the|and|for|in|on|de|al|el|[A-Z][\w’'-]*)\s+)*[A-Z][\w’'-]*)$", before)
    del m, words
    if cap and len(cap.group(1).split()) >= 2:
        return cap.group(1), "ORG"
    return "", ""


# ---------------------------------------------------------------- spaCy NER
NOT_NAMES = {"state", "defense", "defence", "ministry", "government", "president", "minister"}
FUNCTION_WORDS = {"to", "with", "against", "and", "for", "of", "in", "on", "says", "say", "said", "is", "are"}
PLACE_NOUNS = re.compile(r"\s+(?:air ?base|airport|province|region|district|border|crossing|camp|port|village|city)\b", re.I)


PERSON_APPOSITION = re.compile(
    r",\s+(?:the\s+|a\s+)?(?:[\w-]+\s+){0,2}(?:director|head|chief|spokes\w+|minister|chairman|president|leader|"
    r"expert|analyst|professor|member|advi[sc]er|founder|editor|commander|ambassador|deputy|secretary|mayor|governor)\b"
)


def _ner_mentions(text, sdoc, table):
    other_labels: dict[str, str] = {}
    for ent in sdoc.ents:
        if ent.label_ in ("GPE", "LOC", "FAC", "ORG"):
            other_labels.setdefault(ent.text, ent.label_)
    for ent in sdoc.ents:
        if ent.label_ not in KEPT_LABELS:
            continue
        if ent.text.casefold() in NOT_NAMES:
            continue
        if ent.label_ == "PERSON" and any(t.lower_ in FUNCTION_WORDS for t in ent):
            continue  # a title-case headline, not a name
        start, end = ent.start_char, ent.end_char
        while start < end and text[start] in "«»“”\"'‘’„ ":
            start += 1
        while end > start and text[end - 1] in "«»“”\"'‘’„ ,.":
            end -= 1
        m = re.match(r"(?:the|The|And|But|Or|So)\s+(?=\S)", text[start:end])
        if m:
            start += m.end()  # "And WikiLeaks said": the conjunction is not part of the name
        m = re.search(r"['’]s$", text[start:end])
        if m:
            end -= 2
        label = ent.label_
        if label == "PERSON":
            h = HONORIFICS.match(text[start:end])
            if h and h.end() < end - start:
                start += h.end()
        surface = text[start:end]
        if not surface or not any(c.isalpha() for c in surface):
            continue
        if label == "PERSON" and not surface[:1].isupper():
            continue  # "don" of a broken "don’t": a name starts with a capital
        if surface in table.verify and not _plausible_acronym(text, sdoc, start, end):
            continue
        actor = table.lookup(surface)
        if actor is not None:
            yield Mention(start, end, actor.label, actor.id, actor.name, "alias", actor.kind)
            continue
        if label == "PERSON" and (surface.isupper() or ORG_WORDS.search(surface)):
            label = "ORG"
        if label == "ORG" and len(surface.split()) in (2, 3) and not ORG_WORDS.search(surface) and PERSON_APPOSITION.match(text, end):
            label = "PERSON"  # "Fadil Lepaja, director of ..."
        if ent.label_ == "PERSON" and surface in other_labels:
            label = other_labels[surface]
        if label == "PERSON" and len(surface.split()) == 1 and PLACE_NOUNS.match(text, end):
            label = "FAC"
        if label == "GPE" and ORG_WORDS.search(surface):
            label = "ORG"
        if label == "NORP" and surface.casefold() in table.demonyms:
            country = table.actors[table.demonyms[surface.casefold()]]
            yield Mention(start, end, "NORP", f"norp:{table.slug(surface)}", surface, "ner")
            del country
            continue
        yield Mention(start, end, label, table.entity_id(surface, label), surface, "ner")


# ------------------------------------------------------------------ people
def _consolidate_people(text, mentions, table, claim):
    """One id per person in a story: surnames and short forms join the full name."""
    people: dict[str, Mention] = {}  # entity id -> longest mention
    for m in mentions:
        if m.label == "PERSON" and len(m.name.split()) >= 2:
            best = people.get(m.entity_id)
            if best is None or len(m.name) > len(best.name):
                people[m.entity_id] = m
    by_part: dict[str, set[str]] = {}
    for pid, m in people.items():
        parts = m.name.replace("-", " ").split()
        forms = {parts[-1], m.name.split()[-1], parts[0]}  # surname, hyphenated surname, given name
        if len(parts) > 2:
            forms.add(parts[-2] + " " + parts[-1])
        for part in forms:
            if len(part) >= 3 and part[0].isupper():
                by_part.setdefault(part, set()).add(pid)
    out = []
    for m in mentions:
        surface = text[m.start:m.end]
        if m.source in ("ner", "alias") and m.label in ("PERSON", "ORG", "GPE", "NORP") and len(surface.split()) <= 2:
            ids = by_part.get(surface) or by_part.get(surface.split()[-1] if surface.split() else "")
            if ids and len(ids) == 1 and m.entity_id not in ids and (m.label == "PERSON" or m.source == "ner"):
                target = people[next(iter(ids))]
                m = replace(m, label="PERSON", entity_id=target.entity_id, name=_canonical(target, table), source="surname")
        if m.label == "PERSON" and m.entity_id in people:
            m = replace(m, name=_canonical(people[m.entity_id], table))
        out.append(m)
    # surnames spaCy missed
    for part, ids in by_part.items():
        if len(ids) != 1 or " " in part:
            continue
        target = people[next(iter(ids))]
        for mm in re.finditer(r"(?<![\w-])" + re.escape(part) + r"(?:(?=['’]s\b)|(?!\w))", text):
            new = Mention(mm.start(), mm.end(), "PERSON", target.entity_id, _canonical(target, table), "surname")
            if claim(new):
                out.append(new)
    out.sort(key=lambda m: m.start)
    return out


# ------------------------------------------------------ one id per actor
VOTE_LABELS = ("ORG", "GPE", "PERSON", "LOC", "FAC", "NORP")
SMALL_WORDS = {"of", "the", "for", "and", "in", "on", "de", "al", "&"}


def _vote_types(mentions: list[Mention], table) -> list[Mention]:
    """One type per name in a story: the tagger's mentions of one surface take the label most of them have
    ("the Observatory" tagged ORG four times and PERSON once is an ORG each time); ties keep each label."""
    votes: dict[str, Counter] = {}
    for m in mentions:
        if m.source == "ner" and m.label in VOTE_LABELS:
            votes.setdefault(m.name.casefold(), Counter())[m.label] += 1
    out = []
    for m in mentions:
        c = votes.get(m.name.casefold()) if m.source == "ner" else None
        if c and len(c) > 1:
            (top, n), *rest = c.most_common()
            if n > rest[0][1] and top != m.label:
                m = replace(m, label=top, entity_id=table.entity_id(m.name, top))
        out.append(m)
    return out


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[\w’'-]+", name) if w.casefold() not in SMALL_WORDS and w[0].isupper())


def _consolidate_organizations(text: str, mentions: list[Mention], claim=None) -> list[Mention]:
    """One id per organization in a story: an acronym of a full name the story uses ("SOHR" = "Syrian
    Observatory for Human Rights") and "the Observatory" (a head word of that name after "the") take the
    full name's id and name."""
    full = [m for m in mentions if m.label == "ORG" and len(m.name.split()) >= 3]
    if not full:
        return mentions
    by_initials: dict[str, set[str]] = {}
    by_head: dict[str, set[str]] = {}
    names = {}
    for m in full:
        names[m.entity_id] = m
        every = "".join(w[0].upper() for w in re.findall(r"[\w’'-]+", m.name) if w.casefold() not in ("the", "&"))
        for ini in {_initials(m.name), every}:  # "SOHR"; "DOJ" = Department of Justice
            if len(ini) >= 3:
                by_initials.setdefault(ini, set()).add(m.entity_id)
        for w in m.name.split()[1:]:
            if w[:1].isupper() and w.casefold() not in SMALL_WORDS and len(w) >= 5:
                by_head.setdefault(w, set()).add(m.entity_id)
    out = []
    for m in mentions:
        surface = text[m.start:m.end]
        target = None
        if m.entity_id not in names and m.label in ("ORG", "PERSON", "GPE") and m.source in ("ner", "alias"):
            if surface.isupper() and len(by_initials.get(surface, ())) == 1:
                target = next(iter(by_initials[surface]))
            elif (" " not in surface and len(by_head.get(surface, ())) == 1
                  and re.search(r"\b[Tt]he\s+$", text[max(0, m.start - 5):m.start])):
                target = next(iter(by_head[surface]))
        if target is not None:
            t = names[target]
            m = replace(m, label="ORG", entity_id=t.entity_id, name=t.name, source="definition")
        out.append(m)
    if claim is not None:  # "the Observatory" the tagger did not tag
        first = min(m.start for m in full)
        for head, ids in by_head.items():
            if len(ids) != 1:
                continue
            t = names[next(iter(ids))]
            for mm in re.finditer(r"\b[Tt]he\s+(" + re.escape(head) + r")(?![\w-])(?!\s+[A-Z])", text):
                if mm.start(1) <= first:
                    continue
                new = Mention(mm.start(1), mm.end(1), "ORG", t.entity_id, t.name, "definition")
                if claim(new):
                    out.append(new)
        out.sort(key=lambda m: m.start)
    return out


def _canonical(m: Mention, table) -> str:
    actor = table.actors.get(m.entity_id)
    return actor.name if actor else m.name


# ------------------------------------------------------------ title-only
_ROLE_CACHE: dict[int, dict[str, re.Pattern]] = {}
ROLE_WORDS = re.compile(
    r"(?i)president|minist|premier|diplomat|spokes|secretary|chancellor|mayor|governor|ambassador|commander|\bfm\b|"
    r"congress|\brep\.|representative|senator|lawmaker|\bmp\b|judge|professor|director"
)


def role_patterns(table) -> dict[str, re.Pattern]:
    """role -> one regex of its titles (cached per table)."""
    if id(table) not in _ROLE_CACHE:
        _ROLE_CACHE[id(table)] = _role_patterns(table)
    return _ROLE_CACHE[id(table)]


_ROLE_KEYS: dict[tuple[int, str], set[str]] = {}


def _role_keys(table, role: str) -> set[str]:
    """Plain words of a role's title patterns ("president", "diplomat"), to skip roles fast."""
    key = (id(table), role)
    if key not in _ROLE_KEYS:
        words = set()
        for p in table.roles.get(role, []):
            plain = re.sub(r"\{\w+\}|\(\?:[^)]*\)\??|\[[^]]*\]|[^a-z ]", " ", p.casefold())
            words |= {w for w in plain.split() if len(w) >= 4 and w not in ("head", "the", "of")}
        _ROLE_KEYS[key] = words or {role.replace("_", " ")}
    return _ROLE_KEYS[key]


def _role_patterns(table) -> dict[str, re.Pattern]:
    nat_words = sorted(set(table.demonyms) | {c for c in table.countries if " " not in c or len(c) > 6}, key=len, reverse=True)
    nat = "(?:(?:" + "|".join(re.escape(w) for w in nat_words) + r")(?:['’]s)?\s+)"
    country = "(?:the )?(?:" + "|".join(re.escape(c) for c in sorted(table.countries, key=len, reverse=True)) + ")"
    out = {}
    for role, patterns in table.roles.items():
        alts = [p.replace("{nat}", f"(?P<nat{i}>{nat})?").replace("{country}", country) for i, p in enumerate(patterns)]
        out[role] = re.compile(r"(?:" + "|".join(alts) + r")", re.I)
    return out


def _roles_of_people(text, mentions, patterns, table):
    """role -> [(person id, name, country id or None)] from titles next to names."""
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    seen: Counter[str] = Counter()
    for m in mentions:
        if m.label != "PERSON" or m.source not in ("alias", "ner") or seen[m.entity_id] >= 3:
            continue
        seen[m.entity_id] += 1
        lo = max(0, m.start - 90)
        sent_start = max(text.rfind(". ", lo, m.start), text.rfind("\n", lo, m.start)) + 1
        window = text[max(sent_start, lo):m.start]
        after = text[m.end:m.end + 70].split(".")[0]
        after = after if after.startswith(",") else ""
        if not ROLE_WORDS.search(window) and not ROLE_WORDS.search(after):
            continue
        low = (window + after).casefold()
        for role, rx in patterns.items():
            if not any(k in low for k in _role_keys(table, role)):
                continue
            hit = None
            for hit in rx.finditer(window):
                pass
            ok = hit is not None and re.fullmatch(r"[\s,]*(?:the\s+)?", window[hit.end():]) is not None
            if not ok:
                hit = rx.search(after)
                ok = hit is not None
            if ok:
                found.setdefault(role, []).append((m.entity_id, m.name, _nationality(hit, table, window + after)))
    known = {m.entity_id for m in mentions if m.label == "PERSON"}
    for pid in sorted(known):
        actor = table.actors.get(pid)
        for role, country in actor.roles if actor else ():
            if not any(p[0] == pid for p in found.get(role, [])):
                found.setdefault(role, []).append((pid, actor.name, country))
    return found


def _nationality(hit, table, context):
    words = re.findall(r"[A-Z][a-z]+", hit.group())
    for w in words:
        cid = table.demonyms.get(w.casefold()) or table.countries.get(w.casefold())
        if cid:
            return cid
    if "kremlin" in hit.group().casefold():
        return "gpe:russia"
    return None


def _title_mentions(text, mentions, table):
    patterns = role_patterns(table)
    roles = _roles_of_people(text, mentions, patterns, table)
    if not roles:
        return
    starts = [m for m in re.finditer(r"\b(?:the|The)\s+(?:head of the\s+)?", text)
              if ROLE_WORDS.search(text, m.end(), m.end() + 60)]
    for role, rx in patterns.items():
        for m in starts:
            hit = rx.match(text, m.end())
            if hit is None and "head of the" not in m.group():
                continue
            hit = hit or rx.match(text, m.start() + 4)
            if hit is None:
                continue
            tail = text[hit.end():hit.end() + 30]
            if re.match(r"\s+(?:of\s+)?[A-Z]", tail) or re.match(r"[\w-]", tail):
                continue  # a title in front of a name, or a longer word
            nat = _nationality(hit, table, "")
            people = _matching(roles, role, nat)
            if len({p[0] for p in people}) != 1:
                continue
            pid, name, _ = people[-1]
            yield Mention(m.start(), hit.end(), "PERSON", pid, name, "title")


def _matching(roles, role, nat):
    pool = list(roles.get(role, []))
    if role == "minister":
        pool = [p for r, ps in roles.items() if r.endswith("minister") for p in ps]
    if nat:
        pool = [p for p in pool if p[2] in (nat, None)]
    return pool
