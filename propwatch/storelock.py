"""Sharing one store file between processes: short leases and a writer lock.

DuckDB lets one process write a file or many processes read it, never both
at once. So no process keeps the file open: a
:class:`~propwatch.store.Store` *leases* it when a method first needs a
connection and hands it back on ``Store.release()``; a process holds the
file lock only while it reads or writes::

    reader (list, show, a server request)   lease read-only -> query -> release
    writer (analyze)                        writer lock for the whole run, and per batch:
                                            lease read-write -> read, write -> release

Leases. Per process, each store file has a *hub*: an in-memory DuckDB
instance made once (an instance costs tens of milliseconds to create, an
``ATTACH`` about one) that ``ATTACH``es the file while at least one lease
is out and ``DETACH``es it, dropping the lock, when the last comes back. A
lease is a cursor of the hub with ``USE`` of the attachment. Threads of one
process share the attachment: read-only while only readers are out,
read-write once a writer needs it (the writer waits for its own process's
readers to come back; readers then share its attachment).

Attaching while another process holds a conflicting lock is retried with
backoff up to ``store.lock_timeout`` seconds, then fails with
:class:`~propwatch.errors.StoreBusyError` naming the file and who holds it.
Readers are not starved by a writer that leases batch after batch: a
reader that found the file locked holds a shared flock on
``STORE.readers.lock`` until it is in, and a writer about to attach first
waits (at most ``YIELD_MAX`` s) until it can take that lock exclusively,
so the readers waiting when a batch ends get their turn before the next.

Lingering. A process that reads often (the workbench server) may keep a
read-only attachment for a moment after its last lease comes back
(:func:`linger_reads`): the next request finds the file attached and its
blocks cached instead of attaching it cold. A lingering attachment is
dropped once it has been unused for that long, and at once when any
process holds the writer lock (a writer waits at most a few milliseconds
for it), so it never keeps a writer out.

Writer lock. Writing processes take ``STORE.writer.lock`` (``fcntl.flock``)
first, so they queue instead of racing for the file: ``analyze`` holds it
for its whole run, the server for one ``POST /api/analyze``. The file holds
the holder's pid, command and start time as JSON, for the messages of those
who wait. The kernel drops a flock when its process dies, even on
``kill -9``: a stale lock is taken over without a word. Within a process
the writer lock is re-entrant (counted), across threads too.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha1
from pathlib import Path
from typing import Any

from .errors import StoreBusyError, StoreDamagedError, StoreError, store_damage

DEFAULT_LOCK_TIMEOUT = 30.0
IDLE_HUBS = 4  # idle hubs (files no lease holds) kept per process, most recent first
TELL_AFTER = 1.0  # seconds a reader waits before it says so
YIELD_MAX = 2.0  # seconds a writer lets waiting readers go first, at most
_LINGER = [0.0]  # seconds a read-only attachment outlives its last lease (see linger_reads)

Tell = Callable[[str], None]


def tell_stderr(message: str) -> None:
    print(f"propwatch: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- who holds it


@dataclass(frozen=True)
class Holder:
    pid: int | None
    command: str = ""
    since: str = ""

    def describe(self) -> str:
        if self.pid is None:
            return "another process"
        parts = [self.command] if self.command else []
        if self.since:
            parts.append(f"since {self.since}")
        return f"pid {self.pid}" + (f" ({', '.join(parts)})" if parts else "")


def writer_lock_path(store_path: str) -> str:
    return f"{store_path}.writer.lock"


def readers_lock_path(store_path: str) -> str:
    return f"{store_path}.readers.lock"


def _announce_waiting(store_path: str) -> int | None:
    """A shared flock on ``STORE.readers.lock``: a reader waits for the file (None: not now)."""
    fd = os.open(readers_lock_path(store_path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _done_waiting(fd: int | None) -> None:
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _yield_to_readers(store_path: str, until: float) -> None:
    """Before a writer attaches: wait until no reader waits for the file (or ``until``)."""
    path = readers_lock_path(store_path)
    if not os.path.exists(path):
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
                return
            except BlockingIOError:
                if time.monotonic() >= until:
                    return
                time.sleep(0.005)
    finally:
        os.close(fd)


def read_holder(store_path: str) -> Holder | None:
    """The writer recorded in the store's writer lock file (may be stale)."""
    try:
        text = Path(writer_lock_path(store_path)).read_text("utf-8")
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    return Holder(data.get("pid"), data.get("command", ""), data.get("since", "")) if isinstance(data, dict) else None


def command_of(pid: int) -> str:
    """The command line of a process, where /proc tells it."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return _short_command(raw.decode("utf-8", "replace").split("\0"))


def _short_command(argv: list[str]) -> str:
    argv = [a for a in argv if a]
    for i, arg in enumerate(argv):  # python -m propwatch ... / .../bin/propwatch ...
        if arg == "propwatch" or arg.endswith("/propwatch"):
            return " ".join(["propwatch", *argv[i + 1:]])[:200]
    return " ".join(argv)[:200]


def lock_holder(store_path: str, error: BaseException | None = None) -> Holder:
    """Who keeps the file: the pid DuckDB names in its lock error, with the writer's details."""
    pid = None
    if error is not None:
        found = re.search(r"\(PID (\d+)\)", str(error))
        pid = int(found.group(1)) if found else None
    writer = read_holder(store_path)
    if writer is not None and (pid is None or writer.pid == pid):
        return writer
    if pid is not None:
        return Holder(pid, command_of(pid))
    return Holder(None)


