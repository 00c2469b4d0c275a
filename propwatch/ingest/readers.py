"""Readers: one per input format, chosen by extension or by sniffing.

Each reader turns one input into raw :class:`Document` objects (decoded
text, ``markup`` "text" or "html", the fields the input carried) or
:class:`Rejection` records naming the file, the line and the reason. A
bad record never stops the others.

========================  ======================================
input                     reader
========================  ======================================
``.txt`` ``.text``        :func:`read_text`
``.html`` ``.htm``        :func:`read_html`
``.jsonl`` ``.ndjson``    :func:`read_jsonl`
``.json``                 :func:`read_json`
``.csv`` ``.tsv``         :func:`read_csv`
``.warc`` ``.warc.gz``    :func:`read_warc`
``.parquet``              :func:`read_parquet`
folder                    every file below it, recursively
``-``                     standard input, sniffed
``http(s)://...``         fetched (:mod:`propwatch.ingest.fetch`)
``.urls``                 one URL a line, each fetched
========================  ======================================
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..records import CleaningStep, Document, PageSignals, Rejection
from .decode import decode_bytes, looks_binary

Item = Document | Rejection

# The fields a structured record (JSONL, JSON, CSV) may carry.
TEXT_FIELDS = ("text", "html")
META_FIELDS = ("url", "title", "outlet", "published", "language", "id")


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 2**20
    max_record_bytes: int = 10 * 2**20
    skip_hidden: bool = True
    skip_files: tuple[str, ...] = ("README*", "LICENSE*", "NOTICE*", "CHANGELOG*")
    allow_private_addresses: bool = False
    fetch_timeout: float = 20.0
    fetch_deadline: float = 60.0

    @classmethod
    def from_config(cls, ingest: dict[str, Any]) -> "Limits":
        return cls(
            max_file_bytes=int(float(ingest.get("max_file_mb", 50)) * 2**20),
            max_record_bytes=int(float(ingest.get("max_record_mb", 10)) * 2**20),
            skip_hidden=bool(ingest.get("skip_hidden", True)),
            skip_files=tuple(ingest.get("skip_files", cls.skip_files)),
            allow_private_addresses=bool(ingest.get("allow_private_addresses", False)),
            fetch_timeout=float(ingest.get("fetch_timeout", 20.0)),
            fetch_deadline=float(ingest.get("fetch_deadline", 60.0)),
        )


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


# ------------------------------------------------------------ whole files


def _read_capped(path: Path, limits: Limits) -> bytes | Rejection:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        return Rejection(
            str(path), "too-large",
            f"{_mb(size)} exceeds ingest.max_file_mb ({_mb(limits.max_file_bytes)}); "
            "split it or raise the limit",
        )
    return path.read_bytes()


def _decoded_document(data: bytes, source: str, markup: str) -> Item:
    decoded = decode_bytes(data, source)
    if isinstance(decoded, Rejection):
        return decoded
    text, step, flags = decoded
    if not text.strip():
        return Rejection(source, "empty", "the input holds only white space")
    return Document(text=text, source=source, markup=markup, cleaning=(step,), flags=flags)


def read_text(path: Path, limits: Limits) -> Iterator[Item]:
    data = _read_capped(path, limits)
    if isinstance(data, Rejection):
        yield data
        return
    yield _decoded_document(data, str(path), _sniff_markup(data))


def read_html(path: Path, limits: Limits) -> Iterator[Item]:
    data = _read_capped(path, limits)
    if isinstance(data, Rejection):
        yield data
        return
    yield _decoded_document(data, str(path), "html")


def _sniff_markup(data: bytes) -> str:
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or (head.startswith(b"<") and b"<body" in data[:65536].lower()):
        return "html"
    return "text"


# ------------------------------------------------------------ records


def _document_from_record(obj: Any, source: str, line: int | None) -> Item:
    if not isinstance(obj, dict):
        return Rejection(source, "bad-record", f"expected a JSON object, got {type(obj).__name__}", line)
    fields = {str(k).lower(): v for k, v in obj.items()}
    text_field = next((f for f in TEXT_FIELDS if isinstance(fields.get(f), str) and fields[f].strip()), None)
    if text_field is None:
        present = ", ".join(sorted(fields)) or "none"
        return Rejection(source, "no-text", f"record has no non-empty 'text' or 'html' field (fields: {present})", line)
    meta = {}
    for name in META_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            value = str(value)
        meta[name] = value.strip() if isinstance(value, str) and value.strip() else None
    record_id = meta.pop("id")
    language = meta.pop("language")
    text = fields[text_field]
    # every other field of the record, as given (JSON values; CSV cells as text), under one key
    kept = {str(k): v for k, v in obj.items() if str(k).lower() not in (*TEXT_FIELDS, "id") and v is not None}
    step = CleaningStep("field", {"field": text_field}, "text taken from the record's field")
    return Document(
        text=text,
        source=source,
        source_record=f"line {line}" if line is not None else record_id,
        markup="html" if text_field == "html" else "text",
        url=meta["url"],
        title=meta["title"],
        outlet=meta["outlet"],
        outlet_evidence="input field" if meta["outlet"] else None,
        published=meta["published"],
        cleaning=(step,),
        signals=PageSignals(input_id=record_id or None, declared_language=language or None),
        external_id=record_id or None,
        input_fields=kept or None,
    )


def read_jsonl(path: Path, limits: Limits) -> Iterator[Item]:
    with path.open("rb") as fh:
        yield from _jsonl_lines(fh, str(path), limits)


def _jsonl_lines(fh: BinaryIO, source: str, limits: Limits) -> Iterator[Item]:
    for number, raw in enumerate(fh, start=1):
        if len(raw) > limits.max_record_bytes:
            yield Rejection(source, "too-large", f"record of {_mb(len(raw))} exceeds ingest.max_record_mb", number)
            continue
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Rejection(source, "encoding", f"invalid UTF-8 at byte {exc.start} of the line", number)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(source, "bad-json", f"{exc.msg} at column {exc.colno}", number)
            continue
        except RecursionError:
            yield Rejection(source, "bad-json", "the record is nested too deeply to read", number)
            continue
        yield _document_from_record(obj, source, number)


def _read_utf8(path: Path, limits: Limits) -> str | Rejection:
    """A structured file's text: capped, UTF-8 (a BOM allowed), not empty."""
    data = _read_capped(path, limits)
    if isinstance(data, Rejection):
        return data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Rejection(str(path), "encoding", f"invalid UTF-8 at byte {exc.start}")
    if not text.strip():
        return Rejection(str(path), "empty", "the file holds no text")
    return text


