"""The debunk database inside the propwatch store (DuckDB).

Tables (migration ``0100_debunks``, appended to :data:`propwatch.store.MIGRATIONS`):

- ``debunks``: one row per checked claim, keyed by a content hash of
  (claim, explanation, url), so importing the same file twice adds nothing;
- ``debunk_provenance``: where each debunk was read (file, record id,
  line, import id and time); a debunk seen in two files has two rows;
- ``debunk_imports``: one row per import with its counts;
- ``debunk_vectors``: cached embeddings per debunk and embedding model.

Migration ``0101_debunk_cases`` adds the database's own reference to each
debunk (``case_id``; ``url`` is the case URL), the lists of ``outlets``,
``countries``, ``languages`` and ``appearances`` (URLs of the claim's
publications), and ``item_key`` to the provenance (the content key of the row
as read, so re-importing a file whose rows were merged adds nothing).

**Merging.** One EUvsDisinfo case can be in two exports (the scraper's CSV with
its summary and disproof; the data package with its case URL, countries and
outlets). A row of one file that names the same case as a stored debunk read
from *another* file -- the same case id, or the same date and titles that
agree (:func:`~propwatch.debunks.importers.titles_agree`), one to one -- is
merged into it: missing fields filled in, lists joined; the stored claim stays
unless the row's is longer (a summary beats a cut title). Ambiguous pairs (two
rows of one date and title) are not merged.

Rejected rows go to the store's ``rejections`` table with the import id.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..records import Rejection
from ..store import MIGRATIONS, Store, now
from .importers import Debunk, read_debunks, titles_agree

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

CASES_MIGRATION = (
    "0101_debunk_cases",
    """
    ALTER TABLE debunks ADD COLUMN case_id VARCHAR;
    ALTER TABLE debunks ADD COLUMN outlets JSON;
    ALTER TABLE debunks ADD COLUMN countries JSON;
    ALTER TABLE debunks ADD COLUMN languages JSON;
    ALTER TABLE debunks ADD COLUMN appearances JSON;
    ALTER TABLE debunk_provenance ADD COLUMN item_key VARCHAR
    """,
)

for _migration in (MIGRATION, CASES_MIGRATION):
    if all(name != _migration[0] for name, _ in MIGRATIONS):
        MIGRATIONS.append(_migration)

_BASE_COLUMNS = "id, claim, verdict, explanation, url, claim_date, title, claimant, reviewer, language, keywords, database, attribution"
_CASE_COLUMNS = ("case_id", "outlets", "countries", "languages", "appearances")
_COLUMNS = _BASE_COLUMNS + ", " + ", ".join(_CASE_COLUMNS)
_LIST_FIELDS = ("keywords", "outlets", "countries", "languages", "appearances")
SHOWN_REJECTIONS = 5  # rejected lines named one by one in a summary


def _row_of(d: Debunk, stamp: Any) -> tuple:
    return (
        d.id, d.claim, d.verdict, d.explanation, d.url, d.date, d.title, d.claimant, d.reviewer, d.language,
        json.dumps(list(d.keywords), ensure_ascii=False), d.database, d.attribution, d.case_id,
        *(json.dumps(list(getattr(d, f)), ensure_ascii=False) for f in _LIST_FIELDS[1:]), stamp,
    )


def _rejection_kind(r: Rejection) -> str:
    """A rejection's kind and the stable part of its reason ("bad-record: empty claim")."""
    reason = re.split(r"[:'\"(\d]", r.reason, maxsplit=1)[0].strip()
    return f"{r.kind}: {reason}" if reason else r.kind


