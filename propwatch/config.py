"""Configuration: packaged defaults with a user TOML laid over them.

Config is data. ``data/defaults.toml`` holds every key with its default;
a user's ``propwatch.toml`` may set any of them, and each stage's own
settings under ``[stages.NAME]`` (validated against that stage's
``defaults``). Every problem is reported at once, by dotted path.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError

USER_FILE = "propwatch.toml"


def packaged_defaults() -> dict[str, Any]:
    text = resources.files("propwatch").joinpath("data/defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Config:
    """The merged, validated configuration (read-only)."""

    data: Mapping[str, Any]
    origin: str = "defaults"

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def stage_config(self, stage_name: str) -> dict[str, Any]:
        return dict(self.get(f"stages.{stage_name}", {}) or {})

    @property
    def store_path(self) -> Path:
        return Path(self.get("store.path"))


def load_config(path: str | os.PathLike | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Defaults, then ``path`` (or ./propwatch.toml when present), then ``overrides``.

    ``overrides`` uses dotted keys, e.g. ``{"store.path": "x.duckdb"}``.
    """
    data = packaged_defaults()
    origin = "defaults"
    problems: list[str] = []
    user: dict[str, Any] = {}
    if path is None and Path(USER_FILE).is_file():
        path = USER_FILE
    if path is not None:
        p = Path(path)
        try:
            user = tomllib.loads(p.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
        origin = str(p)
    for dotted, value in (overrides or {}).items():
        node = user
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    _merge(data, user, "", problems)
    _validate_stages(data, problems)
    if problems:
        raise ConfigError([f"{origin}: {p}" for p in problems])
    return Config(data=data, origin=origin)


def _merge(base: dict[str, Any], user: Mapping[str, Any], prefix: str, problems: list[str]) -> None:
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if dotted == "stages" and isinstance(value, Mapping):
            base.setdefault("stages", {})
            for stage, settings in value.items():
                if not isinstance(settings, Mapping):
                    problems.append(f"stages.{stage}: expected a table, got {type(settings).__name__}")
                    continue
                base["stages"].setdefault(stage, {}).update(copy.deepcopy(dict(settings)))
            continue
        if key not in base:
            problems.append(f"{dotted}: unknown setting")
            continue
        default = base[key]
        if isinstance(default, dict):
            if not isinstance(value, Mapping):
                problems.append(f"{dotted}: expected a table, got {type(value).__name__}")
                continue
            _merge(default, value, dotted + ".", problems)
            continue
        checked = _check_type(dotted, default, value, problems)
        if checked is not _INVALID:
            base[key] = checked


_INVALID = object()


def _check_type(dotted: str, default: Any, value: Any, problems: list[str]) -> Any:
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, list):
        ok = isinstance(value, list)
    elif default is None:
        ok = True
    else:
        ok = isinstance(value, type(default))
    if not ok:
        problems.append(f"{dotted}: expected {type(default).__name__}, got {type(value).__name__} {value!r}")
        return _INVALID
    return value


def _validate_stages(data: dict[str, Any], problems: list[str]) -> None:
    """Check [stages.NAME] tables against each stage's declared defaults."""
    from .registry import load_plugins, stages

    try:
        load_plugins(list(data.get("plugins", [])))
    except ImportError as exc:
        problems.append(f"plugins: cannot import: {exc}")
    settings = data.setdefault("stages", {})
    for name, table in list(settings.items()):
        try:
            cls = stages.get(name)
        except LookupError:
            problems.append(f"stages.{name}: no stage named {name!r}")
            continue
        defaults = dict(getattr(cls, "defaults", {}))
        merged = copy.deepcopy(defaults)
        for key, value in table.items():
            dotted = f"stages.{name}.{key}"
            if key not in defaults:
                problems.append(f"{dotted}: unknown setting (known: {', '.join(sorted(defaults)) or 'none'})")
                continue
            checked = _check_type(dotted, defaults[key], value, problems)
            if checked is not _INVALID:
                merged[key] = checked
        settings[name] = merged
    for ref in data.get("pipeline", {}).get("stages", []):
        if not isinstance(ref, str):
            problems.append(f"pipeline.stages: expected stage names, got {ref!r}")
            continue
        try:
            cls = stages.get(ref)
        except LookupError as exc:
            problems.append(f"pipeline.stages: {exc}")
            continue
        settings.setdefault(cls.name, copy.deepcopy(dict(getattr(cls, "defaults", {}))))
    batch = data.get("pipeline", {}).get("batch_size", 1)
    if isinstance(batch, int) and batch < 1:
        problems.append("pipeline.batch_size: must be at least 1")
