"""The full-text index of a store: SQLite FTS5 in a file beside the DuckDB store.

DuckDB's ``fts`` extension is a download, which an offline install cannot
make; Python's own ``sqlite3`` has FTS5 compiled in, so the index needs
nothing beyond the standard library and ``snowballstemmer``. It lives in
``<store>.search.sqlite``: one row per story with five columns,

=========  ===================================================================
``title``  the story's title
``body``   its clean text
``said``   what its quotes and claims say (a word found there ranks higher)
``names``  the canonical names and surface forms of its entities and speakers
``stems``  the Snowball stems of all of that (see :mod:`propwatch.search.query`)
=========  ===================================================================

tokenized by ``unicode61`` with diacritics removed, so Russian and English
text (and "Erdogan" for "Erdoğan") match. The store stays the one source
of truth: the index records, per story, the fingerprints of the layers it
read (``stamp``) and, for the whole store, a cheap signature (counts and
latest write times of the stories and of those layers). :meth:`SearchIndex.sync`
compares the signature first and only then the stamps, so a search on an
index that is current costs two small aggregates; a missing, stale or
unreadable index file is rebuilt or brought up to date on the next
search, and ``propwatch search --reindex`` rebuilds it from scratch.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import QueryError, StoreError
from ..store.listing import layer_relation
from .query import Query, Stemmer

INDEX_VERSION = "1"
# the layers whose text the index holds besides the story's own title and text
INDEXED_LAYERS = ("claims", "entities", "quotes")
# bm25 weights of title, body, said, names, stems
WEIGHTS = (4.0, 1.0, 1.5, 2.0, 0.7)
CHUNK = 500
SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, stamp TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS stories USING fts5(
    title, body, said, names, stems, tokenize = 'unicode61 remove_diacritics 2'
);
"""


def index_path(store_path: str | Path) -> str:
    """Where the index of the store at ``store_path`` lives (":memory:" for an in-memory store)."""
    return ":memory:" if str(store_path) == ":memory:" else f"{store_path}.search.sqlite"


@dataclass(frozen=True)
class SyncReport:
    """What one :meth:`SearchIndex.sync` changed."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


class SearchIndex:
    """One connection to a store's search index; open one per thread or request."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            db = self._open()
        except sqlite3.DatabaseError:
            if self.path == ":memory:":
                raise
            # not an index (a truncated or foreign file): it holds nothing the store lacks
            Path(self.path).unlink(missing_ok=True)
            db = self._open()
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(_SCHEMA)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot open the search index {self.path}: {exc}") from None
        if self._meta(db, "version") not in (None, INDEX_VERSION):
            db.executescript("DELETE FROM stories; DELETE FROM docs; DELETE FROM meta;")
        return db

    @classmethod
    def of(cls, store: Any) -> "SearchIndex":
        """The index beside ``store`` (a :class:`propwatch.store.Store`)."""
        return cls(index_path(store.path))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _meta(db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write transaction; a second process syncing waits for it (then finds nothing to do)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------ keeping up with the store

    def sync(self, con: Any, rebuild: bool = False) -> SyncReport:
        """Bring the index up to the store read through DuckDB connection ``con``:
        index new and changed stories, drop those the store no longer has.
        ``rebuild`` empties the index first."""
        started = time.perf_counter()
        signature = store_signature(con)
        if not rebuild and self._meta(self.db, "signature") == signature:
            return SyncReport()
        with self._writing():
            if rebuild:  # inside the transaction: executescript would commit it first
                for table in ("stories", "docs", "meta"):
                    self.db.execute(f"DELETE FROM {table}")
            elif self._meta(self.db, "signature") == signature:
                return SyncReport()  # another process caught up while this one waited
            want = dict(con.execute(_STAMPS_SQL, [list(INDEXED_LAYERS)]).fetchall())
            have = dict(self.db.execute("SELECT doc_id, stamp FROM docs").fetchall())
            gone = [d for d in have if d not in want]
            todo = [d for d, stamp in want.items() if have.get(d) != stamp]
            self._remove(gone + [d for d in todo if d in have])
            stemmer = Stemmer()
            for i in range(0, len(todo), CHUNK):
                self._add(con, todo[i:i + CHUNK], want, stemmer)
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [("signature", signature), ("version", INDEX_VERSION)])
        updated = sum(1 for d in todo if d in have)
        return SyncReport(added=len(todo) - updated, updated=updated, removed=len(gone),
                          seconds=time.perf_counter() - started)

    def _remove(self, doc_ids: Sequence[str]) -> None:
        for i in range(0, len(doc_ids), CHUNK):
            chunk = list(doc_ids[i:i + CHUNK])
            marks = ", ".join("?" * len(chunk))
            self.db.execute(f"DELETE FROM stories WHERE rowid IN (SELECT rowid FROM docs WHERE doc_id IN ({marks}))", chunk)
            self.db.execute(f"DELETE FROM docs WHERE doc_id IN ({marks})", chunk)

    def _add(self, con: Any, doc_ids: Sequence[str], stamps: dict[str, str], stemmer: Stemmer) -> None:
        for doc_id, title, body, said, names in story_texts(con, doc_ids):
            cur = self.db.execute("INSERT INTO docs (doc_id, stamp) VALUES (?, ?)", [doc_id, stamps[doc_id]])
            stems = stemmer.text("\n".join((title, body, names)))
            self.db.execute("INSERT INTO stories (rowid, title, body, said, names, stems) VALUES (?, ?, ?, ?, ?, ?)",
                            [cur.lastrowid, title, body, said, names, stems])

    # ------------------------------------------------------------ searching

    def search(self, query: Query) -> list[tuple[str, float]]:
        """(story id, bm25 rank: lower is better) of every story matching ``query``."""
        match, excluded = query.match(), query.excluded_match()
        weights = ", ".join(str(w) for w in WEIGHTS)
        if match:
            full = f"({match}) NOT {excluded}" if excluded else match
            sql = (f"SELECT d.doc_id, bm25(stories, {weights}) FROM stories JOIN docs d ON d.rowid = stories.rowid "
                   "WHERE stories MATCH ?")
            return self._run(sql, [full])
        sql = "SELECT doc_id, 0.0 FROM docs WHERE rowid NOT IN (SELECT rowid FROM stories WHERE stories MATCH ?)"
        return self._run(sql, [excluded])

    def snippets(self, query: Query, doc_ids: Sequence[str], tokens: int = 24) -> dict[str, str]:
        """story id -> the passage of its text that matches best, the matching words between
        :data:`SNIPPET_OPEN` and :data:`SNIPPET_CLOSE` (escape the text, then mark them)."""
        match = query.match()
        if not match or not doc_ids:
            return {}
        marks = ", ".join("?" * len(doc_ids))
        sql = (f"SELECT d.doc_id, snippet(stories, 1, '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', {int(tokens)}) "
               f"FROM stories JOIN docs d ON d.rowid = stories.rowid WHERE stories MATCH ? AND d.doc_id IN ({marks})")
        return dict(self._run(sql, [match, *doc_ids]))

    def _run(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc):
                raise QueryError(f"the search index cannot run this search ({exc})") from None
            raise StoreError(f"search index {self.path}: {exc}") from None

    def stats(self) -> dict[str, Any]:
        """Stories indexed and the file's size in bytes."""
        stories = self.db.execute("SELECT count(*) FROM docs").fetchone()[0]
        size = Path(self.path).stat().st_size if self.path != ":memory:" and Path(self.path).exists() else 0
        wal = Path(self.path + "-wal")
        return {"path": self.path, "stories": stories, "bytes": size + (wal.stat().st_size if wal.exists() else 0)}


