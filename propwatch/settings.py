"""Typed settings: one pydantic model per config section, stage and backend.

``data/defaults.toml`` is the one place where the default *values* of the
top-level sections live (users read it; ``propwatch config`` prints it
merged); the models here give each key its type, range, choices and
description, and check that file as much as a user's ``propwatch.toml``.
A stage's settings are a :class:`StageSettings` model declared as the
stage's ``settings_model`` (its fields carry the defaults); ``cls.defaults``
is derived from it::

    class SplitSettings(StageSettings):
        enabled: bool = Field(True, description="split glued pages into stories")
        min_story_words: int = Field(60, ge=1, description="...")

    @register_stage("split", version=1)
    class SplitStage(Stage):
        settings_model = SplitSettings

A backend that a stage builds from its settings declares a
:class:`BackendSettings` model of its constructor's arguments; the stage's
model names the backend and the arguments in ``backend_options()``, and
they are checked at config time too (``techniques_hf`` needs a ``model``).

Every model is strict (TOML values are typed: ``"10"`` is not a number; an
int is fine where a float is expected) and forbids unknown keys. Errors come
back as ``dotted.path: message`` lines (:func:`problems`), all at once::

    propwatch.toml: narratives.k: must be at least 1, got -5
    propwatch.toml: stages.techniques.threshold: expected a number, got 'high'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

# ------------------------------------------------------------------ bases


class SettingsModel(BaseModel):
    """Strict, closed, read-only: the base of every settings model."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StageSettings(SettingsModel):
    """A stage's settings (``[stages.NAME]``); every field has its default."""

    def backend_options(self) -> tuple[str, dict[str, Any]] | None:
        """The backend the stage builds and the settings it passes it, for a stage that
        builds one from its settings: checked against the backend's ``settings_model``."""
        return None


class BackendSettings(SettingsModel):
    """A backend's constructor settings (its ``settings_model``): one field per keyword
    argument, with the same default (none where the argument is required)."""


def defaults_of(model: type[BaseModel]) -> dict[str, Any]:
    """The default of every field of ``model``, as a plain dict."""
    return model().model_dump()


def BackendName(kind: str, *also: str) -> Any:  # noqa: N802 - reads as a type
    """A ``str`` setting naming a registered backend whose name starts with ``kind``
    (``"techniques"``: techniques_onnx, techniques_hf, ...) or one of ``also``; other
    names are an error listing the choices. For ``"embeddings"`` the short names of
    :data:`propwatch.embeddings.SHORT_NAMES` (``auto``, ``hash``, ...) count too."""

    def check(value: str) -> str:
        from .registry import backends

        extra = set(also)
        if kind == "embeddings":
            from importlib import import_module

            extra |= set(getattr(import_module("propwatch.embeddings"), "SHORT_NAMES", {}))
        if value in extra:
            return value
        try:
            backends.get(value)
            known = value.startswith(kind + "_")
        except LookupError:
            known = False
        if not known:
            names = {n.rsplit(".v", 1)[0] for n in backends.names() if n.startswith(kind + "_")}
            raise ValueError(f"must be one of {_choices(sorted(extra | names))}, got {value!r}")
        return value

    return Annotated[str, AfterValidator(check)]


def backend_problems(name: str, options: Mapping[str, Any], prefix: str) -> list[str]:
    """The problems of ``options`` for backend ``name`` (checked by the backend's
    ``settings_model``; options it does not take, and None values, are left out as
    the stage leaves them out), as ``prefix.option: ...`` lines."""
    from .registry import backends

    model = getattr(backends.get(name), "settings_model", None)
    if model is None:
        return []
    given = {k: v for k, v in options.items() if k in model.model_fields and v is not None}
    _, found = validate(model, given, prefix)
    return [p.replace(": missing setting", f": the {name} backend needs it set") for p in found]


# ------------------------------------------------------- top-level sections
# No defaults here: the values are in data/defaults.toml, and a key missing
# there (or there and not here) is an error the tests catch.


