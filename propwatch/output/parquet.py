"""Export the store as typed tables: Parquet for Spark, Ray or pandas; flat CSV for spreadsheets.

Parquet, to one file (``--output stories.parquet``): the schema of
:func:`propwatch.arrow.schema` (the Parquet shards of the Ray driver), so
``propwatch.arrow.from_arrow(pyarrow.parquet.read_table(path))`` gives the
stored documents back: one row per story, ``id`` and the document's fields
as typed columns (``flags`` a list, ``cleaning`` and ``signals`` structs),
then one ``layer_<name>`` ``LIST<STRUCT>`` column per registered layer
(NULL where the layer's stage did not run; ``Mapping`` fields are JSON
text). To a folder (``--output DIR/``): ``stories.parquet`` without the
layer columns plus one ``<layer>.parquet`` per layer with ``doc_id``,
``seq`` and the record's typed columns, the layout of the store's own
tables.

CSV, to a folder: ``stories.csv`` (one row per story: its fields, the
risk score and label, the number of records of each exported layer, the
text) and one file per layer in :data:`CSV_LAYERS`, one row per record,
``doc_id`` first, scalar cells only: a nested record's fields become ``speaker_name``, ``speaker_kind``
and so on, a list of words is joined with ``"; "``, anything deeper is
JSON text.

Everything is written by DuckDB's ``COPY ... TO`` straight from the
store's tables; no document is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..bidi import BIDI_CONTROLS
from ..store.listing import DOC_ORDER, layer_relation
from ..store.tables import Shape, load_record_types, quote_ident, table_for

# Layers written as flat CSV tables beside stories.csv
CSV_LAYERS = ("techniques", "quotes", "claims", "debunk_matches")

_STORY_COLUMNS = (
    "d.id, d.external_id, d.source, d.story_index, d.source_record, d.title, d.outlet, d.outlet_evidence, d.url, d.published, "
    "coalesce(nullif(d.language, ''), 'und') AS language, d.language_score"
)
_CLEANING = '[{"op": "VARCHAR", "params": "JSON", "note": "VARCHAR"}]'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _layers() -> list[str]:
    """The layers with a typed table, standard ones first."""
    from ..output.records import STANDARD_LAYERS
    from ..records import LAYER_RECORDS

    load_record_types()
    names = [n for n in STANDARD_LAYERS if n in LAYER_RECORDS]
    names += sorted(set(LAYER_RECORDS) - set(names))
    return [n for n in names if table_for(n) is not None]


def is_folder(path: str | Path) -> bool:
    """Whether ``--output`` names a folder: it ends with a slash or is one already."""
    text = str(path)
    return text.endswith(("/", "\\")) or Path(text).is_dir()


def _from_json(expr: str, hint: Any) -> str:
    """SQL turning a JSON value of ``record_to_dict`` form into the Arrow type of ``hint``
    (the rules of :func:`propwatch.arrow.arrow_type`)."""
    import dataclasses
    import types
    import typing

    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = rest[0] if len(rest) == 1 else Any
    scalar = {str: "VARCHAR", int: "BIGINT", float: "DOUBLE", bool: "BOOLEAN"}
    if hint in scalar:
        text = f"json_extract_string({expr}, '$')"
        return text if hint is str else f"CAST({text} AS {scalar[hint]})"
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        parts = ", ".join(
            f"{quote_ident(f.name)} := {_from_json(_json_at(expr, '$.' + quote_ident(f.name)), hints[f.name])}"
            for f in dataclasses.fields(hint)
        )
        return f"CASE WHEN json_type({expr}) = 'OBJECT' THEN struct_pack({parts}) END"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (tuple, list):
        if origin is tuple and len(args) > 1 and Ellipsis not in args:
            parts = ", ".join(f"f{i} := {_from_json(_json_at(expr, f'$[{i}]'), a)}" for i, a in enumerate(args))
            return f"CASE WHEN json_type({expr}) = 'ARRAY' THEN struct_pack({parts}) END"
        item = _from_json("x", args[0] if args else str)
        return f"list_transform(CAST({expr} AS JSON[]), lambda x: {item})"
    return f"CAST({expr} AS VARCHAR)"


def _json_at(expr: str, path: str) -> str:
    return f"json_extract({expr}, {_literal(path)})"


def _json_as_text(expr: str, shape: Shape) -> str:
    """A typed column with its JSON parts as text (what Arrow holds for ``Mapping`` fields)."""
    if not _has_json(shape):
        return expr
    if shape.kind == "JSON":
        return f"CAST({expr} AS VARCHAR)"
    if shape.kind == "STRUCT":
        parts = ", ".join(f"{quote_ident(n)} := {_json_as_text(f'({expr}).{quote_ident(n)}', s)}" for n, s in shape.fields)
        return f"CASE WHEN {expr} IS NOT NULL THEN struct_pack({parts}) END"
    return f"list_transform({expr}, lambda y: {_json_as_text('y', shape.item)})"


def _has_json(shape: Shape) -> bool:
    if shape.kind == "JSON":
        return True
    if shape.kind == "STRUCT":
        return any(_has_json(s) for _, s in shape.fields)
    return shape.kind == "LIST" and _has_json(shape.item)


def _arrow_stories_select(con: Any) -> str:
    """The documents in the schema of :func:`propwatch.arrow.schema`, straight from the tables."""
    import typing

    from ..records import DOCUMENT_FIELDS, LAYER_RECORDS, Document

    load_record_types()
    hints = typing.get_type_hints(Document)
    json_columns = {"cleaning": "d.cleaning", "flags": "d.flags", "signals": "d.signals", "input_fields": "d.input_fields"}
    columns = ["d.id"]
    for name in DOCUMENT_FIELDS:
        if name == "markup":
            columns.append("'text' AS markup")  # stored stories are clean text
        elif name in json_columns:
            columns.append(f"{_from_json(f'CAST({json_columns[name]} AS JSON)', hints[name])} AS {quote_ident(name)}")
        elif name == "story_index":
            columns.append("CAST(d.story_index AS BIGINT) AS story_index")
        elif name == "language":
            columns.append("coalesce(nullif(d.language, ''), 'und') AS language")
        elif name == "language_score":
            columns.append("coalesce(d.language_score, 0.0) AS language_score")
        else:
            columns.append(f"d.{quote_ident(name)}")
    joins = []
    for i, layer in enumerate(sorted(LAYER_RECORDS)):
        table = table_for(layer)
        if table is None:
            continue
        rel = layer_relation(con, layer)
        pack = "{" + ", ".join(f"{_literal(n)}: {_json_as_text(f'r.{quote_ident(n)}', sh)}" for n, sh in table.fields) + "}"
        joins.append(f"LEFT JOIN (SELECT r.doc_id, list({pack} ORDER BY r.seq) AS v FROM ({rel}) r "
                     f"GROUP BY r.doc_id) l{i} ON l{i}.doc_id = d.id")
        joins.append(f"LEFT JOIN layer_state s{i} ON s{i}.doc_id = d.id AND s{i}.layer = {_literal(layer)}")
        columns.append(f"CASE WHEN s{i}.doc_id IS NULL THEN NULL WHEN l{i}.v IS NULL THEN [] "
                       f"ELSE l{i}.v END AS {quote_ident('layer_' + layer)}")
    return f"SELECT {', '.join(columns)} FROM documents d {' '.join(joins)} ORDER BY {DOC_ORDER}"


def _stories_select(con: Any) -> str:
    """The documents' own fields, for the folder of tables."""
    columns = [
        _STORY_COLUMNS,
        "from_json(d.flags, '[\"VARCHAR\"]') AS flags",
        "d.near_duplicate_of, d.near_duplicate_similarity",
        "d.text",
        f"from_json(d.cleaning, '{_CLEANING}') AS cleaning",
        "d.signals",
        "CAST(d.input_fields AS VARCHAR) AS input_fields",
    ]
    return f"SELECT {', '.join(columns)} FROM documents d ORDER BY {DOC_ORDER}"


