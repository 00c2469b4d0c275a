"""Line-level page furniture: decide which lines of a scraped page are not story text.

The rules are general (line shape, repetition, position in the page) and
the phrases they know are data (``data/boilerplate.toml``). Each dropped
line gets a reason, and what the furniture says about the page (the site
name after the title, an outlet footer, credits) is kept as signals.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from .outlets import outlets_named_in

_BULLETS = "•·*-–—▪►» \t"
_CLOSERS = "\"'”’»)]"
_SMALL_WORDS = {
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "as", "by", "with",
    "from", "into", "over", "vs", "via", "but", "nor", "is", "are", "be", "up", "off", "per",
}
# A line holding only a date (and a time): "11.03.2025 09:14", "March 3, 2025", "2025-03-03T10:00"
_DATE_LINE = re.compile(
    r"^(?:(?:updated|published|posted|опубликовано)[:\s]+)?"
    r"(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]{2,8}\.? \d{4})"
    r"(?:[ ,T|–-]+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?(?:\s?[A-Z]{2,4}|Z)?)?$",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")
_QUOTE_MARKS = re.compile(r"[\"“”„«»]")
# Rules keyed on line shape (widgets, captions, credits, footers) drop whole lines
# of at most this many words; a longer line is a paragraph of story text: it is
# never dropped whole, only known boilerplate sentences inside it go (spans).
LINE_SHAPED_WORDS = 60
CREDIT_WORDS = 25        # "Reporting by ...", "Written by ..." lines are short
CAPTION_WORDS = 30       # a repeated line of at most this many words may be a caption
FOOTER_WORDS = 60        # an outlet footer or blurb
TAIL_UNITS = 6           # footers sit among the last lines (or sentences) of a page


@functools.lru_cache(maxsize=1)
def rules() -> "Rules":
    text = resources.files("propwatch").joinpath("data/boilerplate.toml").read_text("utf-8")
    data = tomllib.loads(text)

    def compile_all(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in data.get(key, []))

    return Rules(
        widget_lines=frozenset(w.casefold() for w in data.get("widget_lines", [])),
        line_patterns=compile_all("line_patterns"),
        caption_patterns=compile_all("caption_patterns"),
        caption_cues=compile_all("caption_cues"),
        credit_patterns=compile_all("credit_patterns"),
        footer_patterns=compile_all("footer_patterns"),
        sentence_patterns=compile_all("sentence_patterns"),
    )


@dataclass(frozen=True)
class Rules:
    widget_lines: frozenset[str]
    line_patterns: tuple[re.Pattern[str], ...]
    caption_patterns: tuple[re.Pattern[str], ...]
    caption_cues: tuple[re.Pattern[str], ...]
    credit_patterns: tuple[re.Pattern[str], ...]
    footer_patterns: tuple[re.Pattern[str], ...]
    sentence_patterns: tuple[re.Pattern[str], ...]


@dataclass
class PageSignals:
    """What the furniture said about the page."""

    title_suffixes: list[str] = field(default_factory=list)
    footer_outlets: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    # headlines with a photo caption (or a repeat of themselves) under them:
    # the mark of a story's start on a glued page
    story_headlines: list[str] = field(default_factory=list)


_FULL_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+[0-3]?\d(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d\b"
    r"|\b[0-3]?\d(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(?:19|20)\d\d\b"
    r"|\b(?:19|20)\d\d-[01]\d-[0-3]\d\b", re.I)


def words(line: str) -> list[str]:
    return re.findall(r"[^\W_][\w'’.-]*", line)


def ends_like_sentence(line: str) -> bool:
    body = line.rstrip().rstrip(_CLOSERS)
    return body.endswith((".", "!", "?", "…"))


def is_prose(line: str) -> bool:
    """A line of running text: ends like a sentence, or is long."""
    return ends_like_sentence(line) or len(words(line)) >= 18


def is_headline_like(line: str) -> bool:
    n = len(words(line))
    return 2 <= n <= 22 and not is_prose(line) and not line.rstrip().endswith((":", ",", ";"))


def title_case_ratio(line: str) -> float:
    """Share of the non-small words that start with a capital letter."""
    ws = [w for w in words(line) if w.casefold() not in _SMALL_WORDS and w[0].isalpha()]
    if not ws:
        return 0.0
    return sum(1 for w in ws if w[0].isupper()) / len(ws)


def is_line_shaped(line: str) -> bool:
    """Short enough for the line-shape rules: a longer line is a paragraph of text."""
    return len(words(line)) <= LINE_SHAPED_WORDS


def sentence_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of the sentences of one line (the project's rule-based splitter)."""
    from .sentences import split_sentences

    return [(s, e) for s, e, _ in split_sentences(line)]


