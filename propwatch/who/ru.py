"""Russian entities, quotes and sourcing flags, on a natasha parse.

The English rules (:mod:`propwatch.who.entities`, :mod:`.quotes`,
:mod:`.sourcing`) read a spaCy parse and English word lists; these read the
natasha/slovnet parse of :mod:`propwatch.who.ru_nlp` (tokens with
pymorphy3 lemmas, case, syntax, PER/LOC/ORG spans) and the Russian word
lists of ``data/words/ru_*.txt``, and give the same records.

Entities
    slovnet NER spans (PER -> PERSON, ORG -> ORG, LOC -> GPE, or LOC for
    seas, rivers, mountains) and alias-table names matched **by lemma**, so
    "Россия" / "России" / "Россией" and "Лавров" / "Лаврова" are one id
    (``gpe:russia``, ``per:sergey-lavrov``). An actor the table lacks gets the
    slug of its nominative form (natasha's ``span.normalize``), and a surname
    alone takes the id of the full name the story uses.
Quotes
    quote marks « », „ “ and "..." (nested), kept only when a speech verb
    attributes them (", — заявил Лавров", "Лавров заявил: «...»"): a quoted
    newspaper or party name is no quote; dash-introduced direct speech
    ("— Мы не ..., — заявил Лавров."); indirect speech ("X заявил, что ...",
    "..., сообщил X", "по словам X, ...", "как отметил X, ...", "Об этом
    сообщил X"). The speaker is the syntactic subject of the speech verb: a
    named mention, a pronoun (the last speaker), a title ("собеседник",
    "президент России"), an anonymous source ("источник в ...", "эксперты",
    "очевидцы", "местные жители"), or a media outlet ("издание X").
Sourcing
    anonymous sources (quoted, and phrases such as "на условиях
    анонимности", "по данным источников", "как сообщают СМИ"), the outlet
    citing itself, and evidence claims with their status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .. import lexicon
from .aliases import LABEL_PREFIX, AliasTable, _case_sensitive
from .entities import Mention
from .quotes import Found
from .ru_nlp import Tok
from .speakers import SpeakerGuess

DASHES = "—–-"
GEO_FEATURES = frozenset("река море океан гора горы остров полуостров залив пролив озеро канал пустыня хребет".split())
PRONOUNS = {"он": "m", "она": "f", "они": "p"}
POSSESSIVE = {"его": "m", "ее": "f", "их": "p"}
NOTE = "ru_rules.v1"


# ------------------------------------------------------------------ word lists
@lru_cache(maxsize=None)
def speech_verbs() -> frozenset[str]:
    return lexicon.words("ru_speech_verbs")


@lru_cache(maxsize=None)
def speech_nouns() -> frozenset[str]:
    return lexicon.words("ru_speech_nouns")


@lru_cache(maxsize=None)
def anonymous_nouns() -> frozenset[str]:
    return lexicon.words("ru_anonymous_sources")


@lru_cache(maxsize=None)
def media_nouns() -> frozenset[str]:
    return lexicon.words("ru_media_nouns")


@lru_cache(maxsize=None)
def titles() -> dict[tuple[str, ...], str]:
    """Title lemmas (as word tuples) -> role of the alias table ("other": none)."""
    out = {}
    for role, forms in lexicon.table("ru_titles").items():
        for f in forms:
            out[tuple(f.split())] = role
    return out


# ------------------------------------------------------------------ tokens
def tokens_of(parse: Any) -> list[Tok]:
    """The parse's tokens (document-wide indices and heads)."""
    return parse.tokens


def _children(toks: list[Tok]) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for t in toks:
        if t.head >= 0:
            kids.setdefault(t.head, []).append(t.i)
    return kids


def _subtree(i: int, kids: dict[int, list[int]]) -> list[int]:
    out, stack = [], [i]
    while stack:
        j = stack.pop()
        out.append(j)
        stack.extend(kids.get(j, ()))
    return sorted(out)


# ------------------------------------------------------------------ alias index
@dataclass
class LemmaIndex:
    keys: dict[tuple[str, ...], tuple[str, str]]  # lemma tuple -> (actor id, alias)
    longest: int
    demonyms: dict[str, str]  # adjective lemma -> country id


def lemma_index(table: AliasTable, vocab: Any) -> LemmaIndex:
    """Every alias of ``table`` as a tuple of lemmas (the same lemmatiser as the text)."""
    keys: dict[tuple[str, ...], tuple[str, str]] = {}
    names = list(table.exact.items()) + list(table.folded.items())
    for alias, actor_id in names:
        words = re.findall(r"[\w.'’]+(?:-[\w]+)*", alias)
        if not words or not re.search(r"[А-Яа-яЁё]", alias) and not _latin_ok(alias):
            continue
        key = tuple(_lemma_word(w, vocab) for w in words)
        keys.setdefault(key, (actor_id, alias))
    demonyms = {d: cid for d, cid in table.demonyms.items() if re.search(r"[а-я]", d)}
    return LemmaIndex(keys, max((len(k) for k in keys), default=1), demonyms)


def _latin_ok(alias: str) -> bool:
    # Latin-script names appear in Russian text as they are ("CNN", "Fox News");
    # short English words ("IS", "US") only in exact case, checked at match time
    return len(alias) >= 2


def _lemma_word(word: str, vocab: Any) -> str:
    if len(word) >= 2 and word.isupper():
        return word.casefold()
    if re.search(r"[А-Яа-яЁё]", word):
        if "-" in word:
            return "-".join(vocab.lemma(p) for p in word.split("-"))
        return vocab.lemma(word)
    return word.casefold().replace("’", "'")