def export_parquet(store: Any, path: str | Path) -> int:
    """Write the store to ``path`` (a ``.parquet`` file, or a folder); returns the story count."""
    con = store.con
    if is_folder(path):
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({_stories_select(con)}) TO {_literal(str(out / 'stories.parquet'))} (FORMAT PARQUET)")
        for layer in _layers():
            rel = layer_relation(con, layer)
            con.execute(
                f"COPY (SELECT * FROM ({rel}) ORDER BY doc_id, seq) TO {_literal(str(out / f'{layer}.parquet'))} "
                "(FORMAT PARQUET)"
            )
    else:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({_arrow_stories_select(con)}) TO {_literal(str(out))} (FORMAT PARQUET)")
    return con.execute("SELECT count(*) FROM documents").fetchone()[0]


# ---------------------------------------------------------------- flat CSV


def flat_columns(prefix: str, expr: str, shape: Shape) -> list[tuple[str, str]]:
    """(column name, SQL) pairs with scalar values for one field of ``shape``."""
    if shape.kind == "STRUCT":
        out = []
        for name, inner in shape.fields:
            out += flat_columns(f"{prefix}_{name}", f"({expr}).{quote_ident(name)}", inner)
        return out
    if shape.kind == "LIST" and shape.item.kind in ("VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"):
        return [(prefix, f"array_to_string({expr}, '; ')")]
    if shape.kind in ("LIST", "JSON"):
        return [(prefix, f"CAST(to_json({expr}) AS VARCHAR)")]
    return [(prefix, expr)]


