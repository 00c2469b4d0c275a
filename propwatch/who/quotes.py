"""Direct and indirect quotes with their cues and speakers.

Direct quotes: every quote style real scrapes carry (“ ” " " « » ‘ ’ „ “ ' '),
matched per paragraph with a stack, so one odd mark never loses the other
quotes; a quote left open at a paragraph end runs to it (the news convention
for a quote that goes on in the next paragraph); dash-introduced
attributions inside a quote (“A, – continued the minister. – B”) split it.
A short quoted phrase with no cue is a scare quote or a title, not speech.

Indirect speech comes from the dependency parse: a speech verb with a
clausal complement ("X said (that) ...", "X told reporters ..."), and
"according to X, ...".
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from typing import Any

from .. import lexicon
from .entities import Mention
from .speakers import PRONOUNS, SpeakerGuess, SpeakerResolver

# opener -> the marks that may close it (scrapes mix straight and curly marks)
OPEN_CLOSE = {"“": "”\"", "„": "“”", "«": "»", "‘": "’'", "‹": "›", '"': '"”', "'": "'’"}
# the speech verbs (data/words/speech_verbs.txt): forms for the pattern rules, lemmas for the parse rules
CUES = lexicon.alternation(lexicon.forms("speech_verbs"))
CUE_RX = rf"(?:{CUES})"
LABEL_CUES = r"described|called|calling|calls|labell?ed|termed|dubbed|branded|characteri[sz]ed|referred to|blamed|blames"
SPEECH_LEMMAS = lexicon.heads("speech_verbs")
# "authorities believe ...", "police believe ...": a belief reported for an unnamed source or a body is
# its attribution (data/words/belief_verbs.txt); a named person's belief is not a quote
BELIEF_LEMMAS = lexicon.heads("belief_verbs")
SCARE_MAX_WORDS = 4
TITLE_SMALL = {"of", "the", "and", "a", "an", "in", "on", "for", "to", "at", "&"}


@dataclass
class Found:
    start: int
    end: int
    direct: bool
    cue: tuple[int, int] | None = None
    speaker: SpeakerGuess | None = None
    open_ended: bool = False
    paragraph: int = 0


# ------------------------------------------------------------ quote marks
def quote_pairs(text: str) -> list[tuple[int, int, bool]]:
    """(open, close, open_ended) of every top-level quote; content is text[open+1:close].

    Lines are matched one by one; a quote left open at the end of a line goes
    on into the next line when that line closes it before opening another
    (a scrape that broke a quote across lines); otherwise it runs to the end
    of its line.
    """
    pairs: list[tuple[int, int, bool]] = []
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    i = 0
    while i < len(lines):
        lo, hi = lines[i]
        found = _pairs_in_paragraph(text, lo, hi)
        if found and found[-1][2]:
            j = _closing_line(text, lines, i)
            if j is not None:
                joined = _pairs_in_paragraph(text, lo, lines[j][1])
                if joined and not joined[-1][2] and joined[-1][0] == found[-1][0]:
                    pairs.extend(joined)
                    i = j + 1
                    continue
        pairs.extend(found)
        i += 1
    return pairs


MAX_JOINED_LINES = 8


def _closing_line(text: str, lines, i: int) -> int | None:
    """The next line (within a few) that closes a quote left open on line ``i``, when the
    lines between neither open nor close a quote and none starts a new one."""
    for j in range(i + 1, min(len(lines), i + 1 + MAX_JOINED_LINES)):
        lo, hi = lines[j]
        if _closes_first(text, lo, hi):
            return j
        if re.search("[“”„«»\"]", text[lo:hi]) or (text[lo:hi] and text[lo] in "‘'"):
            return None
    return None


def _closes_first(text: str, lo: int, hi: int) -> bool:
    """The line holds a closing mark before any opening one (and does not start with one)."""
    line = text[lo:hi]
    if not line or line[0] in "“„«‘\"'":
        return False
    for k, c in enumerate(line):
        if c in "“„«‘":
            return False
        if c in "”»":
            return True
        if c in "\"’" and k > 0 and not line[k - 1].isspace() and (k + 1 == len(line) or not line[k + 1].isalpha()):
            return True
    return False


def _pairs_in_paragraph(text: str, lo: int, hi: int) -> list[tuple[int, int, bool]]:
    stack: list[tuple[str, int]] = []
    out: list[tuple[int, int, bool]] = []
    for i in range(lo, hi):
        c = text[i]
        if c not in "“”„«»‘’‹›\"'":
            continue
        prev = text[i - 1] if i > lo else " "
        nxt = text[i + 1] if i + 1 < hi else " "
        if c in "'’" and prev.isalnum() and nxt.isalpha():
            continue  # an apostrophe inside a word
        if c in "'’‘" and re.match(r"\d\d(?!\d)", text[i + 1:i + 4]):
            continue  # a year cut short: “CC ‘22”, “the ’90s”
        closer_of = [k for k, (ch, _) in enumerate(stack) if c in OPEN_CLOSE[ch]]
        is_opener = c in "“„«‘‹" or (c in "\"'" and (prev.isspace() or prev in "([{–—-:/“«„‘") and not nxt.isspace())
        if c == "“" and stack and any(ch == "„" for ch, _ in stack):
            is_opener = False  # „…“ German style: “ closes
        if closer_of and not (is_opener and c not in "\"'" and stack[closer_of[-1]][0] != "„"):
            k = closer_of[-1]
            if c == "'" and nxt.isalpha():
                continue
            start = stack[k][1]
            del stack[k:]
            if not stack:
                out.append((start, i, False))
            continue
        if is_opener:
            stack.append((c, i))
    if stack:
        ch, start = stack[0]
        if len(text[start + 1:hi].split()) >= 3 and ch not in "'":
            out.append((start, hi, True))
    return out


_DASH_ATTRIB = re.compile(rf"[,.!?]?\s+[–—-]\s*(?P<cue>{CUE_RX})\s+(?P<spk>[^–—\"“”«»]{{1,90}}?)[.,]?\s+[–—-]\s+")


def _split_dash_attribution(text: str, start: int, end: int):
    """Pieces of a quote interrupted by "– said X. –", each with cue and speaker span."""
    m = _DASH_ATTRIB.search(text, start, end)
    if not m:
        return [(start, end, None, None)]
    cue = (m.start("cue"), m.end("cue"))
    spk = (m.start("spk"), m.end("spk"))
    return [(start, m.start(), cue, spk), (m.end(), end, cue, spk)]


# ------------------------------------------------------------ attribution
TITLE_ABBR = r"(?:Dr|Mr|Mrs|Ms|Prof|Gen|Col|Lt|Sgt|Capt|Maj|Adm|Rep|Sen|Gov|Sr|Jr|St)\.\s*"
_ABBR_END = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof|Gen|Col|Lt|Sgt|Capt|Maj|Adm|Rep|Sen|Gov|Sr|Jr|St)\.$")
_AFTER_CUE_FIRST = re.compile(
    rf"^[\s,.!?]*[–—-]*\s*(?P<cue>{CUE_RX})\s+(?P<spk>(?:{TITLE_ABBR}|[^.;:!?–—\"“”«»,]){{1,80}})"
)
_APPOSITIVE_NAME = re.compile(r",\s+(?P<name>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,3})\s*(?:[.,;]|$)")
_AFTER_SPK_FIRST = re.compile(
    rf"^[\s,.!?]*[–—-]*\s*(?P<spk>[^.!?\"“”«»;:]{{1,120}}?)\s+(?:\w+ly\s+)?(?P<cue>{CUE_RX})\b"
)
_BEFORE_SPK_CUE = re.compile(
    rf"(?P<spk>[^.!?\"“”«»;]{{1,120}}?)\s+(?:\w+ly\s+)?(?P<cue>{CUE_RX})"
    rf"(?:\s+(?:to\s+)?[^.!?\"“”«»:]{{0,50}}?)?\s*(?:that\s*)?[:,]?\s*$"
)
_BEFORE_LABEL = re.compile(rf"(?<![\w-])(?P<cue>{LABEL_CUES})\b(?P<obj>[^.!?\"“”«»]{{0,80}}?)\s*(?:as\s+)?$")
JUDGE_CUES = (
    r"describ(?:ed|ing|es)|call(?:ed|ing|s)|defend(?:ed|ing|s)|prais(?:ed|ing|es)|laud(?:ed|ing|s)|hail(?:ed|ing|s)|"
    r"denounc(?:ed|ing|es)|dismiss(?:ed|ing|es)|slamm(?:ed|ing)|condemn(?:ed|ing|s)|critici[sz](?:ed|ing|es)|"
    r"blast(?:ed|ing|s)|brand(?:ed|ing|s)|label(?:l?ed|l?ing|s)|depict(?:ed|ing|s)|portray(?:ed|ing|s)"
)
_BEFORE_AS = re.compile(rf"\b(?P<cue>{JUDGE_CUES})\b[^.!?\"“”«»]{{1,60}}?\s+as\s+(?:an?\s+|the\s+)?$")
_BEFORE_CUE_ONLY = re.compile(rf"\b(?P<cue>{CUE_RX})(?:\s+(?:on|in|at)\s+[^.!?\"“”«»]{{1,40}}?)?\s*(?:that)?\s*[:,]?\s*$")
_BEFORE_POSSESSIVE = re.compile(
    r"(?P<spk>[^.!?\"“”«»;,]{1,80}?)['’]s?\s+(?P<cue>words|remarks|comments|statement|message|reply|response|answer|verdict)"
    r"\s*[—–:,-]?\s*$"
)
_AFTER_DASH_NAME = re.compile(r"\s*(?P<dash>[–—]|--?)\s*(?P<spk>[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3})\s*$")
_BEFORE_COLON_NAME = re.compile(r"(?P<spk>[^:\n]{2,120}?)\s*(?P<cue>:)\s*$")
_ACCORDING = re.compile(r"\b[Aa]ccording to\s+(?P<spk>[^,.\"“”«»]{1,90}?)\s*[,:]\s*$")
_ACCORDING_AFTER = re.compile(r"^[\s,]*[Aa]ccording to\s+(?P<spk>[^,.\"“”«»]{1,90})")


def _sentence_bounds(text: str, pos: int, sentences) -> tuple[int, int]:
    for s in sentences:
        if s[0] <= pos < s[1] or s[0] <= pos <= s[1]:
            return s
    return (max(0, text.rfind("\n", 0, pos) + 1), len(text))


def attribute_direct(text, found: Found, close: int, prev_close: int, next_open: int, sentences, sdoc, resolver):
    """Fill cue and speaker of a direct quote from the text around it."""
    para_start = text.rfind("\n", 0, found.start) + 1
    para_end = text.find("\n", close)
    para_end = len(text) if para_end < 0 else para_end
    after_end = min(next_open if next_open > close else para_end, para_end)
    after = text[close + 1:after_end]
    for m_end in re.finditer(r"(?<=[.!?])\s+(?=[A-Z“\"«])", after):
        if not _ABBR_END.search(after, 0, m_end.start()):
            after = after[:m_end.start()]
            break
    base = close + 1
    # an attribution after a quote follows a comma, ?, ! inside it or a dash/comma after it
    joined = bool(re.search(r"[,!?…][’'\"”»]*\s*$", text[found.start:close])) or bool(re.match(r"\s*[,–—-]", after))
    m = _AFTER_CUE_FIRST.match(after) if joined else None
    m2 = _AFTER_SPK_FIRST.match(after) if joined else None
    if m2 and re.match(r"(?i)(?:and|but|or|which|who|that|as|while|because)\b", m2.group("spk").strip(" ,–—-")):
        m2 = None
    if m and (not m2 or m.start("cue") <= m2.start("cue")):
        spk = _trim_speaker(after, m.start("spk"), m.end("spk"))
        appos = _APPOSITIVE_NAME.match(after, spk[1])
        if appos and spk[1] == m.end("spk"):  # "said Obama's deputy national security adviser, Ben Rhodes."
            spk = (spk[0], appos.end("name"))
        found.cue = (base + m.start("cue"), base + m.end("cue"))
        found.speaker = resolver.resolve(base + spk[0], base + spk[1])
        return
    if m2 and len(m2.group("spk").split()) <= 14:
        found.cue = (base + m2.start("cue"), base + m2.end("cue"))
        found.speaker = resolver.resolve(base + m2.start("spk"), base + m2.end("spk"))
        return
    open_pos = found.start - 1
    before_start = max(para_start, prev_close + 1)
    before = text[before_start:open_pos]
    for rx in (_ACCORDING, _BEFORE_SPK_CUE, _BEFORE_POSSESSIVE):
        b = rx.search(before)
        if b:
            if rx is not _ACCORDING:
                found.cue = (before_start + b.start("cue"), before_start + b.end("cue"))
            else:
                found.cue = (before_start + b.start(), before_start + b.start("spk") - 1)
            found.speaker = resolver.resolve(before_start + b.start("spk"), before_start + b.end("spk"))
            if rx is _BEFORE_SPK_CUE:  # the parser knows the subject better than a long phrase
                parsed = _subject_of(sdoc, found.cue[0], resolver)
                if parsed.kind != "unknown":
                    found.speaker = parsed
            return
    c = _BEFORE_COLON_NAME.search(before)
    if c:
        sp = resolver.resolve(before_start + c.start("spk"), before_start + c.end("spk"))
        if sp.kind == "person" and sp.entity_id:
            found.cue = (before_start + c.start("cue"), before_start + c.end("cue"))
            found.speaker = sp
            return
    for rx in (_BEFORE_LABEL, _BEFORE_AS, _BEFORE_CUE_ONLY):
        b = rx.search(before)
        if b:
            cue = (before_start + b.start("cue"), before_start + b.end("cue"))
            found.cue = cue
            found.speaker = _subject_of(sdoc, cue[0], resolver)
            return
    d = _AFTER_DASH_NAME.match(after)
    if d:
        found.cue = (base + d.start("dash"), base + d.end("dash"))
        found.speaker = resolver.resolve(base + d.start("spk"), base + d.end("spk"))
        return
    a = _ACCORDING_AFTER.match(after)
    if a:
        found.cue = (base + a.start(), base + a.start("spk"))
        found.speaker = resolver.resolve(base + a.start("spk"), base + a.end("spk"))


def _trim_speaker(s: str, start: int, end: int) -> tuple[int, int]:
    """Cut a trailing "in Vienna", "on Monday", "responding to ..." off a speaker phrase."""
    m = re.search(r"\s+(?:in|on|at|after|during|before|responding|speaking|to|from|when|while|adding|citing)\b", s[start:end])
    if m and m.start() > 0:
        end = start + m.start()
    return start, end


def _subject_of(sdoc, cue_char: int, resolver) -> SpeakerGuess:
    tok = _token_at(sdoc, cue_char)
    if (tok is not None and tok.tag_ == "VBG" and tok.dep_ in ("advcl", "xcomp", "conj") and tok.head.dep_ == "ccomp"
            and tok.head.head.lemma_ in SPEECH_LEMMAS):
        # "Lavrov said the two discussed X, adding ...": the parser hangs "adding" on the reported verb; the
        # reporter adds
        tok = tok.head.head
    seen = 0
    while tok is not None and seen < 4:
        subj = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass", "csubj")]
        if subj:
            s = subj[0]
            if s.lower_ in ("which", "that", "who") and tok.dep_ == "relcl":
                noun = tok.head  # "the report which says": the report speaks
                return resolver.resolve(noun.left_edge.idx, noun.idx + len(noun))
            if "\n" in resolver.text[s.idx:cue_char]:
                # the parser ran a headline into the story: the subject is on the cue's own line
                line_start = resolver.text.rfind("\n", 0, cue_char) + 1
                guess = resolver.resolve(line_start, cue_char) if cue_char > line_start else None
                return guess if guess is not None and guess.kind != "unknown" else SpeakerGuess(None, None, "unknown")
            return resolver.resolve(s.left_edge.idx, s.right_edge.idx + len(s.right_edge))
        if tok.head is tok:
            break
        tok = tok.head
        seen += 1
    return SpeakerGuess(None, None, "unknown")


def _token_at(sdoc, char: int):
    for t in sdoc:
        if t.idx <= char < t.idx + len(t) or t.idx >= char:
            return t
    return None


# ------------------------------------------------------------ main entry
def find_quotes(text: str, sdoc: Any, mentions: list[Mention], sentences: list[tuple[int, int]], indirect: bool = True,
                scare_max_words: int = SCARE_MAX_WORDS, ranker: Any = None) -> list[Found]:
    """Every quote in ``text``, in order, with cue and speaker where the text gives them; with a
    ``ranker`` (:class:`propwatch.who.ranker.SpeakerRanker`) the speaker is its choice among the
    candidates, the rules' pick being one of them."""
    resolver = SpeakerResolver(text, mentions, sdoc)
    pairs = quote_pairs(text)
    resolver.set_quoted([(o + 1, c) for o, c, _ in pairs])
    direct: list[Found] = []
    pieces = []
    for k, (o, c, open_ended) in enumerate(pairs):
        for s, e, cue, spk in _split_dash_attribution(text, o + 1, c):
            pieces.append((k, s, e, cue, spk, open_ended))
    for idx, (k, s, e, cue, spk, open_ended) in enumerate(pieces):
        o, c, _ = pairs[k]
        s, e = _trim(text, s, e)
        if e <= s:
            continue
        f = Found(s, e, True, open_ended=open_ended)
        if cue is not None:
            f.cue = cue
            f.speaker = resolver.resolve(*spk)
        elif idx + 1 < len(pieces) and pieces[idx + 1][0] == k:
            pass  # first piece of a split quote: takes the attribution of the split
        else:
            prev_close = pairs[k - 1][1] if k > 0 else -1
            next_open = pairs[k + 1][0] if k + 1 < len(pairs) else len(text)
            attribute_direct(text, f, c, prev_close, next_open, sentences, sdoc, resolver)
        if f.speaker is not None:
            resolver.remember(f.start, f.speaker)
        direct.append(f)
    # first pieces of dash-split quotes share the split's cue and speaker
    for i, f in enumerate(direct[:-1]):
        nxt = direct[i + 1]
        if f.cue is None and nxt.cue is not None and nxt.start - f.end < 120 and "\n" not in text[f.end:nxt.start]:
            if _DASH_ATTRIB.search(text, f.end - 2, nxt.start + 1):
                f.cue, f.speaker = nxt.cue, nxt.speaker
    reported = _indirect(text, sdoc, direct, resolver) if indirect else []
    if indirect:
        taken = [(f.start, f.end) for f in direct if len(text[f.start:f.end].split()) > scare_max_words]
        taken += [(f.start, f.end) for f in reported] + [f.cue for f in reported if f.cue]
        reported += _trailing_attributions(text, sdoc, taken, resolver)
    quotes = _merge(text, direct, reported)
    resolver.set_quoted([(q.start, q.end) for q in quotes])
    _resolve_pronouns_again(text, quotes, resolver)
    _fill_continuations(text, quotes)
    _link_anonymous(quotes)
    _reporting_names_are_media(text, quotes)
    quotes = [q for q in quotes if not _scare_quote(text, q, scare_max_words) and not _loose_fragment(text, q)]
    if ranker is not None:
        from .ranker import rerank

        rerank(text, sdoc, mentions, sentences, quotes, resolver, ranker)
    return quotes