# ------------------------------------------------------------------ entities
def find_mentions_ru(text: str, ndoc: Any, table: AliasTable, index: LemmaIndex, vocab: Any) -> list[Mention]:
    """Entity mentions of a Russian story (natasha parse ``ndoc``), one id per actor."""
    toks = tokens_of(ndoc)
    alias_hits = _alias_hits(toks, table, index)
    mentions: list[Mention] = []
    taken: list[tuple[int, int]] = []
    ner = []
    for span in ndoc.spans:
        s, e = span.start, span.end
        if not text[s:e][:1].isupper() and not text[s:e][:1].isdigit():
            continue  # "как надавили": a name starts with a capital
        ner.append((s, e, span.type, span.normal or text[s:e]))
    # an alias inside a longer organisation name ("Федерации еврейских общин России") is part of it
    # a span running over quote marks or brackets ("государства» (ИГИЛ)") is cut at the first one
    cut = []
    for s, e, typ, normal in ner:
        m = re.search(r"[«»\"„“”()\[\]]", text[s:e])
        if m and m.start() > 0:
            e2 = s + m.start()
            while e2 > s and text[e2 - 1].isspace():
                e2 -= 1
            normal = re.split(r"[«»\"„“”()\[\]]", normal)[0].strip() or text[s:e2]
            e = e2
        elif m:
            continue
        cut.append((s, e, typ, normal))
    ner = cut
    # a place inside a longer organisation name ("Федерации еврейских общин России") is part of it
    for s, e, typ, normal in ner:
        inner = [h for h in alias_hits if s <= h[0] and h[1] <= e and (h[0], h[1]) != (s, e)
                 and table.actors[h[2]].label == "GPE"]
        if typ == "ORG" and inner and not table.lookup(normal) and _lemma_key(toks, s, e) not in index.keys:
            alias_hits = [h for h in alias_hits if h not in inner]
    for s, e, actor_id, alias in alias_hits:
        actor = table.actors[actor_id]
        mentions.append(Mention(s, e, actor.label, actor.id, actor.name, "alias", actor.kind))
        taken.append((s, e))
    for s, e, typ, normal in ner:
        if any(a < e and s < b for a, b in taken):
            continue
        label = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}.get(typ, "ORG")
        key = _lemma_key(toks, s, e)
        if label == "GPE" and key and key[0] in GEO_FEATURES:
            label = "LOC"
        actor = table.lookup(normal)
        if actor is not None:
            mentions.append(Mention(s, e, actor.label, actor.id, actor.name, "alias", actor.kind))
        else:
            name = _display(normal)
            kind = "media" if label == "ORG" and _after_media_noun(toks, s) else ""
            mentions.append(Mention(s, e, label, f"{LABEL_PREFIX[label]}:{table.slug(name)}", name, "ner", kind))
        taken.append((s, e))
    mentions.extend(_state_mentions(toks, index, table, taken))
    mentions.sort(key=lambda m: m.start)
    return sorted(_consolidate_people(mentions, toks, vocab, table), key=lambda m: m.start)


def _alias_hits(toks: list[Tok], table: AliasTable, index: LemmaIndex) -> list[tuple[int, int, str, str]]:
    hits = []
    i = 0
    while i < len(toks):
        found = None
        for n in range(min(index.longest, len(toks) - i), 0, -1):
            window = toks[i:i + n]
            if len({t.sent for t in window}) > 1:
                continue
            key = tuple(_tok_key(t) for t in window)
            hit = index.keys.get(key)
            if hit is None:
                continue
            actor_id, alias = hit
            surface = " ".join(t.text for t in window)
            if _case_sensitive(alias):
                letters = [c for c in alias if c.isalpha()]
                if all(c.isupper() for c in letters):
                    if surface.replace(" ", "") != alias.replace(" ", "") and not _same_caps(surface, alias):
                        continue
                elif not surface[:1].isupper():
                    continue
                if alias in table.verify and not re.search(r"[А-Яа-я]", alias):
                    continue
            elif not surface[:1].isupper() and not surface[:1].isdigit():
                continue  # "россия" in lower case is no name; "армия" is not "Армия"
            found = (window[0].start, window[-1].end, actor_id, alias, n)
            break
        if found:
            hits.append(found[:4])
            i += found[4]
        else:
            i += 1
    return hits


