"""Latency of `propwatch serve` on a generated 20,000-story store: p50 / p99 per endpoint.

    python bench/api.py --store /tmp/bench-20k.duckdb     # reuses the store bench/pipeline.py made there, else makes it
    python bench/api.py --stories 5000 --requests 100
    python bench/api.py --store S --max-seconds 60        # stop an endpoint after 60 s of requests (said in the output)

Starts ``propwatch serve --store STORE --port P --token T`` as a real
subprocess (``python -m propwatch`` of this checkout), waits until it
answers, then times sequential requests (one connection each, after
``--warmup`` untimed ones) with ``Authorization: Bearer T``:

- ``GET /stories/ID`` (story page) and ``GET /api/stories/ID``, over 50
  different ids
- ``GET /api/stories?limit=50&outlet=O`` (O: the commonest generated outlet)
- ``GET /api/stories?limit=50&q=W`` (W: a word in about half the stories)
- ``GET /api/stories?limit=50&offset=10000`` (deep page)

and prints p50 and p99 (nearest rank) in ms for each, then stops the
server. A request that takes longer than ``--timeout`` ends that endpoint
(reported as such) and the server is restarted for the next one. The store is made by bench/gen_store.py (variants of real analysed
articles, with their layers). Prints figures only; timings depend on the
cores free at the time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import gen_store  # noqa: E402  (bench/gen_store.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, token: str, timeout: float = 600.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def start_server(store: str, port: int, token: str, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    log = log_path.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "propwatch", "serve", "--store", store, "--port", str(port), "--token", token],
        cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_ready(proc: subprocess.Popen, port: int, token: str, log_path: Path, limit: float = 300.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            status, _ = get(port, "/api/schema", token, timeout=5)
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not answer within {limit:.0f} s:\n{log_path.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def restart(proc: subprocess.Popen, store: str, port: int, token: str, log_path: Path) -> subprocess.Popen:
    """A fresh server (the old one may still be busy with the request given up on)."""
    stop(proc)
    proc = start_server(store, port, token, log_path)
    wait_ready(proc, port, token, log_path)
    return proc


def sample_store(store_path: str) -> tuple[str, str, list[str], int]:
    """Commonest outlet, a word in about half the stories, 50 story ids, story count (read before serving)."""
    pipeline = gen_store.open_pipeline(store_path, gen_store.INGEST_STAGES, **{"pipeline.update_narratives": False})
    outlets: Counter = Counter()
    ids: list[str] = []
    words: Counter = Counter()
    total = 0
    try:
        docs = pipeline.store.iter_documents(batch_size=1000, layers=[])
    except TypeError:  # a store without the layers argument
        docs = pipeline.store.iter_documents(batch_size=1000)
    for doc in docs:
        total += 1
        outlets[doc.outlet] += 1
        if total % 97 == 0 and len(ids) < 50:
            ids.append(doc.id)
        if total <= 2000:
            words.update({w for w in doc.text.casefold().split() if w.isalpha() and len(w) > 5})
    gen_store.close_pipeline(pipeline)
    seen = min(total, 2000)
    word = min(words, key=lambda w: (abs(words[w] / seen - 0.5), w)) if words else "minister"
    outlet = outlets.most_common(1)[0][0] if outlets else ""
    return outlet or "", word, ids, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", default="", help="generated store file: reused when it holds enough stories, else made and kept")
    ap.add_argument("--stories", type=int, default=20000)
    ap.add_argument("--limit", type=int, default=20, help="real articles analysed as templates when the store is made here")
    ap.add_argument("--requests", type=int, default=50, help="timed requests per endpoint")
    ap.add_argument("--warmup", type=int, default=3, help="untimed requests per endpoint first")
    ap.add_argument("--max-seconds", type=float, default=0.0, help="stop an endpoint's timed requests after this long (0: never)")
    ap.add_argument("--timeout", type=float, default=600.0, help="give up on one request after this many seconds (the server is restarted)")
    args = ap.parse_args(argv)

    from propwatch import __file__ as propwatch_file

    print(f"code             {Path(propwatch_file).resolve().parent}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store_path = args.store or str(tmp / f"generated-{args.stories}.duckdb")
        gen_store.ensure_store(store_path, args.stories, limit=args.limit)
        outlet, word, ids, total = sample_store(store_path)
        print(f"store            {store_path}: {total:,} stories; outlet filter {outlet!r}, search word {word!r}")
        port, token = free_port(), secrets.token_urlsafe(16)
        log_path = tmp / "server.log"
        proc = start_server(store_path, port, token, log_path)
        try:
            ready = wait_ready(proc, port, token, log_path)
            print(f"server           propwatch serve on port {port}, answering after {ready:.1f} s")
            endpoints = [
                ("GET /stories/ID", lambda i: f"/stories/{ids[i % len(ids)]}"),
                ("GET /api/stories/ID", lambda i: f"/api/stories/{ids[i % len(ids)]}"),
                ("GET /api/stories?limit=50&outlet=", lambda i: "/api/stories?" + urlencode({"limit": 50, "outlet": outlet})),
                ("GET /api/stories?limit=50&q=", lambda i: "/api/stories?" + urlencode({"limit": 50, "q": word})),
                ("GET /api/stories?limit=50&offset=10000", lambda i: "/api/stories?limit=50&offset=10000"),
                ("GET / (search page)", lambda i: "/"),
                ("GET /?q= (search page, words)", lambda i: "/?" + urlencode({"q": word})),
                ("GET /?outlet=&risk= (search page, facets)", lambda i: "/?" + urlencode({"outlet": outlet, "risk": "low"})),
            ]
            print(f"{'endpoint':<40} {'n':>4} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9}  response")
            for name, path_of in endpoints:
                times: list[float] = []
                sizes: list[int] = []
                errors = 0
                note = ""
                detail = ""
                try:
                    for i in range(args.warmup):
                        get(port, path_of(i), token, timeout=args.timeout)
                    started = time.perf_counter()
                    for i in range(args.requests):
                        t = time.perf_counter()
                        status, body = get(port, path_of(i), token, timeout=args.timeout)
                        times.append(1000 * (time.perf_counter() - t))
                        sizes.append(len(body))
                        if status != 200:
                            errors += 1
                            detail = f" last error {status}: {body[:200]!r}"
                        elif not detail and name.startswith("GET /api/stories?"):
                            payload = json.loads(body)
                            detail = f" total {payload.get('total')}, {len(payload.get('items', []))} items"
                        if args.max_seconds and time.perf_counter() - started > args.max_seconds and i + 1 < args.requests:
                            note = f" STOPPED after {args.max_seconds:.0f} s ({i + 1} of {args.requests})"
                            break
                except (TimeoutError, socket.timeout):
                    note = f" TIMED OUT: a request took over {args.timeout:.0f} s ({len(times)} answered before; server restarted)"
                    proc = restart(proc, store_path, port, token, log_path)
                if times:
                    print(f"{name:<40} {len(times):>4} {statistics.median(times):>9.1f} {percentile(times, 0.99):>9.1f} "
                          f"{statistics.fmean(times):>9.1f}  {statistics.median(sizes) / 1024:,.1f} KB;{detail}"
                          f"{f'; {errors} errors' if errors else ''}{note}", flush=True)
                else:
                    print(f"{name:<40} {0:>4} {'> ' + format(args.timeout * 1000, '.0f'):>9} {'-':>9} {'-':>9} {note}", flush=True)
        finally:
            stop(proc)
            print(f"server stopped   (exit {proc.returncode})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
