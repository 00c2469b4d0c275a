"""Typed settings: every key has a model field with its type, range and choices;
every problem is one ``origin: dotted.path: message`` line of one ConfigError."""

from __future__ import annotations

import inspect
import json
import tomllib
import typing
from importlib import resources

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from propwatch.cli import main
from propwatch.config import load_config, packaged_defaults
from propwatch.errors import ConfigError
from propwatch.registry import backends, stages
from propwatch.settings import BackendSettings, Settings, StageSettings, settings_model_for

# Every stage's `defaults` dict before the settings models (f665e70): the models keep them.
OLD_DEFAULTS = {
    "assessment.v3": {"weights_file": "", "model_file": "", "use_outlet": True, "languages": ["en"],
                      "required_layers": ["techniques", "quotes", "claims", "sourcing"]},
    "claims.v1": {"backend": "checkworthiness_onnx", "embedder": "", "min_score": -1.0, "min_words": 5, "max_chars": 600},
    "clean.v1": {"max_chars": 5_000_000},  # added after the core issue (issue 20: a cap per page)
    "coverage.v1": {},
    "debunk_matches.v9": {
        "database": "", "database_version": "", "source": "auto", "min_checkworthiness": 0.5, "min_words": 6,
        "top_k": 3, "threshold": -1.0, "min_fused": 0.3, "related_min_score": 0.3, "related_min_fused": 0.28,
        "w_dense": 0.3, "w_bm25": 0.7, "embedder": "auto", "cross_encoder": False, "cross_candidates": 0,
        "precision_checks": True, "proposition_min_score": 0.25, "proposition_min_fused": 0.22,
        "proposition_min_coverage": 0.7, "negated_matches": True, "proposition_candidates": 10,
        "proposition_alternative_min_fused": 0.18, "related_min_actors": 1, "related_min_predicate": 2,
    },
    "denials.v1": {},
    "entities.v2": {"model": "auto", "aliases": "", "capitals_as_states": True, "resolve_titles": True},
    "language.v1": {"min_chars": 20, "min_probability": 0.5},
    "metadata.v1": {},
    "quotes.v3": {"model": "", "scare_max_words": 4, "indirect": True, "speaker_ranker": False, "speaker_model": ""},
    "sentences.v1": {},
    "sourcing.v2": {"aliases": ""},
    "split.v1": {"enabled": True, "min_story_words": 60, "require_caption": True},
    "stance.v2": {"model_dir": "", "use_denials": True},
    "techniques.v1": {
        "backend": "techniques_onnx", "model": "", "file": "", "batch_size": 8, "threads": 0, "classifier": True,
        "threshold": None, "gap": None, "min_chars": None, "second_threshold": None,
        "phrases": None, "phrase_ratio": None, "sentence_cover": None, "split_sentences": None, "min_score": None,
        "quoted_speech": "mark", "spacy_model": "",
    },
}

BUILTIN = sorted(OLD_DEFAULTS)


def problems_of(tmp_path, text: str) -> list[str]:
    toml = tmp_path / "propwatch.toml"
    toml.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    assert str(info.value).startswith("PW100 ")
    prefix = f"{toml}: "
    assert all(p.startswith(prefix) for p in info.value.problems), info.value.problems
    return [p[len(prefix):] for p in info.value.problems]


def test_a_wrong_type_and_a_value_out_of_range_are_errors(tmp_path):
    found = problems_of(tmp_path, '[stages.techniques]\nthreshold = "high"\n[narratives]\nk = -5\n')
    assert found == ["narratives.k: must be at least 1, got -5",
                     "stages.techniques.threshold: expected a number, got 'high'"]


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems_of(tmp_path, (
        'colour = "red"\n'
        '[store]\npath = 3\n'
        '[pipeline]\nbatch_size = 0\nstages = ["clean", "nope"]\n'
        '[ingest]\nmax_file_mb = 0\nnear_duplicate_threshold = 1.5\nskip_hidden = "yes"\n'
        '[narratives]\nk = 2.5\n'
        '[stages.language]\nmin_chars = "x"\nfoo = 1\n'
        '[stages.nope]\na = 1\n'
    ))
    for expected in [
        "colour: unknown setting",
        "store.path: expected str, got 3",
        "pipeline.batch_size: must be at least 1, got 0",
        "pipeline.stages: no stage named 'nope'",
        "ingest.max_file_mb: must be greater than 0, got 0",
        "ingest.near_duplicate_threshold: must be at most 1, got 1.5",
        "ingest.skip_hidden: expected true or false, got 'yes'",
        "narratives.k: expected int, got 2.5",
        "stages.language.min_chars: expected int, got 'x'",
        "stages.language.foo: unknown setting (known: min_chars, min_probability)",
        "stages.nope: no stage named 'nope'",
    ]:
        assert any(p.startswith(expected) for p in found), (expected, found)
    assert len(found) == 11, found