def _loose_fragment(text: str, q: Found) -> bool:
    """A quoted fragment in the middle of a sentence that no one is said to speak: a phrase lifted from a
    document or a title (“... had ‘been working around the clock’ ...”), not speech the story attributes."""
    if not q.direct or (q.speaker is not None and q.speaker.kind != "unknown") or q.cue is not None:
        return False
    content = text[q.start:q.end]
    before = text[max(0, q.start - 3):q.start - 1].rstrip(" \u00a0")
    return content[:1].islower() and bool(before) and (before[-1].isalnum() or before[-1] in ",")


def _resolve_pronouns_again(text: str, quotes: list[Found], resolver) -> None:
    """Pronoun speakers once every quote is known (indirect speech is found after direct quotes)."""
    pronoun_spots = {(q.speaker.start, q.speaker.end) for q in quotes if q.speaker is not None and q.speaker.start is not None
                     and text[q.speaker.start:q.speaker.end].casefold() in PRONOUNS}
    # what the first pass made of the pronouns is forgotten: each is resolved again in story order
    resolver.history = [h for h in resolver.history if (h[1].start, h[1].end) not in pronoun_spots]
    for q in sorted(quotes, key=lambda q: q.start):
        sp = q.speaker
        if sp is not None and (sp.start, sp.end) in pronoun_spots:
            q.speaker = resolver.resolve(sp.start, sp.end)
            resolver.remember(q.start, q.speaker)