# ---------------------------------------------------------------- writer lock


class WriterLock:
    """``STORE.writer.lock``: one writing process at a time; counted within the process."""

    def __init__(self, store_path: str):
        self.store_path = store_path
        self.path = writer_lock_path(store_path)
        self._count = 0
        self._fd: int | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        return self._count > 0

    def acquire(self, timeout: float = DEFAULT_LOCK_TIMEOUT, tell: Tell | None = tell_stderr) -> None:
        with self._mutex:
            if self._count:
                self._count += 1
                return
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            deadline = time.monotonic() + timeout
            delay, told = 0.02, False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = read_holder(self.store_path) or Holder(None)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        os.close(fd)
                        raise StoreBusyError(
                            f"store {self.store_path} has another writer: {holder.describe()} still writes after "
                            f"{timeout:g} s; wait for it to finish, or raise store.lock_timeout"
                        ) from None
                    if not told and tell is not None:
                        tell(f"waiting for the writer {holder.describe()} to finish with {self.store_path}; "
                             f"giving up after {timeout:g} s (store.lock_timeout)")
                        told = True
                    time.sleep(min(delay, left))
                    delay = min(delay * 2, 0.25)
            me = {"pid": os.getpid(), "command": _short_command(sys.argv) or "python",
                  "since": datetime.now().strftime("%Y-%m-%d %H:%M:%S")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode("utf-8"), 0)
            self._fd, self._count = fd, 1

    def release(self) -> None:
        with self._mutex:
            if not self._count:
                return
            self._count -= 1
            if self._count or self._fd is None:
                return
            fd, self._fd = self._fd, None
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


_WRITERS: dict[str, WriterLock] = {}
_WRITERS_LOCK = threading.Lock()


def writer_lock(store_path: str) -> WriterLock:
    """This process's writer lock of a store file (one object per file)."""
    key = _key(store_path)
    with _WRITERS_LOCK:
        lock = _WRITERS.get(key)
        if lock is None:
            lock = _WRITERS[key] = WriterLock(store_path)
        return lock


# ---------------------------------------------------------------- leases


class Lease:
    """One connection to a store file; ``close()`` hands it back (once).

    A lease whose cursor is dropped unclosed (a store never released) is
    handed back when the cursor is garbage, then ``then`` runs.
    """

    def __init__(self, hub: "_Hub", cursor: Any, then: Callable[[], None] | None = None):
        self._cursor = weakref.ref(cursor)
        self._taken: Any = cursor  # until take(): the lease keeps its cursor alive
        self._done = weakref.finalize(cursor, _give_back, hub, then)

    def take(self) -> Any:
        """The cursor; from now on whoever holds it keeps the lease alive."""
        cursor, self._taken = self._cursor(), None
        return cursor

    def close(self) -> None:
        cursor = self._cursor()
        if cursor is not None and self._done.alive:
            cursor.close()
        self._done()


def linger_reads(seconds: float) -> None:
    """Keep a read-only attachment ``seconds`` after its last lease in this process (0: drop it
    at once, the default); a writer of any process still gets the file at once."""
    _LINGER[0] = max(0.0, float(seconds))


