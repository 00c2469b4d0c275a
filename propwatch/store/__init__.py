"""The store: a DuckDB file (``propwatch.duckdb`` by default).

Schema changes are named migrations applied once each, in order, in a
transaction, and recorded in ``migrations``. Documents are keyed by their
content id; each layer is stored per document with the fingerprint of the
stage output that made it (document id, stage name+version, stage config,
fingerprints of the layers it read), so a re-run skips finished work and a
new stage version recomputes just what it changed. Each batch is written
in one transaction: a crash (even ``kill -9``) loses at most the batch in
flight.

Each layer has a typed table generated from its record type
(:mod:`propwatch.store.tables`), and the listings (story list, index page,
entities, quotes) filter, sort and page in SQL over them
(:mod:`propwatch.store.listing`).

Other modules add their tables by appending to :data:`MIGRATIONS`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import NotFoundError, StoreError
from ..records import CleaningStep, Document, PageSignals, Rejection, record_to_dict
from ..storelock import DEFAULT_LOCK_TIMEOUT, Lease, Tell, tell_stderr, writer_lock
from ..storelock import lease as lease_store
from .listing import StoryFilter, StorySummary, entity_rows, list_stories, quote_rows
from .tables import (LayerTable, decode_items, ensure_table, load_record_types, migrate_layers_table, read_records, stored_tables,
                     table_for, write_records, write_state)

def _signals_in_typed_form(con: Any) -> None:
    """Migration ``0005_signals_typed``: each story's signals as ``record_to_dict(PageSignals)``.

    Stores before the typed signals hold the untyped ``meta`` mapping (page
    attribution as an object, missing keys); :meth:`PageSignals.from_meta`
    reads every key they had, so the rewrite loses nothing and the column
    has one shape that SQL (the Parquet export) can read.
    """
    rows = con.execute("SELECT id, signals FROM documents").fetchall()
    fixed = []
    for doc_id, payload in rows:
        plain = json.dumps(record_to_dict(PageSignals.from_meta(json.loads(payload) if payload else None)),
                           ensure_ascii=False, default=str)
        if plain != payload:
            fixed.append((doc_id, plain))
    for i in range(0, len(fixed), 1000):
        chunk = fixed[i:i + 1000]
        con.execute(
            "UPDATE documents SET signals = q.s FROM (SELECT unnest($1) AS id, unnest($2) AS s) q "
            "WHERE documents.id = q.id",
            [[d for d, _ in chunk], [p for _, p in chunk]],
        )


def _minhash_splitmix(con: Any) -> None:
    """Recompute every stored MinHash signature and its band buckets with the hashing of
    :mod:`propwatch.dedupe` (splitmix64, one seed per permutation): signatures of the old
    hashing never meet new ones in a bucket, so old stories would be missed as copies."""
    from ..dedupe import band_buckets, signature

    rows = con.execute("SELECT id, text FROM documents WHERE minhash IS NOT NULL").fetchall()
    con.execute("DELETE FROM minhash_bands")
    for i in range(0, len(rows), 500):
        chunk = rows[i:i + 500]
        sigs = [(doc_id, [int(x) for x in signature(text or "")]) for doc_id, text in chunk]
        con.executemany("UPDATE documents SET minhash = ? WHERE id = ?", [(sig, doc_id) for doc_id, sig in sigs])
        con.executemany("INSERT INTO minhash_bands VALUES (?, ?, ?)",
                        [(band, bucket, doc_id) for doc_id, sig in sigs for band, bucket in band_buckets(sig)])


MIGRATIONS: list[tuple[str, Any]] = [
    (
        "0001_documents",
        """
        CREATE TABLE documents (
            id VARCHAR PRIMARY KEY,
            source VARCHAR NOT NULL,
            story_index INTEGER NOT NULL,
            source_record VARCHAR,
            title VARCHAR,
            outlet VARCHAR,
            outlet_evidence VARCHAR,
            url VARCHAR,
            published VARCHAR,
            language VARCHAR,
            language_score DOUBLE,
            text VARCHAR NOT NULL,
            cleaning JSON,
            flags JSON,
            meta JSON,
            near_duplicate_of VARCHAR,
            near_duplicate_similarity DOUBLE,
            minhash UINTEGER[],
            ingested_at TIMESTAMP NOT NULL
        );
        CREATE TABLE document_sources (
            doc_id VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            story_index INTEGER NOT NULL,
            source_record VARCHAR NOT NULL,
            seen_at TIMESTAMP NOT NULL,
            PRIMARY KEY (doc_id, source, story_index, source_record)
        );
        CREATE TABLE layers (
            doc_id VARCHAR NOT NULL,
            layer VARCHAR NOT NULL,
            stage VARCHAR NOT NULL,
            fingerprint VARCHAR NOT NULL,
            records JSON NOT NULL,
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (doc_id, layer)
        );
        CREATE TABLE rejections (
            source VARCHAR NOT NULL,
            line INTEGER,
            kind VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            run_id VARCHAR,
            rejected_at TIMESTAMP NOT NULL
        );
        CREATE TABLE minhash_bands (
            band SMALLINT NOT NULL,
            bucket UBIGINT NOT NULL,
            doc_id VARCHAR NOT NULL
        );
        CREATE INDEX minhash_bucket ON minhash_bands (band, bucket);
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            inputs JSON,
            counts JSON
        );
        """,
    ),
    (
        # narratives (propwatch.narratives): claim vectors, claim -> narrative, linked stories
        "0100_narratives",
        """
        CREATE TABLE claim_vectors (
            claim_key VARCHAR PRIMARY KEY,
            doc_id VARCHAR NOT NULL,
            embedder VARCHAR NOT NULL,
            vector FLOAT[] NOT NULL
        );
        CREATE TABLE narrative_members (
            claim_key VARCHAR PRIMARY KEY,
            narrative_id VARCHAR NOT NULL,
            doc_id VARCHAR NOT NULL,
            seq BIGINT NOT NULL,
            linked_to VARCHAR,
            score DOUBLE,
            claim JSON NOT NULL
        );
        CREATE TABLE narrative_docs (
            doc_id VARCHAR PRIMARY KEY,
            linked_at TIMESTAMP NOT NULL
        )
        """,
    ),
    (
        "0002_ingested_files",
        """
        CREATE TABLE ingested_files (
            path VARCHAR NOT NULL,
            size BIGINT NOT NULL,
            mtime_ns BIGINT NOT NULL,
            ingest_hash VARCHAR NOT NULL,
            doc_ids JSON NOT NULL,
            ingested_at TIMESTAMP NOT NULL,
            PRIMARY KEY (path, ingest_hash)
        );
        """,
    ),
    # one typed table per layer (propwatch.store.tables); every row of `layers` moves, then it is dropped
    ("0003_layer_tables", migrate_layers_table),
    # Document.meta became typed fields: the column holds Document.signals (PageSignals as JSON;
    # older rows hold the untyped meta, which PageSignals.from_meta reads)
    ("0004_document_signals", "ALTER TABLE documents RENAME COLUMN meta TO signals"),
    ("0005_signals_typed", _signals_in_typed_form),
    # the input record's own id and its other fields (Document.external_id, .input_fields);
    # older rows get their id back from the signals, where it was kept as input_id
    (
        "0006_input_fields",
        """
        ALTER TABLE documents ADD COLUMN external_id VARCHAR;
        ALTER TABLE documents ADD COLUMN input_fields JSON;
        UPDATE documents SET external_id = json_extract_string(signals, '$.input_id')
            WHERE json_extract_string(signals, '$.input_id') IS NOT NULL
        """,
    ),
    # near-duplicates v2 hashes shingles differently: stored signatures are made again
    ("0007_minhash_splitmix", _minhash_splitmix),
    (
        # analysts' decisions on machine output (propwatch.corrections): append-only, never rewritten by analyze
        "0201_corrections",
        """
        CREATE SEQUENCE correction_ids START 1;
        CREATE TABLE corrections (
            id BIGINT PRIMARY KEY DEFAULT nextval('correction_ids'),
            doc_id VARCHAR NOT NULL,
            layer VARCHAR NOT NULL,
            item_key VARCHAR NOT NULL,
            decision VARCHAR NOT NULL,
            span_start INTEGER,
            span_end INTEGER,
            span_text VARCHAR,
            machine_label VARCHAR,
            label VARCHAR,
            detail JSON,
            model VARCHAR,
            analyst VARCHAR NOT NULL,
            decided_at TIMESTAMP NOT NULL,
            note VARCHAR,
            origin VARCHAR NOT NULL,
            undoes BIGINT
        );
        CREATE INDEX corrections_item ON corrections (doc_id, layer, item_key)
        """,
    ),
    (
        # watching outlets (propwatch.watch): what each source's feeds and sitemaps gave, the
        # validators of every URL fetched, per-host backoff, the request log, and alerts
        "0301_watch",
        """
        CREATE TABLE watch_sources (
            name VARCHAR PRIMARY KEY,
            polls BIGINT NOT NULL,
            last_poll TIMESTAMP,
            last_ok TIMESTAMP,
            next_poll TIMESTAMP,
            items_new BIGINT NOT NULL,
            items_seen BIGINT NOT NULL,
            items_failed BIGINT NOT NULL,
            last_error VARCHAR
        );
        CREATE TABLE watch_resources (
            url VARCHAR PRIMARY KEY,
            source VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            etag VARCHAR,
            last_modified VARCHAR,
            body_hash VARCHAR,
            status VARCHAR NOT NULL,
            fetched_at TIMESTAMP NOT NULL,
            parent VARCHAR
        );
        CREATE TABLE watch_items (
            url VARCHAR PRIMARY KEY,
            source VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            doc_ids JSON,
            reason VARCHAR,
            attempts INTEGER NOT NULL,
            title VARCHAR,
            published VARCHAR,
            first_seen TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        );
        CREATE TABLE watch_errors (
            source VARCHAR NOT NULL,
            url VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            happened_at TIMESTAMP NOT NULL
        );
        CREATE TABLE watch_hosts (
            host VARCHAR PRIMARY KEY,
            failures INTEGER NOT NULL,
            retry_at TIMESTAMP,
            last_status VARCHAR,
            updated_at TIMESTAMP NOT NULL
        );
        CREATE TABLE watch_requests (
            host VARCHAR NOT NULL,
            url VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            happened_at TIMESTAMP NOT NULL
        );
        CREATE TABLE alerts (
            id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            key VARCHAR NOT NULL UNIQUE,
            status VARCHAR NOT NULL,
            title VARCHAR NOT NULL,
            details JSON NOT NULL,
            raised_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL,
            updated_by VARCHAR
        );
        CREATE TABLE alert_deliveries (
            alert_id VARCHAR NOT NULL,
            channel VARCHAR NOT NULL,
            ok BOOLEAN NOT NULL,
            reason VARCHAR,
            happened_at TIMESTAMP NOT NULL
        )
        """,
    ),
]

_DOC_COLUMNS = (
    "id, source, story_index, source_record, title, outlet, outlet_evidence, url, published, "
    "language, language_score, text, cleaning, flags, signals, near_duplicate_of, near_duplicate_similarity, "
    "external_id, input_fields"
)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class StoredLayer:
    stage: str
    fingerprint: str


class Store:
    """A propwatch store in one DuckDB file; ``":memory:"`` for a throwaway one."""

    def __init__(
        self,
        path: str | Path = "propwatch.duckdb",
        read_only: bool = False,
        lock_timeout: float | None = None,
        tell: Tell | None = tell_stderr,
    ):
        """Nothing is opened here: the first use of :attr:`con` leases the file (see
        :mod:`propwatch.storelock`), :meth:`release` hands it back. ``lock_timeout``:
        seconds to wait for other processes (``store.lock_timeout``); ``tell``: where
        the one "waiting for ..." line goes (stderr; None: nowhere).
        """
        self.path = str(path)
        self.read_only = read_only
        self.lock_timeout = DEFAULT_LOCK_TIMEOUT if lock_timeout is None else float(lock_timeout)
        self.tell = tell
        self._lock = threading.RLock()
        self._con: Any = None
        self._lease: Lease | None = None  # a read-write store's lease holds the writer lock too
        self._depth = 0
        self._release_pending = False
        self._migrated = read_only
        if self.path == ":memory:":
            import duckdb

            self._con = duckdb.connect(":memory:")
            self.migrate()
            self._migrated = True
            return
        if read_only and not Path(self.path).exists():
            raise NotFoundError(f"no store at {self.path}: run `propwatch analyze` first, or name one with --store")
        if not read_only and not Path(self.path).exists():
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.migrate()  # a new store is made at once, so that readers find it
            self.release()

    @classmethod
    def from_config(cls, config: Any, read_only: bool = False, tell: Tell | None = tell_stderr) -> "Store":
        """The store a config names, with its ``store.lock_timeout``."""
        return cls(config.store_path, read_only=read_only,
                   lock_timeout=config.get("store.lock_timeout", DEFAULT_LOCK_TIMEOUT), tell=tell)

    # ------------------------------------------------------------ lifecycle

    @property
    def con(self) -> Any:
        """The DuckDB connection, leased on first use after :meth:`release`."""
        con = self._con
        if con is None:
            with self._lock:
                if self._con is None:
                    self._open()
                con = self._con
        return con

    def _open(self) -> None:
        if self.path == ":memory:":
            raise StoreError("this in-memory store was closed")
        writer = None
        if not self.read_only:
            writer = writer_lock(self.path)
            writer.acquire(self.lock_timeout, self.tell)
        try:
            # a store dropped unreleased hands the file back once its connection is garbage
            lease = lease_store(self.path, write=not self.read_only, timeout=self.lock_timeout, tell=self.tell,
                                then=writer.release if writer is not None else None)
        except BaseException:
            if writer is not None:
                writer.release()
            raise
        self._lease, self._con = lease, lease.take()
        if self.read_only and self._pending_migrations():
            self._upgrade_then_reopen()
            return
        if not self._migrated:
            self.migrate()
            self._migrated = True

    def _pending_migrations(self) -> list[str]:
        """Migrations this store file has not had yet (a store written by an older propwatch)."""
        con = self._con
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'migrations'").fetchone()[0]:
            return [name for name, _ in MIGRATIONS]
        done = {r[0] for r in con.execute("SELECT name FROM migrations").fetchall()}
        return [name for name, _ in MIGRATIONS if name not in done]

    def _upgrade_then_reopen(self) -> None:
        """A reader found an older store: migrate it once as a writer (waiting for the
        writer lock like any writer), then open it read-only again."""
        self.release()
        with Store(self.path, lock_timeout=self.lock_timeout, tell=self.tell) as writer:
            writer.migrate()
        self._open()

    def release(self) -> None:
        """Hand the file back (other processes may then lock it); the next use reopens it.

        Inside a transaction the release waits for its end. No-op for ``":memory:"``.
        """
        with self._lock:
            if self._depth:
                self._release_pending = True
                return
            lease, self._lease = self._lease, None
            if lease is not None:
                self._con = None
                lease.close()

    @contextmanager
    def writing(self) -> Iterator["Store"]:
        """Hold the store's writer lock for the block (a whole ``analyze`` run, one API
        request), waiting up to ``lock_timeout`` for another writer; the file is
        released at the end."""
        if self.read_only:
            raise StoreError(f"store {self.path} was opened read-only")
        if self.path == ":memory:":
            yield self
            return
        writer = writer_lock(self.path)
        writer.acquire(self.lock_timeout, self.tell)
        try:
            yield self
        finally:
            self.release()
            writer.release()

    @contextmanager
    def reading(self) -> Iterator["Store"]:
        """A read-only store on the same file for one unit of work, released after
        (this store itself for ``":memory:"``)."""
        if self.path == ":memory:":
            yield self
            return
        reader = Store(self.path, read_only=True, lock_timeout=self.lock_timeout, tell=self.tell)
        try:
            yield reader
        finally:
            reader.close()

    def close(self) -> None:
        self.release()
        if self.path == ":memory:" and self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def migrate(self) -> list[str]:
        """Apply the migrations not applied yet; returns their names."""
        self.con.execute("CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
        done = {row[0] for row in self.con.execute("SELECT name FROM migrations").fetchall()}
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                if callable(sql):
                    sql(self.con)
                else:
                    for statement in filter(str.strip, sql.split(";")):
                        self.con.execute(statement)
                self.con.execute("INSERT INTO migrations VALUES (?, ?)", [name, now()])
            applied.append(name)
        return applied

    @contextmanager
    def transaction(self) -> Iterator[None]:
        import duckdb

        with self._lock:
            con = self.con
            con.execute("BEGIN TRANSACTION")
            self._depth += 1
            try:
                try:
                    yield
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                try:
                    con.execute("COMMIT")
                except duckdb.Error as exc:
                    raise StoreError(f"commit failed on {self.path}: {exc}") from None
            finally:
                self._depth -= 1
                if not self._depth and self._release_pending:
                    self._release_pending = False
                    self.release()

    # ------------------------------------------------------------ writing

    def stored_layers(self, doc_ids: Sequence[str]) -> dict[str, dict[str, StoredLayer]]:
        """For each id already stored: layer -> (stage, fingerprint)."""
        if not doc_ids:
            return {}
        rows = self.con.execute(
            "SELECT doc_id, layer, stage, fingerprint FROM layer_state WHERE doc_id IN (SELECT unnest(?))",
            [list(doc_ids)],
        ).fetchall()
        out: dict[str, dict[str, StoredLayer]] = {}
        for doc_id, layer, stage, fp in rows:
            out.setdefault(doc_id, {})[layer] = StoredLayer(stage, fp)
        return out

    def existing_ids(self, doc_ids: Sequence[str]) -> set[str]:
        if not doc_ids:
            return set()
        rows = self.con.execute(
            "SELECT id FROM documents WHERE id IN (SELECT unnest(?))", [list(doc_ids)]
        ).fetchall()
        return {r[0] for r in rows}

    def write_batch(
        self,
        new_docs: Sequence[Document],
        layers: Iterable[tuple[str, str, str, str, Sequence[Any]]],
        sources: Iterable[tuple[str, str, int, str | None]],
        rejections: Sequence[Rejection] = (),
        run_id: str | None = None,
        minhashes: dict[str, Any] | None = None,
        near_duplicates: dict[str, tuple[str, float]] | None = None,
        files: Sequence[tuple[str, int, int, str, Sequence[str]]] = (),
    ) -> None:
        """One transaction: new documents, (re)computed layers, sources, rejections.

        ``layers`` holds (doc_id, layer, stage ref, fingerprint, records).
        """
        from ..dedupe import band_buckets

        minhashes = minhashes or {}
        near_duplicates = near_duplicates or {}
        stamp = now()
        doc_rows = []
        band_rows = []
        for doc in new_docs:
            dup = near_duplicates.get(doc.id)
            sig = minhashes.get(doc.id)
            doc_rows.append((
                doc.id, doc.source, doc.story_index, doc.source_record, doc.title, doc.outlet,
                doc.outlet_evidence, doc.url, doc.published, doc.language, doc.language_score,
                doc.text, json.dumps([s.to_dict() for s in doc.cleaning]),
                json.dumps(list(doc.flags)), json.dumps(record_to_dict(doc.signals), default=str),
                dup[0] if dup else None, dup[1] if dup else None, doc.external_id,
                json.dumps(dict(doc.input_fields), ensure_ascii=False, default=str) if doc.input_fields else None,
                [int(x) for x in sig] if sig is not None else None, stamp,
            ))
            if sig is not None:
                band_rows.extend((band, bucket, doc.id) for band, bucket in band_buckets(sig))
        source_rows = [(doc_id, src, idx, record or "", stamp) for doc_id, src, idx, record in sources]
        layer_rows = [(doc_id, layer, stage, fingerprint, stamp, tuple(records))
                      for doc_id, layer, stage, fingerprint, records in layers]
        rejection_rows = [(r.source, r.line, r.kind, r.reason, run_id, stamp) for r in rejections]
        with self.transaction():
            self.insert_rows("documents", f"{_DOC_COLUMNS}, minhash, ingested_at", doc_rows, "ON CONFLICT DO NOTHING")
            self.insert_rows("minhash_bands", "band, bucket, doc_id", band_rows)
            self.insert_rows("document_sources", "doc_id, source, story_index, source_record, seen_at", source_rows, "ON CONFLICT DO NOTHING")
            self._write_layers(layer_rows)
            self.insert_rows("rejections", "source, line, kind, reason, run_id, rejected_at", rejection_rows)
            file_rows = [(path, size, mtime, ingest_hash, json.dumps(list(ids)), stamp) for path, size, mtime, ingest_hash, ids in files]
            self.insert_rows("ingested_files", "path, size, mtime_ns, ingest_hash, doc_ids, ingested_at", file_rows, "", replace=True)

    def _write_layers(self, rows: Sequence[tuple[str, str, str, str, datetime, tuple]]) -> None:
        """Typed rows of each layer's table plus its ``layer_state`` row; inside a transaction."""
        if not rows:
            return
        rows = list({(r[0], r[1]): r for r in rows}.values())  # a layer given twice: the last one counts
        stored = stored_tables(self.con)
        tables = {layer: self._layer_table(layer, stored) for layer in dict.fromkeys(r[1] for r in rows)}
        where = write_records(self.con, [(d, layer, recs) for d, layer, _, _, _, recs in rows], tables)
        write_state(self.con, [(d, layer, st, fp, at, len(recs)) for d, layer, st, fp, at, recs in rows], where)

    def _layer_table(self, layer: str, stored: dict[str, tuple[str, str]] | None = None) -> LayerTable | None:
        """The layer's typed table, created (or rebuilt for a changed type) on first use."""
        load_record_types()
        table = table_for(layer)
        ready = self.__dict__.setdefault("_tables_ready", set())
        if table is not None and table not in ready:
            ensure_table(self.con, table, stored)
            ready.add(table)
        return table

    def ingested_file(self, path: str, size: int, mtime_ns: int, ingest_hash: str) -> list[str] | None:
        """The stories a file gave when it was last read unchanged with the same ingest stages."""
        row = self.con.execute(
            "SELECT doc_ids FROM ingested_files WHERE path = ? AND size = ? AND mtime_ns = ? AND ingest_hash = ?",
            [path, size, mtime_ns, ingest_hash],
        ).fetchone()
        return json.loads(row[0]) if row else None

    def insert_rows(self, table: str, columns: str, rows: Sequence[tuple], tail: str = "", replace: bool = False) -> None:
        """Insert many rows in one statement: one list parameter per column, unnested together.

        For the tables other modules add by migrations (debunks, narratives); call it
        inside :meth:`transaction`. ``table`` and ``columns`` are code, never data."""
        if not rows:
            return
        names = [c.strip() for c in columns.split(",")]
        lists = [list(col) for col in zip(*rows)]
        select = ", ".join(f"unnest(${i + 1}) AS {name}" for i, name in enumerate(names))
        verb = "INSERT OR REPLACE INTO" if replace else "INSERT INTO"
        sql = f"{verb} {table} ({columns}) SELECT {select}" + (f" {tail}" if tail else "")
        self.con.execute(sql, lists)

    def start_run(self, run_id: str, inputs: Sequence[str]) -> None:
        with self.transaction():
            self.con.execute(
                "INSERT INTO runs VALUES (?, ?, NULL, ?, NULL)", [run_id, now(), json.dumps(list(inputs))]
            )

    def finish_run(self, run_id: str, counts: dict[str, Any]) -> None:
        with self.transaction():
            self.con.execute(
                "UPDATE runs SET finished_at = ?, counts = ? WHERE run_id = ?",
                [now(), json.dumps(counts), run_id],
            )

    # ------------------------------------------------------------ near duplicates

    def minhash_candidates(self, buckets: Sequence[tuple[int, int]]) -> dict[tuple[int, int], dict[str, list[int]]]:
        """For each (band, bucket): the stored documents in it, with their signatures."""
        if not buckets:
            return {}
        unique = sorted(set(buckets))
        rows = self.con.execute(
            """
            SELECT m.band, m.bucket, d.id, d.minhash FROM minhash_bands m
            JOIN (SELECT unnest($1) AS band, unnest($2) AS bucket) q ON m.band = q.band AND m.bucket = q.bucket
            JOIN documents d ON d.id = m.doc_id
            """,
            [[b for b, _ in unique], [v for _, v in unique]],
        ).fetchall()
        out: dict[tuple[int, int], dict[str, list[int]]] = {}
        for band, bucket, doc_id, sig in rows:
            if sig:
                out.setdefault((band, bucket), {})[doc_id] = sig
        return out

    # ------------------------------------------------------------ reading

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM documents").fetchone()[0]

    def get(self, doc_id: str) -> Document:
        docs = self.load(doc_ids=[doc_id])
        if not docs:
            matches = self.con.execute(
                "SELECT id FROM documents WHERE id LIKE ? ORDER BY id LIMIT 2", [doc_id + "%"]
            ).fetchall()
            if len(matches) == 1 and len(doc_id) >= 4:
                return self.load(doc_ids=[matches[0][0]])[0]
            raise NotFoundError(f"no document {doc_id!r} in {self.path}")
        return docs[0]

    def load(self, doc_ids: Sequence[str] | None = None, layers: Sequence[str] | None = None) -> list[Document]:
        """Documents with their stored layers (all layers unless ``layers`` names some)."""
        where, params = "", []
        if doc_ids is not None:
            if not doc_ids:
                return []
            where, params = "WHERE id IN (SELECT unnest(?))", [list(doc_ids)]
        rows = self.con.execute(
            f"SELECT {_DOC_COLUMNS} FROM documents {where} ORDER BY ingested_at, source, story_index, rowid", params
        ).fetchall()
        docs = [self._row_to_document(r) for r in rows]
        if not docs:
            return []
        stored = self._layers_for([d.id for d in docs], layers)
        return [d.replace(layers=stored.get(d.id, {})) for d in docs]

    def iter_documents(self, batch_size: int = 500, layers: Sequence[str] | None = None) -> Iterator[Document]:
        ids = [r[0] for r in self.con.execute(
            "SELECT id FROM documents ORDER BY ingested_at, source, story_index, rowid").fetchall()]
        for i in range(0, len(ids), batch_size):
            order = {doc_id: k for k, doc_id in enumerate(ids[i:i + batch_size])}
            yield from sorted(self.load(ids[i:i + batch_size], layers), key=lambda d: order[d.id])

    def _layers_for(self, doc_ids: Sequence[str], names: Sequence[str] | None) -> dict[str, dict[str, tuple]]:
        load_record_types()
        return read_records(self.con, doc_ids, names)

    def _row_to_document(self, row: Sequence[Any]) -> Document:
        (doc_id, source, story_index, source_record, title, outlet, evidence, url, published,
         language, language_score, text, cleaning, flags, signals, dup, dup_sim, external_id, input_fields) = row
        flag_list = tuple(json.loads(flags) if flags else ())
        return Document(
            text=text, source=source, story_index=story_index, source_record=source_record,
            title=title, outlet=outlet, outlet_evidence=evidence, url=url, published=published,
            language=language or "und", language_score=language_score or 0.0,
            cleaning=tuple(CleaningStep(s["op"], s.get("params", {}), s.get("note", "")) for s in json.loads(cleaning or "[]")),
            flags=flag_list, signals=PageSignals.from_meta(json.loads(signals) if signals else None),
            near_duplicate_of=dup or None, near_duplicate_similarity=dup_sim if dup else None,
            external_id=external_id, input_fields=json.loads(input_fields) if input_fields else None,
        )

    # ------------------------------------------------------------ listings (SQL, see .listing)

    def list_stories(self, filters: StoryFilter = StoryFilter(), order: str = "ingested",
                     limit: int | None = None, offset: int = 0) -> tuple[list[StorySummary], int]:
        """One page of story summaries matching ``filters``, and how many match in all."""
        return list_stories(self.con, filters, order, limit, offset)

    def quote_rows(self, kind: str | None = None, speaker: str | None = None,
                   limit: int | None = None, offset: int = 0) -> list[dict]:
        """One row per stored quote, in story order (see :func:`.listing.quote_rows`)."""
        return quote_rows(self.con, kind, speaker, limit, offset)

    def entity_rows(self, label: str | None = None, outlet: str | None = None, min_mentions: int = 1,
                    limit: int | None = None, offset: int = 0) -> list[dict]:
        """One row per canonical entity, most mentioned first (see :func:`.listing.entity_rows`)."""
        return entity_rows(self.con, label, outlet, min_mentions, limit, offset)

    def sources_of(self, doc_id: str) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "SELECT source, story_index, source_record, seen_at FROM document_sources WHERE doc_id = ? ORDER BY seen_at",
            [doc_id],
        ).fetchall()
        return [{"source": s, "story_index": i, "record": r or None, "seen_at": str(t)} for s, i, r, t in rows]

    def rejections(self, run_id: str | None = None) -> list[Rejection]:
        query = "SELECT source, line, kind, reason FROM rejections"
        params: list[Any] = []
        if run_id:
            query += " WHERE run_id = ?"
            params.append(run_id)
        query += " ORDER BY rejected_at, source, line"
        return [Rejection(s, k, r, line) for s, line, k, r in self.con.execute(query, params).fetchall()]


def decode_layer(layer: str, payload: str) -> tuple:
    """A layer's records from their JSON text (the old ``layers.records``; plain dicts
    when the type is unknown)."""
    load_record_types()
    return decode_items(layer, json.loads(payload))