def _reporting_names_are_media(text: str, quotes: list[Found]) -> None:
    """ "the Evening Star reported": an unknown name that reports or writes is an outlet."""
    for q in quotes:
        sp = q.speaker
        if sp is None or sp.kind != "unknown" or not sp.name or q.cue is None:
            continue
        cue = text[q.cue[0]:q.cue[1]].casefold()
        if cue in ("reported", "reports", "published") and re.match(r"(?:the\s+)?[A-Z0-9]", sp.name):
            q.speaker = replace(sp, kind="media")


def _link_anonymous(quotes: list[Found]) -> None:
    """ "the source said" names the source the story introduced before ("a source close to ...")."""
    introduced: dict[str, SpeakerGuess] = {}
    for q in sorted(quotes, key=lambda q: q.start):
        sp = q.speaker
        if sp is None or sp.kind != "anonymous" or not sp.name:
            continue
        m = re.fullmatch(r"(?i)the (?:same )?(\w+?)s?", sp.name.strip())
        if m and m.group(1).casefold() in introduced:
            q.speaker = replace(sp, name=introduced[m.group(1).casefold()].name)
            continue
        head = re.search(r"(?i)\b(source|official|insider|diplomat|officer)s?\b", sp.name)
        if head and not m:
            introduced[head.group(1).casefold()] = sp


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in " \t–—-":
        s += 1
    while e > s and text[e - 1] in " \t–—-":
        e -= 1
    return s, e