class StoreSettings(SettingsModel):
    path: str = Field(description="DuckDB file; relative paths are taken from the working directory.")
    lock_timeout: float = Field(
        ge=0, description="Seconds to wait for the store when another process holds it: readers wait for a "
        "writer's batch, a second `analyze` (or POST /api/analyze) for the writer before it; then the command "
        "fails naming who holds the store."
    )
    # Extra keys other parts of propwatch read from [store] are added here
    # with their key in defaults.toml (tests/spine/test_settings.py checks both).


class PipelineSettings(SettingsModel):
    stages: list[str] = Field(description='Stages in order; "name" takes the newest version, "name.vN" pins one.')
    update_narratives: bool = Field(description="After `analyze`, link the new claims into narratives (see [narratives]).")
    batch_size: int = Field(ge=1, description="Documents per batch; each batch is one store transaction.")
    undetermined_language: str = Field(
        pattern=r"^([a-z]{2,3})?$",
        description='A story whose language could not be identified ("und") is analysed as this language; '
        '"" leaves such stories unanalysed by every stage that declares its languages.',
    )


class IngestSettings(SettingsModel):
    max_file_mb: float = Field(gt=0, description="Plain text and HTML files above this size are rejected unread.")
    max_record_mb: float = Field(gt=0, description="One JSONL/CSV/WARC record above this size is rejected.")
    near_duplicate_threshold: float = Field(
        ge=0, le=1, description="Word-shingle Jaccard similarity at which a story is flagged a near-duplicate."
    )
    skip_hidden: bool = Field(description='Files and folders whose names start with "." are skipped in folders.')
    skip_files: list[str] = Field(
        description="Files in folders with these names are documentation, not articles (a file named on the "
        "command line is always read)."
    )
    allow_private_addresses: bool = Field(
        description="URLs (on the command line or in .urls files) are fetched; addresses that are not public "
        "(loopback, private, link-local, reserved) are refused unless this is true (a lab network, or tests "
        "against a local server)."
    )
    skip_unchanged_files: bool = Field(
        description="A file read before, unchanged since (same size and modification time) and with the same "
        "ingest stages, is not read again: its stored stories go straight to the layer stages, which skip what "
        "they already did."
    )
    fetch_timeout: float = Field(gt=0, description="Seconds to wait for a server when fetching a URL.")
    fetch_deadline: float = Field(
        gt=0, description="Seconds one URL's whole fetch may take (redirects, headers and body); a slower one is cut off."
    )