def is_caption_shaped(line: str) -> bool:
    """A short line that may be a photo caption or a widget (a poll question), not a
    sentence of the story: no quotation marks, one sentence, and no full stop at
    its end (a question of a poll widget is one too)."""
    n = len(words(line))
    if not 2 <= n <= CAPTION_WORDS or _QUOTE_MARKS.search(line) or "@" in line:
        return False
    if len(sentence_spans(line)) > 1:
        return False
    body = line.rstrip().rstrip(_CLOSERS)
    if body.endswith("?"):
        return n <= 20
    return not ends_like_sentence(line) and not body.endswith((":", ",", ";"))


_SPEECH = re.compile(r"[\"“„«]([^\"“”„«»]+)[\"”“»]")


def holds_speech(line: str) -> bool:
    """A quotation of six words or more: what someone said is story text, even
    with a photo credit after it (the captions of a gallery of quotes)."""
    return any(len(words(m.group(1))) >= 6 for m in _SPEECH.finditer(line))


def _key(line: str) -> str:
    return line.strip(_BULLETS).casefold()


def _norm(line: str) -> str:
    return re.sub(r"\W+", " ", line.casefold()).strip()


def classify_lines(lines: list[str]) -> tuple[dict[int, str], PageSignals]:
    """Map line index -> reason for every line that is not story text.

    Only line-shaped lines (at most ``LINE_SHAPED_WORDS`` words) are ever
    dropped whole; sentences inside longer lines are the business of
    :func:`classify_spans`.
    """
    r = rules()
    drop: dict[int, str] = {}
    signals = PageSignals()
    content = [i for i, line in enumerate(lines) if line.strip()]

    for i in content:
        line = lines[i].strip()
        if not is_line_shaped(line):
            continue
        key = _key(line)
        n = len(words(line))
        if _DATE_LINE.match(line):
            drop[i] = "date line"
            signals.dates.append(line)
        elif key in r.widget_lines:
            drop[i] = "widget"
        elif any(p.search(key) for p in r.line_patterns) and not is_prose(line):
            drop[i] = "widget"
        elif any(p.search(key) for p in r.sentence_patterns) and _only_widget_sentences(line, r):
            drop[i] = "widget"
        elif _is_menu(line):
            drop[i] = "menu"
        elif any(p.search(line) for p in r.caption_patterns) and not holds_speech(line):
            drop[i] = "photo caption or credit"
            # a dated caption above the first paragraph dates the story (the event's day): a page date hint
            if _FULL_DATE.search(line) and not any(is_prose(lines[j]) for j in content if j < i and j not in drop):
                signals.dates.append(line)
        elif n <= CREDIT_WORDS and any(p.search(key) for p in r.credit_patterns):
            drop[i] = "credit line"
            signals.credits.append(line)

    _drop_title_duplicates(lines, content, drop, signals)
    _drop_recurring_teasers(lines, content, drop)
    _drop_repeats(lines, content, drop, signals)
    _drop_captions_under_headlines(lines, content, drop, signals)
    _drop_footers(lines, content, drop, signals, r)
    _keep_some_story(lines, content, drop)
    return drop, signals


def _widget_start(sentence: str, r: Rules) -> int | None:
    """Where a known boilerplate sentence starts inside ``sentence`` (None: nowhere)."""
    starts = [m.start() for p in r.sentence_patterns for m in [p.search(sentence)] if m]
    return min(starts) if starts else None


def _only_widget_sentences(line: str, r: Rules) -> bool:
    """Every sentence of the line is a known boilerplate sentence from its first word."""
    spans = sentence_spans(line)
    return bool(spans) and all(
        (k := _widget_start(line[s:e].lstrip(_BULLETS), r)) is not None and k <= 1 for s, e in spans
    )


def _is_menu(line: str) -> bool:
    """A long run of capitalised names with no punctuation: a menu or selector
    ("All Countries Australia Bermuda Canada ...")."""
    ws = words(line)
    return len(ws) >= 25 and not re.search(r"[.,;:!?\"“”()]", line) and title_case_ratio(line) >= 0.9