def _writer_busy(store_path: str) -> bool:
    """Whether some process (this one included) holds the store's writer lock."""
    try:
        fd = os.open(writer_lock_path(store_path), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _give_back(hub: "_Hub", then: Callable[[], None] | None) -> None:
    try:
        hub.give_back()
    finally:
        if then is not None:
            then()


class _Hub:
    """The in-memory DuckDB instance that attaches one store file for this process."""

    def __init__(self, path: str):
        import duckdb

        self.path = path
        self.alias = "pw_" + sha1(_key(path).encode()).hexdigest()[:12]
        self.base = duckdb.connect(":memory:")
        self.mode: str | None = None  # None, "ro" or "rw"
        self.users = 0
        self.pending = 0  # leases being made (guarded by _HUBS_LOCK)
        self.writers_waiting = 0
        self.cond = threading.Condition()
        self.unused_since = 0.0  # when the last lease of a lingering attachment came back
        self.reaper: threading.Thread | None = None

    def lease(self, write: bool, timeout: float, tell: Tell | None, then: Callable[[], None] | None) -> Lease:
        deadline = time.monotonic() + timeout
        with self.cond:
            if write:
                self.writers_waiting += 1
            try:
                while True:
                    if self.mode == "rw" or (self.mode == "ro" and not write and not self.writers_waiting):
                        break
                    if self.mode is None:
                        self._attach(write, deadline, timeout, tell)
                        self.cond.notify_all()  # readers waiting behind a writer share its attachment
                        break
                    if write and self.users == 0:  # attached read-only, nobody reading: reattach for writing
                        self._detach()
                        continue
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise StoreBusyError(
                            f"store {self.path} is busy: readers in this process kept it past {timeout:g} s (store.lock_timeout)"
                        )
                    self.cond.wait(left)
            finally:
                if write:
                    self.writers_waiting -= 1
                    self.cond.notify_all()
            self.users += 1
        try:
            cursor = self.base.cursor()
            cursor.execute(f'USE "{self.alias}"')
        except BaseException:
            self.give_back()
            raise
        return Lease(self, cursor, then)

    def give_back(self) -> None:
        with self.cond:
            self.users -= 1
            if self.users == 0 and self.mode is not None:
                if self.mode == "ro" and _LINGER[0] > 0 and not _writer_busy(self.path):
                    self.unused_since = time.monotonic()
                    if self.reaper is None:
                        self.reaper = threading.Thread(target=self._reap, name="propwatch-store-linger", daemon=True)
                        self.reaper.start()
                else:
                    self._detach()
            self.cond.notify_all()

    def _reap(self) -> None:
        """Drop a lingering read-only attachment once unused for the linger time, or at once
        when a writer holds the writer lock."""
        with self.cond:
            try:
                while self.mode == "ro":
                    if self.users == 0 and (time.monotonic() - self.unused_since >= _LINGER[0]
                                            or _writer_busy(self.path)):
                        try:
                            self._detach()
                        except Exception:  # noqa: BLE001 - the file is gone, or the instance closed
                            self.mode = None
                        self.cond.notify_all()
                        break
                    self.cond.wait(0.02)
            finally:
                self.reaper = None

    def _attach(self, write: bool, deadline: float, timeout: float, tell: Tell | None) -> None:
        import duckdb

        quoted = self.path.replace("'", "''")
        sql = f"ATTACH '{quoted}' AS \"{self.alias}\"" + ("" if write else " (READ_ONLY)")
        started = time.monotonic()
        if write:
            _yield_to_readers(self.path, min(deadline, started + YIELD_MAX))
        delay, told = 0.01, False
        waiting: int | None = None
        try:
            while True:
                try:
                    self.base.execute(sql)
                    self.mode = "rw" if write else "ro"
                    return
                except duckdb.Error as exc:
                    if not _lock_conflict(exc):
                        if store_damage(exc):
                            raise StoreDamagedError(f"store {self.path} is damaged: {store_damage(exc)}") from None
                        raise StoreError(f"cannot open store {self.path}: {exc}") from None
                    if not write and waiting is None:
                        waiting = _announce_waiting(self.path)
                    self._wait_turn(exc, started, deadline, timeout, tell, told)
                    told = told or (tell is not None and time.monotonic() - started >= TELL_AFTER)
                    time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
                    delay = min(delay * 2, 0.1)
        finally:
            _done_waiting(waiting)

    def _wait_turn(self, exc: BaseException, started: float, deadline: float, timeout: float,
                   tell: Tell | None, told: bool) -> None:
        """Raise once the deadline is past; say once (after a second) that we wait, and for whom."""
        now = time.monotonic()
        if now >= deadline:
            raise StoreBusyError(
                f"store {self.path} is busy: {lock_holder(self.path, exc).describe()} still holds it after "
                f"{timeout:g} s; wait for it to finish, or raise store.lock_timeout"
            ) from None
        if not told and tell is not None and now - started >= TELL_AFTER:
            tell(f"{self.path} is held by {lock_holder(self.path, exc).describe()}; "
                 f"waiting up to {timeout:g} s (store.lock_timeout)")

    def _detach(self) -> None:
        self.base.execute(f'DETACH "{self.alias}"')
        self.mode = None

    def idle(self) -> bool:
        return self.pending == 0 and self.users == 0 and self.mode is None


def _lock_conflict(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text or "file handle conflict" in text


_HUBS: OrderedDict[str, _Hub] = OrderedDict()
_HUBS_LOCK = threading.Lock()


def lease(store_path: str, write: bool, timeout: float = DEFAULT_LOCK_TIMEOUT, tell: Tell | None = tell_stderr,
          then: Callable[[], None] | None = None) -> Lease:
    """A connection to the store file, read-write when ``write``; waits up to ``timeout`` s for
    other processes. ``then`` runs after the lease is handed back."""
    key = _key(store_path)
    with _HUBS_LOCK:
        hub = _HUBS.get(key)
        if hub is None:
            hub = _HUBS[key] = _Hub(store_path)
        _HUBS.move_to_end(key)
        hub.pending += 1
        idle = [k for k, h in _HUBS.items() if k != key and h.idle()]
        for old in idle[:max(0, len(idle) - IDLE_HUBS)]:
            _HUBS.pop(old).base.close()
    try:
        return hub.lease(write, timeout, tell, then)
    finally:
        with _HUBS_LOCK:
            hub.pending -= 1


def _key(store_path: str) -> str:
    return os.path.realpath(store_path)


__all__ = [
    "DEFAULT_LOCK_TIMEOUT", "Holder", "Lease", "WriterLock", "lease", "linger_reads", "lock_holder", "read_holder",
    "tell_stderr", "writer_lock", "writer_lock_path",
]