def test_a_choice_error_lists_the_choices(tmp_path):
    found = problems_of(tmp_path, (
        '[narratives]\nindex = "fast"\n'
        '[stages.debunk_matches]\nsource = "tweets"\n'
        '[stages.techniques]\nbackend = "techniques_gpt"\n'
    ))
    assert found == [
        "narratives.index: must be one of 'auto', 'exact' or 'hnsw', got 'fast'",
        "stages.debunk_matches.source: must be one of 'auto', 'claims' or 'sentences', got 'tweets'",
        "stages.techniques.backend: must be one of 'techniques_fake', 'techniques_hf' or 'techniques_onnx', "
        "got 'techniques_gpt'",
    ]


def test_an_int_is_fine_for_a_float_and_is_kept_as_one(tmp_path):
    toml = tmp_path / "propwatch.toml"
    toml.write_text("[ingest]\nmax_file_mb = 5\n[stages.language]\nmin_probability = 1\n", "utf-8")
    cfg = load_config(toml)
    assert cfg.get("ingest.max_file_mb") == 5.0 and isinstance(cfg.get("ingest.max_file_mb"), float)
    assert isinstance(cfg.get("stages.language.min_probability"), float)
    assert cfg.settings.ingest.max_file_mb == 5.0


def test_a_stage_checks_its_settings_and_keeps_them_as_a_plain_dict():
    cls = stages.get("techniques")
    with pytest.raises(ConfigError, match=r"stages\.techniques\.threshold: expected a number, got 'high'"):
        cls({"threshold": "high"})
    with pytest.raises(ConfigError, match=r"stages\.techniques\.gap: must be at least 0, got -1"):
        cls({"gap": -1})
    stage = cls({"threshold": 0.4, "backend": "techniques_fake"})
    assert stage.settings.threshold == 0.4 and type(stage.config) is dict
    assert stage.config == {**OLD_DEFAULTS["techniques.v1"], "threshold": 0.4, "backend": "techniques_fake"}


@pytest.mark.parametrize("ref", BUILTIN)
def test_every_stage_has_a_settings_model_with_its_old_defaults(ref):
    cls = stages.get(ref)
    model = cls.settings_model
    assert isinstance(model, type) and issubclass(model, StageSettings), ref
    assert model.model_config.get("extra") == "forbid"
    assert cls.defaults == OLD_DEFAULTS[ref]
    assert all(f.description for f in model.model_fields.values()), ref
    # the fingerprint hashes the same settings as before
    assert cls(OLD_DEFAULTS[ref]).config_hash == cls(None).config_hash
    # the model sits just above its stage class, in the stage's module
    assert model.__module__ == cls.__module__


def test_every_registered_stage_is_covered():
    assert [r for r in stages.names() if not r.startswith("test_")] == BUILTIN


@pytest.mark.parametrize("ref", [r for r in backends.names() if r.startswith(("techniques_", "checkworthiness_"))])
def test_every_backend_a_stage_builds_from_its_settings_has_a_model_of_its_arguments(ref):
    cls = backends.get(ref)
    model = cls.settings_model
    assert isinstance(model, type) and issubclass(model, BackendSettings), ref
    params = {
        name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    }
    fields = {name: (PydanticUndefined if f.is_required() else f.default) for name, f in model.model_fields.items()}
    assert fields == {k: (PydanticUndefined if v is inspect.Parameter.empty else v) for k, v in params.items()}
    assert all(f.description for f in model.model_fields.values()), ref


def test_the_backend_checks_what_the_stage_passes_it(tmp_path):
    found = problems_of(tmp_path, (
        '[narratives]\nembedder = "minilm"\n'
        '[stages.techniques]\nbackend = "techniques_hf"\n'
        '[stages.claims]\nbackend = "checkworthiness_linear"\nembedder = "embeddings_nope"\n'
    ))
    assert found[0].startswith("narratives.embedder: must be one of '', 'auto', ") and "'embeddings_onnx'" in found[0]
    assert found[1] == "stages.techniques.model: the techniques_hf backend needs it set"
    assert found[2].startswith("stages.claims.embedder: must be one of") and found[2].endswith("got 'embeddings_nope'")
    assert len(found) == 3
    ok = tmp_path / "ok.toml"
    ok.write_text('[stages.techniques]\nbackend = "techniques_hf"\nmodel = "some/model"\n'
                  '[stages.claims]\nbackend = "checkworthiness_fake"\nembedder = "embeddings_fake"\n', "utf-8")
    assert load_config(ok).get("stages.techniques.model") == "some/model"


def test_a_plugin_stage_with_a_plain_defaults_dict_is_checked_by_its_types():
    from propwatch.stages.base import LayerStage

    class Plugin(LayerStage):
        defaults = {"word": "diesel", "n": 2}

    model = settings_model_for(Plugin)
    assert model(word="x").model_dump() == {"word": "x", "n": 2}
    with pytest.raises(ValueError):
        model(n="two")


def _fields(model: type[BaseModel]) -> dict:
    out = {}
    for name, field in model.model_fields.items():
        ann = field.annotation
        out[name] = _fields(ann) if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return out


def _keys(table: dict) -> dict:
    return {k: _keys(v) if isinstance(v, dict) else None for k, v in table.items()}