def classify_spans(lines: list[str], drop: dict[int, str], signals: PageSignals | None = None) -> dict[int, list[tuple[int, int, str]]]:
    """Boilerplate sentences inside lines too long to drop whole (a one-line article
    is one such line): line index -> [(start, end, reason)] character spans of the
    line, each with the white space before it. Known boilerplate sentences
    (``sentence_patterns``) go wherever they are; outlet footers only at the very
    end of the page (the last sentences, with nothing but furniture after them)."""
    r = rules()
    content = [i for i, line in enumerate(lines) if line.strip() and i not in drop]
    out: dict[int, list[tuple[int, int, str]]] = {}
    long_lines = [i for i in content
                  if not is_line_shaped(lines[i]) or any(p.search(lines[i]) for p in r.sentence_patterns)]
    if not long_lines:
        return out
    last_alive = content[-1]
    for i in long_lines:
        line = lines[i]
        spans = sentence_spans(line)
        found: dict[int, str] = {}
        for k, (s, e) in enumerate(spans):
            start = _widget_start(line[s:e], r)
            if start is not None:
                if start > 0:  # a widget glued to the end of a sentence: cut from where it starts
                    while start > 0 and line[s + start - 1] == " ":
                        start -= 1
                    spans[k] = (s + start, e)
                found[k] = "widget sentence"
        if i == last_alive and not is_line_shaped(line):
            # the page ends inside this line: footer sentences at its end
            for k in range(len(spans) - 1, max(-1, len(spans) - 1 - TAIL_UNITS), -1):
                if k in found:
                    continue
                sentence = line[spans[k][0]:spans[k][1]]
                if _is_footer(sentence, r, trailing=True):
                    found[k] = "outlet footer"
                    if signals is not None:
                        signals.footer_outlets.extend(o.name for o in outlets_named_in(sentence))
                else:
                    break
        if not found:
            continue
        whole = [k for k in found if spans[k][0] == sentence_spans(line)[k][0]]
        if len(whole) == len(spans):
            drop[i] = "outlet footer" if "outlet footer" in found.values() else "widget"
            continue
        cut = []
        for k in sorted(found):
            s, e = spans[k]
            start = s
            while start > 0 and line[start - 1] == " ":
                start -= 1
            if start == 0:  # the line's first sentence: take the space after it instead
                while e < len(line) and line[e] == " ":
                    e += 1
            cut.append((start, e, found[k]))
        out[i] = cut
    return out


def _drop_title_duplicates(lines, content, drop, signals) -> None:
    """'Headline | Site Name' repeating an earlier headline: keep the site name as a signal.

    Linear in the lines: each separator found in a line splits it into a candidate
    headline, looked up among the earlier ones (the first of them seen wins)."""
    seen: dict[str, int] = {}
    for i in content:
        if i in drop:
            continue
        line = lines[i].strip()
        best: tuple[int, str] | None = None
        for sep in _TITLE_SEPARATORS:
            at = line.find(sep)
            while at >= 0:
                order = seen.get(line[:at]) if at else None
                rest = line[at + len(sep):]
                if order is not None and 0 < len(words(rest)) <= 6 and (best is None or order < best[0]):
                    best = (order, rest)
                at = line.find(sep, at + 1)
        if best is not None:
            drop[i] = "title repeated with site name"
            signals.title_suffixes.append(best[1].strip())
        if is_headline_like(line):
            seen.setdefault(line, len(seen))


def _drop_recurring_teasers(lines, content, drop) -> None:
    """A headline-like line printed three or more times on a page is an ad or teaser block."""
    seen: dict[str, list[int]] = {}
    for i in content:
        if i not in drop and is_headline_like(lines[i]) and title_case_ratio(lines[i]) >= 0.75 and len(_norm(lines[i])) >= 12:
            seen.setdefault(_norm(lines[i]), []).append(i)
    for places in seen.values():
        if len(places) >= 3:
            for i in places:
                drop[i] = "recurring teaser"


def _drop_repeats(lines, content, drop, signals) -> None:
    """A line repeated within a few lines: a headline keeps its first copy; a
    caption-shaped line (or a poll question) goes both times; any other line
    (a lead printed twice, a quote followed by its embedded tweet) keeps its
    first copy."""
    kept = [i for i in content if i not in drop or drop[i] == "photo caption or credit"]
    for pos, i in enumerate(kept):
        if i in drop:
            continue
        norm = _norm(lines[i])
        if len(norm) < 12:
            continue
        for j in kept[pos + 1: pos + 4]:
            if _norm(lines[j]) != norm:
                continue
            line = lines[i].strip()
            if is_headline_like(line) or (
                title_case_ratio(line) >= 0.75 and not ends_like_sentence(line) and len(words(line)) <= 40
            ):
                drop[j] = "repeated headline"
                signals.story_headlines.append(line)
            elif is_caption_shaped(line):
                drop[i] = drop[j] = "repeated caption or widget"
            elif j not in drop:
                drop[j] = "repeated line"
            break


