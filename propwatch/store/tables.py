"""One typed table per layer, generated from the layer's record type.

A record type registered in :data:`propwatch.records.LAYER_RECORDS` is a
frozen dataclass; :func:`shape_of` maps its field types onto DuckDB types:

=============================  ==========================================
Python                         DuckDB
=============================  ==========================================
``int`` / ``float``            ``BIGINT`` / ``DOUBLE``
``str`` / ``bool``             ``VARCHAR`` / ``BOOLEAN``
``X | None``                   the type of ``X`` (every column is nullable)
``tuple[X, ...]``, ``list[X]`` ``X[]``
a nested dataclass             ``STRUCT(field type, ...)``
``Mapping``, ``Any``, others   ``JSON``
=============================  ==========================================

Layer ``quotes`` lives in ``layer_quotes(doc_id, seq, <one column per
field>)``, one row per record in layer order (``seq`` from 0). What else
the old ``layers`` table held (stage, fingerprint, time) is in
``layer_state`` with the number of records and where they are
(``storage``: ``table`` or ``json``). Records are written as the JSON of
:func:`propwatch.records.record_to_dict` parsed by DuckDB's ``from_json``
into the typed columns, and read back with ``to_json`` and
:func:`propwatch.records.record_from_dict`, so a record comes back equal
to the one written. A record whose values do not fit its declared types
(an ``int`` in a ``float`` field, say), and every layer without a
registered type, go whole into ``layer_json(doc_id, layer, records)``:
nothing is lost and nothing is silently converted.

A layer registered later (a plugin) gets its table on first write; when a
record type changes its fields, its table is rebuilt from the stored
records (see :func:`ensure_table`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import types
import typing
from collections import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..records import LAYER_RECORDS, record_from_dict, record_to_dict

STATE_DDL = """
CREATE TABLE IF NOT EXISTS layer_state (
    doc_id VARCHAR NOT NULL,
    layer VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    records INTEGER NOT NULL,
    storage VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, layer)
);
CREATE TABLE IF NOT EXISTS layer_json (
    doc_id VARCHAR NOT NULL,
    layer VARCHAR NOT NULL,
    records JSON NOT NULL,
    PRIMARY KEY (doc_id, layer)
);
CREATE TABLE IF NOT EXISTS layer_tables (
    layer VARCHAR PRIMARY KEY,
    table_name VARCHAR NOT NULL,
    record_type VARCHAR NOT NULL,
    signature VARCHAR NOT NULL
)
"""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,60}")
_INT64 = (-(2**63), 2**63 - 1)


def load_record_types() -> None:
    """Import the built-in stages, so that :data:`LAYER_RECORDS` knows their layers."""
    from ..registry import _load_builtin_components

    _load_builtin_components()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- shapes


@dataclass(frozen=True)
class Shape:
    """How one value is stored: a scalar, JSON, a STRUCT or a LIST."""

    kind: str  # "BIGINT" | "DOUBLE" | "VARCHAR" | "BOOLEAN" | "JSON" | "STRUCT" | "LIST"
    fields: tuple[tuple[str, "Shape"], ...] = ()
    item: "Shape | None" = None

    @property
    def sql(self) -> str:
        if self.kind == "STRUCT":
            return "STRUCT(" + ", ".join(f"{quote_ident(n)} {s.sql}" for n, s in self.fields) + ")"
        if self.kind == "LIST":
            return f"{self.item.sql}[]"
        return self.kind

    @property
    def structure(self) -> Any:
        """The ``from_json`` structure of this shape."""
        if self.kind == "STRUCT":
            return {n: s.structure for n, s in self.fields}
        if self.kind == "LIST":
            return [self.item.structure]
        return self.kind

    def fits(self, value: Any) -> bool:
        """Whether ``value`` (plain data) is stored in this shape without change."""
        if value is None:
            return True
        kind = self.kind
        if kind == "JSON":
            return True
        if kind == "VARCHAR":
            return type(value) is str
        if kind == "BIGINT":
            return type(value) is int and _INT64[0] <= value <= _INT64[1]
        if kind == "DOUBLE":
            return type(value) is float and math.isfinite(value)
        if kind == "BOOLEAN":
            return type(value) is bool
        if kind == "LIST":
            return type(value) is list and all(self.item.fits(v) for v in value)
        if kind == "STRUCT":
            return (type(value) is dict and len(value) == len(self.fields)
                    and all(n in value and s.fits(value[n]) for n, s in self.fields))
        return False


_JSON = Shape("JSON")
_SCALARS = {int: Shape("BIGINT"), float: Shape("DOUBLE"), str: Shape("VARCHAR"), bool: Shape("BOOLEAN")}


def shape_of(hint: Any, _seen: tuple = ()) -> Shape:
    """The storage shape of a field annotated ``hint``."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return shape_of(rest[0], _seen) if len(rest) == 1 else _JSON
    if origin in (tuple, list, abc.Sequence):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return _JSON
        if not args:
            return _JSON
        item = shape_of(args[0], _seen)
        return Shape("LIST", item=item)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if hint in _seen or hasattr(hint, "to_dict") or hasattr(hint, "from_dict"):
            return _JSON
        fields = record_fields(hint, _seen + (hint,))
        return Shape("STRUCT", fields=fields) if fields else _JSON
    return _JSON