def _same_caps(surface: str, alias: str) -> bool:
    """'ЕСа' is not 'ЕС'; an all-caps alias matches only an all-caps token."""
    letters = [c for c in surface if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(surface) <= len(alias) + 2


def _tok_key(t: Tok) -> str:
    if len(t.text) >= 2 and t.text.isupper():
        return t.text.casefold()  # "ИГ", "США", "ЕС": abbreviations do not decline
    if re.search(r"[А-Яа-яЁё]", t.text):
        return t.lemma
    return t.text.casefold().replace("’", "'")


def _lemma_key(toks: list[Tok], s: int, e: int) -> tuple[str, ...]:
    return tuple(_tok_key(t) for t in toks if t.start >= s and t.end <= e)


def _display(normal: str) -> str:
    """natasha's nominative, capitalised as a name ("роберт хабек" stays as the text had it)."""
    return " ".join(w[:1].upper() + w[1:] if w[:1].islower() else w for w in normal.split())


def _after_media_noun(toks: list[Tok], start: int) -> bool:
    before = [t for t in toks if t.end <= start]
    for t in reversed(before[-3:]):
        if t.pos == "PUNCT":
            continue
        return t.lemma in media_nouns()
    return False


def _state_mentions(toks: list[Tok], index: LemmaIndex, table: AliasTable, taken) -> list[Mention]:
    """"турецкие власти" / "российское руководство" -> the country (source "state")."""
    out = []
    bodies = {"власть", "правительство", "руководство", "администрация", "режим", "сторона"}
    for a, b in zip(toks, toks[1:]):
        if a.pos == "ADJ" and a.lemma in index.demonyms and b.lemma in bodies and b.feats.get("Number") != "Sing" or (
            a.pos == "ADJ" and a.lemma in index.demonyms and b.lemma in bodies - {"власть"}
        ):
            if any(x < b.end and a.start < y for x, y in taken):
                continue
            actor = table.actors.get(index.demonyms[a.lemma])
            if actor is not None:
                out.append(Mention(a.start, b.end, actor.label, actor.id, actor.name, "state", actor.kind))
    return out


def _consolidate_people(mentions: list[Mention], toks: list[Tok], vocab: Any, table: AliasTable) -> list[Mention]:
    """A surname alone ("Хабек", "Маслякова") takes the id of the full name in the story."""
    full: dict[str, Mention] = {}
    for m in mentions:
        if m.label == "PERSON" and " " in m.name:
            last = _surname_key(m.name.split()[-1], vocab)
            full.setdefault(last, m)
    out = []
    for m in mentions:
        if m.source == "ner" and " " not in m.name.strip() and m.label in ("PERSON", "GPE", "ORG"):
            # "Хабек:" tagged a place is the person the story names in full
            longer = full.get(_surname_key(m.name, vocab))
            if longer is not None and (m.label == "PERSON" or m.entity_id not in table.actors):
                m = Mention(m.start, m.end, "PERSON", longer.entity_id, longer.name, "surname", longer.kind)
        out.append(m)
    return out + _surnames_missed(out, full, toks, vocab)


def _surnames_missed(mentions: list[Mention], full: dict[str, Mention], toks: list[Tok], vocab: Any) -> list[Mention]:
    """A surname alone that the tagger missed ("Дробницкий отметил, что ..."), when the story names
    that person in full: a mention with the full name's id."""
    if not full:
        return []
    taken = [(m.start, m.end) for m in mentions]
    extra = []
    for t in toks:
        if not (t.text[:1].isupper() and t.text.isalpha() and len(t.text) > 2) or any(a < t.end and t.start < b for a, b in taken):
            continue
        longer = full.get(_surname_key(t.text, vocab))
        if longer is not None:
            extra.append(Mention(t.start, t.end, "PERSON", longer.entity_id, longer.name, "surname", longer.kind))
    return extra


def _surname_key(word: str, vocab: Any) -> str:
    low = word.lower().replace("ё", "е")
    forms = vocab(low)
    for f in forms:
        if "Surn" in f.parse.tag:
            return f.parse.normal_form.replace("ё", "е")
    return low


# ------------------------------------------------------------------ quotes
OPEN_MARKS = "«„"
CLOSE_FOR = {"«": "»", "„": "“", "“": "”", '"': '"'}


def quote_pairs_ru(text: str) -> list[tuple[int, int]]:
    """(open, close) of every top-level quote (content ``text[open+1:close]``), per paragraph."""
    out = []
    for pm in re.finditer(r"[^\n]+", text):
        stack: list[tuple[int, str]] = []
        lo = pm.start()
        para = pm.group()
        for k, c in enumerate(para):
            pos = lo + k
            prev = para[k - 1] if k else " "
            nxt = para[k + 1] if k + 1 < len(para) else " "
            if c in "«„":
                stack.append((pos, c))
            elif c == "»" or c == "”":
                while stack and CLOSE_FOR[stack[-1][1]] != c:
                    stack.pop()
                if stack:
                    o, _ = stack.pop()
                    if not stack:
                        out.append((o, pos))
            elif c == "“":
                if stack and stack[-1][1] == "„":
                    o, _ = stack.pop()
                    if not stack:
                        out.append((o, pos))
                elif prev.isspace() or prev in "(«„—-:":
                    stack.append((pos, c))
            elif c == '"':
                opener = (prev.isspace() or prev in "(«„—–-:/[") and not nxt.isspace()
                closer = not prev.isspace() and (nxt.isspace() or nxt in ",.;:!?)»“—–-…\"")
                if stack and stack[-1][1] == '"' and (closer or not opener):
                    o, _ = stack.pop()
                    if not stack:
                        out.append((o, pos))
                elif opener:
                    stack.append((pos, c))
    return out


@dataclass
class Context:
    text: str
    toks: list[Tok]
    kids: dict[int, list[int]]
    mentions: list[Mention]
    table: AliasTable
    last_person: SpeakerGuess | None = None


def find_quotes_ru(text: str, ndoc: Any, mentions: list[Mention], table: AliasTable,
                   indirect: bool = True) -> list[Found]:
    """Quotes of a Russian story in reading order, each with its cue and speaker."""
    toks = tokens_of(ndoc)
    ctx = Context(text, toks, _children(toks), sorted(mentions, key=lambda m: m.start), table)
    direct = _marked_quotes(ctx) + _dash_speech(ctx)
    direct = _dedupe(direct)
    found = list(direct)
    if indirect:
        reported = _indirect(ctx)
        for q in reported:
            if any(q.start < d.end and d.start < q.end for d in direct):
                continue  # the sentence's quoted clause is already a direct quote
            if q.open_ended and any(o is not q and not o.open_ended and q.start < o.end and o.start < q.end
                                    for o in reported):
                continue  # "Об этом писала газета": the previous sentence already names who said it
            found.append(q)
    found.sort(key=lambda q: q.start)
    # speakers in reading order: pronouns and titles point at the last named person
    _resolve_in_order(ctx, found)
    for q in found:
        q.open_ended = False
    return [q for q in found if q.end > q.start]


def _dedupe(quotes: list[Found]) -> list[Found]:
    out: list[Found] = []
    for q in sorted(quotes, key=lambda q: (q.start, -(q.end - q.start))):
        if any(q.start < o.end and o.start < q.end for o in out):
            continue
        out.append(q)
    return out


def _toks_between(ctx: Context, a: int, b: int) -> list[Tok]:
    return [t for t in ctx.toks if t.start >= a and t.end <= b]


def _is_speech_verb(t: Tok) -> bool:
    return t.pos in ("VERB", "AUX") and t.lemma in speech_verbs()


_AFTER_QUOTE = re.compile(r"\s*,?\s*[—–-]\s*")


def _marked_quotes(ctx: Context) -> list[Found]:
    """Quoted clauses with a speech verb: «...», — заявил X. / X заявил: «...»."""
    text = ctx.text
    out = []
    pairs = quote_pairs_ru(text)
    for k, (o, c) in enumerate(pairs):
        content_s, content_e = o + 1, c
        # «...», — заявил X  (the dash may follow the closing mark, or a comma)
        m = _AFTER_QUOTE.match(text, c + 1)
        if m and m.end() > c + 1 and re.search(r"[—–-]", m.group()):
            after = [t for t in ctx.toks if t.start >= m.end()][:5]
            verb = next((t for t in after if _is_speech_verb(t)), None)
            if verb is not None and all(t.pos in ("ADV", "ADP", "NOUN", "PUNCT", "PART", "ADJ") or t is verb
                                        for t in after[:after.index(verb) + 1]):
                if _clause(text, content_s, content_e):
                    out.append(_with_speaker(ctx, Found(content_s, content_e, True), verb, after_only=True))
                    continue
        # X заявил: «...»
        before = text[max(0, o - 3):o]
        if ":" in before:
            prev = [t for t in ctx.toks if t.end <= o - before[::-1].index(":") - 1][-6:]
            verb = next((t for t in reversed(prev) if _is_speech_verb(t)), None)
            if verb is not None and _clause(text, content_s, content_e):
                out.append(_with_speaker(ctx, Found(content_s, content_e, True), verb))
    return out


def _clause(text: str, s: int, e: int) -> bool:
    """A quote is a clause, not a name: three words or more, or a sentence mark inside."""
    body = text[s:e]
    return len(re.findall(r"\w+", body)) >= 3 or bool(re.search(r"[.!?…]", body.rstrip(".!?… ")))


_DASH_LINE = re.compile(r"^[ \t]*[—–-][ \t]+")  # "— Мы ..." and "- Мы ...": both conventions


def _dash_speech(ctx: Context) -> list[Found]:
    """"— Мы не ..., — заявил Лавров. — Продолжение." (a paragraph opening with a dash)."""
    text = ctx.text
    out = []
    for pm in re.finditer(r"[^\n]+", text):
        line = pm.group()
        head = _DASH_LINE.match(line)
        if not head:
            continue
        lo = pm.start() + head.end()
        hi = pm.end()
        # the author's words between ", — " and ". — " (or the line end)
        m = re.search(r"([,.!?…])\s+[—–-]\s+", text[lo:hi])
        if not m:
            continue
        cut = lo + m.start() + (0 if m.group(1) == "," else 1)
        author_s = lo + m.end()
        after = [t for t in ctx.toks if t.start >= author_s and t.end <= hi][:5]
        verb = next((t for t in after if _is_speech_verb(t)), None)
        if verb is None:
            continue
        q = _with_speaker(ctx, Found(lo, cut, True), verb, after_only=True)
        out.append(q)
        rest = re.search(r"[.!?…,]\s+[—–-]\s+", text[author_s:hi])
        if rest:
            more_s = author_s + rest.end()
            more_e = hi
            while more_e > more_s and text[more_e - 1].isspace():
                more_e -= 1
            if more_e > more_s:
                out.append(Found(more_s, more_e, True, q.cue, q.speaker))
    return out


def _with_speaker(ctx: Context, q: Found, verb: Tok, after_only: bool = False) -> Found:
    q.cue = (verb.start, verb.end)
    q.speaker = _speaker_of_verb(ctx, verb, after_only=after_only)
    return q


def _speaker_of_verb(ctx: Context, verb: Tok, after_only: bool = False) -> SpeakerGuess | None:
    """The subject of a speech verb as a speaker (None: no acceptable subject)."""
    subj = next((ctx.toks[j] for j in ctx.kids.get(verb.i, ()) if ctx.toks[j].rel.startswith("nsubj")), None)
    if subj is not None and subj.i > verb.i:
        # "заявил «360» политолог Дмитрий Дробницкий": the person named after the verb, not the outlet told
        sp = _speaker_phrase(ctx, subj, verb)
        if sp is None or sp.kind not in ("person", "anonymous"):
            person = _person_after(ctx, verb, clause_only=True)
            if person is not None:
                return person
        return sp
    if subj is None and after_only:
        # "— заявил вице-канцлер": the parser may hang the subject elsewhere; take the noun after the verb
        nxt = [t for t in ctx.toks if t.sent == verb.sent and t.i > verb.i]
        person = _person_after(ctx, verb)
        if person is not None:
            return person
        subj = next((t for t in nxt[:10] if t.pos in ("PROPN", "NOUN", "PRON") and t.feats.get("Case") in ("Nom", None)), None)
    if subj is None:
        return None
    return _speaker_phrase(ctx, subj, verb)


def _person_after(ctx: Context, verb: Tok, clause_only: bool = False) -> SpeakerGuess | None:
    """The first person named after ``verb`` in its sentence (or, ``clause_only``, before the next
    comma: "Как отметило издание X, ... Байден ..." is not Байден speaking), in the nominative."""
    nxt = [t for t in ctx.toks if t.sent == verb.sent and t.i > verb.i]
    if clause_only:
        comma = next((k for k, t in enumerate(nxt) if t.text in (",", ":", ";")), None)
        nxt = nxt[:comma] if comma is not None else nxt
    if not nxt:
        return None
    by_start = {t.start: t for t in nxt}
    for m in ctx.mentions:
        if m.label == "PERSON" and verb.end <= m.start and m.end <= nxt[-1].end:
            tok = by_start.get(m.start)
            if tok is None or tok.feats.get("Case") in ("Nom", None):
                return SpeakerGuess(m.name, m.entity_id, "person", m.start, m.end)
    return None


def _speaker_phrase(ctx: Context, head: Tok, verb: Tok | None = None) -> SpeakerGuess | None:
    toks = ctx.toks
    span = [toks[j] for j in _subtree(head.i, ctx.kids) if toks[j].sent == head.sent]
    if verb is not None:  # the subject's words stay on its side of the verb ("Источник в правительстве сообщил")
        span = [t for t in span if (t.i < verb.i) == (head.i < verb.i) and t.i != verb.i] or [head]
    span = [t for t in span if t.pos != "PUNCT" or t.text in "«»\"-"]
    # a subordinate clause hanging on the subject ("который ...") is not its name
    span = [t for t in span if abs(t.i - head.i) <= 12]
    s, e = min(t.start for t in span), max(t.end for t in span)
    inside = [m for m in ctx.mentions if m.start >= s and m.end <= e]
    low = head.text.lower().replace("ё", "е")
    if head.pos == "PRON" or low in PRONOUNS:
        if low in PRONOUNS:
            return SpeakerGuess(None, None, "pronoun:" + PRONOUNS[low], head.start, head.end)
        return None
    persons = [m for m in inside if m.label == "PERSON"]
    if persons:
        p = persons[-1]
        return SpeakerGuess(p.name, p.entity_id, "person", p.start, p.end)
    role_key = _title_key(toks, head)
    plural = head.feats.get("Number") == "Plur"
    if head.lemma in anonymous_nouns() and (plural or head.lemma in ("источник", "очевидец", "свидетель", "житель",
                                                                  "инсайдер", "протестующий", "осведомленный")):
        return SpeakerGuess(None, None, "anonymous", s, e)
    orgs = [m for m in inside if m.label == "ORG"]
    if role_key is not None and plural:
        return SpeakerGuess(None, None, "anonymous", s, e)  # "ведущие политики": unnamed people
    if role_key is not None:
        role = titles()[role_key]
        country = _country_of(ctx, span)
        if role != "other" and country:
            holder = _holder(ctx, role, country)
            if holder is not None:
                return SpeakerGuess(holder.name, holder.entity_id, "person", s, e)
            return SpeakerGuess(None, None, "unknown", s, e)
        if orgs and role != "other":
            return SpeakerGuess(None, None, "unknown", s, e)
        if orgs and not _bare_title(span, head):
            o = orgs[-1]
            return SpeakerGuess(o.name, o.entity_id, "media" if o.kind == "media" else "organization", s, e)
        return SpeakerGuess(None, head.lemma, "title", s, e)  # the title's lemma rides in entity_id until resolved
    if head.lemma in anonymous_nouns():
        return SpeakerGuess(None, None, "anonymous", s, e)
    if orgs:
        o = orgs[-1]
        kind = "media" if o.kind == "media" or head.lemma in media_nouns() else "organization"
        return SpeakerGuess(o.name, o.entity_id, kind, s, e)
    gpes = [m for m in inside if m.label == "GPE"]
    if gpes and head.start >= gpes[-1].start:
        g = gpes[-1]
        return SpeakerGuess(g.name, g.entity_id, "organization", s, e)
    if head.lemma in media_nouns():
        return SpeakerGuess(None, None, "media", s, e)
    return None


def _bare_title(span: list[Tok], head: Tok) -> bool:
    return all(t is head or t.pos in ("ADJ", "DET") for t in span)


def _title_key(toks: list[Tok], head: Tok) -> tuple[str, ...] | None:
    table = titles()
    for n in (3, 2):
        window = tuple(t.lemma for t in toks[head.i:head.i + n])
        if window in table:
            return window
    return (head.lemma,) if (head.lemma,) in table else None


def _country_of(ctx: Context, span: list[Tok]) -> str | None:
    s, e = min(t.start for t in span), max(t.end for t in span)
    for m in ctx.mentions:
        if m.start >= s and m.end <= e and m.label == "GPE":
            actor = ctx.table.actors.get(m.entity_id)
            return actor.country if actor is not None and actor.country else m.entity_id
    index_demonyms = {d: c for d, c in ctx.table.demonyms.items()}
    for t in span:
        if t.pos == "ADJ" and t.lemma in index_demonyms:
            return index_demonyms[t.lemma]
    return None


def _holder(ctx: Context, role: str, country: str) -> Mention | None:
    named = {m.entity_id: m for m in ctx.mentions if m.label == "PERSON"}
    for actor_id, m in named.items():
        actor = ctx.table.actors.get(actor_id)
        if actor is not None and (role, country) in actor.roles:
            return m
    return None


# ---------------------------------------------------------------- indirect speech
def _indirect(ctx: Context) -> list[Found]:
    text, toks = ctx.text, ctx.toks
    out: list[Found] = []
    sents: dict[int, list[Tok]] = {}
    for t in toks:
        sents.setdefault(t.sent, []).append(t)
    order = sorted(sents)
    for si in order:
        st = sents[si]
        s_start, s_end = st[0].start, st[-1].end
        s_end_trim = s_end - (1 if text[s_end - 1:s_end] in ".!?…" else 0)
        got = (_about_this(ctx, st, sents, si) or _according_ru(ctx, st, s_start, s_end_trim)
               or _that_clause(ctx, st, s_end_trim) or _reversed(ctx, st, s_start))
        if got is not None:
            out.append(got)
    return out


def _according_ru(ctx: Context, st: list[Tok], s_start: int, s_end: int) -> Found | None:
    """"По словам X, ..." / "По мнению X, ..." / "Как отметил X, ..." / "..., по словам X."."""
    text = ctx.text
    for k, t in enumerate(st):
        poss = k + 1 < len(st) and st[k + 1].text.lower() in POSSESSIVE
        n_i = k + 2 if poss else k + 1
        if t.lemma == "по" and n_i < len(st) and st[n_i].lemma in speech_nouns() and st[n_i].feats.get("Case") in ("Dat", None):
            noun = st[n_i]
            # the source: the genitive after the noun (or the possessive before it), up to the next comma
            j = n_i + 1
            src = [st[k + 1]] if poss else []
            while j < len(st) and st[j].text not in (",", ".", "—", ":"):
                src.append(st[j])
                j += 1
            head = _source_head(ctx, noun, src)
            if head is None:
                continue
            speaker = _speaker_phrase(ctx, head) if head.text.lower() not in POSSESSIVE else SpeakerGuess(
                None, None, "pronoun:" + POSSESSIVE[head.text.lower()], head.start, head.end)
            if speaker is None:
                continue
            if k <= 2 and j < len(st):  # opening the sentence: the content follows
                c_s = st[j].end if st[j].text == "," else st[j].start
                return _mk(text, c_s, s_end, (t.start, noun.end), speaker)
            if j >= len(st) - 1:  # closing it: the content precedes
                return _mk(text, s_start, t.start, (t.start, noun.end), speaker)
            return _mk(text, s_start, s_end, (t.start, noun.end), speaker)  # inside it: the sentence
        if t.lemma == "как" and k + 1 < len(st) and _is_speech_verb(st[k + 1]):
            verb = st[k + 1]
            speaker = _speaker_of_verb(ctx, verb, after_only=True)
            if speaker is None:
                continue
            comma = next((u for u in st[k + 2:] if u.text == ","), None)
            if comma is None:
                continue
            return _mk(text, comma.end, s_end, (t.start, verb.end), speaker)
    return None


def _source_head(ctx: Context, noun: Tok, src: list[Tok]) -> Tok | None:
    if not src:
        return None
    for t in src:
        if t.text.lower() in POSSESSIVE:
            return t
    kids = [ctx.toks[j] for j in ctx.kids.get(noun.i, ()) if ctx.toks[j] in src]
    nominal = [t for t in kids if t.pos in ("NOUN", "PROPN")]
    if nominal:
        return nominal[0]
    return next((t for t in src if t.pos in ("NOUN", "PROPN")), None)


def _that_clause(ctx: Context, st: list[Tok], s_end: int) -> Found | None:
    """"X заявил, что ..." / "X заявил: ..." / "X отметил, что ..."."""
    text = ctx.text
    for k, t in enumerate(st[:-2]):
        if not _is_speech_verb(t):
            continue
        nxt = st[k + 1]
        if nxt.text == "," and st[k + 2].lemma in ("что", "будто", "чтобы") or nxt.text == ":":
            speaker = _speaker_of_verb(ctx, t)
            if speaker is None:
                continue
            c_s = st[k + 2].end if nxt.text == "," else nxt.end
            return _mk(text, c_s, s_end, (t.start, t.end), speaker)
        if nxt.text in ("«", '"', "„") and k + 3 < len(st):
            # "Артист призвал «не допустить ...»": a quoted clause as the verb's object
            speaker = _speaker_of_verb(ctx, t)
            if speaker is not None and speaker.start is not None and speaker.start < t.start:
                return _mk(text, nxt.start, s_end, (t.start, t.end), speaker)
        if nxt.lemma in ("о", "об") and k + 2 < len(st) and st[k + 2].lemma == "то" and k + 4 < len(st):
            # "заявил о том, что ..."
            rest = st[k + 3:]
            if rest[0].text == "," and rest[1].lemma in ("что", "как"):
                speaker = _speaker_of_verb(ctx, t)
                if speaker is not None:
                    return _mk(text, rest[1].end, s_end, (t.start, t.end), speaker)
        if nxt.lemma in ("о", "об"):
            # "заявил об уверенности в том, что ...", "сообщил о намерении, что ...": a noun, then the clause
            for j in range(k + 2, min(k + 7, len(st) - 2)):
                if st[j].text in (",", ":", ";", "—") and not (st[j].text == "," and st[j + 1].lemma == "что"):
                    break
                if st[j].text == "," and st[j + 1].lemma == "что" and st[j - 1].lemma in ("то", "тот", *_ABOUT_NOUNS):
                    speaker = _speaker_of_verb(ctx, t)
                    if speaker is not None:
                        return _mk(text, st[j + 1].end, s_end, (t.start, t.end), speaker)
                    break
    return None


# "заявил об уверенности, что ...": the nouns of a stance that take a clause
_ABOUT_NOUNS = ("уверенность", "намерение", "необходимость", "готовность", "убеждение", "опасение", "надежда")


def _reversed(ctx: Context, st: list[Tok], s_start: int) -> Found | None:
    """"..., заявил X." / "..., напомнил Путин.": the speech verb after a comma, its subject after it."""
    text = ctx.text
    for k in range(len(st) - 2, 0, -1):
        t = st[k]
        if not _is_speech_verb(t) or st[k - 1].text not in (",", "—", "-"):
            continue
        speaker = _speaker_of_verb(ctx, t, after_only=True)
        if speaker is None or speaker.start is not None and speaker.start < t.start:
            return None  # "X, заявил ...": the subject before the verb is another construction
        return _mk(text, s_start, st[k - 1].start, (t.start, t.end), speaker)
    return None


def _about_this(ctx: Context, st: list[Tok], sents: dict[int, list[Tok]], si: int) -> Found | None:
    """"Об этом сообщил X." / "С таким заявлением выступил X.": the previous sentence is what X said."""
    lemmas = [t.lemma for t in st[:6]]
    about = lemmas[:2] in (["о", "это"], ["об", "это"])
    all_lemmas = [t.lemma for t in st]
    statement = any(all_lemmas[k] == "с" and all_lemmas[k + 1] in ("такой", "этот", "подобный")
                    and all_lemmas[k + 2] in ("заявление", "мнение", "слово", "призыв", "предупреждение", "оценка")
                    for k in range(len(all_lemmas) - 2)) and "выступить" in all_lemmas
    if not (about or statement) or si - 1 not in sents:
        return None
    verb = next((t for t in st if t.lemma == "выступить"), None) if statement else None
    verb = verb or next((t for t in st[:8] if _is_speech_verb(t)), None)
    if verb is None:
        return None
    speaker = _speaker_of_verb(ctx, verb, after_only=True)
    if speaker is None:
        return None
    prev = sents[si - 1]
    p_s, p_e = prev[0].start, prev[-1].end
    if ctx.text[p_e - 1:p_e] in ".!?…":
        p_e -= 1
    q = _mk(ctx.text, p_s, p_e, (verb.start, verb.end), speaker)
    if q is not None:
        q.open_ended = True  # marks a back reference ("Об этом сообщил X") for find_quotes_ru
    return q


def _mk(text: str, s: int, e: int, cue: tuple[int, int], speaker: SpeakerGuess) -> Found | None:
    while s < e and (text[s].isspace() or text[s] in ",:—–-"):
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",:—–-"):
        e -= 1
    if len(re.findall(r"\w+", text[s:e])) < 3:
        return None
    return Found(s, e, False, cue, speaker)