def store_signature(con: Any) -> str:
    """Changes whenever a story is added or removed or an indexed layer is written
    (two aggregates: milliseconds on a 20,000-story store)."""
    docs = con.execute("SELECT count(*), max(ingested_at) FROM documents").fetchone()
    layers = con.execute("SELECT count(*), max(created_at) FROM layer_state WHERE layer IN (SELECT unnest(?))",
                         [list(INDEXED_LAYERS)]).fetchone()
    return f"{INDEX_VERSION}|{docs[0]}|{docs[1]}|{layers[0]}|{layers[1]}"


# story id -> the fingerprints of the indexed layers it has (a changed layer changes it)
_STAMPS_SQL = """
SELECT d.id, coalesce(string_agg(s.layer || ':' || s.fingerprint, ',' ORDER BY s.layer), '')
FROM documents d LEFT JOIN layer_state s ON s.doc_id = d.id AND s.layer IN (SELECT unnest(?))
GROUP BY d.id
"""


def story_texts(con: Any, doc_ids: Sequence[str]) -> list[tuple[str, str, str, str, str]]:
    """(id, title, text, what its quotes and claims say, its entity and speaker names)."""
    ids = list(doc_ids)
    said: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    for layer, columns, into in (("quotes", '"text"', said), ("claims", '"text"', said),
                                 ("entities", '"name", "text"', names), ("quotes", "speaker.name", names)):
        rel = layer_relation(con, layer)
        if rel is None:
            continue
        for doc_id, *values in con.execute(
            f"SELECT doc_id, {columns} FROM ({rel}) WHERE doc_id IN (SELECT unnest(?)) ORDER BY doc_id, seq", [ids]
        ).fetchall():
            bucket = into.setdefault(doc_id, [])
            bucket.extend(v for v in values if v and v not in bucket)
    rows = con.execute("SELECT id, coalesce(title, ''), text FROM documents WHERE id IN (SELECT unnest(?))", [ids]).fetchall()
    return [(doc_id, title, text, "\n".join(said.get(doc_id, ())), "\n".join(names.get(doc_id, ())))
            for doc_id, title, text in rows]


def refresh(store: Any) -> SyncReport | None:
    """Bring the index beside ``store`` up to date after a run wrote to it; a failure is
    one line on stderr (the next search heals the index), never a failed run."""
    try:
        with SearchIndex.of(store) as index:
            return index.sync(store.con)
    except (StoreError, sqlite3.Error, OSError) as exc:
        print(f"propwatch: warning: search index not updated ({exc}); the next search rebuilds it", file=sys.stderr)
        return None
