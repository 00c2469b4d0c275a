"""Parquet export: one row per story, layers as JSON columns, for Spark, Ray or pandas."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def export_parquet(store: Any, path: str | Path) -> int:
    """Write every stored story with its layers to ``path``; returns the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    relation = store.con.sql(
        """
        SELECT d.id, d.source, d.story_index, d.source_record, d.title, d.outlet, d.outlet_evidence,
               d.url, d.published, d.language, d.language_score, d.flags, d.near_duplicate_of,
               d.text, d.cleaning,
               coalesce(l.layers, MAP {}) AS layers
        FROM documents d
        LEFT JOIN (
            SELECT doc_id, map(list(layer), list(records::VARCHAR)) AS layers FROM layers GROUP BY doc_id
        ) l ON l.doc_id = d.id
        ORDER BY d.ingested_at, d.source, d.story_index
        """
    )
    relation.write_parquet(str(path))
    return store.con.execute("SELECT count(*) FROM documents").fetchone()[0]
