"""The workbench page store (tests/web/pages_store.py), built once per test session and
copied for each test that writes, and the config that analyses its stories again."""

from __future__ import annotations

import shutil
from pathlib import Path

from texts import ALL_STAGES, FAST

_BUILT: dict[str, Path] = {}


def built_folder(tmp_path_factory) -> Path:
    """The folder of the built store (pages.duckdb, stories.jsonl, the debunk CSVs); do not write to it."""
    if "folder" not in _BUILT:
        from web.pages_store import build_store

        _BUILT["folder"] = build_store(tmp_path_factory.mktemp("corrections-store")).parent
    return _BUILT["folder"]


def store_copy(tmp_path_factory, target: Path) -> Path:
    """A copy of the built folder at ``target``; the path of its store."""
    shutil.copytree(built_folder(tmp_path_factory), target)
    return target / "pages.duckdb"


def config_for(path: Path, **overrides):
    """The config the store was analysed with, on the store at ``path``."""
    from propwatch.config import load_config

    return load_config(overrides={
        "store.path": str(path), "pipeline.stages": ALL_STAGES, **FAST,
        "stages.debunk_matches.embedder": "hash", "stages.debunk_matches.database": str(path), **overrides,
    })


def toml_for(path: Path, **overrides) -> Path:
    """The same config as a propwatch.toml beside the store (for the CLI)."""
    import json

    settings = {"store.path": str(path), "stages.debunk_matches.embedder": "hash",
                "stages.debunk_matches.database": str(path), **FAST, **overrides}
    sections: dict[str, dict] = {}
    for dotted, value in settings.items():
        section, _, key = dotted.rpartition(".")
        sections.setdefault(section, {})[key] = value
    sections.setdefault("pipeline", {})["stages"] = ALL_STAGES
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
        lines.append("")
    out = path.parent / "propwatch.toml"
    out.write_text("\n".join(lines), "utf-8")
    return out
