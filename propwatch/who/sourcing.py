"""Sourcing flags: anonymous sources, self-citation and evidence claims.

Works on the story text with its ``entities`` and ``quotes`` layers. Each
flag is a stretch of the text an analyst can highlight; a per-story summary
counts quotes by speaker kind.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .quotes import CUES

ANON_PHRASE = re.compile(
    r"\b(?:(?:an?|one|two|three|several|some|many|other)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:sources?|officials?|insiders?|diplomats?|officers?)"
    r"(?:\s+(?:close to|in|at|from|familiar with|within|inside|with knowledge of|who asked not to be (?:named|identified))"
    r"(?:\s+[\w’'-]+){1,5})?"
    r"|(?:unnamed|anonymous|informed)\s+(?:[\w-]+\s+)?sources?"
    rf"|sources\s+(?:{CUES}|report))\b",
    re.I,
)
# the other shapes of an unnamed source (issue 14): "according to organizers", "activists said", "authorities
# say", "rebels and opposition officials", "speaking on condition of anonymity", "a spokesman who declined to be
# named"
_GROUPS = (r"activists|(?:eye)?witnesses|residents|organi[sz]ers|rebels|protesters|diplomats|officials|authorities|"
           r"sources|insiders|medics|monitors|observers|locals|villagers|survivors|analysts|experts")
ANON_MORE = re.compile(
    rf"\baccording to\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}?(?:{_GROUPS})\b"
    rf"|\b(?:[A-Z][\w-]*\s+|[a-z-]+\s+){{0,3}}(?:{_GROUPS})(?:\s+and\s+(?:[\w-]+\s+){{0,2}}(?:{_GROUPS}))?"
    rf"\s+(?:(?:have|has|had)\s+)?(?:{CUES}|believe|believed|allege|alleged)\b"
    r"|\b(?:speaking\s+|spoke\s+|talking\s+)?on\s+(?:the\s+)?condition\s+of\s+anonymity\b"
    r"|\b(?:who|which)\s+(?:declined|asked|requested|refused|did\s+not\s+want)\s+(?:not\s+)?to\s+be\s+(?:named|identified)\b",
    re.I,
)
EVIDENCE = re.compile(
    r"\b(?:(?:satellite\s+)?(?:photos?|photographs?|images?|pictures?|footage|videos?|video\s+recordings?|"
    r"audio\s*recordings?|audiorecords?|recordings?|screenshots?)|"
    r"(?:telephone|phone)\s+(?:conversations?\s+)?(?:records?|intercepts?|calls?)|intercepts?|"
    r"documents?|papers|files|invoices?|receipts?|contracts?|records|memos?|letters?|"
    r"(?:leaked\s+)?reports?|evidence|proofs?|testimon(?:y|ies)|witness\s+accounts?|data)\b",
    re.I,
)
ABSENT = re.compile(
    r"\b(?:no|not|without|lack of|lacking|nor)\b[^.]{0,40}?\b(?:evidence|proofs?|backed|documents?|confirmation)\b|"
    r"\bunsubstantiated\b|\bunproven\b|\bbaseless\b|\bnot backed\b",
    re.I,
)
HEDGED = re.compile(
    r"\b(?:allegedly|purportedly|reportedly|supposedly|apparently|appears? to|claimed to|said to|so-called|"
    r"alleged|purported|unverified|could not be (?:independently )?verified)\b",
    re.I,
)
ASSERTED = re.compile(
    r"\b(?:shows?|showing|showed|proves?|proved|proving|confirms?|confirmed|confirming|found|reveals?|"
    r"revealed|indicates?|indicating|indicated|obtained|published|seen by|leaked|demonstrates?|"
    r"documents?|backed by|citing|says)\b",
    re.I,
)
SELF_REPORTED = re.compile(
    r"\b(?:has|have|had)?\s*(?:already|earlier|previously|repeatedly)?\s*(?:reported|written|wrote|informed|"
    r"told|revealed|published|said)\b",
    re.I,
)
GENERIC_SELF = re.compile(
    r"\b(?:as\s+(?:we|our\s+(?:correspondent|agency|website|newspaper|channel|editorial(?:\s+office)?))\s+"
    r"(?:have\s+|had\s+)?(?:already\s+|earlier\s+|previously\s+)?(?:reported|wrote|written|informed)|"
    r"(?:we|our\s+correspondent)\s+(?:have\s+|had\s+)?(?:already\s+|earlier\s+|previously\s+)(?:reported|wrote|written)|"
    r"told\s+our\s+(?:correspondent|agency|website|newspaper|reporter)|"
    r"(?:in\s+an?\s+(?:exclusive\s+)?interview\s+with\s+)?our\s+correspondent)\b",
    re.I,
)


@dataclass(frozen=True)
class Flag:
    start: int
    end: int
    flag: str  # anonymous_source | self_citation | evidence_claim
    category: str  # the phrase kind: the evidence noun, "told_outlet", "outlet_reported", ...
    status: str = ""  # evidence: asserted | hedged | absent | mentioned
    statement_start: int = 0
    statement_end: int = 0


def _trim_phrase(text: str, start: int, end: int) -> int:
    """Cut a source phrase before the verb that follows it ("... services singled out")."""
    for w in re.finditer(r"[\w’'-]+", text[start:end]):
        if w.start() > 0 and (re.fullmatch(CUES, w.group(), re.I) or re.fullmatch(r"\w+ed", w.group())
                              and w.group().casefold() not in ("armed", "unnamed", "informed", "based")):
            end = start + w.start()
            break
    while end > start and text[end - 1] in " \u00a0,":
        end -= 1
    return end


def _sentence(sentences, pos, text):
    for s, e in sentences:
        if s <= pos < e:
            return s, e
    lo = text.rfind("\n", 0, pos) + 1
    hi = text.find("\n", pos)
    return lo, (len(text) if hi < 0 else hi)


@lru_cache(maxsize=1)
def outlet_aliases() -> dict[str, set[str]]:
    """Outlet name -> the names text uses for it (from data/outlets.csv)."""
    out: dict[str, set[str]] = {}
    text = resources.files("propwatch").joinpath("data/outlets.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        names = {row["name"], *[a for a in (row.get("aliases") or "").split("|") if a]}
        out.setdefault(row["name"].casefold(), set()).update(n.strip("«»\"“” ") for n in names if n.strip())
    return out


def own_names(outlet: str | None, table) -> set[str]:
    if not outlet:
        return set()
    names = {outlet} | outlet_aliases().get(outlet.casefold(), set())
    actor = table.lookup(outlet)
    if actor is not None:
        names.add(actor.name)
    return {n.casefold() for n in names if len(n) >= 2}


def find_flags(text: str, sentences, entities, quotes, outlet: str | None, table) -> list[Flag]:
    flags: list[Flag] = []
    # anonymous sources: quoted ones first, with the phrase the text uses
    seen: list[tuple[int, int]] = []
    for q in quotes:
        sp = q.speaker
        if sp.kind == "anonymous" and sp.start is not None and sp.end is not None and sp.end > sp.start:
            s, e = _sentence(sentences, sp.start, text)
            flags.append(Flag(sp.start, sp.end, "anonymous_source", "quoted", "", s, e))
            seen.append((sp.start, sp.end))
    flags = [f for i, f in enumerate(flags) if all((g.start, g.end) != (f.start, f.end) for g in flags[:i])]
    found = [(m.start(), _trim_phrase(text, m.start(), m.end())) for m in ANON_PHRASE.finditer(text)]
    found += [(m.start(), _trim_phrase(text, m.start(), m.end()) if not m.group().casefold().startswith(("according", "on ", "speaking", "spoke", "talking", "who", "which")) else m.end())
              for m in ANON_MORE.finditer(text)]
    for start, end in sorted(found):
        if end <= start:
            continue
        if any(a < end and b > start for a, b in seen):
            continue
        s, e = _sentence(sentences, start, text)
        if not re.search(rf"\b(?:{CUES})\b|\baccording to\b|\binterview", text[s:e], re.I):
            continue  # officials who are not speaking here are not sources
        flags.append(Flag(start, end, "anonymous_source", "mentioned", "", s, e))
        seen.append((start, end))
    # self-citation: the story's own outlet as a source, or "as we reported"
    names = own_names(outlet, table)
    own_ids = {table.lookup(n).id for n in names if table.lookup(n) is not None}
    spots = {(e.start, e.end) for e in entities
             if e.entity_id in own_ids or e.name.casefold() in names or e.text.casefold() in names}
    for n in names:
        for m in re.finditer(r"(?<!\w)" + re.escape(n) + r"(?!\w)", text, re.I):
            if not any(a < m.end() and b > m.start() for a, b in spots):
                spots.add((m.start(), m.end()))
    for start, end in sorted(spots):
        ent = Flag(start, end, "", "")
        before = text[max(0, ent.start - 25):ent.start]
        after = text[ent.end:ent.end + 40].lstrip("»”\" ")
        if re.search(r"\b(?:told|to|with)\s*[«“\"]?\s*$", before, re.I):
            category = "told_outlet"
        elif SELF_REPORTED.match(after) and SELF_REPORTED.match(after).group().strip():
            category = "outlet_reported"
        elif re.search(r"\b(?:according to|reported by|cited by)\s*[«“\"]?\s*$", before, re.I):
            category = "outlet_reported"
        else:
            continue
        s, e = _sentence(sentences, ent.start, text)
        flags.append(Flag(ent.start, ent.end, "self_citation", category, "", s, e))
    flags += pattern_flags(text, sentences, GENERIC_SELF, EVIDENCE, (ABSENT, HEDGED, ASSERTED), _evidence_kind)
    flags.sort(key=lambda f: (f.start, f.flag))
    return flags


def pattern_flags(text: str, sentences, generic_self: re.Pattern, evidence: re.Pattern,
                  evidence_cues: tuple[re.Pattern, re.Pattern, re.Pattern], kind_of) -> list[Flag]:
    """The language-specific patterns' flags: "we reported" self-citations, and evidence
    claims with what their sentence says of them (``evidence_cues``: absent, hedged,
    asserted; else "mentioned"). English and Russian (propwatch.who.ru) share this."""
    flags = []
    for m in generic_self.finditer(text):
        s, e = _sentence(sentences, m.start(), text)
        flags.append(Flag(m.start(), m.end(), "self_citation", "we_reported", "", s, e))
    for m in evidence.finditer(text):
        s, e = _sentence(sentences, m.start(), text)
        sent = text[s:e]
        status = next((name for name, cue in zip(("absent", "hedged", "asserted"), evidence_cues) if cue.search(sent)),
                      "mentioned")
        flags.append(Flag(m.start(), m.end(), "evidence_claim", kind_of(m.group()), status, s, e))
    return flags


def _evidence_kind(noun: str) -> str:
    n = noun.casefold()
    for kind, words in (
        ("photo", ("photo", "image", "picture", "screenshot")),
        ("video", ("video", "footage")),
        ("recording", ("recording", "audiorecord", "intercept", "telephone", "phone")),
        ("invoice", ("invoice", "receipt", "contract")),
        ("report", ("report",)),
        ("testimony", ("testimon", "witness")),
        ("document", ("document", "paper", "file", "record", "memo", "letter")),
    ):
        if any(w in n for w in words):
            return kind
    return "evidence"


def summarize(quotes) -> dict:
    """Counts and shares of quotes by speaker kind."""
    kinds = Counter(q.speaker.kind for q in quotes)
    total = sum(kinds.values())
    order = ("person", "organization", "media", "document", "anonymous", "unknown")
    by_kind = {k: kinds.get(k, 0) for k in order}
    shares = {k: round(v / total, 3) if total else 0.0 for k, v in by_kind.items()}
    named = sum(1 for q in quotes if q.speaker.entity_id)
    return {"quotes": total, "by_kind": by_kind, "shares": shares, "named_speakers": named,
            "direct": sum(1 for q in quotes if q.direct)}
