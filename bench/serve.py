"""Load on `propwatch serve`: requests/s, p50 / p99 and errors at 1, 8, 32 and 128 clients.

    python bench/serve.py --store /tmp/bench-20k.duckdb            # the store bench/gen_store.py made (made if absent)
    python bench/serve.py --store S --clients 1 8 32 --seconds 20 --path "/api/stories?limit=50"

Starts ``propwatch serve`` as a real subprocess (bench/api.py's helpers), then
for each client count runs that many threads, each with its own keep-alive
connection, sending ``GET PATH`` (by default the list endpoint,
``/api/stories?limit=50``, and then the search page ``/?q=WORD``) back to
back for ``--seconds``; the second endpoint asks a random one of 400 pages each
time, so most answers are computed, not taken from the server's cache of
search results (a search asked again while the store is unchanged is). A request counts as an error when it fails, times out
(``--timeout``) or answers anything but 200. Latency is measured per request
from send to the last byte. Before the next client count the bench waits until
the server answers again (what is left of a backlog drains). Prints figures
only; they depend on the cores free at the time (the clients share them).
"""

from __future__ import annotations

import argparse
import http.client
import random
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import api  # noqa: E402  (bench/api.py: server start and stop, percentiles, store sampling)
import gen_store  # noqa: E402


def client(port: int, token: str, path: str, until: float, timeout: float, out: list, lock: threading.Lock) -> None:
    """One client: requests back to back on a keep-alive connection until ``until``; a path
    with ``{offset}`` asks a random page each time (what the cache has not seen yet)."""
    rng = random.Random()
    pages = list(range(0, 20000, 50))
    conn = None
    mine: list[tuple[float, bool]] = []
    while time.perf_counter() < until:
        started = time.perf_counter()
        ok = False
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            target = path.replace("{offset}", str(rng.choice(pages)))
            conn.request("GET", target, headers={"Authorization": f"Bearer {token}"})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
            if resp.getheader("connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        mine.append((time.perf_counter() - started, ok))
    if conn is not None:
        conn.close()
    with lock:
        out.extend(mine)


def level(port: int, token: str, path: str, clients: int, seconds: float, timeout: float) -> dict:
    results: list[tuple[float, bool]] = []
    lock = threading.Lock()
    until = time.perf_counter() + seconds
    threads = [threading.Thread(target=client, args=(port, token, path, until, timeout, results, lock))
               for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    good = [s for s, ok in results if ok]
    return {"requests": len(results), "errors": sum(1 for _, ok in results if not ok), "rps": len(good) / elapsed,
            "p50": api.percentile(good, 0.50) * 1000 if good else float("nan"),
            "p99": api.percentile(good, 0.99) * 1000 if good else float("nan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=str(Path(tempfile.gettempdir()) / "bench-20k.duckdb"))
    parser.add_argument("--stories", type=int, default=20000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--path", action="append", help="endpoint(s) to load (default: the list and the search page)")
    args = parser.parse_args(argv)

    gen_store.ensure_store(args.store, args.stories)
    outlet, word, _, total = api.sample_store(args.store)
    paths = args.path or ["/api/stories?limit=50", "/api/stories?limit=50&offset={offset}", "/?" + urlencode({"q": word})]
    token = secrets.token_urlsafe(16)
    port = api.free_port()
    log_path = Path(tempfile.gettempdir()) / f"bench-serve-{port}.log"
    proc = api.start_server(args.store, port, token, log_path)
    try:
        print(f"server ready in {api.wait_ready(proc, port, token, log_path):.1f} s; store {args.store}: {total} stories")
        print(f"{'endpoint':<40} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9}")
        for path in paths:
            api.get(port, path.replace("{offset}", "0"), token)  # warm: the search index is built on the first search
            for clients in args.clients:
                r = level(port, token, path, clients, args.seconds, args.timeout)
                print(f"{path[:40]:<40} {clients:>7} {r['rps']:>8.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
                      f"{r['errors']:>7} {r['requests']:>9}", flush=True)
                api.wait_ready(proc, port, token, log_path)
    finally:
        api.stop(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