def record_fields(cls: type, _seen: tuple = ()) -> tuple[tuple[str, Shape], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, shape_of(hints.get(f.name, Any), _seen)) for f in dataclasses.fields(cls))


# ---------------------------------------------------------------- one layer's table


@dataclass(frozen=True)
class LayerTable:
    """The typed table of one layer."""

    layer: str
    cls: type
    name: str
    fields: tuple[tuple[str, Shape], ...]

    @property
    def record_type(self) -> str:
        return f"{self.cls.__module__}.{self.cls.__qualname__}"

    @property
    def signature(self) -> str:
        """Changes exactly when the columns change."""
        return ", ".join(f"{quote_ident(n)} {s.sql}" for n, s in self.fields)

    @property
    def ddl(self) -> str:
        return (f"CREATE TABLE {quote_ident(self.name)} (doc_id VARCHAR NOT NULL, seq INTEGER NOT NULL, "
                f"{self.signature})")

    @property
    def columns(self) -> str:
        return ", ".join(quote_ident(n) for n, _ in self.fields)

    @property
    def structure(self) -> str:
        return json.dumps({n: s.structure for n, s in self.fields})

    def fits(self, item: Any) -> bool:
        return (type(item) is dict and len(item) == len(self.fields)
                and all(n in item and s.fits(item[n]) for n, s in self.fields))


@functools.lru_cache(maxsize=None)
def _table_for(layer: str, cls: type) -> LayerTable | None:
    if not _NAME.fullmatch(layer) or not dataclasses.is_dataclass(cls):
        return None
    if hasattr(cls, "to_dict") or hasattr(cls, "from_dict"):
        return None
    fields = record_fields(cls, (cls,))
    if not fields:
        return None
    return LayerTable(layer, cls, f"layer_{layer}", fields)


def table_for(layer: str) -> LayerTable | None:
    """The typed table of ``layer``; None when its records are kept as JSON."""
    cls = LAYER_RECORDS.get(layer)
    return None if cls is None else _table_for(layer, cls)


def stored_tables(con: Any) -> dict[str, tuple[str, str]]:
    """layer -> (table name, signature) of every typed table in the store.

    ``layer_tables`` is written in the transaction that creates a table, so
    a row here means the table exists.
    """
    return {layer: (name, sig) for layer, name, sig in
            con.execute("SELECT layer, table_name, signature FROM layer_tables").fetchall()}


def ensure_table(con: Any, table: LayerTable, stored: Mapping[str, tuple[str, str]] | None = None) -> None:
    """Create ``table`` when missing; rebuild it when its record type changed.

    Call inside a transaction; ``stored`` is :func:`stored_tables` when the
    caller has it. A rebuild reads the stored rows as dicts, rebuilds each
    record with the current type (new fields take their defaults) and
    writes them again; rows that no longer make a record go to
    ``layer_json`` unchanged.
    """
    known = (stored if stored is not None else stored_tables(con)).get(table.layer)
    if known == (table.name, table.signature):
        return
    exists = bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table.name]
    ).fetchone()[0])
    old: dict[str, list[Any]] = {}
    if exists:
        for doc_id, payload in con.execute(
            f"SELECT doc_id, to_json(t) FROM {quote_ident(table.name)} t ORDER BY doc_id, seq"
        ).fetchall():
            item = json.loads(payload)
            item.pop("doc_id", None)
            item.pop("seq", None)
            old.setdefault(doc_id, []).append(item)
        con.execute(f"DROP TABLE {quote_ident(table.name)}")
    con.execute(table.ddl)
    con.execute("INSERT OR REPLACE INTO layer_tables VALUES (?, ?, ?, ?)",
                [table.layer, table.name, table.record_type, table.signature])
    rebuilt = []
    for doc_id, items in old.items():
        try:
            rebuilt.append((doc_id, table.layer, [record_from_dict(table.cls, item) for item in items]))
        except (TypeError, ValueError):
            _put_json(con, doc_id, table.layer, json.dumps(items, ensure_ascii=False))
    where = write_records(con, rebuilt, {table.layer: table})
    for (doc_id, layer), storage in where.items():
        if storage == "json":
            con.execute("UPDATE layer_state SET storage = 'json' WHERE doc_id = ? AND layer = ?", [doc_id, layer])


