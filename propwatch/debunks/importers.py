"""Readers for debunk databases: one reader per format, chosen by sniffing.

Formats:

- ``euvsdisinfo``: the EUvsDisinfo case exports, either layout (every case
  is disinformation by definition):

  * the scraper's export (``issue, date, outlet, language, origin, keywords,
    source, title, summary, disproof``): ``summary`` is the claim (``title``
    when the summary is empty), ``disproof`` the explanation, ``source`` where
    the claim appeared; it carries no case id or case URL;
  * the data package export (``date, id, title, countries, keywords,
    languages, outlets``, lists joined with ``+``): ``id`` is the case's URL
    on euvsdisinfo.eu (its last path part is the case id), ``title`` the
    claim; it carries no disproof.
- ``claimreview``: schema.org ClaimReview records as fact-checkers publish
  them (JSON object, list, ``@graph``, JSON Lines, or the Fact Check Tools
  ``{"claims": [...]}`` shape);
- ``csv``: a plain CSV with a ``claim`` column and optional ``verdict``,
  ``explanation``, ``url``, ``date``.

Each reader yields ``(line, record_id, Debunk | Rejection)`` so one bad row
is reported with its line and the good ones are kept.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import Rejection
from .text import content_key

EUVSDISINFO_ATTRIBUTION = "EUvsDisinfo database, EEAS East StratCom Task Force (euvsdisinfo.eu)"
MAX_CLAIM_CHARS = 5000


@dataclass(frozen=True)
class Debunk:
    """One checked claim: what was claimed and what the checker found."""

    claim: str
    verdict: str | None = None
    explanation: str | None = None
    url: str | None = None
    date: str | None = None  # ISO date of the claim (or of the review)
    title: str | None = None
    claimant: str | None = None  # who made the claim (outlet or person)
    reviewer: str | None = None  # who checked it
    language: str | None = None
    keywords: tuple[str, ...] = ()
    database: str = "csv"  # euvsdisinfo | claimreview | csv
    attribution: str | None = None
    id: str = field(default="")
    # the database's own reference: its case id (EUvsDisinfo: the slug of the case URL)
    case_id: str | None = None
    outlets: tuple[str, ...] = ()  # where the claim appeared (EUvsDisinfo "Outlets")
    countries: tuple[str, ...] = ()  # countries the claim is about
    languages: tuple[str, ...] = ()  # languages it appeared in
    appearances: tuple[str, ...] = ()  # URLs of the claim's publications (not the review)

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", content_key(self.claim, self.explanation, self.url))


Item = tuple[int | None, str, "Debunk | Rejection"]


def sniff_format(path: Path, head: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonld", ".jsonl", ".ndjson"):
        return "claimreview"
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return "claimreview"
    first = next(csv.reader(io.StringIO(stripped.split("\n", 1)[0])), [])
    header = {h.strip().casefold() for h in first}
    if {"summary", "disproof"} <= header or is_euvsdisinfo_package(header):
        return "euvsdisinfo"
    if "claim" in header:
        return "csv"
    raise InputError(
        str(path),
        "no 'claim' column (nor EUvsDisinfo 'summary'/'disproof', nor 'id'/'title'/'outlets'), and not JSON; "
        f"columns: {', '.join(h.strip() for h in first) or 'none'}",
        kind="no-text-column",
    )


def is_euvsdisinfo_package(header: set[str]) -> bool:
    """The EUvsDisinfo data package layout (cknabs/EUvsDisinfo ``posts.csv``)."""
    return {"id", "title"} <= header and bool(header & {"outlets", "countries", "languages"})


def read_debunks(path: str | Path, fmt: str | None = None) -> tuple[str, Iterator[Item]]:
    """The format and an iterator of items of one debunk file."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(str(path), "not UTF-8 text", kind="encoding") from None
    fmt = fmt or sniff_format(path, text[:4096])
    reader = READERS.get(fmt)
    if reader is None:
        raise InputError(str(path), f"unknown debunk format {fmt!r}; known: {', '.join(READERS)}", kind="bad-format")
    return fmt, reader(str(path), text)


# ------------------------------------------------------------------ helpers

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %B %Y", "%B %d, %Y")