class NarrativesSettings(SettingsModel):
    """Claim linking (propwatch.narratives): a link's score is cosine + w_lexical * word overlap +
    w_entities * entity overlap + w_predicate * overlap of the predicate words (stems of the words that
    are not entity names); a pair that shares no predicate word scores 0 unless its cosine reaches
    paraphrase_min. A claim joins the narrative of its best link when the score reaches link_threshold
    (same_story_min for a claim of the same story) and its mean cosine to the narrative's claims reaches
    centroid_min; two narratives one claim links to merge when their claims' mean cosine reaches
    merge_min (> 1: never). verifier: "" none, "auto" or a directory of a claim cross-encoder that must
    also read the two claims as one (verify_min, verify_top, verify_members)."""

    embedder: BackendName("embeddings", "") = Field(
        description='Embeddings backend ("" = embeddings_onnx, the shipped MiniLM).'
    )
    index: Literal["auto", "exact", "hnsw"] = Field(
        description="Nearest-neighbour index: auto (HNSW when usearch is installed) | exact | hnsw."
    )
    k: int = Field(ge=1, description="Nearest claims looked at for each new claim.")
    candidate_min: float = Field(ge=0, le=1, description="Cosine below this is never a link.")
    link_threshold: float = Field(ge=0, description="Fused link score a claim needs to join a narrative.")
    same_story_min: float = Field(ge=0, description="The same, for a link to a claim of the same story.")
    centroid_min: float = Field(ge=0, le=1, description="Mean cosine to the narrative's claims needed to join.")
    merge_min: float = Field(
        ge=0, description="Mean cosine between two narratives' claims needed to merge them (> 1: never)."
    )
    w_lexical: float = Field(ge=0, description="Weight of the word overlap in the link score.")
    w_entities: float = Field(ge=0, description="Weight of the entity overlap in the link score.")
    w_predicate: float = Field(ge=0, description="Weight of the predicate-word overlap in the link score.")
    paraphrase_min: float = Field(
        ge=0, le=1, description="A link needs a shared predicate word unless the cosine reaches this (0: never)."
    )
    predicate_min: float = Field(
        ge=0, le=1, description="Below paraphrase_min, the idf overlap of the predicate words a link needs."
    )
    proposition_checks: bool = Field(description="No link between claims whose actors differ or when one negates "
                                     "and the other does not (propwatch.narratives.proposition).")
    numbers_check: bool = Field(description="No link between claims that both give figures and share none.")
    verifier: str = Field(
        description='"" none, "auto" the shipped claim cross-encoder, or the directory of one: it must also '
        "read the two claims as one."
    )
    verify_min: float = Field(ge=0, le=1, description="With a verifier: its same-claim probability needed to join.")
    verify_top: int = Field(ge=1, description="Narratives verified per claim, best links first.")
    verify_members: int = Field(ge=1, description="Best-linked members verified per narrative.")
    core_size: int = Field(ge=0, description="A claim joins a narrative only if it links to each of its first "
                           "core_size claims (no chains; 0: off).")
    skip_filters: bool = Field(description="Bylines, questions, casualty tallies, definitions and background "
                               "sentences are never linked (propwatch.narratives.filters).")
    boilerplate_days: int = Field(ge=0, description="A sentence seen again this many days after its first story "
                                  "is boilerplate, never linked (0: off).")
    frames: bool = Field(description="Two claims that state one contested action (propwatch.narratives.proposition "
                         "FRAMES: trading oil, moving fighters across a border) with two actors in common link "
                         "though they read apart.")
    frame_cos_min: float = Field(ge=0, le=1, description="The cosine such a pair needs (it stands for candidate_min "
                                 "and centroid_min).")
    w_frame: float = Field(ge=0, description="Added to the link score of such a pair.")
    frame_candidates: int = Field(ge=0, description="The latest claims of the same frame and pair of actors looked "
                                  "at, beside the k nearest.")


class OutputSettings(SettingsModel):
    layers: list[str] = Field(description="Layers written in JSON/JSONL/CSV output; an empty list writes them all.")


class StageResources(SettingsModel):
    """What one stage needs of a Ray worker (``[[ray.stage_resources]]``)."""

    stage: str = Field(description="The stage's name (techniques, claims, ...).")
    num_cpus: float = Field(0.0, ge=0, description="CPUs it needs (0: the worker's cpus_per_worker).")
    num_gpus: float = Field(0.0, ge=0, description="GPUs it needs (a transformer backend).")
    memory_mb: int = Field(0, ge=0, description="Memory it needs, in MB (0: no reservation).")


class RaySettings(SettingsModel):
    """``propwatch analyze --engine ray`` (propwatch.engines.ray, docs/scale.md)."""

    address: str = Field(description='Ray cluster address ("ray://head:10001", "auto"); "" starts a local Ray.')
    num_cpus: int = Field(ge=0, description="CPUs of the local Ray the command starts (0: every core).")
    workers: int = Field(ge=0, description="Worker actors, each running every stage once set up (0: one per "
                         "cpus_per_worker of the cluster's CPUs).")
    cpus_per_worker: float = Field(gt=0, description="CPUs each worker asks for; its model threads are set to it.")
    memory_mb_per_worker: int = Field(ge=0, description="Memory each worker asks for, in MB (0: no reservation).")
    stage_resources: list[StageResources] = Field(
        description="Per-stage needs: a worker runs every stage, so it asks for the largest of each.")
    files_per_shard: int = Field(ge=1, description="Input files (or URLs) per shard; one shard is one Parquet "
                                 "file, written whole or not at all.")
    run_dir: str = Field(description='Folder of the Parquet shards ("": beside the store, STORE.shards); on a '
                         "cluster a folder every node sees.")
    retries: int = Field(ge=0, description="Times a shard whose worker died is tried again before the run fails.")