def export_csv_tables(store: Any, folder: str | Path, layers: tuple[str, ...] = CSV_LAYERS) -> dict[str, int]:
    """Write ``stories.csv`` and one flat CSV per layer into ``folder``; returns rows per file."""
    con = store.con
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    load_record_types()
    counts: dict[str, int] = {}
    present = [layer for layer in layers if table_for(layer) is not None]
    count_cols = ", ".join(
        f"(SELECT s.records FROM layer_state s WHERE s.doc_id = d.id AND s.layer = {_literal(layer)}) "
        f"AS {quote_ident(layer + '_count')}"
        for layer in present
    )
    risk = layer_relation(con, "assessment")
    risk_join = (f"LEFT JOIN (SELECT doc_id, score AS risk_score, label AS risk_label FROM ({risk}) WHERE seq = 0) a "
                 "ON a.doc_id = d.id") if risk else ""
    risk_cols = "a.risk_score, a.risk_label" if risk else "NULL AS risk_score, NULL AS risk_label"
    stories = (
        f"SELECT {_STORY_COLUMNS.replace('d.id,', 'd.id AS doc_id,', 1)}, array_to_string(from_json(d.flags, '[\"VARCHAR\"]'), '; ') AS flags, "
        f"d.near_duplicate_of, d.near_duplicate_similarity, {risk_cols}, "
        "coalesce(CAST(d.input_fields AS VARCHAR), '') AS input_fields"
        + (f", {count_cols}" if count_cols else "")
        + f", d.text FROM documents d {risk_join} ORDER BY {DOC_ORDER}"
    )
    _copy_csv(con, stories, out / "stories.csv")
    counts["stories"] = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    for layer in present:
        table = table_for(layer)
        cols = []
        for name, shape in table.fields:
            cols += flat_columns(name, f"r.{quote_ident(name)}", shape)
        select = ", ".join(f"{sql} AS {quote_ident(name)}" for name, sql in cols)
        rel = layer_relation(con, layer)
        _copy_csv(
            con,
            f"SELECT r.doc_id, r.seq, {select} FROM ({rel}) r JOIN documents d ON d.id = r.doc_id "
            f"ORDER BY {DOC_ORDER}, r.seq",
            out / f"{layer}.csv",
        )
        counts[layer] = con.execute(f"SELECT count(*) FROM ({rel})").fetchone()[0]
    return counts


_FORMULA_SQL = "'^[=+\\-@\\t\\r]'"  # a cell a spreadsheet would run as a formula


def _copy_csv(con: Any, select: str, path: Path) -> None:
    """``select`` to a CSV file; text cells a spreadsheet would run as a formula (starting
    with = + - @, a tab or a carriage return) get a leading ' (OWASP's advice)."""
    columns = con.execute(f"DESCRIBE ({select})").fetchall()
    parts = []
    for name, dtype, *_ in columns:
        quoted = '"' + str(name).replace('"', '""') + '"'
        if str(dtype).upper() == "VARCHAR":
            shown = quoted
            for char in BIDI_CONTROLS:  # overrides shown as <U+202E>, as propwatch.bidi does
                shown = f"replace({shown}, chr({ord(char)}), '<U+{ord(char):04X}>')"
            parts.append(f"CASE WHEN regexp_matches({shown}, {_FORMULA_SQL}) THEN chr(39) || {shown} "
                         f"ELSE {shown} END AS {quoted}")
        else:
            parts.append(quoted)
    con.execute(f"COPY (SELECT {', '.join(parts)} FROM ({select})) TO {_literal(str(path))} (FORMAT CSV, HEADER)")