def _scare_quote(text: str, q: Found, max_words: int = SCARE_MAX_WORDS) -> bool:
    """A short quoted phrase inside a sentence, with no cue: «forgotten», "peace plan"; or a
    short quoted name the sentence goes on after: «Russian Spring» continues ..."""
    if not q.direct:
        return False
    content = text[q.start:q.end]
    if re.match(r"\s*,?\s*by\s+[A-Z]", text[q.end + 1:q.end + 40]) and content[:1].isupper():
        return True  # “Title of an article,” by Author
    if len(content.split()) > max_words:
        return False
    after = text[q.end + 1:q.end + 30].lstrip(" \u00a0")
    words = re.findall(r"[^\W\d_][\w’'-]*", content)
    if words and all(w[0].isupper() or w.casefold() in TITLE_SMALL for w in words) and not re.search(r"[.!?]$", content):
        return True  # a quoted title or name: told “Fox & Friends”
    labelled = q.cue is not None and re.fullmatch(f"{LABEL_CUES}|{JUDGE_CUES}", text[q.cue[0]:q.cue[1]])
    if not re.search(r"[.!?,…]$", content) and after[:1].islower() and not labelled:
        return True
    if q.cue is not None:
        return False
    if re.search(r"[.!?,…]['’\"”»]*$", content) and content[:1].isupper():
        return False  # a sentence of speech
    before = text[max(0, q.start - 40):q.start - 1].rstrip(" \t")
    if before.casefold().endswith("so-called"):
        return True
    if before.endswith((":", "–", "—", "-")):
        return False  # follows a colon or dash: speech
    return True  # a quoted name or phrase: «Russian Spring», “Islamic state” (ISIS)