def _outlet_keys(d: Debunk) -> set[str]:
    """An entry's outlets as comparable keys: "Sputnik Czech - YouTube" -> "sputnikczech"; a domain
    ("ac24.cz") -> its name part ("ac24")."""
    keys = set()
    for outlet in d.outlets or ((d.claimant,) if d.claimant else ()):
        outlet = re.sub(r"\s+-\s+(?:youtube|facebook.*|twitter|telegram)$", "", outlet.strip(), flags=re.I)
        domain = re.fullmatch(r"(?:www\.)?([\w-]+)\.[a-z.]{2,6}", outlet.casefold())
        key = re.sub(r"[\W_]+", "", domain.group(1) if domain else outlet.casefold())
        if len(key) >= 3:
            keys.add(key)
    return keys


def _outlets_meet(a: Debunk, b: Debunk) -> bool:
    """Whether two entries name the same outlet."""
    return bool(_outlet_keys(a) & _outlet_keys(b))


def merge_debunks(old: Debunk, new: Debunk) -> Debunk:
    """``old`` with what ``new`` adds: missing fields, joined lists, the longer claim."""
    def first(a, b):
        return a if a not in (None, "") else b

    def joined(a: tuple, b: tuple) -> tuple:
        return tuple(dict.fromkeys((*a, *b)))

    title = old.title
    if new.title and (not title or (title.endswith(("…", "...")) and not new.title.endswith(("…", "...")))):
        title = new.title
    return dataclasses.replace(
        old,
        claim=new.claim if len(new.claim) > len(old.claim) else old.claim,
        verdict=first(old.verdict, new.verdict), explanation=first(old.explanation, new.explanation),
        url=first(old.url, new.url), date=first(old.date, new.date), title=title,
        claimant=", ".join(joined(tuple(filter(None, (old.claimant or "").split(", "))),
                                  tuple(filter(None, (new.claimant or "").split(", "))))) or None,
        reviewer=first(old.reviewer, new.reviewer), language=first(old.language, new.language),
        attribution=first(old.attribution, new.attribution), case_id=first(old.case_id, new.case_id),
        **{f: joined(getattr(old, f), getattr(new, f)) for f in _LIST_FIELDS},
    )


