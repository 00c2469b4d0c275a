"""Readers: every format, and every kind of bad input as a named rejection."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from propwatch.ingest.readers import Limits, iter_inputs
from propwatch.records import Document, Rejection

from texts import STORY_A


def items(*paths, limits=None, stdin=None):
    return list(iter_inputs([str(p) for p in paths], limits or Limits(), stdin=stdin))


def test_text_file_is_decoded_with_a_recorded_step(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text(STORY_A, "utf-8")
    [doc] = items(path)
    assert isinstance(doc, Document)
    assert doc.text == STORY_A
    assert doc.cleaning[0].op == "decode" and doc.cleaning[0].params["encoding"] == "utf-8"


def test_legacy_encoding_is_detected(tmp_path: Path):
    path = tmp_path / "cp1251.txt"
    text = "Министр иностранных дел заявил журналистам, что переговоры продолжатся на следующей неделе в столице. " * 3
    path.write_bytes(text.encode("cp1251"))
    [doc] = items(path)
    assert isinstance(doc, Document)
    assert doc.text == text
    assert doc.cleaning[0].params["encoding"] == "cp1251"


def test_jsonl_records_and_a_malformed_line(tmp_path: Path):
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a", "text": "First story text.", "url": "https://x.example/a", "outlet": "Daily X"}),
        '{"id": "b", "text": "unterminated',
        json.dumps({"id": "c", "title": "no text here"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "d", "html": "<html><body><p>Para one of the story is here and long enough.</p></body></html>"}),
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    got = items(path)
    assert [type(x).__name__ for x in got] == ["Document", "Rejection", "Rejection", "Rejection", "Document"]
    assert got[0].outlet == "Daily X" and got[0].url == "https://x.example/a" and got[0].source_record == "line 1"
    assert (got[1].kind, got[1].line) == ("bad-json", 2)
    assert (got[2].kind, got[2].line) == ("no-text", 3)
    assert got[3].kind == "bad-record"
    assert got[4].markup == "html"
    assert str(got[1]).startswith(f"{path}:2: bad-json:")


def test_json_array_and_object(tmp_path: Path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"text": "A single story."}), "utf-8")
    many = tmp_path / "many.json"
    many.write_text(json.dumps({"articles": [{"text": "One."}, {"nope": 1}]}), "utf-8")
    assert isinstance(items(one)[0], Document)
    got = items(many)
    assert isinstance(got[0], Document) and got[0].source_record == "item 0"
    assert isinstance(got[1], Rejection) and "item 1" in got[1].reason


def test_csv_with_and_without_a_text_column(tmp_path: Path):
    good = tmp_path / "good.csv"
    good.write_text('id,title,text\n1,T,"Body one, with a comma."\n2,U,\n', "utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,body\n1,T,x\n", "utf-8")
    got = items(good)
    assert isinstance(got[0], Document) and got[0].text == "Body one, with a comma." and got[0].title == "T"
    assert isinstance(got[1], Rejection) and got[1].kind == "no-text" and got[1].line == 3
    [rej] = items(bad)
    assert rej.kind == "no-text-column" and "body" in rej.reason and rej.source == str(bad)


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n \t\n", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        ("noext", b"\x00\x01\x02\x03binary\x00\x00", "binary"),
        ("broken.txt", ("Caf\u00e9 culture " * 20).encode("utf-8") + b"\xff\xfe\xfa\xfb\xfc" * 5, "encoding"),
    ],
)
def test_bad_files_are_rejected_with_file_and_reason(tmp_path: Path, name, data, kind):
    path = tmp_path / name
    path.write_bytes(data)
    [rej] = items(path)
    assert isinstance(rej, Rejection)
    assert rej.kind == kind
    assert rej.source == str(path)
    assert rej.reason


def test_one_bad_utf8_sequence_is_repaired_and_flagged(tmp_path: Path):
    path = tmp_path / "almost.txt"
    path.write_bytes("Caf\u00e9 owners said the square was full. ".encode() + b"\xff" + b" The end.")
    [doc] = items(path)
    assert isinstance(doc, Document)
    assert "encoding-repaired" in doc.flags and "\ufffd" in doc.text


def test_huge_file_is_rejected_unread(tmp_path: Path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:  # a sparse 200 MB file: no time spent writing it
        fh.truncate(200 * 2**20)
    [rej] = items(path)
    assert rej.kind == "too-large" and "200.0 MB" in rej.reason


def test_huge_jsonl_record_is_rejected_but_others_are_read(tmp_path: Path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": "x" * 5000}) + "\n" + json.dumps({"text": "small"}) + "\n", "utf-8")
    got = items(path, limits=Limits(max_record_bytes=1000))
    assert got[0].kind == "too-large" and got[0].line == 1
    assert isinstance(got[1], Document)


def test_missing_path_and_folder_walk(tmp_path: Path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "x.txt").write_text("Story text.", "utf-8")
    (tmp_path / "d" / ".hidden.txt").write_text("Hidden.", "utf-8")
    got = items(tmp_path / "d", tmp_path / "nope.txt")
    assert [type(x).__name__ for x in got] == ["Document", "Rejection"]
    assert got[1].kind == "not-found"


def test_stdin_text_and_jsonl():
    [doc] = items("-", stdin=io.BytesIO(b"Plain story from a pipe."))
    assert doc.text == "Plain story from a pipe." and doc.source == "<stdin>"
    got = items("-", stdin=io.BytesIO(b'{"text": "one"}\n{"text": "two"}\n'))
    assert [d.text for d in got] == ["one", "two"]


def test_warc_response_records(tmp_path: Path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        html = b"<html><head><title>Port deal</title></head><body><article><p>" + b"The port sold fuel. " * 20 + b"</p></article></body></html>"
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record("https://www.presstv.ir/Detail/1", "response", payload=io.BytesIO(html), http_headers=headers)
        writer.write_record(record)
    [doc] = items(path)
    assert isinstance(doc, Document)
    assert doc.url == "https://www.presstv.ir/Detail/1" and doc.markup == "html"


def test_truncated_warc_is_a_rejection(tmp_path: Path):
    path = tmp_path / "bad.warc"
    path.write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\n<html>")
    got = items(path)
    assert got and all(isinstance(x, Rejection) for x in got)


@pytest.mark.parametrize("name", ["a.json", "a.csv"])
def test_structured_files_that_are_empty_or_not_utf8(tmp_path: Path, name):
    empty = tmp_path / f"empty-{name}"
    empty.write_bytes(b"  \n")
    broken = tmp_path / f"broken-{name}"
    broken.write_bytes(b'{"text": "caf\xe9"}' if name.endswith("json") else b"text\ncaf\xe9\n")
    assert [r.kind for r in items(empty)] == ["empty"]
    [rej] = items(broken)
    assert rej.kind == "encoding" and rej.source == str(broken)


def test_decoding_never_raises_on_a_byte_order_mark_before_bad_bytes():
    from propwatch.ingest.decode import decode_bytes
    from propwatch.records import Rejection

    for data in (b"\xef\xbb\xbf\x80", b"\xfe\xff\x00", b"\xff\xfe\x00"):
        result = decode_bytes(data, "x.txt")
        assert isinstance(result, Rejection) and result.kind in ("encoding", "empty"), data


def test_utf16_without_a_byte_order_mark_is_text_and_a_guess_is_flagged():
    from propwatch.ingest.decode import decode_bytes

    sentence = "The ministry said forty trucks crossed the border."
    for encoding in ("utf-16-le", "utf-16-be"):
        text, step, flags = decode_bytes(sentence.encode(encoding), "x.txt")
        assert text == sentence and step.params["encoding"] == encoding and "encoding-guessed" in flags
    text, step, flags = decode_bytes("Министерство заявило, что сорок грузовиков пересекли границу.".encode("cp1251"), "y.txt")
    assert text.startswith("Министерство") and "encoding-guessed" in flags