def read_json(path: Path, limits: Limits) -> Iterator[Item]:
    text = _read_utf8(path, limits)
    if isinstance(text, Rejection):
        yield text
        return
    source = str(path)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Rejection(source, "bad-json", f"{exc.msg} at line {exc.lineno} column {exc.colno}", exc.lineno)
        return
    except RecursionError:
        yield Rejection(source, "bad-json", "the JSON is nested too deeply to read")
        return
    if isinstance(obj, dict) and isinstance(obj.get("articles"), list):
        obj = obj["articles"]
    if isinstance(obj, list):
        for index, item in enumerate(obj):
            doc = _document_from_record(item, source, None)
            if isinstance(doc, Rejection):
                doc = Rejection(source, doc.kind, f"item {index}: {doc.reason}")
            elif doc.source_record is None:
                doc = doc.replace(source_record=f"item {index}")
            yield doc
    else:
        yield _document_from_record(obj, source, None)


def read_csv(path: Path, limits: Limits) -> Iterator[Item]:
    text = _read_utf8(path, limits)
    if isinstance(text, Rejection):
        yield text
        return
    source = str(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(text)
    # The whole file is in memory already (capped by ingest.max_file_mb), so csv may
    # read any field; a record over ingest.max_record_mb is then rejected on its own
    # and the rows after it are still read (csv's own limit would end the file there).
    csv.field_size_limit(max(limits.max_file_bytes, 131072))
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = [c.strip().lower() for c in (reader.fieldnames or []) if c]
    if not any(c in TEXT_FIELDS for c in columns):
        yield Rejection(
            source, "no-text-column",
            f"no 'text' or 'html' column (columns: {_column_list(columns)})", 1,
        )
        return
    try:
        for row in reader:
            line = reader.line_num
            size = sum(len(v) for v in row.values() if isinstance(v, str))
            if size > limits.max_record_bytes:
                yield Rejection(source, "too-large", f"record of {_mb(size)} exceeds ingest.max_record_mb", line)
                continue
            clean = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
            yield _document_from_record(clean, source, line)
    except csv.Error as exc:
        yield Rejection(source, "bad-csv", str(exc), reader.line_num)


def _column_list(columns: list[str], shown: int = 20) -> str:
    """The first columns of a table that has no text column, and how many there are."""
    if not columns:
        return "none"
    listed = ", ".join(c[:40] for c in columns[:shown])
    return listed if len(columns) <= shown else f"{listed}, … {len(columns):,} in all"


def _sniff_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_warc(path: Path, limits: Limits) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    class QuietArchiveIterator(ArchiveIterator):
        # warcio writes a warning about a bad Content-Length straight to stderr, with
        # bytes of the record; the record is still read, and the terminal stays ours
        INC_RECORD = ""

    source = str(path)
    with path.open("rb") as fh:
        try:
            for number, record in enumerate(QuietArchiveIterator(fh), start=1):
                if record.rec_type != "response":
                    continue
                content_type = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
                if "html" not in content_type.lower() and "text" not in content_type.lower():
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                body = record.content_stream().read(limits.max_record_bytes + 1)
                if len(body) > limits.max_record_bytes:
                    yield Rejection(source, "too-large", f"record for {url} exceeds ingest.max_record_mb", number)
                    continue
                item = _decoded_document(body, source, "html" if "html" in content_type.lower() else "text")
                if isinstance(item, Rejection):
                    yield Rejection(source, item.kind, f"record for {url}: {item.reason}", number)
                    continue
                crawl = record.rec_headers.get_header("WARC-Date")
                yield item.replace(
                    url=url, source_record=f"record {number}",
                    signals=PageSignals(crawl_date=crawl or None),
                )
        except (ArchiveLoadFailed, ValueError, AttributeError, EOFError, zlib.error) as exc:
            # warcio signals a malformed archive with any of these
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            yield Rejection(source, "bad-warc", f"malformed WARC: {detail}")


def read_parquet(path: Path, limits: Limits) -> Iterator[Item]:
    """A Parquet table of records, the columns of a JSONL record (``text`` or ``html``,
    ``url``, ``title``, ...): one story a row, ``source_record`` "row N" (from 1), read
    a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    try:
        table = pq.ParquetFile(path)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        yield Rejection(source, "bad-parquet", f"not a readable Parquet file: {str(exc)[:200]}")
        return
    columns = [str(c).strip().lower() for c in table.schema_arrow.names]
    if not any(c in TEXT_FIELDS for c in columns):
        yield Rejection(source, "no-text-column", f"no 'text' or 'html' column (columns: {_column_list(columns)})")
        return
    number = 0
    for batch in table.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            number += 1
            size = sum(len(v) for v in row.values() if isinstance(v, (str, bytes)))
            if size > limits.max_record_bytes:
                yield Rejection(source, "too-large", f"record of {_mb(size)} exceeds ingest.max_record_mb", number)
                continue
            doc = _document_from_record(row, source, None)
            if isinstance(doc, Rejection):
                yield Rejection(source, doc.kind, doc.reason, number)
            else:
                yield doc.replace(source_record=f"row {number}")


def read_url(url: str, limits: Limits) -> Iterator[Item]:
    from .fetch import FetchPolicy, fetch

    policy = FetchPolicy(
        allow_private=limits.allow_private_addresses, timeout=limits.fetch_timeout, max_bytes=limits.max_record_bytes,
        deadline=limits.fetch_deadline,
    )
    got = fetch(url, policy)
    if isinstance(got, Rejection):
        yield got
        return
    yield fetched_document(got.body, url, got.url, got.content_type)


def fetched_document(body: bytes, source: str, url: str, content_type: str = "") -> Item:
    """The raw document of a fetched page (HTML by its Content-Type or by sniffing), or why not."""
    markup = "html" if "html" in content_type.lower() else _sniff_markup(body)
    item = _decoded_document(body, source, markup)
    return item.replace(url=url) if isinstance(item, Document) else item


def read_url_list(path: Path, limits: Limits) -> Iterator[Item]:
    data = _read_capped(path, limits)
    if isinstance(data, Rejection):
        yield data
        return
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not is_url(line):
            from .fetch import url_problem

            reason = url_problem(line) if has_scheme(line) else f"not an http(s) URL: {line[:80]}"
            yield Rejection(str(path), "bad-url", reason, number)
            continue
        yield from read_url(line, limits)


def is_url(value: str) -> bool:
    return value[:8].lower().startswith(("http://", "https://"))


def has_scheme(value: str) -> bool:
    """``value`` reads as a URL of some scheme (``file://``, ``gopher://``), not a path."""
    head, sep, _ = value.partition("://")
    return bool(sep) and head[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in head)


READERS: dict[str, Callable[[Path, Limits], Iterator[Item]]] = {
    ".urls": read_url_list,
    ".txt": read_text,
    ".text": read_text,
    ".md": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".xhtml": read_html,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".json": read_json,
    ".csv": read_csv,
    ".tsv": read_csv,
    ".parquet": read_parquet,
    ".warc": read_warc,
    ".warc.gz": read_warc,
    ".arc.gz": read_warc,
}


def reader_for(path: Path) -> Callable[[Path, Limits], Iterator[Item]] | None:
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None


def expand_inputs(paths: Iterable[str | os.PathLike], limits: Limits) -> Iterator[tuple[str, Any] | Rejection]:
    """Each input as ("stdin", None), ("url", URL) or ("file", Path), folders expanded."""
    for entry in paths:
        if str(entry) == "-":
            yield ("stdin", None)
        elif is_url(str(entry)):
            yield ("url", str(entry))
        elif has_scheme(str(entry)):  # file://, gopher://: refused as URLs, not looked up as paths
            from .fetch import url_problem

            yield Rejection(str(entry), "bad-url", url_problem(str(entry)) or "not an http(s) URL")
        else:
            path = Path(entry)
            if path.is_dir():
                for file in _walk(path, limits):
                    yield file if isinstance(file, Rejection) else ("file", file)
            elif path.exists():
                yield ("file", path)
            else:
                yield Rejection(str(path), "not-found", "no such file or folder")


def read_entry(kind: str, target: Any, limits: Limits, stdin: BinaryIO | None = None) -> Iterator[Item]:
    if kind == "stdin":
        yield from read_stream(stdin or sys.stdin.buffer, "<stdin>", limits)
    elif kind == "url":
        yield from read_url(target, limits)
    else:
        yield from read_path(target, limits)


def iter_inputs(paths: Iterable[str | os.PathLike], limits: Limits | None = None, stdin: BinaryIO | None = None) -> Iterator[Item]:
    """Every raw document (or rejection) from files, folders, URLs and ``-``."""
    limits = limits or Limits()
    for entry in expand_inputs(paths, limits):
        if isinstance(entry, Rejection):
            yield entry
        else:
            yield from read_entry(*entry, limits, stdin=stdin)


def _walk(root: Path, limits: Limits) -> Iterator[Path | Rejection]:
    """The files under ``root``, sorted; a folder that cannot be listed is a rejection
    (os.walk would skip it in silence)."""
    failed: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=failed.append):
        while failed:
            exc = failed.pop()
            yield Rejection(str(exc.filename or dirpath), "unreadable",
                            f"folder cannot be listed: {exc.strerror or exc}")
        if limits.skip_hidden:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        dirnames.sort()
        for name in sorted(filenames):
            if limits.skip_hidden and name.startswith("."):
                continue
            if any(fnmatch.fnmatch(name, pattern) for pattern in limits.skip_files):
                continue
            yield Path(dirpath) / name
    while failed:
        exc = failed.pop()
        yield Rejection(str(exc.filename or root), "unreadable", f"folder cannot be listed: {exc.strerror or exc}")


def read_path(path: Path, limits: Limits) -> Iterator[Item]:
    if not path.is_file():
        yield Rejection(str(path), "unreadable", "not a regular file")
        return
    reader = reader_for(path)
    if reader is None:
        reader = _sniff_reader(path)
    try:
        yield from reader(path, limits)
    except PermissionError:
        yield Rejection(str(path), "unreadable", "permission denied")
    except OSError as exc:
        yield Rejection(str(path), "unreadable", exc.strerror or str(exc))


def _sniff_reader(path: Path) -> Callable[[Path, Limits], Iterator[Item]]:
    with path.open("rb") as fh:
        head = fh.read(4096)
    stripped = head.lstrip()
    if head.startswith(b"WARC/"):
        return read_warc
    if head[:2] == b"\x1f\x8b" and path.name.lower().endswith(".gz"):
        return read_warc
    if looks_binary(head):
        return read_text  # rejected there as binary, with the file named
    if stripped.startswith(b"{"):
        return read_jsonl
    if stripped.startswith(b"["):
        return read_json
    return read_text


def read_stream(stream: BinaryIO, source: str, limits: Limits) -> Iterator[Item]:
    """Standard input: JSON Lines when it starts with '{', else one text/HTML article."""
    data = stream.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        yield Rejection(source, "too-large", f"input exceeds ingest.max_file_mb ({_mb(limits.max_file_bytes)})")
        return
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        yield from _jsonl_lines(io.BytesIO(data), source, limits)
        return
    yield _decoded_document(data, source, _sniff_markup(data))
