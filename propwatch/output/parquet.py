"""Export the store as typed tables: Parquet for Spark, Ray or pandas; flat CSV for spreadsheets.

Parquet, to one file (``--output stories.parquet``): one row per story,
its fields as columns (``flags`` a ``VARCHAR[]``, ``cleaning`` a list of
structs, ``signals`` JSON) and one typed ``LIST<STRUCT>`` column per layer
(NULL where the layer's stage did not run). To a folder (``--output
DIR/``): ``stories.parquet`` without the layer columns plus one
``<layer>.parquet`` per layer with ``doc_id``, ``seq`` and the record's
typed columns, the layout of the store's own tables.

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

from ..store.listing import DOC_ORDER, layer_relation
from ..store.tables import Shape, load_record_types, quote_ident, table_for

# Layers written as flat CSV tables beside stories.csv
CSV_LAYERS = ("techniques", "quotes", "claims", "debunk_matches")

_STORY_COLUMNS = (
    "d.id, d.source, d.story_index, d.source_record, d.title, d.outlet, d.outlet_evidence, d.url, d.published, "
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


def _stories_select(con: Any, with_layers: bool) -> str:
    columns = [
        _STORY_COLUMNS,
        "from_json(d.flags, '[\"VARCHAR\"]') AS flags",
        "d.near_duplicate_of, d.near_duplicate_similarity",
        "d.text",
        f"from_json(d.cleaning, '{_CLEANING}') AS cleaning",
        "d.signals",
    ]
    joins = []
    if with_layers:
        for i, layer in enumerate(_layers()):
            table = table_for(layer)
            rel = layer_relation(con, layer)
            pack = "{" + ", ".join(f"{_literal(n)}: r.{quote_ident(n)}" for n, _ in table.fields) + "}"
            joins.append(f"LEFT JOIN (SELECT r.doc_id, list({pack} ORDER BY r.seq) AS v FROM ({rel}) r "
                         f"GROUP BY r.doc_id) l{i} ON l{i}.doc_id = d.id")
            joins.append(f"LEFT JOIN layer_state s{i} ON s{i}.doc_id = d.id AND s{i}.layer = {_literal(layer)}")
            empty = f"CAST([] AS STRUCT({table.signature})[])"
            columns.append(f"CASE WHEN s{i}.doc_id IS NULL THEN NULL WHEN l{i}.v IS NULL THEN {empty} "
                           f"ELSE l{i}.v END AS {quote_ident(layer)}")
    return f"SELECT {', '.join(columns)} FROM documents d {' '.join(joins)} ORDER BY {DOC_ORDER}"


def export_parquet(store: Any, path: str | Path) -> int:
    """Write the store to ``path`` (a ``.parquet`` file, or a folder); returns the story count."""
    con = store.con
    if is_folder(path):
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({_stories_select(con, False)}) TO {_literal(str(out / 'stories.parquet'))} (FORMAT PARQUET)")
        for layer in _layers():
            rel = layer_relation(con, layer)
            con.execute(
                f"COPY (SELECT * FROM ({rel}) ORDER BY doc_id, seq) TO {_literal(str(out / f'{layer}.parquet'))} "
                "(FORMAT PARQUET)"
            )
    else:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({_stories_select(con, True)}) TO {_literal(str(out))} (FORMAT PARQUET)")
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
        f"d.near_duplicate_of, d.near_duplicate_similarity, {risk_cols}"
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


def _copy_csv(con: Any, select: str, path: Path) -> None:
    con.execute(f"COPY ({select}) TO {_literal(str(path))} (FORMAT CSV, HEADER)")