def _starts_line(text: str, pos: int) -> bool:
    return pos == 0 or text[:pos].rstrip(" \t").endswith("\n") or not text[:pos].strip()


def _same_sentence(text: str, a: int, b: int) -> bool:
    between = text[a:b]
    return "\n" not in between and not re.search(r"[.!?][\"”»’']*\s+[A-Z“\"«]", between)


def _fill_continuations(text: str, quotes: list[Found]) -> None:
    """A direct quote with no cue takes the speaker of its neighbours."""
    line_starts = [m.start() for m in re.finditer(r"[^\n]+", text)]

    def para_of(x, end=False):  # paragraphs are lines of text, blank lines skipped
        return bisect.bisect_right(line_starts, x.end - 1 if end else x.start)

    for i, q in enumerate(quotes):
        if q.speaker is not None or not q.direct:
            continue
        para = para_of(q)
        prev = quotes[i - 1] if i > 0 else None
        nxt = quotes[i + 1] if i + 1 < len(quotes) else None

        if prev and prev.speaker and prev.direct and prev.cue and _same_sentence(text, prev.end, q.start):
            q.cue, q.speaker = prev.cue, prev.speaker  # “...,” said X, the men “...”
        elif q.open_ended and nxt and nxt.speaker and para_of(nxt) <= para + 1:
            q.speaker = nxt.speaker
        elif prev and prev.speaker and prev.direct and para_of(prev) == para:
            q.speaker = prev.speaker
        elif nxt and nxt.speaker and nxt.direct and para_of(nxt) == para:
            q.speaker = nxt.speaker
        elif prev and prev.speaker and prev.direct and para_of(prev, end=True) == para - 1 and (
                prev.open_ended or _starts_line(text, q.start - 1)):
            q.speaker = prev.speaker  # a quote paragraph goes on from the speaker of the one before


