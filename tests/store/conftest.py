"""Stores for the store tests: the c104cf2 fixture migrated, and small hand-made ones."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "old_store_c104cf2.duckdb.gz"


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory) -> Path:
    """The c104cf2 store, migrated once; copy it before writing to it."""
    from propwatch.store import Store

    path = tmp_path_factory.mktemp("migrated") / "store.duckdb"
    path.write_bytes(gzip.decompress(FIXTURE.read_bytes()))
    with Store(path) as st:
        st.migrate()
    return path


@pytest.fixture
def store_copy(migrated_store, tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    shutil.copy(migrated_store, path)
    return path