@dataclass
class ImportReport:
    """What one import did."""

    source: str
    format: str
    import_id: str
    read: int = 0
    added: int = 0
    merged: int = 0  # rows that named a case already stored from another file (fields joined)
    already_present: int = 0  # rows stored before, or repeating an earlier row of the file
    repeated: int = 0  # of those, rows repeating an earlier row of this file
    rejected: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rejected_kinds(self) -> dict[str, int]:
        """How many rows were rejected for each kind of reason, most first."""
        counts: dict[str, int] = {}
        for r in self.rejected:
            counts[_rejection_kind(r)] = counts.get(_rejection_kind(r), 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def ok(self) -> bool:
        """The import kept what it could: some rows were good, or there were none to read."""
        return self.read > len(self.rejected) or not self.rejected

    def summary(self) -> str:
        """One line for a person: what was added, merged, kept, rejected (and where)."""
        name = Path(self.source).name
        parts = [f"{self.read} rows read", f"{self.added} added", f"{self.merged} merged into cases already stored",
                 f"{self.already_present} already present"
                 + (f" ({self.repeated} repeating an earlier row of the file)" if self.repeated else "")]
        text = f"{name}: " + ", ".join(parts)
        if self.rejected:
            lines = [r.line for r in self.rejected if r.line is not None][:SHOWN_REJECTIONS]
            kinds = "; ".join(f"{k} ({n})" for k, n in self.rejected_kinds.items())
            more = "" if len(self.rejected) <= len(lines) else ", ..."
            text += f"; {len(self.rejected)} rejected: {kinds}; first at line(s) {', '.join(map(str, lines))}{more}"
        if not self.ok:
            text += "; nothing imported"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "format": self.format, "import_id": self.import_id,
            "read": self.read, "added": self.added, "merged": self.merged, "already_present": self.already_present,
            "repeated": self.repeated, "rejected": len(self.rejected), "rejected_kinds": self.rejected_kinds,
            "rejected_lines": [r.line for r in self.rejected if r.line is not None][:SHOWN_REJECTIONS],
            "seconds": round(self.seconds, 3),
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
        """Read one file; add the debunks not yet stored, merge rows naming a case stored
        from another file, record provenance and rejections."""
        started = time.perf_counter()
        source = str(Path(path).resolve())
        fmt, items = read_debunks(path, fmt)
        report = ImportReport(source=source, format=fmt, import_id=uuid.uuid4().hex[:12])
        good: dict[str, Debunk] = {}
        read_as: list[tuple[str, str, int | None]] = []  # (item key, record id, line)
        stamp = now()
        for line, record_id, item in items:
            report.read += 1
            if isinstance(item, Rejection):
                report.rejected.append(item)
                continue
            good.setdefault(item.id, item)
            read_as.append((item.id, record_id, line))
        known = self._known_keys(list(good))  # item key -> stored debunk id
        fresh = {key: d for key, d in good.items() if key not in known}
        targets = self._merge_targets(fresh, source)  # item key -> stored debunk
        merged: dict[str, Debunk] = {}
        for key, stored in targets.items():
            merged[stored.id] = merge_debunks(merged.get(stored.id, stored), fresh[key])
            known[key] = stored.id
        new = [d for key, d in fresh.items() if key not in targets]
        for d in new:
            known[d.id] = d.id
        report.added, report.merged = len(new), len(targets)  # repeats of one row inside the file count once
        report.repeated = len(read_as) - len(good)
        report.already_present = report.read - len(report.rejected) - report.added - report.merged
        # one provenance row per (debunk, file, record id)
        seen: set[tuple] = set()
        prov_rows = []
        for key, record_id, line in read_as:
            debunk_id = known[key]
            if (debunk_id, source, record_id) in seen:
                continue
            seen.add((debunk_id, source, record_id))
            prov_rows.append((debunk_id, source, record_id, line, report.import_id, stamp, key))
        rejection_rows = [(r.source, r.line, r.kind, r.reason, report.import_id, stamp) for r in report.rejected]
        report.seconds = time.perf_counter() - started
        counts = {k: v for k, v in report.to_dict().items()
                  if k in ("read", "added", "merged", "already_present", "repeated", "rejected", "rejected_kinds")}
        with self.store.transaction():
            self.store.insert_rows("debunks", _COLUMNS + ", added_at", [_row_of(d, stamp) for d in new])
            for d in merged.values():
                self._update(d)
            self.store.insert_rows(
                "debunk_provenance", "debunk_id, source_file, record_id, line, import_id, imported_at, item_key",
                prov_rows, "ON CONFLICT DO NOTHING")
            self.store.insert_rows("rejections", "source, line, kind, reason, run_id, rejected_at", rejection_rows)
            self.con.execute("INSERT INTO debunk_imports VALUES (?, ?, ?, ?, ?)", [report.import_id, source, fmt, stamp, json.dumps(counts)])
        report.seconds = time.perf_counter() - started
        return report

    def _update(self, d: Debunk) -> None:
        row = _row_of(d, None)[1:-1]
        names = [c.strip() for c in _COLUMNS.split(",")][1:]
        self.con.execute(f"UPDATE debunks SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?", [*row, d.id])

    def _known_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Item keys already imported -> the debunk holding them (its own id, or the one it was merged into)."""
        out = {k: k for k in self._existing(keys)}
        if keys:
            rows = self.con.execute(
                "SELECT item_key, debunk_id FROM debunk_provenance WHERE item_key IN (SELECT unnest(?))", [list(keys)]
            ).fetchall()
            out.update({k: i for k, i in rows if k not in out})
        return out

    def _merge_targets(self, fresh: dict[str, Debunk], source: str) -> dict[str, Debunk]:
        """New EUvsDisinfo rows -> the stored case (read from another file) each names, one to one."""
        rows = {k: d for k, d in fresh.items() if d.database == "euvsdisinfo"}
        if not rows:
            return {}
        stored = self.con.execute(
            f"SELECT {self._select()} FROM debunks d WHERE d.database = 'euvsdisinfo' AND NOT EXISTS ("
            "SELECT 1 FROM debunk_provenance p WHERE p.debunk_id = d.id AND p.source_file = ?)", [source]
        ).fetchall()
        if not stored:
            return {}
        by_case: dict[str, list[Debunk]] = {}
        by_date: dict[str, list[Debunk]] = {}
        for r in stored:
            d = _row_to_debunk(r)
            if d.case_id:
                by_case.setdefault(d.case_id, []).append(d)
            if d.date:
                by_date.setdefault(d.date, []).append(d)
        rows_by_date: dict[str, list[str]] = {}
        for k, d in rows.items():
            if d.date:
                rows_by_date.setdefault(d.date, []).append(k)
        out: dict[str, Debunk] = {}
        claimed: dict[str, list[str]] = {}
        for k, d in rows.items():
            same = by_case.get(d.case_id, []) if d.case_id else []
            if same:
                if len(same) == 1:
                    out[k] = same[0]
                    claimed.setdefault(same[0].id, []).append(k)
                continue
            if not d.date:
                continue
            same = [s for s in by_date.get(d.date, ())
                    if not (s.case_id and d.case_id) and titles_agree(s.title or s.claim, d.title or d.claim)]
            if len(same) > 1:  # one date, one title, several cases (one per outlet): the outlet decides
                same = [s for s in same if _outlets_meet(s, d)]
            if len(same) != 1:
                continue
            target = same[0]
            # one to one: no other new row of that date agrees with the stored case as well
            rivals = [o for o in rows_by_date.get(d.date, ()) if o != k
                      and titles_agree(target.title or target.claim, rows[o].title or rows[o].claim)]
            if rivals and (not _outlets_meet(target, d) or any(_outlets_meet(target, rows[o]) for o in rivals)):
                continue
            out[k] = target
            claimed.setdefault(target.id, []).append(k)
        return {k: t for k, t in out.items() if len(claimed[t.id]) == 1}

    def _existing(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        rows = self.con.execute("SELECT id FROM debunks WHERE id IN (SELECT unnest(?))", [list(ids)]).fetchall()
        return {r[0] for r in rows}

    # -------------------------------------------------------------- read

    def _select(self) -> str:
        """The debunk columns to read; NULL for those a read-only store from before
        migration ``0101_debunk_cases`` lacks."""
        have = {r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'debunks'").fetchall()}
        return _BASE_COLUMNS + ", " + ", ".join(c if c in have else f"NULL AS {c}" for c in _CASE_COLUMNS)

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM debunks").fetchone()[0]

    def all(self) -> list[Debunk]:
        rows = self.con.execute(f"SELECT {self._select()} FROM debunks ORDER BY id").fetchall()
        return [_row_to_debunk(r) for r in rows]

    def get(self, debunk_id: str) -> Debunk:
        from ..errors import NotFoundError

        row = self.con.execute(f"SELECT {self._select()} FROM debunks WHERE id = ?", [debunk_id]).fetchone()
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
    (i, claim, verdict, explanation, url, claim_date, title, claimant, reviewer, language, keywords, database,
     attribution, case_id, outlets, countries, languages, appearances) = row

    def as_list(value: Any) -> tuple[str, ...]:
        return tuple(json.loads(value or "[]"))

    return Debunk(
        claim=claim, verdict=verdict, explanation=explanation, url=url, date=claim_date, title=title,
        claimant=claimant, reviewer=reviewer, language=language, keywords=as_list(keywords),
        database=database, attribution=attribution, id=i, case_id=case_id, outlets=as_list(outlets),
        countries=as_list(countries), languages=as_list(languages), appearances=as_list(appearances),
    )


__all__ = ["CASES_MIGRATION", "DebunkDB", "ImportReport", "MIGRATION", "merge_debunks"]
