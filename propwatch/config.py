"""Configuration: packaged defaults with a user TOML laid over them.

Config is data. ``data/defaults.toml`` holds every key with its default;
a user's ``propwatch.toml`` may set any of them, and each stage's own
settings under ``[stages.NAME]``. The merged result is checked against the
settings models of :mod:`propwatch.settings` (one per section) and each
stage's ``settings_model``: types, ranges and choices. Every problem is
reported at once, as ``origin: dotted.path: message``.
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

    @property
    def settings(self):
        """The top-level sections as typed models (:class:`propwatch.settings.Settings`)."""
        from .settings import Settings

        return Settings.model_validate({k: v for k, v in self.data.items() if k != "stages"})


def load_config(path: str | os.PathLike | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Defaults, then ``path`` (or ./propwatch.toml when present), then ``overrides``.

    ``overrides`` uses dotted keys, e.g. ``{"store.path": "x.duckdb"}``. The
    result is checked against the settings models (:mod:`propwatch.settings`):
    every problem is one ``origin: dotted.path: message`` line of one
    :class:`ConfigError`.
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
    data = _validate(data, problems)
    if problems:
        raise ConfigError([f"{origin}: {p}" for p in problems])
    return Config(data=data, origin=origin)


def _merge(base: dict[str, Any], user: Mapping[str, Any], prefix: str, problems: list[str]) -> None:
    """Lay ``user`` over ``base``: tables merge key by key, anything else replaces
    (the settings models judge the result)."""
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if dotted == "stages":
            if not isinstance(value, Mapping):
                problems.append(f"stages: expected a table, got {type(value).__name__} {value!r}")
                continue
            base.setdefault("stages", {})
            for stage, settings in value.items():
                if not isinstance(settings, Mapping):
                    problems.append(f"stages.{stage}: expected a table, got {type(settings).__name__}")
                    continue
                base["stages"].setdefault(stage, {}).update(copy.deepcopy(dict(settings)))
            continue
        if isinstance(base.get(key), dict) and isinstance(value, Mapping):
            _merge(base[key], value, dotted + ".", problems)
            continue
        base[key] = copy.deepcopy(value)


def _validate(data: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """The checked configuration: the top-level sections through their models, then
    each ``[stages.NAME]`` through its stage's; problems are appended."""
    from .settings import Settings, validate

    stage_tables = data.pop("stages", {})
    settings, found = validate(Settings, data)
    problems.extend(found)
    out = settings.model_dump() if settings is not None else data
    out["stages"] = _validate_stages(out, stage_tables, problems)
    return out


def _validate_stages(data: dict[str, Any], tables: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Check [stages.NAME] tables against each stage's settings model; add the
    defaults of every stage the pipeline names."""
    from .registry import load_plugins, stages
    from .settings import defaults_of, settings_model_for, validate

    plugins = data.get("plugins", [])
    if isinstance(plugins, list) and all(isinstance(m, str) for m in plugins):
        try:
            load_plugins(plugins)
        except ImportError as exc:
            problems.append(f"plugins: cannot import: {exc}")
    settings: dict[str, Any] = {}
    for name, table in tables.items():
        try:
            cls = stages.get(name)
        except LookupError:
            problems.append(f"stages.{name}: no stage named {name!r}")
            continue
        checked, found = validate(settings_model_for(cls), table, f"stages.{name}", known=True)
        problems.extend(found)
        settings[name] = checked.model_dump() if checked is not None else dict(table)
    refs = data.get("pipeline", {}).get("stages", []) if isinstance(data.get("pipeline"), Mapping) else []
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, str):
            continue  # reported by the pipeline model
        try:
            cls = stages.get(ref)
        except LookupError as exc:
            problems.append(f"pipeline.stages: {exc.args[0] if exc.args else exc}")
            continue
        settings.setdefault(cls.name, defaults_of(settings_model_for(cls)))
    return settings