def parse_date(value: str | None, formats: tuple[str, ...] = _DATE_FORMATS) -> str | None:
    """An ISO date from common forms; ``None`` for empty; ValueError when unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    iso = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$", value)
    if iso:
        return date.fromisoformat(iso.group(1)).isoformat()
    for f in formats:
        try:
            return datetime.strptime(value, f).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {value!r}")


def _check_url(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    if not re.match(r"^https?://\S+$", url):
        raise ValueError(f"url is not http(s): {url[:80]!r}")
    return url


def _check_claim(claim: str | None) -> str:
    claim = re.sub(r"\s+", " ", claim or "").strip()
    if not claim:
        raise ValueError("empty claim")
    if len(claim) > MAX_CLAIM_CHARS:
        raise ValueError(f"claim has {len(claim)} chars (limit {MAX_CLAIM_CHARS})")
    return claim


def _csv_rows(source: str, text: str) -> Iterator[tuple[int, dict[str, str] | Rejection]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, Rejection(source, "bad-csv", str(exc), 1)
        return
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, Rejection(source, "bad-csv", str(exc), line)
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield start, Rejection(source, "bad-csv", f"{len(row)} fields, header has {len(header)}", start)
            continue
        yield start, dict(zip(header, row))


def _reject(source: str, line: int | None, exc: Exception) -> Rejection:
    return Rejection(source, "bad-record", str(exc), line)


# ------------------------------------------------------------------ readers


_CASE_URL = re.compile(r"^https?://(?:www\.)?euvsdisinfo\.eu/report/([^/?#\s]+)/?$")


def _split(value: str | None, sep: str) -> tuple[str, ...]:
    """A list cell: parts stripped, empties and repeats dropped, order kept."""
    out: list[str] = []
    for part in (value or "").split(sep):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return tuple(out)


def euvsdisinfo_case(url: str | None) -> tuple[str | None, str | None]:
    """(case id, case URL) from the data package's ``id`` (the case URL on euvsdisinfo.eu)."""
    url = _check_url(url)
    if url is None:
        return None, None
    m = _CASE_URL.match(url)
    return (m.group(1) if m else url), url


def _title_words(title: str | None) -> tuple[list[str], bool]:
    """A title's words (case and punctuation folded) and whether it was cut ("…")."""
    title = (title or "").strip()
    cut = title.endswith(("…", "..."))
    return re.findall(r"\w+", title.rstrip(".… ").casefold()), cut


def titles_agree(a: str | None, b: str | None) -> bool:
    """Whether two EUvsDisinfo titles name the same case: equal once case and punctuation
    are folded, or one was cut with "…" (the data package cuts long ones) and its first
    words (at least four, the last one possibly cut) begin the other."""
    wa, cut_a = _title_words(a)
    wb, cut_b = _title_words(b)
    if not wa or not wb:
        return False
    if wa == wb:
        return True
    for short, cut, full in ((wa, cut_a, wb), (wb, cut_b, wa)):
        if cut and len(short) >= 4 and len(short) < len(full) + 1:
            head = short[:-1]
            if full[:len(head)] == head and full[len(head)].startswith(short[-1]):
                return True
    return False


def read_euvsdisinfo(source: str, text: str) -> Iterator[Item]:
    for line, row in _csv_rows(source, text):
        if isinstance(row, Rejection):
            yield line, f"line:{line}", row
            continue
        record_id = f"line:{line}"
        package = "summary" not in row  # the data package layout: lists joined with "+"
        sep = "+" if package else ","
        try:
            title = re.sub(r"\s+", " ", row.get("title") or "").strip() or None
            summary = re.sub(r"\s+", " ", row.get("summary") or "").strip()
            if not summary and not title:
                raise ValueError("empty claim (no summary, no title)")
            claim = _check_claim(summary or title)
            disproof = (row.get("disproof") or "").strip() or None
            case_id, case_url = euvsdisinfo_case(row.get("id")) if package else (None, None)
            if case_id:
                record_id = case_id
            outlets = _split(row.get("outlets") if package else row.get("outlet"), "+" if package else "\n")
            languages = _split(row.get("languages") if package else row.get("language"), sep)
            source_url = (row.get("source") or "").strip()
            item: Debunk | Rejection = Debunk(
                claim=claim,
                verdict="disinformation",
                explanation=disproof,
                url=case_url,
                date=parse_date(row.get("date"), ("%Y-%m-%d", "%m/%d/%y", "%m/%d/%Y", "%d.%m.%Y")),
                title=title,
                claimant=", ".join(outlets) or None,
                reviewer="EUvsDisinfo",
                language=languages[0] if languages else None,
                keywords=_split(row.get("keywords"), sep),
                database="euvsdisinfo",
                attribution=EUVSDISINFO_ATTRIBUTION,
                case_id=case_id,
                outlets=outlets,
                countries=_split(row.get("countries") if package else row.get("origin"), sep),
                languages=languages,
                appearances=(source_url,) if re.match(r"^https?://\S+$", source_url) else (),
            )
        except ValueError as exc:
            item = _reject(source, line, exc)
        yield line, record_id, item


