"""Fetching URLs: a real local HTTP server; private addresses refused by default."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from propwatch.ingest.fetch import FetchPolicy, fetch, is_public_address
from propwatch.ingest.readers import Limits, iter_inputs
from propwatch.records import Document, Rejection
from texts import STORY_A

PAGE = f"<html><head><title>Fuel</title></head><body><article>{''.join(f'<p>{p}</p>' for p in STORY_A.split(chr(10) * 2))}</article></body></html>"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/article")
            self.end_headers()
            return
        if self.path == "/article":
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_private_addresses_are_refused_by_default(server):
    got = fetch(f"{server}/article")
    assert isinstance(got, Rejection) and got.kind == "private-address" and "127.0.0.1" in got.reason
    for address in ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.4", "169.254.169.254", "::1", "::ffff:10.0.0.1", "0.0.0.0"]:
        assert not is_public_address(address), address
    assert is_public_address("93.184.216.34")


def test_fetch_follows_redirects_when_allowed(server):
    policy = FetchPolicy(allow_private=True, timeout=5)
    got = fetch(f"{server}/redirect", policy)
    assert got.url.endswith("/article") and b"Velmora" in got.body
    missing = fetch(f"{server}/nope", policy)
    assert missing.kind == "fetch-failed" and "404" in missing.reason


def test_private_host_is_refused_before_any_connection():
    # Every hop (the first and each redirect) goes through the same check, which
    # refuses before connecting: no packet is sent to 10.0.0.1.
    got = fetch("http://10.0.0.1/secret")
    assert got.kind == "private-address"


def test_bad_urls():
    assert fetch("ftp://example.org/x").kind == "bad-url"
    assert fetch("http:///nohost").kind == "bad-url"


def test_urls_on_the_command_line_and_in_a_urls_file(server, tmp_path):
    limits = Limits(allow_private_addresses=True, fetch_timeout=5)
    [doc] = list(iter_inputs([f"{server}/article"], limits))
    assert isinstance(doc, Document) and doc.markup == "html" and doc.url == f"{server}/article"
    listing = tmp_path / "todo.urls"
    listing.write_text(f"# morning list\n{server}/redirect\nnot a url\n{server}/nope\n", "utf-8")
    got = list(iter_inputs([listing], limits))
    assert [type(x).__name__ for x in got] == ["Document", "Rejection", "Rejection"]
    assert got[1].kind == "bad-url" and got[1].line == 3
    refused = list(iter_inputs([f"{server}/article"], Limits()))
    assert refused[0].kind == "private-address"
