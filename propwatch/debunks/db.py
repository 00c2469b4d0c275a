"""The debunk database inside the propwatch store (DuckDB).

Tables (migration ``0100_debunks``, appended to :data:`propwatch.store.MIGRATIONS`):

- ``debunks``: one row per checked claim, keyed by a content hash of
  (claim, explanation, url), so importing the same file twice adds nothing;
- ``debunk_provenance``: where each debunk was read (file, record id,
  line, import id and time); a debunk seen in two files has two rows;
- ``debunk_imports``: one row per import with its counts;
- ``debunk_vectors``: cached embeddings per debunk and embedding model.

Rejected rows go to the store's ``rejections`` table with the import id.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..records import Rejection
from ..store import MIGRATIONS, Store, now
from .importers import Debunk, read_debunks

MIGRATION = (
    "0100_debunks",
    """
    CREATE TABLE debunks (
        id VARCHAR PRIMARY KEY,
        claim VARCHAR NOT NULL,
        verdict VARCHAR,
        explanation VARCHAR,
        url VARCHAR,
        claim_date VARCHAR,
        title VARCHAR,
        claimant VARCHAR,
        reviewer VARCHAR,
        language VARCHAR,
        keywords JSON,
        database VARCHAR NOT NULL,
        attribution VARCHAR,
        added_at TIMESTAMP NOT NULL
    );
    CREATE TABLE debunk_provenance (
        debunk_id VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        line INTEGER,
        import_id VARCHAR NOT NULL,
        imported_at TIMESTAMP NOT NULL,
        PRIMARY KEY (debunk_id, source_file, record_id)
    );
    CREATE TABLE debunk_imports (
        import_id VARCHAR PRIMARY KEY,
        source_file VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        imported_at TIMESTAMP NOT NULL,
        counts JSON
    );
    CREATE TABLE debunk_vectors (
        debunk_id VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        vector FLOAT[] NOT NULL,
        PRIMARY KEY (debunk_id, model)
    );
    """,
)

if all(name != MIGRATION[0] for name, _ in MIGRATIONS):
    MIGRATIONS.append(MIGRATION)

_COLUMNS = "id, claim, verdict, explanation, url, claim_date, title, claimant, reviewer, language, keywords, database, attribution"


@dataclass
class ImportReport:
    """What one import did."""

    source: str
    format: str
    import_id: str
    read: int = 0
    added: int = 0
    already_present: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "format": self.format, "import_id": self.import_id,
            "read": self.read, "added": self.added, "already_present": self.already_present,
            "rejected": len(self.rejected), "seconds": round(self.seconds, 3),
            "rejections": [str(r) for r in self.rejected],
        }


class DebunkDB:
    """Debunks stored in a propwatch :class:`~propwatch.store.Store`."""

    def __init__(self, store: Store):
        self.store = store
        if not getattr(store, "read_only", False):
            store.migrate()

    @property
    def con(self):
        """The store's connection (it may be reopened between uses)."""
        return self.store.con

    def exists(self) -> bool:
        """Whether the store has a debunk table (a read-only store may predate it)."""
        return bool(self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'debunks'").fetchone()[0])

    # -------------------------------------------------------------- import

    def import_file(self, path: str | Path, fmt: str | None = None) -> ImportReport:
        """Read one file, add the debunks not yet stored, record provenance and rejections."""
        started = time.perf_counter()
        source = str(Path(path).resolve())
        fmt, items = read_debunks(path, fmt)
        report = ImportReport(source=source, format=fmt, import_id=uuid.uuid4().hex[:12])
        good: dict[str, Debunk] = {}
        provenance: list[tuple] = []
        stamp = now()
        for line, record_id, item in items:
            report.read += 1
            if isinstance(item, Rejection):
                report.rejected.append(item)
                continue
            good.setdefault(item.id, item)
            provenance.append((item.id, source, record_id, line, report.import_id, stamp))
        existing = self._existing(list(good))
        new = [d for key, d in good.items() if key not in existing]
        report.added = len(new)
        report.already_present = report.read - len(report.rejected) - len(new)
        rows = [
            (d.id, d.claim, d.verdict, d.explanation, d.url, d.date, d.title, d.claimant, d.reviewer,
             d.language, json.dumps(list(d.keywords), ensure_ascii=False), d.database, d.attribution, stamp)
            for d in new
        ]
        # one provenance row per (debunk, file, record id)
        seen: set[tuple] = set()
        prov_rows = [p for p in provenance if (p[0], p[1], p[2]) not in seen and not seen.add((p[0], p[1], p[2]))]
        rejection_rows = [(r.source, r.line, r.kind, r.reason, report.import_id, stamp) for r in report.rejected]
        report.seconds = time.perf_counter() - started
        counts = {k: v for k, v in report.to_dict().items() if k in ("read", "added", "already_present", "rejected")}
        with self.store.transaction():
            self.store.insert_rows("debunks", _COLUMNS + ", added_at", rows)
            self.store.insert_rows("debunk_provenance", "debunk_id, source_file, record_id, line, import_id, imported_at", prov_rows, "ON CONFLICT DO NOTHING")
            self.store.insert_rows("rejections", "source, line, kind, reason, run_id, rejected_at", rejection_rows)
            self.con.execute("INSERT INTO debunk_imports VALUES (?, ?, ?, ?, ?)", [report.import_id, source, fmt, stamp, json.dumps(counts)])
        report.seconds = time.perf_counter() - started
        return report

    def add(self, debunks: Iterable[Debunk], source: str = "<api>") -> int:
        """Add debunks built in code (tests, plugins); returns how many were new."""
        items = list(debunks)
        stamp = now()
        existing = self._existing([d.id for d in items])
        new = {d.id: d for d in items if d.id not in existing}
        rows = [
            (d.id, d.claim, d.verdict, d.explanation, d.url, d.date, d.title, d.claimant, d.reviewer,
             d.language, json.dumps(list(d.keywords), ensure_ascii=False), d.database, d.attribution, stamp)
            for d in new.values()
        ]
        with self.store.transaction():
            self.store.insert_rows("debunks", _COLUMNS + ", added_at", rows)
            self.store.insert_rows(
                "debunk_provenance", "debunk_id, source_file, record_id, line, import_id, imported_at",
                [(d.id, source, d.id, None, "api", stamp) for d in new.values()], "ON CONFLICT DO NOTHING",
            )
        return len(new)

    def _existing(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        rows = self.con.execute("SELECT id FROM debunks WHERE id IN (SELECT unnest(?))", [list(ids)]).fetchall()
        return {r[0] for r in rows}

    # -------------------------------------------------------------- read

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM debunks").fetchone()[0]

    def all(self) -> list[Debunk]:
        rows = self.con.execute(f"SELECT {_COLUMNS} FROM debunks ORDER BY id").fetchall()
        return [_row_to_debunk(r) for r in rows]

    def get(self, debunk_id: str) -> Debunk:
        from ..errors import NotFoundError

        row = self.con.execute(f"SELECT {_COLUMNS} FROM debunks WHERE id = ?", [debunk_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no debunk {debunk_id!r} in {self.store.path}")
        return _row_to_debunk(row)

    def provenance(self, debunk_id: str) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "SELECT source_file, record_id, line, import_id, imported_at FROM debunk_provenance WHERE debunk_id = ? ORDER BY imported_at",
            [debunk_id],
        ).fetchall()
        return [{"source_file": s, "record_id": r, "line": line, "import_id": i, "imported_at": str(t)} for s, r, line, i, t in rows]

    def imports(self) -> list[dict[str, Any]]:
        rows = self.con.execute("SELECT import_id, source_file, format, imported_at, counts FROM debunk_imports ORDER BY imported_at").fetchall()
        return [{"import_id": i, "source_file": s, "format": f, "imported_at": str(t), "counts": json.loads(c or "{}")} for i, s, f, t, c in rows]

    # -------------------------------------------------------------- vectors

    def vectors(self, model: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        rows = self.con.execute(
            "SELECT debunk_id, vector FROM debunk_vectors WHERE model = ? AND debunk_id IN (SELECT unnest(?))", [model, list(ids)]
        ).fetchall()
        return {i: np.asarray(v, dtype=np.float32) for i, v in rows}

    def save_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        """Keep computed vectors (not on a read-only store: they are computed again next time)."""
        if not vectors or getattr(self.store, "read_only", False):
            return
        rows = [(i, model, [float(x) for x in v]) for i, v in vectors.items()]
        with self.store.transaction():
            self.store.insert_rows("debunk_vectors", "debunk_id, model, vector", rows, "ON CONFLICT DO NOTHING")


def _row_to_debunk(row: Sequence[Any]) -> Debunk:
    (i, claim, verdict, explanation, url, claim_date, title, claimant, reviewer, language, keywords, database, attribution) = row
    return Debunk(
        claim=claim, verdict=verdict, explanation=explanation, url=url, date=claim_date, title=title,
        claimant=claimant, reviewer=reviewer, language=language, keywords=tuple(json.loads(keywords or "[]")),
        database=database, attribution=attribution, id=i,
    )


__all__ = ["DebunkDB", "ImportReport", "MIGRATION"]
