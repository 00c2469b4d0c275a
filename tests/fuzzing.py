"""The fuzz harness over readers, decoding and the ingest stages (issue 20).

Hostile inputs are generated with Hypothesis; each ``check_*`` function states what
must hold for any of them, so a failure is a crash or a broken promise, never a
matter of taste:

* decoding never raises; it gives text or a rejection naming the input;
* a file of any bytes, under any name and suffix, gives at least one item (every
  input is accounted for), and every rejection names the file, a known kind and a
  capped reason;
* the ingest stages, then the sentence stage, never let an exception out and never
  fail on a story with a ``stage-error`` (that is a stage crashing, caught);
  every sentence lies inside its story's text;
* a batch of such stories is stored whole: every story either stored or rejected.

The test suite runs these with a small number of examples
(``tests/spine/test_fuzz.py``); ``bench/fuzz.py`` runs the long profile (10,000+
cases) and prints the counts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import strategies as st

from propwatch.ingest.decode import decode_bytes
from propwatch.ingest.readers import Limits, expand_inputs
from propwatch.pipeline import entry_items
from propwatch.records import REASON_LIMIT, Document, Rejection

KIND = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")  # a rejection kind is a stable slug
SUFFIXES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".csv", ".tsv",
            ".warc", ".warc.gz", ".parquet", "", ".bin"]
# .urls is left out: its lines would be fetched, and the harness runs offline

# characters that have broken readers and terminals: controls, bidi overrides, lone
# surrogates, Rich markup, BOMs, quotes of every convention, line and paragraph separators
NASTY = ["\x00", "\x1b[2J", "\u202e", "\u2066", "\ud800", "\udfff", "[/]", "[red]", "\ufeff", "\r\n", "\r",
         "\u2028", "\u2029", "«", "»", "“", "”", "„", "'", '"', "<", ">", "&", "\\", "\t", "\x85", "\u200b"]
WORDS = ["NATO", "said", "the", "border", "Officials", "Ministry", "Turkey", "ISIS", "Reuters", "Photo:",
         "Share", "Follow", "Advertisement", "Москва", "заявил", "по", "словам", "وزارة", "2016", "—", "–"]

text_piece = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(WORDS),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
)
hostile_text = st.lists(st.one_of(text_piece, st.just(" "), st.just("\n"), st.just(". ")), max_size=60).map("".join)
title_lines = st.lists(st.sampled_from(WORDS + ["Breaking News", "Raises National Flag", "Will Brett"]),
                       min_size=1, max_size=8).map(lambda w: " ".join(x.title() for x in w))
# a plausible article with hostile parts: the shapes the cleaner keys on (title-case
# lines, captions, repeated lines, bylines) next to prose
article_text = st.lists(
    st.one_of(hostile_text, title_lines, st.sampled_from([
        "Officials said on Monday that forty trucks had crossed the border near the town.",
        "“No convoy crossed the border,” the ministry said.",
        "Photo: Reuters", "Share this article", "By Jane Roe, Reuters", "Read more:", "© 2016 All rights reserved",
    ])),
    max_size=25,
).map("\n".join)


def _record_value():
    return st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), hostile_text,
                     st.lists(hostile_text, max_size=3), st.dictionaries(st.text(max_size=5), hostile_text, max_size=3))


record = st.dictionaries(
    st.one_of(st.sampled_from(["text", "html", "title", "url", "outlet", "published", "language", "id", "TEXT", " text "]),
              st.text(max_size=10)),
    _record_value(),
    max_size=6,
)


def _jsonl(lines: list) -> bytes:
    out = []
    for line in lines:
        if isinstance(line, dict):
            out.append(json.dumps(line, ensure_ascii=bool(len(out) % 2)))  # \\udfff escapes, and raw text
        else:
            out.append(line)
    return "\n".join(out).encode("utf-8", "surrogatepass")


deep_json = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)
jsonl_bytes = st.lists(st.one_of(record, hostile_text, deep_json, st.just("{not json"), st.just("")), max_size=8).map(_jsonl)


def _csv(rows: list[list[str]], header: list[str], sep: str) -> bytes:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8", "surrogatepass")


csv_bytes = st.builds(
    _csv,
    st.lists(st.lists(hostile_text, max_size=5), max_size=6),
    st.lists(st.one_of(st.sampled_from(["text", "title", "html", "url", "[/]", ""]), st.text(max_size=8)), max_size=6),
    st.sampled_from([",", ";", "\t", "|"]),
)
html_bytes = st.lists(st.one_of(
    hostile_text.map(lambda t: f"<p>{t}</p>"), st.sampled_from(["<html>", "<body>", "<script>alert(1)</script>",
                                                               "<title>", "</title>", "<meta charset='koi8-r'>",
                                                               "<div class='share'>Share</div>", "<!--", "<![CDATA["]),
    hostile_text,
), max_size=20).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))
warc_bytes = st.builds(
    lambda head, body: (b"WARC/1.0\r\n" + head + b"\r\n\r\n" + body),
    st.sampled_from([b"WARC-Type: response\r\nContent-Length: 10", b"WARC-Type: response\r\nContent-Length: -1",
                     b"WARC-Type: bogus", b"Content-Length: 99999999", b"", b"WARC-Type: response\r\nContent-Type: application/http"]),
    st.binary(max_size=200),
)
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\x1f\x8b", b"PAR1", b"%PDF"]
encoded_text = st.builds(
    lambda text, encoding: text.encode(encoding, "replace") if encoding != "utf-8-surrogates" else text.encode("utf-8", "surrogatepass"),
    article_text, st.sampled_from(["utf-8", "cp1251", "cp1252", "koi8-r", "utf-16-le", "utf-16-be", "latin-1", "utf-8-surrogates"]),
)
any_bytes = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda bom, rest: bom + rest, st.sampled_from(BOMS), st.binary(max_size=200)),
    encoded_text, jsonl_bytes, csv_bytes, html_bytes, warc_bytes,
)
# names a folder may hold: markup, escapes, bidi, spaces, leading dashes, bytes that are not UTF-8
file_name = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=20),
    st.sampled_from(["x[red]y", "[/]", "\x1b[31mred", "a\u202eb", "-rf", "--store", " space ", "\x80bad", "con", "a\nb"]),
).filter(lambda n: n not in (".", "..") and not n.startswith("."))


def check_decode(data: bytes) -> None:
    out = decode_bytes(data, "fuzz.txt", 3)
    if isinstance(out, Rejection):
        assert out.source == "fuzz.txt" and KIND.fullmatch(out.kind) and out.line == 3, out
    else:
        text, step, flags = out
        assert isinstance(text, str) and step.op == "decode" and isinstance(flags, tuple)


def check_input_file(name: str, suffix: str, data: bytes) -> list[Document | Rejection]:
    """Any bytes under any name: no exception, at least one item, rejections that name the file."""
    folder = Path(tempfile.mkdtemp(prefix="pw-fuzz-"))
    try:
        raw = os.fsencode(folder) + b"/" + os.fsencode(name).replace(b"/", b"_") + suffix.encode()
        with open(raw, "wb") as fh:
            fh.write(data)
        path = os.fsdecode(raw)
        limits = Limits(max_file_bytes=2**20, max_record_bytes=2**16)
        items: list[Document | Rejection] = []
        for entry in expand_inputs([path], limits):  # the path a run takes, with its error boundary
            made = [entry] if isinstance(entry, Rejection) else entry_items(*entry, None, limits)
            items.extend(i for i in made if isinstance(i, (Document, Rejection)))  # not the FileRead marker
        assert items, f"{name!r}{suffix}: the input gave neither a story nor a rejection"
        for item in items:
            assert isinstance(item, (Document, Rejection)), item
            if isinstance(item, Rejection):
                assert item.source == path, (item.source, path)
                assert KIND.fullmatch(item.kind) and item.kind != "reader-error", item  # a reader crashed
                assert item.reason and len(item.reason) <= REASON_LIMIT + 40, item
            else:
                assert isinstance(item.text, str) and item.source == path
        return items
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class StageHarness:
    """The ingest stages and the sentence stage, set up once, run on generated stories."""

    STAGES = ["clean", "split", "metadata", "language", "sentences"]

    def __init__(self, store_dir: Path | None = None):
        from propwatch import Pipeline, load_config

        self.dir = Path(store_dir or tempfile.mkdtemp(prefix="pw-fuzz-store-"))
        self.pipe = Pipeline(load_config(overrides={
            "store.path": str(self.dir / "fuzz.duckdb"), "pipeline.stages": self.STAGES,
            "pipeline.update_narratives": False,
        }))
        self.stored = 0

    def check_stages(self, docs: list[Document]) -> None:
        runner = self.pipe.runner
        stages = self.pipe.ingest_stages + self.pipe.layer_stages
        for stage in stages:
            docs, failed = runner.run_stage(stage, docs)
            crashed = [r for r in failed if r.kind == "stage-error"]
            assert not crashed, f"{stage.name} crashed: {crashed[0].reason}"
            for r in failed:
                assert KIND.fullmatch(r.kind), r
        for doc in docs:
            for sentence in doc.layers.get("sentences", ()):
                assert 0 <= sentence.start < sentence.end <= len(doc.text)
                assert doc.text[sentence.start:sentence.end] == sentence.text

    def check_store(self, docs: list[Document]) -> None:
        """A batch of hostile stories is committed: each one stored or rejected, none lost."""
        outcomes, rejected, _ = self.pipe.process_batch(docs)
        crashed = [r for r in rejected if r.kind == "stage-error"]
        assert not crashed, crashed[0].reason
        ids = {o.document.id for o in outcomes}
        assert outcomes or rejected, "a batch of stories gave neither a story nor a rejection"
        assert self.pipe.store.existing_ids(sorted(ids)) == ids
        self.stored += len(ids)

    def close(self) -> None:
        self.pipe.close()
        shutil.rmtree(self.dir, ignore_errors=True)


documents = st.lists(
    st.builds(
        lambda text, title, url, source: Document(text=text, title=title, url=url, source=source or "fuzz.txt"),
        article_text, st.one_of(st.none(), hostile_text), st.one_of(st.none(), st.sampled_from([
            "https://www.rt.com/news/1-x/", "http://", "https://x.example/%ff%fe?q=\u202e", "not a url", "javascript:alert(1)",
        ])), file_name,
    ),
    min_size=1, max_size=4,
)