# ---------------------------------------------------------------- writing


def _put_json(con: Any, doc_id: str, layer: str, payload: str) -> None:
    con.execute("INSERT OR REPLACE INTO layer_json VALUES (?, ?, ?)", [doc_id, layer, payload])
    con.execute("UPDATE layer_state SET storage = 'json' WHERE doc_id = ? AND layer = ?", [doc_id, layer])


def write_records(
    con: Any, items: Iterable[tuple[str, str, Sequence[Any]]], tables: Mapping[str, LayerTable | None],
) -> dict[tuple[str, str], str]:
    """Replace the records of (doc_id, layer) pairs; returns where each went.

    ``tables`` names the table of every layer in ``items`` (None: JSON).
    Call inside a transaction, after :func:`ensure_table` for each table.
    """
    where: dict[tuple[str, str], str] = {}
    typed: dict[str, tuple[list[str], list[int], list[str]]] = {}
    json_rows: list[tuple[str, str, str]] = []
    cleared: dict[str, list[str]] = {}
    for doc_id, layer, records in items:
        plain = [record_to_dict(r) if not isinstance(r, Mapping) else dict(r) for r in records]
        table = tables.get(layer)
        cleared.setdefault(layer, []).append(doc_id)
        if table is not None and all(not isinstance(r, Mapping) for r in records) and all(table.fits(p) for p in plain):
            ids, seqs, payloads = typed.setdefault(layer, ([], [], []))
            for seq, p in enumerate(plain):
                ids.append(doc_id)
                seqs.append(seq)
                payloads.append(json.dumps(p, ensure_ascii=False))
            where[(doc_id, layer)] = "table"
        else:
            json_rows.append((doc_id, layer, json.dumps(plain, ensure_ascii=False, default=str)))
            where[(doc_id, layer)] = "json"
    _clear(con, cleared)
    for layer, (ids, seqs, payloads) in typed.items():
        table = tables[layer]
        names = ", ".join(f"r.{quote_ident(n)}" for n, _ in table.fields)
        con.execute(
            f"INSERT INTO {quote_ident(table.name)} (doc_id, seq, {table.columns}) "
            f"SELECT doc_id, seq, {names} FROM (SELECT unnest($1) AS doc_id, unnest($2) AS seq, "
            f"from_json(unnest($3), $4) AS r)",
            [ids, seqs, payloads, table.structure],
        )
    if json_rows:
        con.execute(
            "INSERT INTO layer_json SELECT unnest($1), unnest($2), unnest($3)",
            [[r[0] for r in json_rows], [r[1] for r in json_rows], [r[2] for r in json_rows]],
        )
    return where


def _clear(con: Any, cleared: Mapping[str, list[str]]) -> None:
    """Delete the stored records of these (layer -> doc ids), wherever ``layer_state`` says they are."""
    pairs = [(d, layer) for layer, ids in cleared.items() for d in ids]
    if not pairs:
        return
    stored = con.execute(
        "SELECT s.doc_id, s.layer, s.storage, t.table_name FROM layer_state s "
        "JOIN (SELECT unnest($1) AS doc_id, unnest($2) AS layer) q USING (doc_id, layer) "
        "LEFT JOIN layer_tables t ON t.layer = s.layer",
        [[d for d, _ in pairs], [name for _, name in pairs]],
    ).fetchall()
    in_json = [(d, layer) for d, layer, storage, _ in stored if storage == "json"]
    if in_json:
        con.execute(
            "DELETE FROM layer_json WHERE EXISTS (SELECT 1 FROM (SELECT unnest($1) AS d, unnest($2) AS l) q "
            "WHERE q.d = layer_json.doc_id AND q.l = layer_json.layer)",
            [[d for d, _ in in_json], [name for _, name in in_json]],
        )
    in_tables: dict[str, list[str]] = {}
    for d, _, storage, table_name in stored:
        if storage == "table" and table_name:
            in_tables.setdefault(table_name, []).append(d)
    for table_name, ids in in_tables.items():
        con.execute(f"DELETE FROM {quote_ident(table_name)} WHERE doc_id IN (SELECT unnest(?))", [ids])


# ---------------------------------------------------------------- reading