# ------------------------------------------------------------ indirect speech
def _indirect(text, sdoc, direct: list[Found], resolver) -> list[Found]:
    out: list[Found] = []
    inside_direct = [(f.start, f.end) for f in direct]

    def in_direct(pos):
        return any(s <= pos < e for s, e in inside_direct)

    for tok in sdoc:
        if in_direct(tok.idx):
            continue
        if tok.lower_ == "according" and tok.i + 1 < len(sdoc) and sdoc[tok.i + 1].lower_ == "to":
            f = _according(text, sdoc, tok, resolver)
            if f:
                out.append(f)
            continue
        belief = tok.lemma_ in BELIEF_LEMMAS
        if (tok.lemma_ not in SPEECH_LEMMAS and not belief) or tok.pos_ not in ("VERB", "AUX"):
            continue
        if tok.tag_ == "VBG" and tok.dep_ not in ("advcl", "xcomp", "conj", "ROOT", "ccomp") and tok.head.lower_ != "as":
            continue  # "get away with saying that ...": a gerund, not a report
        if tok.tag_ == "VBG" and tok.dep_ == "advcl" and tok.head.lemma_ in ("get", "go", "keep"):
            continue
        spans = []
        for c in tok.children:
            if c.dep_ != "ccomp":
                continue
            if c.left_edge.lower_ in WH_WORDS or any(t.lower_ in WH_WORDS and t.dep_ in ("nsubj", "dobj", "advmod")
                                                    and t.i < c.i and t.i == c.left_edge.i for t in c.lefts):
                continue  # "said what is clearly ...": a wh-clause, not the content
            s, e = c.left_edge.idx, _content_end(c)
            if s <= tok.idx < e:
                continue
            s, e = _strip_clause(text, *_clip_paragraph(text, tok.idx, s, e))
            if len(text[s:e].split()) >= 3:
                spans.append((min(abs(tok.idx - e), abs(s - tok.idx)), s, e))
        if not spans and tok.lemma_ == "report":
            # "witnesses reported seeing flashes ...": the gerund clause is what they report
            for c in tok.children:
                if c.dep_ == "xcomp" and c.tag_ == "VBG" and c.i > tok.i:
                    s, e = _strip_clause(text, *_clip_paragraph(text, tok.idx, c.idx, c.right_edge.idx + len(c.right_edge)))
                    if len(text[s:e].split()) >= 3:
                        spans.append((0, s, e))
        if not spans and tok.dep_ == "parataxis":
            # "X has an understanding ..., the diplomat said" / "Lavrov says X agree ...":
            # the reported clause is the head's, less the verb's own subtree
            head = tok.head
            if head.i < tok.i:
                s, e = head.left_edge.idx, tok.left_edge.idx
            else:
                s, e = tok.right_edge.idx + len(tok.right_edge), head.right_edge.idx + len(head.right_edge)
            s, e = _strip_clause(text, *_clip_paragraph(text, tok.idx, s, e))
            if len(text[s:e].split()) >= 3:
                spans.append((0, s, e))
        if not spans:
            continue
        _, s, e = min(spans)
        cue_end = tok.idx + len(tok)
        if tok.lemma_ == "point" and not any(ch.lower_ == "out" for ch in tok.children):
            continue
        speaker = _cited_as_saying(tok, resolver) or _subject_of(sdoc, tok.idx, resolver)
        if speaker.name is None or (tok.text[:1].isupper() and tok.i > tok.sent.start):
            continue  # no one says it, or a verb in a title-case headline
        if _in_headline(text, tok.idx):
            continue  # "Hurricane kills 264, Obama declares emergency": a headline, not a report
        if belief and speaker.kind not in ("anonymous", "organization"):
            continue
        if tok.lemma_ == "show" and re.search(r"(?i)\b(?:photo|image|picture|video|footage|clip)s?\b", speaker.name or ""):
            continue  # "file photo shows a man crossing ...": a picture shows, it does not report
        if speaker.kind == "unknown" and re.fullmatch(r"(?i)that|this|these|those|which|it", (speaker.name or "").strip()):
            continue  # "That prompted X to suggest ...": no one the text names
        resolver.remember(s, speaker)
        out.append(Found(s, e, False, (tok.idx, cue_end), speaker))
    # reported speech inside reported speech belongs to the outer quote
    return [f for f in out
            if not any(g is not f and g.start <= f.start and f.end <= g.end and g.start <= f.cue[0] < g.end for g in out)]