def read_plain_csv(source: str, text: str) -> Iterator[Item]:
    for line, row in _csv_rows(source, text):
        if isinstance(row, Rejection):
            yield line, f"line:{line}", row
            continue
        try:
            item: Debunk | Rejection = Debunk(
                claim=_check_claim(row.get("claim")),
                verdict=(row.get("verdict") or "").strip() or None,
                explanation=(row.get("explanation") or "").strip() or None,
                url=_check_url(row.get("url")),
                date=parse_date(row.get("date")),
                title=(row.get("title") or "").strip() or None,
                claimant=(row.get("claimant") or "").strip() or None,
                language=(row.get("language") or "").strip() or None,
                database="csv",
            )
        except ValueError as exc:
            item = _reject(source, line, exc)
        yield line, (row.get("id") or "").strip() or f"line:{line}", item


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_name(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, dict):
        name = value.get("name") or value.get("alternateName")
        return str(name).strip() or None if name else None
    if isinstance(value, str):
        return value.strip() or None
    return None


def _rating(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        if value.get("alternateName"):
            return str(value["alternateName"]).strip()
        if value.get("name"):
            return str(value["name"]).strip()
        if value.get("ratingValue") is not None:
            best = value.get("bestRating")
            return f"{value['ratingValue']}/{best}" if best is not None else str(value["ratingValue"])
        return None
    return _name(value)


def claimreview_to_debunk(obj: dict[str, Any]) -> Debunk:
    """One schema.org ClaimReview object (or one Fact Check Tools claim) as a Debunk."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if "claimReview" in obj and "text" in obj:  # Fact Check Tools API shape
        reviews = obj.get("claimReview") or [{}]
        review = reviews[0] if isinstance(reviews, list) else reviews
        return Debunk(
            claim=_check_claim(obj.get("text")),
            verdict=(review.get("textualRating") or "").strip() or None,
            explanation=(review.get("title") or "").strip() or None,
            url=_check_url(review.get("url")),
            date=parse_date(obj.get("claimDate") or review.get("reviewDate")),
            claimant=_name(obj.get("claimant")),
            reviewer=_name(review.get("publisher")),
            language=review.get("languageCode"),
            database="claimreview",
        )
    types = obj.get("@type")
    types = types if isinstance(types, list) else [types]
    if "ClaimReview" not in types:
        raise ValueError(f"@type is {obj.get('@type')!r}, not ClaimReview")
    item = obj.get("itemReviewed") or {}
    if not isinstance(item, dict):
        item = {}
    appearance = item.get("appearance") or item.get("firstAppearance")
    if isinstance(appearance, list):
        appearance = appearance[0] if appearance else None
    claim_date = item.get("datePublished") or (appearance.get("datePublished") if isinstance(appearance, dict) else None)
    explanation = obj.get("reviewBody") or obj.get("description") or obj.get("name") or obj.get("headline")
    return Debunk(
        claim=_check_claim(obj.get("claimReviewed") or item.get("name") or item.get("text")),
        verdict=_rating(obj.get("reviewRating")),
        explanation=(str(explanation).strip() or None) if explanation else None,
        url=_check_url(obj.get("url")),
        date=parse_date(claim_date or obj.get("datePublished")),
        claimant=_name(item.get("author")),
        reviewer=_name(obj.get("author")),
        language=obj.get("inLanguage") if isinstance(obj.get("inLanguage"), str) else None,
        database="claimreview",
    )


def _json_objects(data: Any) -> list[Any]:
    if isinstance(data, list):
        out = []
        for d in data:
            out.extend(_json_objects(d) if isinstance(d, list) or (isinstance(d, dict) and "@graph" in d) else [d])
        return out
    if isinstance(data, dict):
        if "@graph" in data:
            return _json_objects(data["@graph"])
        if isinstance(data.get("claims"), list) and "claimReviewed" not in data:
            return list(data["claims"])
    return [data]


def read_claimreview(source: str, text: str) -> Iterator[Item]:
    stripped = text.strip()
    try:
        blocks: list[tuple[int | None, Any]] = [(None, json.loads(stripped))] if stripped else []
    except json.JSONDecodeError:
        blocks = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                blocks.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                yield n, f"line:{n}", Rejection(source, "bad-json", exc.msg, n)
    for line, block in blocks:
        for k, obj in enumerate(_json_objects(block)):
            record_id = (obj.get("@id") or obj.get("url") if isinstance(obj, dict) else None) or (f"line:{line}" if line else f"item:{k}")
            try:
                item: Debunk | Rejection = claimreview_to_debunk(obj)
            except ValueError as exc:
                where = line if line is not None else None
                item = Rejection(source, "bad-record", f"{'item ' + str(k) + ': ' if line is None else ''}{exc}", where)
            yield line, str(record_id), item


READERS = {"euvsdisinfo": read_euvsdisinfo, "claimreview": read_claimreview, "csv": read_plain_csv}

__all__ = [
    "Debunk", "EUVSDISINFO_ATTRIBUTION", "READERS", "claimreview_to_debunk", "euvsdisinfo_case", "parse_date",
    "read_debunks", "titles_agree",
]