def test_every_key_of_defaults_toml_has_a_model_field_and_back():
    assert _keys(packaged_defaults()) == _fields(Settings)
    for name in Settings.SECTIONS:
        model = Settings.model_fields[name].annotation
        assert all(f.description for f in model.model_fields.values()), name
    Settings.model_validate(packaged_defaults())  # the packaged values pass their own checks


def _toml(table: dict, prefix: str = "") -> str:
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {value(v)}" for k, v in table.items() if not isinstance(v, dict) and v is not None]
    for k, v in table.items():
        if isinstance(v, dict):
            lines.append(f"\n[{prefix}{k}]")
            lines.append(_toml(v, f"{prefix}{k}."))
    return "\n".join(lines)


def test_every_documented_key_round_trips(tmp_path):
    cfg = load_config()
    # each key, written in a user file with a value other than its default, reads back as written
    changed = {
        "plugins": ["json"], "store": {"path": "x.duckdb", "lock_timeout": 1.5},
        "pipeline": {"stages": ["clean", "split"], "update_narratives": False, "batch_size": 3},
        "output": {"layers": ["claims"]},
    }
    user = json.loads(json.dumps(cfg.data, default=str))
    for section, values in changed.items():
        if isinstance(values, dict):
            user[section].update({k: v for k, v in values.items() if k in user[section]})
        else:
            user[section] = values
    for key, v in list(user["narratives"].items()):
        if key == "index":
            user["narratives"][key] = "exact"
        elif isinstance(v, bool):
            user["narratives"][key] = not v
        elif isinstance(v, (int, float)):
            user["narratives"][key] = v + 1 if isinstance(v, int) else round(v / 2, 3)
    for key, v in list(user["ingest"].items()):
        user["ingest"][key] = not v if isinstance(v, bool) else (v / 2 if isinstance(v, float) else v)
    text = _toml(user)
    assert tomllib.loads(text)  # valid TOML
    toml = tmp_path / "propwatch.toml"
    toml.write_text(text, "utf-8")
    back = load_config(toml)
    expect = tomllib.loads(text)
    for section, table in expect.items():
        if section == "stages":
            for name, settings in table.items():
                assert {k: v for k, v in back.data["stages"][name].items() if v is not None} == settings
        else:
            assert back.data[section] == table, section
    assert set(_keys(packaged_defaults())) <= set(expect)


def _other_value(field):
    """A valid value for ``field`` other than its default (the default where the choices are open)."""
    default, ann = field.default, field.annotation
    bounds = {k: getattr(m, k) for m in field.metadata for k in ("ge", "le", "gt") if getattr(m, k, None) is not None}
    if field.metadata and not bounds or typing.get_origin(ann) is typing.Literal:
        choices = typing.get_args(ann)
        return next((c for c in choices if c != default), default)
    if isinstance(default, bool):
        return not default
    if default is None:
        args = typing.get_args(ann)
        if bool in args:
            return True
        if float in args:
            low = bounds.get("ge", bounds.get("gt", 0.0))
            return min(max(0.5, low + 0.5), bounds.get("le", 1e9))
        return 2
    if isinstance(default, int):
        return default + 1
    if isinstance(default, float):
        return default / 2 if default else 0.25
    if isinstance(default, str):
        return default + "x"
    return default


def test_every_stage_setting_round_trips_with_another_value(tmp_path):
    tables = {}
    for ref in BUILTIN:
        cls = stages.get(ref)
        tables[cls.name] = {k: _other_value(f) for k, f in cls.settings_model.model_fields.items()}
    assert sum(v != stages.get(n).defaults[k] for n, t in tables.items() for k, v in t.items()) >= 30
    toml = tmp_path / "propwatch.toml"
    toml.write_text(_toml({"stages": tables}), "utf-8")
    cfg = load_config(toml)
    for name, table in tables.items():
        assert cfg.stage_config(name) == table, name
        assert stages.get(name)(cfg.stage_config(name)).config == table, name


def test_propwatch_config_prints_the_same_shape(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 0
    printed = json.loads(capsys.readouterr().out)
    defaults = packaged_defaults()
    assert list(printed) == ["origin", *defaults, "stages"]
    assert printed["origin"] == "defaults"
    for key, value in defaults.items():
        if isinstance(value, dict):
            assert list(printed[key]) == list(value), key
        assert printed[key] == value, key
    pipeline_stages = [stages.get(r).name for r in defaults["pipeline"]["stages"]]
    assert list(printed["stages"]) == pipeline_stages
    for name in pipeline_stages:
        assert printed["stages"][name] == stages.get(name).defaults
    assert main(["stages", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["stage"]: r["settings"] for r in rows if r["stage"] in OLD_DEFAULTS} == {
        ref: sorted(d) for ref, d in OLD_DEFAULTS.items()
    }


def test_defaults_toml_is_shipped_and_documents_itself():
    text = resources.files("propwatch").joinpath("data/defaults.toml").read_text("utf-8")
    assert "propwatch config" in text and tomllib.loads(text) == packaged_defaults()
