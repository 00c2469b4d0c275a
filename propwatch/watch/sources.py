"""The sources file of ``propwatch watch``: the outlets to follow and how politely.

A TOML file with one ``[[outlets]]`` table per outlet, and optional
``[watch]`` (politeness) and ``[alerts]`` (rules and delivery) tables::

    [watch]
    per_host_interval = 2.0          # seconds between two requests to one host

    [alerts]
    log = "alerts.jsonl"             # relative to this file
    webhook = "https://hooks.example/propwatch"

    [[outlets]]
    name = "Coastal Ledger"
    feeds = ["https://ledger.example/rss.xml"]
    sitemaps = ["https://ledger.example/news-sitemap.xml"]
    language = "en"
    interval = 30                    # minutes between polls

Every problem is reported at once, as ``FILE: dotted.path: message`` lines
of one :class:`~propwatch.errors.ConfigError`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from ..errors import ConfigError
from ..ingest.fetch import USER_AGENT, url_problem
from ..settings import SettingsModel, validate

WATCH_USER_AGENT = USER_AGENT.replace("propwatch/", "propwatch-watch/", 1)


class WatchSettings(SettingsModel):
    user_agent: str = Field(WATCH_USER_AGENT, min_length=1, description="User-Agent sent with every request.")
    per_host_interval: float = Field(
        1.0, ge=0, description="Seconds between two requests to one host (a robots.txt Crawl-delay can raise it)."
    )
    respect_robots: bool = Field(True, description="Fetch nothing robots.txt disallows for this User-Agent.")
    backoff_base: float = Field(60.0, gt=0, description="Seconds a host is left alone after its first error; doubled per error.")
    backoff_max: float = Field(6 * 3600.0, gt=0, description="The longest a host is left alone (a Retry-After is capped too).")
    max_items_per_poll: int = Field(200, ge=1, description="New item pages one source fetches in one poll; the rest wait.")
    max_attempts: int = Field(3, ge=1, description="Polls that try a failing item page before it counts as failed for good.")
    max_sitemap_depth: int = Field(2, ge=0, description="Sitemap indexes followed this many levels down.")
    batch_size: int = Field(16, ge=1, description="Item pages analysed and committed together.")


class AlertSettings(SettingsModel):
    log: str = Field("", description="JSONL file every new alert is appended to (relative to the sources file; \"\": none).")
    webhook: str = Field("", description="URL each new alert is POSTed to as JSON (\"\": none).")
    window_hours: float = Field(72.0, gt=0, description="A narrative's spread is counted over its stories ingested this recently.")
    narrative_outlets: int = Field(2, ge=2, description="A narrative newly carried by this many outlets in the window is an alert.")
    narrative_languages: int = Field(2, ge=2, description="...or in this many languages.")
    debunks: bool = Field(True, description="A new story carrying a claim that matches a known debunk is an alert.")
    technique_factor: float = Field(
        2.0, gt=1, description="An outlet whose techniques per 1,000 words in its recent stories exceed its baseline this many times."
    )
    technique_recent: int = Field(5, ge=1, description="The outlet's latest stories that make its recent rate.")
    technique_baseline: int = Field(10, ge=1, description="Stories before those it needs for a baseline.")


class OutletSource(SettingsModel):
    name: str = Field(min_length=1, description="The outlet, as stories are stored under it.")
    feeds: list[str] = Field(default_factory=list, description="RSS or Atom feed URLs.")
    sitemaps: list[str] = Field(default_factory=list, description="Sitemap URLs (news sitemaps and sitemap indexes too).")
    language: str = Field("", pattern=r"^([a-z]{2,3})?$", description="The outlet's language (\"\": detected per story).")
    interval: float = Field(30.0, gt=0, description="Minutes between two polls of this outlet.")
    enabled: bool = Field(True, description="false: listed, never polled.")


class SourcesFile(SettingsModel):
    watch: WatchSettings = Field(default_factory=WatchSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    outlets: list[OutletSource] = Field(min_length=1)


@dataclass(frozen=True)
class Sources:
    """A sources file, checked: its outlets, politeness and alert settings."""

    path: Path
    watch: WatchSettings
    alerts: AlertSettings
    outlets: tuple[OutletSource, ...]

    @property
    def enabled(self) -> tuple[OutletSource, ...]:
        return tuple(o for o in self.outlets if o.enabled)

    def resolve(self, name: str) -> Path | None:
        """A path setting of this file (``alerts.log``) taken from the file's folder; None when unset."""
        return (self.path.parent / name) if name else None


def parse_sources(data: Any, origin: str = "<sources>") -> tuple[SourcesFile | None, list[str]]:
    """The checked sources, or every problem as ``dotted.path: message`` lines."""
    model, found = validate(SourcesFile, data)
    if model is None:
        return None, found
    problems = []
    seen: dict[str, int] = {}
    for i, outlet in enumerate(model.outlets):
        where = f"outlets[{i}]"
        if not outlet.feeds and not outlet.sitemaps:
            problems.append(f"{where}: needs at least one of feeds or sitemaps")
        for key in ("feeds", "sitemaps"):
            for j, url in enumerate(getattr(outlet, key)):
                problem = url_problem(url)
                if problem:
                    problems.append(f"{where}.{key}[{j}]: {problem}")
        if outlet.name in seen:
            problems.append(f"{where}.name: {outlet.name!r} is also outlets[{seen[outlet.name]}]")
        seen.setdefault(outlet.name, i)
    if model.alerts.webhook and url_problem(model.alerts.webhook):
        problems.append(f"alerts.webhook: {url_problem(model.alerts.webhook)}")
    return (None, problems) if problems else (model, [])


def load_sources(path: str | Path) -> Sources:
    """Read and check a sources file; a :class:`ConfigError` names the file and every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such sources file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the sources file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    model, problems = parse_sources(data, str(path))
    if model is None:
        raise ConfigError([f"{path}: {p}" for p in problems])
    return Sources(path, model.watch, model.alerts, tuple(model.outlets))


__all__ = ["AlertSettings", "OutletSource", "Sources", "SourcesFile", "WatchSettings", "load_sources", "parse_sources"]