# ---------------------------------------------------------------- speakers in reading order
def _resolve_in_order(ctx: Context, quotes: list[Found]) -> None:
    """Pronouns ("он", "по его словам") and titles ("собеседник") take the last named person."""
    last: SpeakerGuess | None = None
    persons = [m for m in ctx.mentions if m.label == "PERSON"]
    by_start = {t.start: t for t in ctx.toks}
    for q in quotes:
        sp = q.speaker
        if sp is None:
            q.speaker = SpeakerGuess(None, None, "unknown")
            continue
        if sp.kind.startswith("pronoun") or sp.kind == "title":
            ref = last
            if sp.kind == "title":
                # "Артист призвал ...": the person the story introduced with that title ("актер Егор Бероев")
                ref = _introduced_as(ctx, sp.entity_id or "", sp.start if sp.start is not None else q.start) or ref
            if ref is None and sp.kind != "pronoun:p":
                # no one quoted yet: the last person named as a subject (nominative), not "администрация Байдена"
                before = [m for m in persons if m.end <= (sp.start if sp.start is not None else q.start)
                          and by_start.get(m.start) is not None and by_start[m.start].feats.get("Case") in ("Nom", None)]
                if before:
                    m = before[-1]
                    ref = SpeakerGuess(m.name, m.entity_id, "person", m.start, m.end)
            if ref is not None and sp.kind != "pronoun:p":
                q.speaker = SpeakerGuess(ref.name, ref.entity_id, ref.kind, sp.start, sp.end)
            else:
                q.speaker = SpeakerGuess(None, None, "unknown", sp.start, sp.end)
        if q.speaker.kind == "person" and q.speaker.entity_id:
            last = q.speaker