def read_records(con: Any, doc_ids: Sequence[str], names: Sequence[str] | None) -> dict[str, dict[str, tuple]]:
    """doc_id -> layer -> records, for the stored layers of ``doc_ids``.

    Rows are read with ``to_json`` of the whole row, so a table written
    under an older record type still reads (missing fields take their
    defaults). A layer with no registered record type (its plugin is not
    loaded) is left out: it stays stored and comes back with the plugin.
    """
    query = "SELECT doc_id, layer, storage FROM layer_state WHERE doc_id IN (SELECT unnest(?))"
    params: list[Any] = [list(doc_ids)]
    if names is not None:
        query += " AND layer IN (SELECT unnest(?))"
        params.append(list(names))
    state = con.execute(query + " ORDER BY rowid", params).fetchall()
    out: dict[str, dict[str, tuple]] = {}
    by_layer: dict[str, list[str]] = {}
    json_pairs: list[tuple[str, str]] = []
    for doc_id, layer, storage in state:
        out.setdefault(doc_id, {})
        if layer not in LAYER_RECORDS:
            continue  # kept in the store, but never handed on as bare dicts
        out[doc_id][layer] = ()
        if storage == "table":
            by_layer.setdefault(layer, []).append(doc_id)
        else:
            json_pairs.append((doc_id, layer))
    if json_pairs:
        rows = con.execute(
            "SELECT j.doc_id, j.layer, j.records FROM layer_json j JOIN "
            "(SELECT unnest($1) AS doc_id, unnest($2) AS layer) q USING (doc_id, layer)",
            [[d for d, _ in json_pairs], [name for _, name in json_pairs]],
        ).fetchall()
        for doc_id, layer, payload in rows:
            out[doc_id][layer] = decode_items(layer, json.loads(payload))
    if by_layer:
        stored = dict(con.execute(
            "SELECT layer, table_name FROM layer_tables WHERE layer IN (SELECT unnest(?))", [list(by_layer)]
        ).fetchall())
        ids = sorted({d for layer_ids in by_layer.values() for d in layer_ids})
        union = " UNION ALL ".join(
            f"SELECT {_literal(layer)} AS layer, doc_id, seq, to_json(t) AS item FROM {quote_ident(stored[layer])} t "
            f"WHERE doc_id IN (SELECT unnest($1))"
            for layer in by_layer
        )
        grouped: dict[tuple[str, str], list[Any]] = {}
        for layer, doc_id, payload in con.execute(
            f"SELECT layer, doc_id, item FROM ({union}) ORDER BY layer, doc_id, seq", [ids]
        ).fetchall():
            item = json.loads(payload)
            del item["doc_id"], item["seq"]
            grouped.setdefault((doc_id, layer), []).append(item)
        for (doc_id, layer), items in grouped.items():
            out[doc_id][layer] = decode_items(layer, items)
    return out


def decode_items(layer: str, items: list[Any]) -> tuple:
    """JSON items of ``layer`` back into records (plain dicts when the type is unknown:
    only the migration and table rebuilds see those)."""
    cls = LAYER_RECORDS.get(layer)
    if cls is None:
        return tuple(items)
    return tuple(record_from_dict(cls, item) for item in items)


# ---------------------------------------------------------------- migration from one JSON table


def migrate_layers_table(con: Any, chunk: int = 200) -> None:
    """Migration ``0003_layer_tables``: every row of ``layers`` into the typed tables.

    Runs inside the migration's transaction; the old table is dropped at
    the end, so either every row moved or nothing changed.
    """
    for statement in filter(str.strip, STATE_DDL.split(";")):
        con.execute(statement)
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'layers'").fetchone()[0]:
        return
    load_record_types()
    doc_ids = list(dict.fromkeys(r[0] for r in con.execute("SELECT doc_id FROM layers ORDER BY rowid").fetchall()))
    ready: dict[str, LayerTable | None] = {}
    for i in range(0, len(doc_ids), chunk):
        rows = con.execute(
            "SELECT doc_id, layer, stage, fingerprint, records, created_at FROM layers "
            "WHERE doc_id IN (SELECT unnest(?)) ORDER BY rowid",
            [doc_ids[i:i + chunk]],
        ).fetchall()
        items = []
        for doc_id, layer, _, _, payload, _ in rows:
            if layer not in ready:
                ready[layer] = table_for(layer)
                if ready[layer] is not None:
                    ensure_table(con, ready[layer])
            items.append((doc_id, layer, decode_items(layer, json.loads(payload))))
        write_state(con, [(d, layer, st, fp, at, len(recs)) for (d, layer, st, fp, _, at), (_, _, recs) in zip(rows, items)],
                    write_records(con, items, ready))
    con.execute("DROP TABLE layers")


def write_state(con: Any, rows: Sequence[tuple[str, str, str, str, Any, int]],
                where: Mapping[tuple[str, str], str]) -> None:
    """Upsert ``layer_state`` rows (doc_id, layer, stage, fingerprint, created_at, records)."""
    if not rows:
        return
    cols = list(zip(*rows))
    con.execute(
        "INSERT OR REPLACE INTO layer_state (doc_id, layer, stage, fingerprint, created_at, records, storage) "
        "SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7)",
        [list(c) for c in cols] + [[where[(r[0], r[1])] for r in rows]],
    )
