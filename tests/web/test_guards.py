"""The server holds against hostile and careless clients: a real uvicorn socket, raw bytes.

Each test here is one finding of the hostile-input audit (issue 20, items 16-19)
or the team auth of the workbench: bodies are not read before auth or past
their declared length, slow and idle connections are closed, a foreign Host
is refused on loopback, every status and method answers the one JSON shape,
any address binds, and a colleague logs in with the token and gets a session.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.request

import pytest

from propwatch import Pipeline, load_config
from propwatch.store import Store
from propwatch.web import ServeOptions, create_app
from propwatch.web.auth import Tokens
from propwatch.web.serving import allowed_hosts, is_loopback, server_for, url_of
from texts import SPINE_STAGES, STORY_A

TOKEN = "guard-token"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guards")
    (folder / "a.txt").write_text(STORY_A, "utf-8")
    path = folder / "g.duckdb"
    pipe = Pipeline(load_config(overrides={"store.path": str(path), "pipeline.stages": SPINE_STAGES}))
    pipe.analyze([folder / "a.txt"])
    pipe.close()
    return path


def start(store_path, host="127.0.0.1", open_pages=True, **limits):
    tokens = Tokens(TOKEN, "reader-token", open=open_pages and is_loopback(host))
    options = ServeOptions(host=host, port=0, tokens=tokens, allowed_hosts=allowed_hosts(host), **limits)
    app = create_app(load_config(overrides={"store.path": str(store_path)}), options,
                     store=Store(store_path, read_only=True))
    server, sock = server_for(app, options)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)

    def stop():
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.web.close()

    return sock.getsockname()[:2], url_of(sock, host), stop


@pytest.fixture(scope="module")
def served(store_path):
    address, url, stop = start(store_path, header_timeout=1.0, body_timeout=1.0, keep_alive=1.0, max_body=4096)
    yield address, url
    stop()


def raw(address, request: bytes, wait: float = 5.0) -> tuple[int, dict, bytes]:
    """Send raw bytes, read the answer until the server closes or ``wait`` passes."""
    with socket.create_connection(address, timeout=wait) as conn:
        conn.sendall(request)
        data = b""
        try:
            while b"\r\n\r\n" not in data or not _complete(data):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return status, headers, body


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"content-length:\s*(\d+)", head, re.I)
    return bool(m) and len(body) >= int(m.group(1))


def shape(body: bytes) -> dict:
    error = json.loads(body)["error"]
    assert set(error) == {"status", "code", "message"}
    return error


def test_bad_content_lengths_are_refused_before_any_body_is_read(served):
    address, _ = served
    for length in (b"-1", b"abc", b"1e9"):
        status, _, body = raw(address, b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + length
                              + b"\r\n\r\n" + b"x" * 100)
        assert status == 400 and shape(body)["status"] == 400, length
    status, _, body = raw(address, b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999\r\n\r\n")
    assert status == 413 and shape(body)["code"] == "too-large"


def test_an_unauthenticated_body_is_not_read(served):
    address, _ = served
    started = time.perf_counter()
    # a declared 4 KB body that never comes: the 401 is answered at once, not after the body deadline
    status, _, body = raw(address, b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 4000\r\n\r\n{", wait=3)
    assert status == 401 and shape(body)["code"] == "unauthorized"
    assert time.perf_counter() - started < 0.9


def test_slow_and_idle_connections_are_closed(served):
    address, _ = served
    conns = [socket.create_connection(address, timeout=5) for _ in range(20)]
    for conn in conns[:10]:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
    time.sleep(1.6)
    closed = 0
    for conn in conns:
        try:
            data = conn.recv(65536)
            while data and not data.endswith(b"}"):
                more = conn.recv(65536)
                if not more:
                    break
                data += more
            closed += 1 if (data == b"" or b"408" in data.split(b"\r\n", 1)[0]) else 0
        except (ConnectionResetError, socket.timeout):
            closed += 1
        finally:
            conn.close()
    assert closed == 20


def test_a_foreign_host_is_refused_on_loopback(served):
    address, _ = served
    status, _, body = raw(address, b"GET / HTTP/1.1\r\nHost: attacker.example\r\nAccept: application/json\r\n\r\n")
    assert status == 421 and shape(body)["code"] == "bad-host"
    status, _, body = raw(address, b"GET /api/stories HTTP/1.1\r\nHost: attacker.example:80\r\nAuthorization: Bearer "
                          + TOKEN.encode() + b"\r\n\r\n")
    assert status == 421
    status, _, _ = raw(address, b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status == 200


@pytest.mark.parametrize("method", ["PATCH", "TRACE", "OPTIONS", "DELETE", "PUT"])
def test_every_method_answers_the_one_shape(served, method):
    address, _ = served
    status, headers, body = raw(address, f"{method} /api/stories HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                                f"{TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    assert status == 405 and shape(body)["code"] == "method-not-allowed"
    assert headers["content-type"].startswith("application/json")


def test_head_and_api_errors_keep_the_shape(served):
    address, _ = served
    status, _, body = raw(address, b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status == 200 and body == b""
    auth = f"Authorization: Bearer {TOKEN}\r\n".encode()
    for payload, code in ((b'{"text": "\\udfff"}', "bad-text"), (b"[" * 40 + b"]" * 40, "bad-json"),
                          (b"\xff\xfe", "bad-json")):
        request = (b"POST /api/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + b"Content-Type: application/json\r\n"
                   b"Connection: close\r\nContent-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
        status, _, body = raw(address, request)
        assert status == 400 and shape(body)["code"] == code, payload[:20]


@pytest.mark.parametrize("host", ["127.1", "::1", "localhost"])
def test_any_loopback_form_binds_and_serves(store_path, host):
    try:
        _, url, stop = start(store_path, host=host)
    except OSError as exc:  # no IPv6 on this machine
        pytest.skip(f"cannot bind {host}: {exc}")
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200 and b"Stories" in resp.read()
    finally:
        stop()


def test_a_colleague_logs_in_with_the_token_and_gets_a_session(store_path):
    from starlette.testclient import TestClient

    tokens = Tokens(TOKEN, "reader-token", open=False)  # as on 0.0.0.0: pages need a login
    app = create_app(load_config(overrides={"store.path": str(store_path)}), ServeOptions(tokens=tokens),
                     store=Store(store_path, read_only=True))
    try:
        with TestClient(app, base_url="http://workbench.example") as browser:
            page = browser.get("/?q=harbour", headers={"Accept": "text/html"}, follow_redirects=False)
            assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")
            assert browser.get("/api/stories").json()["error"]["code"] == "unauthorized"
            form = browser.get("/login?next=/%3Fq%3Dharbour").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            refused = browser.post("/login", data={"token": "wrong", "csrf_token": csrf, "next": "/?q=harbour"})
            assert refused.status_code == 401 and "not valid" in refused.text
            assert browser.post("/login", data={"token": TOKEN, "next": "/"}).status_code == 403  # no CSRF token
            done = browser.post("/login", data={"token": "reader-token", "name": "Ana", "csrf_token": csrf,
                                                "next": "/?q=harbour"}, follow_redirects=False)
            assert done.status_code == 303 and done.headers["location"] == "/?q=harbour"
            page = browser.get("/?q=harbour", headers={"Accept": "text/html"})
            assert page.status_code == 200 and "Ana · reader" in page.text
            assert browser.get("/api/stories").status_code == 200  # the session opens the API to the browser
            refused = browser.post("/api/analyze", json={"text": "x"})
            assert refused.status_code in (403,) and refused.json()["error"]["code"] in ("read-only", "csrf")
            cookie = next(iter(browser.cookies.jar))
            assert "httponly" in {k.lower() for k in cookie._rest} and cookie._rest.get("samesite") == "strict"
    finally:
        app.state.web.close()


def test_the_deadline_cuts_a_silent_request_but_not_a_streaming_answer(store_path):
    import asyncio

    from starlette.responses import StreamingResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def silent(request):
        await asyncio.sleep(5)

    async def streaming(request):
        async def chunks():
            for i in range(6):
                yield f"row {i}\n".encode()
                await asyncio.sleep(0.1)
        return StreamingResponse(chunks(), media_type="text/plain")

    app = create_app(load_config(overrides={"store.path": str(store_path)}),
                     ServeOptions(tokens=Tokens(TOKEN), request_deadline=0.3), store=Store(store_path, read_only=True))
    app.router.routes.extend([Route("/api/slow", silent), Route("/api/stream", streaming)])
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            cut = client.get("/api/slow")
            assert cut.status_code == 504 and cut.json()["error"]["code"] == "timeout"
            whole = client.get("/api/stream")
            assert whole.status_code == 200 and whole.text.count("row") == 6  # 0.6 s, past the 0.3 s deadline
    finally:
        app.state.web.close()