TITLE_KIN = ({"артист", "актер", "актриса"}, {"шоумен", "телеведущий", "ведущий"},
             {"политолог", "эксперт", "специалист", "аналитик"}, {"журналист", "обозреватель", "корреспондент"})


def _introduced_as(ctx: Context, title: str, before: int) -> SpeakerGuess | None:
    """The last person named right after ``title`` (or a kindred one) before ``before``."""
    kin = next((g for g in TITLE_KIN if title in g), {title})
    found = None
    for m in ctx.mentions:
        if m.label != "PERSON" or m.start >= before:
            continue
        # the words just before the name: "российский актер Егор Бероев", "обозреватель Fox News Дуглас Мюррей"
        prev = [t for t in ctx.toks if t.end <= m.start and t.start >= m.start - 40]
        if any(t.lemma in kin for t in prev[-4:]):
            found = SpeakerGuess(m.name, m.entity_id, "person", m.start, m.end)
    return found


# ---------------------------------------------------------------- sourcing
ANON_PHRASE_RU = re.compile(
    r"(?<!\w)(?:на\s+условиях\s+анонимности|пожелавш\w+\s+остаться\s+неизвестн\w+|"
    r"по\s+(?:данным|информации|сведениям|словам)\s+(?:\w+\s+){0,2}?(?:источник\w*|инсайдер\w*)"
    r"(?:\s+(?:в|из|близк\w+\s+к)\s+[\w-]+(?:\s+[\w-]+){0,2})?|"
    r"источник\w*\s+(?:в|из|близк\w+\s+к|знаком\w+\s+с)\s+[\w-]+(?:\s+[\w-]+){0,2}|"
    r"(?:как\s+)?(?:сообщают|пишут|утверждают)\s+(?:некоторые\s+|западные\s+|местные\s+|зарубежные\s+)?СМИ|"
    r"по\s+(?:мнению|оценкам|данным|словам)\s+(?:многих\s+|некоторых\s+|ряда\s+|других\s+)?(?:экспертов|аналитиков|наблюдателей|специалистов|очевидцев)|"
    r"(?:многие\s+|некоторые\s+|ряд\s+)?(?:эксперты|аналитики|наблюдатели)\s+(?:считают|полагают|уверены|отмечают|говорят|утверждают)|"
    r"очевидц\w+|местн\w+\s+жител\w+)(?!\w)",
    re.I,
)
EVIDENCE_RU = re.compile(
    r"(?<!\w)(?:фото\w*|фотографи\w+|снимк\w+|снимок|видео\w*|запис\w+|скриншот\w*|документ\w*|доказательств\w*|"
    r"улик\w*|свидетельств\w*|показани\w+|отчет\w*|доклад\w*|расследовани\w+)(?!\w)",
    re.I,
)
ABSENT_RU = re.compile(
    r"(?<!\w)(?:без\s+(?:каких-либо\s+|каких\s+бы\s+то\s+ни\s+было\s+)?доказательств|"
    r"не\s+(?:\w+\s+){0,2}(?:представил\w*|привел\w*|предоставил\w*|предъявил\w*|было|существует|имеется)\s+(?:\w+\s+){0,2}?доказательств|"
    r"нет\s+(?:никаких\s+)?доказательств|голословн\w+|бездоказательн\w+|ничем\s+не\s+подтвержд\w+|"
    r"не\s+подтвержд\w+)",
    re.I,
)
HEDGED_RU = re.compile(
    r"(?<!\w)(?:якобы|предположительно|по\s+непроверенным\s+данным|так\s+называем\w+|будто\s+бы|"
    r"не\s+удалось\s+(?:независимо\s+)?проверить|вероятно|возможно)(?!\w)",
    re.I,
)
ASSERTED_RU = re.compile(
    r"(?<!\w)(?:показыва\w+|показал\w*|доказыва\w+|доказал\w*|подтвержда\w+|подтвердил\w*|свидетельству\w+|"
    r"опубликова\w+|обнаружи\w+|получил\w*|оказал\w+\s+в\s+распоряжении|имеются\s+в\s+распоряжении|раскры\w+)(?!\w)",
    re.I,
)
TOLD_OUTLET_RU = re.compile(
    r"(?:заявил\w*|рассказал\w*|сообщил\w*|сказал\w*|признал\w*|пояснил\w*|ответил\w*|"
    r"в\s+(?:беседе|интервью|разговоре)\s+с|в\s+интервью|(?:изданию|агентству|телеканалу|газете|порталу|сайту))\s*[«\"“]?\s*$",
    re.I,
)
OUTLET_REPORTED_RU = re.compile(r"(?:как\s+(?:ранее\s+|уже\s+)?(?:сообщал\w*|писал\w*|информировал\w*)|по\s+данным)\s*[«\"“]?\s*$", re.I)
GENERIC_SELF_RU = re.compile(
    r"(?<!\w)как\s+(?:уже\s+|ранее\s+)?(?:сообщал\w*|писал\w*)\s+(?:наш\w*\s+(?:издание|корреспондент|агентство|сайт|телеканал|портал)|мы)(?!\w)|"
    r"(?<!\w)(?:мы|наше\s+издание|наш\s+корреспондент)\s+(?:уже\s+|ранее\s+)(?:сообщали|писали|сообщало|писало|сообщал|писал)(?!\w)",
    re.I,
)