class Settings(SettingsModel):
    """Every top-level key of the configuration but ``[stages.NAME]`` (checked per stage)."""

    plugins: list[str] = Field(description="Extra modules to import so that their stages and backends register.")
    store: StoreSettings
    pipeline: PipelineSettings
    ingest: IngestSettings
    narratives: NarrativesSettings
    output: OutputSettings
    ray: RaySettings

    SECTIONS: ClassVar[tuple[str, ...]] = ("store", "pipeline", "ingest", "narratives", "output", "ray")


# ---------------------------------------------------------------- checking


def validate(model: type[BaseModel], data: Any, prefix: str = "",
             known: bool = False) -> tuple[BaseModel | None, list[str]]:
    """``model`` validated from ``data``, or None with every problem as a ``path: message`` line.

    ``prefix`` is the dotted path of ``data`` (``"stages.split"``); ``known``
    adds the model's keys to an unknown-setting message."""
    try:
        settings = model.model_validate(data)
    except ValidationError as exc:
        return None, problems(exc, prefix, model if known else None)
    backend = settings.backend_options() if isinstance(settings, StageSettings) else None
    found = backend_problems(backend[0], backend[1], prefix) if backend else []
    return (None, found) if found else (settings, [])


def problems(exc: ValidationError, prefix: str = "", model: type[BaseModel] | None = None) -> list[str]:
    """One ``dotted.path: message`` line per error of ``exc``."""
    out = []
    for err in exc.errors(include_url=False):
        path = _path(prefix, err["loc"])
        message = _message(err)
        if err["type"] == "extra_forbidden" and model is not None:
            message += f" (known: {', '.join(sorted(model.model_fields)) or 'none'})"
        out.append(f"{path}: {message}" if path else message)
    return out


def _path(prefix: str, loc: tuple) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


_TYPES = {
    "string_type": "str",
    "int_type": "int",
    "int_from_float": "int",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _choices(choices: list[str]) -> str:
    """'a', 'b' or 'c' (as pydantic words a Literal)."""
    quoted = [repr(c) for c in choices]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else "".join(quoted)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _got(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if isinstance(value, (Mapping, list)) else repr(value)


def _message(err: Mapping[str, Any]) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown setting"
    if kind == "missing":
        return "missing setting"
    if kind in _TYPES:
        return f"expected {_TYPES[kind]}, got {_got(value)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}, got {value!r}"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("greater than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {_number(ctx.get(key))}, got {value!r}"
    msg = str(err.get("msg", kind))
    return msg.removeprefix("Value error, ")


# ------------------------------------------------------------ stage models

_INFERRED: dict[type, type[BaseModel]] = {}


def settings_model_for(cls: type) -> type[BaseModel]:
    """The settings model of a stage (or backend) class: its ``settings_model``, else one
    inferred from the types of its ``defaults`` dict (plugins written before settings models)."""
    model = getattr(cls, "settings_model", None)
    if model is not None:
        return model
    if cls not in _INFERRED:
        fields: dict[str, Any] = {}
        for key, value in dict(getattr(cls, "defaults", {}) or {}).items():
            kind = Any if value is None else (list if isinstance(value, list) else
                                               dict if isinstance(value, dict) else type(value))
            fields[key] = (kind, value)
        _INFERRED[cls] = create_model(f"{cls.__name__}Settings", __base__=StageSettings, **fields)
    return _INFERRED[cls]


def stage_settings(cls: type, config: Mapping[str, Any] | None) -> BaseModel:
    """``config`` validated against the stage's settings model; a :class:`ConfigError`
    names every problem as ``stages.NAME.key: ...``."""
    from .errors import ConfigError

    model = settings_model_for(cls)
    settings, found = validate(model, dict(config or {}), f"stages.{getattr(cls, 'name', '') or cls.__name__}",
                               known=True)
    if found:
        raise ConfigError(found)
    return settings


__all__ = [
    "BackendName",
    "BackendSettings",
    "Field",
    "backend_problems",
    "IngestSettings",
    "NarrativesSettings",
    "OutputSettings",
    "PipelineSettings",
    "RaySettings",
    "Settings",
    "SettingsModel",
    "StageResources",
    "StageSettings",
    "StoreSettings",
    "defaults_of",
    "problems",
    "settings_model_for",
    "stage_settings",
    "validate",
]