WH_WORDS = {"what", "how", "why", "where", "when", "whether", "which", "who"}


def _cited_as_saying(tok, resolver) -> SpeakerGuess | None:
    """ "The Guardian cited two unidentified sources as saying ...": the cited sources speak."""
    if tok.lower_ != "saying":
        return None
    head = tok.head
    if head.lower_ == "as":
        head = head.head
    if head.lemma_ not in ("cite", "quote") or head is tok:
        return None
    obj = [c for c in head.children if c.dep_ in ("dobj", "obj")]
    if not obj:
        return None
    o = obj[0]
    return resolver.resolve(o.left_edge.idx, o.right_edge.idx + len(o.right_edge))


def _in_headline(text: str, pos: int) -> bool:
    """The first line of the text when it reads as a headline (no closing punctuation)."""
    first = text.lstrip().split("\n", 1)[0]
    lead = len(text) - len(text.lstrip())
    return lead <= pos < lead + len(first) and "\n" in text.strip() and not re.search(r"[.!?\"”’]\s*$", first)


def _content_end(c) -> int:
    """End of a clause's subtree, less a trailing conjoined verb with no subject of its own
    ("saying X and praising Y": praising is the speaker's act, not the content)."""
    cut = None
    for child in c.rights:
        own_subject = any(g.dep_ in ("nsubj", "nsubjpass") for g in child.children)
        gerund = child.tag_ == "VBG" and child.dep_ in ("conj", "advcl")
        # "he was wronged and cites ...": a present-tense act after a past-tense report
        tense_shift = child.dep_ == "conj" and child.tag_ in ("VBZ", "VBP") and c.tag_ in ("VBD", "VBN")
        if not own_subject and (gerund or tense_shift):
            cut = child  # "..., linking to ...", "... and praising ..."
            break
    if cut is None:
        return c.right_edge.idx + len(c.right_edge)
    left = cut.left_edge.i
    toks = [t for t in c.subtree if t.i < left and not (t.dep_ == "cc" and t.head is c and t.i == left - 1)]
    last = toks[-1]
    return last.idx + len(last)