def find_flags_ru(text: str, sentences, entities, quotes, outlet: str | None, table) -> list:
    """Sourcing flags of a Russian story (the records of :func:`propwatch.who.sourcing.find_flags`)."""
    from .sourcing import Flag, _sentence, own_names, pattern_flags

    flags: list = []
    seen: list[tuple[int, int]] = []
    for q in quotes:
        sp = q.speaker
        if sp.kind == "anonymous" and sp.start is not None and sp.end is not None and sp.end > sp.start:
            if (sp.start, sp.end) in seen:
                continue
            s, e = _sentence(sentences, sp.start, text)
            flags.append(Flag(sp.start, sp.end, "anonymous_source", "quoted", "", s, e))
            seen.append((sp.start, sp.end))
    for m in ANON_PHRASE_RU.finditer(text):
        start, end = m.start(), m.end()
        if any(a < end and b > start for a, b in seen):
            continue
        s, e = _sentence(sentences, start, text)
        flags.append(Flag(start, end, "anonymous_source", "mentioned", "", s, e))
        seen.append((start, end))
    names = own_names(outlet, table)
    own_ids = {table.lookup(n).id for n in names if table.lookup(n) is not None}
    spots = sorted({(e.start, e.end) for e in entities if e.entity_id in own_ids or e.name.casefold() in names})
    for start, end in spots:
        before = text[max(0, start - 40):start]
        if TOLD_OUTLET_RU.search(before):
            category = "told_outlet"
        elif OUTLET_REPORTED_RU.search(before):
            category = "outlet_reported"
        else:
            continue
        s, e = _sentence(sentences, start, text)
        flags.append(Flag(start, end, "self_citation", category, "", s, e))
    flags += pattern_flags(text, sentences, GENERIC_SELF_RU, EVIDENCE_RU, (ABSENT_RU, HEDGED_RU, ASSERTED_RU),
                           _evidence_kind_ru)
    flags.sort(key=lambda f: (f.start, f.flag))
    return flags