def is_caption_under_headline(line: str) -> bool:
    """The shape of a photo caption between a headline and the body: one sentence
    with no quotation marks and no full stop; at most 12 words, or up to
    ``CAPTION_WORDS`` with a caption cue (a photo word, a credit, a depiction
    verb, a date). A longer line, or a lead of several sentences, is story text."""
    line = line.strip()
    n = len(words(line))
    if n < 3 or _QUOTE_MARKS.search(line) or line.endswith((":", ",", ";")) or ends_like_sentence(line):
        return False
    if len(sentence_spans(line)) > 1:
        return False
    if n <= 12:
        return ":" not in line  # "Average age: 66" is data under a subheading
    return n <= CAPTION_WORDS and any(p.search(line) for p in rules().caption_cues)


def _drop_captions_under_headlines(lines, content, drop, signals) -> None:
    """A caption-shaped line right under a headline, before the body, is a caption."""
    for pos, i in enumerate(content[:-1]):
        j = content[pos + 1]
        if i not in drop and is_headline_like(lines[i]) and drop.get(j) == "photo caption or credit":
            signals.story_headlines.append(lines[i].strip())  # its caption went already
    alive = [i for i in content if i not in drop or drop[i] == "repeated headline"]
    for pos, i in enumerate(alive[:-2]):
        if i in drop or not is_headline_like(lines[i]):
            continue
        j = alive[pos + 1]
        after = alive[pos + 2]
        if j in drop or not is_caption_under_headline(lines[j]):
            continue
        if title_case_ratio(lines[j]) >= 0.75 and len(words(lines[j])) <= 12:
            continue  # two headlines in a row (a kicker); not a caption
        follows_body = is_prose(lines[after]) or drop.get(after) == "repeated headline"
        if follows_body:
            drop[j] = "photo caption under headline"
            signals.story_headlines.append(lines[i].strip())


_FOOTER_NAME = re.compile(
    r"^(?P<name>(?:[A-Z][\w/.&-]*|of|the)(?:\s(?:[A-Z][\w/.&-]*|of|the)){0,4}?)(?:’s|'s)?\s+"
    r"(?:journalists|website|site|is|was|reports|correspondents|newsroom)\b"
)
_ADDRESS = re.compile(r"\b[\w-]+\.(com|org|net|ru|su|ir|uk|tv|info|rs|tr)\b")


def _is_footer(unit: str, r: Rules, trailing: bool) -> bool:
    """An outlet blurb, copyright or follow-us line: short, no quoted speech, a
    footer phrase (``footer_patterns``), and an outlet, a web address, a ©, or
    nothing but furniture after it."""
    low = unit.casefold()
    if len(words(unit)) > FOOTER_WORDS or not any(p.search(low) for p in r.footer_patterns):
        return False
    if len(_QUOTE_MARKS.findall(unit)) >= 2:
        return False  # quoted speech: a sentence of the story that mentions a website
    return bool(outlets_named_in(unit)) or bool(_ADDRESS.search(low)) or "©" in unit or trailing


def _drop_footers(lines, content, drop, signals, r: Rules) -> None:
    """Outlet blurbs among the page's last lines, and the furniture after the last paragraph."""
    if not content:
        return
    tail_start = content[int(len(content) * 2 / 3)] if len(content) >= 3 else content[0]
    alive = [i for i in content if i not in drop]
    tail = set(alive[-TAIL_UNITS:])
    for i in content:
        if i < tail_start or i in drop or i not in tail or not is_line_shaped(lines[i]):
            continue
        line = lines[i].strip()
        trailing = all(j in drop for j in content if j > i)
        if not _is_footer(line, r, trailing):
            continue
        drop[i] = "outlet footer"
        named = outlets_named_in(line)
        if named:
            signals.footer_outlets.extend(o.name for o in named)
        else:
            m = _FOOTER_NAME.match(line)
            if m and m["name"] not in ("The", "This", "It", "Our"):
                signals.footer_outlets.append(m["name"])
    alive = [i for i in content if i not in drop]
    prose = [i for i in alive if is_prose(lines[i])]
    if not prose:
        return
    last_prose = prose[-1]
    after = [i for i in alive if i > last_prose]
    if len(after) > TAIL_UNITS:
        return  # a long list after the last paragraph is content (a list of names), not furniture
    for i in after:
        if len(words(lines[i])) <= 8:
            drop[i] = "trailing page furniture"


def _keep_some_story(lines, content, drop) -> None:
    """Never clean a page down to nothing when it held sentences: if every line
    went, the lines of running text come back (an article is not furniture)."""
    if not content or any(i not in drop for i in content):
        return
    prose = [i for i in content if ends_like_sentence(lines[i]) and len(words(lines[i])) >= 6]
    for i in prose:
        del drop[i]