def _according(text, sdoc, tok, resolver) -> Found | None:
    to = sdoc[tok.i + 1]
    pobj = [c for c in to.children if c.dep_ == "pobj"]
    if not pobj:
        return None
    p = pobj[0]
    sp_s, sp_e = p.left_edge.idx, p.right_edge.idx + len(p.right_edge)
    sent = tok.sent
    s0, s1 = sent.start_char, sent.end_char
    if tok.idx - s0 <= 2:  # "According to X, content."
        s, e = sp_e, s1
    else:  # "content, according to X."
        s, e = s0, tok.idx
    s, e = _strip_clause(text, *_clip_paragraph(text, tok.idx, s, e))
    if len(text[s:e].split()) < 3:
        return None
    return Found(s, e, False, (tok.idx, to.idx + len(to)), resolver.resolve(sp_s, sp_e))


_TRAILING_ATTRIBUTION = re.compile(
    rf"(?P<content>.{{12,}}?),\s+(?P<spk>(?:[\w’'-]+\s+){{0,9}}?[\w’'-]+)\s+(?P<cue>{CUE_RX})"
    rf"(?:\s+[\w’'-]+){{0,4}}\s*[.!]?$"
)


def _trailing_attributions(text, sdoc, taken, resolver) -> list[Found]:
    """ "There are five camps ..., a source close to the services told Sputnik." """
    out = []
    pieces = []
    for sent in sdoc.sents:  # the parser's sentences may run across paragraphs
        for pm in re.finditer(r"[^\n]+", sent.text):
            pieces.append((sent.start_char + pm.start(), sent.start_char + pm.end()))
    for s0, s1 in pieces:
        while s1 > s0 and text[s1 - 1].isspace():
            s1 -= 1
        if any(a < s1 and b > s0 for a, b in taken):
            continue
        m = _TRAILING_ATTRIBUTION.match(text, s0, s1)
        if not m or _in_headline(text, m.start("cue")):
            continue
        spk = resolver.resolve(m.start("spk"), m.end("spk"))
        if spk.kind == "unknown":
            continue
        cs, ce = _strip_clause(text, m.start("content"), m.end("content"))
        resolver.remember(cs, spk)
        out.append(Found(cs, ce, False, (m.start("cue"), m.end("cue")), spk))
    return out


def _clip_paragraph(text: str, anchor: int, s: int, e: int) -> tuple[int, int]:
    """Cut a clause back to the paragraph of ``anchor`` (the parser may join paragraphs)."""
    lo = text.rfind("\n", 0, anchor) + 1
    hi = text.find("\n", anchor)
    hi = len(text) if hi < 0 else hi
    return max(s, lo), min(e, hi)


def _strip_clause(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and (text[s] in " ,:;–—-" or text[s:s + 5].casefold() == "that "):
        s += 5 if text[s:s + 5].casefold() == "that " else 1
    while e > s and text[e - 1] in " ,.:;–—-":
        e -= 1
    content = text[s:e]
    if e < len(text) and text[e] in "”’»\"'" and _unbalanced(content):
        e += 1  # the closing mark of a partial quote inside the clause
    return s, e


def _unbalanced(content: str) -> bool:
    opens = sum(content.count(c) for c in "“‘«„")
    closes = sum(content.count(c) for c in "”»") + len(re.findall(r"’(?!\w)", content))
    return opens > closes or content.count('"') % 2 == 1


def _merge(text: str, direct: list[Found], indirect: list[Found]) -> list[Found]:
    """One quote per stretch of speech: direct quotes absorb the parse's view of them."""
    keep_direct = list(direct)
    result: list[Found] = []
    for f in indirect:
        overl = [d for d in keep_direct if d.start < f.end and d.end > f.start]
        if not overl:
            result.append(f)
            continue
        if any(d.cue is not None and d.cue == f.cue and d.end <= d.cue[0] for d in overl):
            continue  # “...,” said X: the parse's view of a direct quote attributed after it
        d = max(overl, key=lambda d: min(d.end, f.end) - max(d.start, f.start))
        covered = (min(d.end, f.end) - max(d.start, f.start)) / max(1, f.end - f.start)
        if covered >= 0.6:
            if d.cue is None or d.speaker is None or d.speaker.kind == "unknown":
                d.cue, d.speaker = f.cue, f.speaker
            continue
        # indirect speech with a partial quote inside: the clause is the quote
        for d in overl:
            if f.start <= d.start and d.end <= f.end + 1:
                keep_direct.remove(d)
        result.append(f)
    result.extend(keep_direct)
    result.sort(key=lambda q: q.start)
    return result


__all__ = ["Found", "find_quotes", "quote_pairs", "replace"]