def _evidence_kind_ru(noun: str) -> str:
    n = noun.casefold()
    for kind, stems in (("photo", ("фото", "снимк", "снимок", "скриншот")), ("video", ("видео",)),
                        ("recording", ("запис",)), ("report", ("отчет", "доклад", "расследован")),
                        ("testimony", ("показани", "свидетельств")), ("document", ("документ",))):
        if any(n.startswith(s) for s in stems):
            return kind
    return "evidence"


# ---------------------------------------------------------------- what the stages call
def by_language(docs, english, russian, language: str = "ru") -> list:
    """``english(docs)`` for the stories not in ``language``, ``russian(docs)`` for those in it,
    merged back in the order of ``docs`` (each callable returns one result per document)."""
    ru_idx = [i for i, d in enumerate(docs) if d.language == language]
    if not ru_idx:
        return english(docs)
    en_idx = [i for i in range(len(docs)) if i not in set(ru_idx)]
    out: list = [None] * len(docs)
    for idx, fn in ((en_idx, english), (ru_idx, russian)):
        if idx:
            for i, res in zip(idx, fn([docs[i] for i in idx])):
                out[i] = res
    return out


def _models_and_index(resources, table: AliasTable, aliases_key: str = ""):
    from . import ru_nlp

    if resources is None:
        from ..resources import Resources

        resources = Resources()
    m = ru_nlp.models(resources)
    index = resources.get(("ru", "alias_lemmas", aliases_key, id(table)), lambda: lemma_index(table, m.vocab))
    return m, index


def entities_ru(docs, resources, table: AliasTable, aliases_key: str = "") -> list[list[Mention]]:
    """The mentions of each Russian document (models from ``resources``, loaded on first use)."""
    from . import ru_nlp

    m, index = _models_and_index(resources, table, aliases_key)
    return [find_mentions_ru(d.text, p, table, index, m.vocab) for d, p in zip(docs, ru_nlp.parses(docs, m))]


def quotes_ru(docs, resources, table: AliasTable, indirect: bool = True) -> list[list[Found]]:
    """The quotes of each Russian document, from its ``entities`` layer and the natasha parse."""
    from . import ru_nlp

    m = ru_nlp.models(resources)
    out = []
    for d, p in zip(docs, ru_nlp.parses(docs, m)):
        mentions = [Mention(e.start, e.end, e.label, e.entity_id, e.name, e.source, e.kind) for e in d.layer("entities")]
        out.append(find_quotes_ru(d.text, p, mentions, table, indirect=indirect))
    return out


__all__ = ["by_language", "entities_ru", "quotes_ru", "find_flags_ru", "find_mentions_ru", "find_quotes_ru", "lemma_index", "quote_pairs_ru", "tokens_of"]
