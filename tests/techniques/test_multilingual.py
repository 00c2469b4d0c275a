"""Technique spans in Russian (and fr, de, it, pl) from the shipped linear models; other languages stay not analysed.

The texts are written here; the shipped models are those of propwatch/models/techniques_multilingual/.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from propwatch.languages import CoverageStage, not_analysed_layers
from propwatch.records import Document
from propwatch.resources import Resources
from propwatch.runner import Runner, fingerprint
from propwatch.techniques.inventory import SEMEVAL2023_MAP, SEMEVAL2023_TECHNIQUES, category, label, ptc_name
from propwatch.techniques.multilingual import (
    LanguageModel, LinearModel, MultilingualTechniques, sentence_bounds, sentence_features, shipped_dir, word_features,
)
from propwatch.techniques.stage import TechniquesStage

# Written for this test: an opinion piece in the register of the outlets the project follows
# (fear, loaded words, doubt about the other side's account, flag-waving), and a neutral report.
RU = (
    "Западные политики снова запугивают европейцев мифической «российской угрозой». "
    "Это очередная ложь, которую лживые СМИ повторяют без всяких доказательств. "
    "Если Европа не одумается, её ждёт катастрофа, голод и холод этой зимой. "
    "Киевский режим продолжает убивать мирных жителей Донбасса, а Запад молчит. "
    "Неужели кто-то всерьёз верит, что эти так называемые эксперты говорят правду? "
    "Наш великий русский народ никогда не сдастся, и наша Россия защитит свой мир и свою свободу! "
    "В среду в Москве прошла встреча министров, на которой обсуждались вопросы торговли."
)
ES = (
    "Los políticos occidentales vuelven a asustar a los europeos con una amenaza mítica. "
    "Es otra mentira que los medios repiten sin pruebas, y si Europa no reacciona le espera una catástrofe."
)
EN = "The council voted today. The council is disgraceful, and traitors lie!"


@pytest.fixture(scope="module")
def stage():
    s = TechniquesStage({"backend": "techniques_fake"})
    s.ensure_setup(Resources())
    return s


def test_the_shipped_models_cover_the_semeval_languages():
    models = MultilingualTechniques()
    assert set(models.languages) == {"ru", "fr", "de", "it", "pl"}
    meta = json.loads((shipped_dir() / "multilingual.json").read_text("utf-8"))
    total = 0
    for lang, info in meta["languages"].items():
        size = (shipped_dir() / info["file"]).stat().st_size
        total += size
        assert size < 10e6, lang
        assert info["thresholds"], f"{lang}: no technique kept"
        assert set(info["thresholds"]) <= set(SEMEVAL2023_TECHNIQUES)
        assert "si" in info["test"] and "tc" in info["test"] and "floor" in info["test"]
    assert total < 40e6
    card = (shipped_dir() / "MODEL_CARD.md").read_text("utf-8")
    assert "research use" in card.lower() and "Piskorski" in card and "train/techniques_multilingual.py" in card


def test_the_stage_supports_english_and_the_model_languages_not_spanish(stage):
    assert stage.supported_languages()[0] == "en"
    assert {"ru", "fr", "de", "it", "pl"} <= set(stage.supported_languages())
    assert stage.supports("ru") and not stage.supports("es")


def test_a_russian_story_gets_technique_spans_in_the_2023_inventory(stage):
    [doc] = stage([Document(text=RU, source="ru.txt", language="ru")])
    spans = doc.layer("techniques")
    assert spans, "no technique span on the Russian text"
    bounds = set(sentence_bounds(RU))
    for sp in spans:
        assert doc.text[sp.start:sp.end] == sp.text
        assert sp.technique in SEMEVAL2023_TECHNIQUES and category(sp.technique) != "Other"
        assert label(sp.technique) != sp.technique  # a readable name in the report
        assert (sp.start, sp.end) in bounds  # sentence spans
        assert 0.0 < sp.score <= 1.0
    # the flag-waving sentence is flagged as such; the neutral report of a meeting is not flagged
    assert any(sp.technique == "Flag_Waving" and sp.text.startswith("Наш великий") for sp in spans)
    assert not any(sp.text.startswith("В среду") for sp in spans)


def test_a_spanish_story_stays_not_analysed():
    from propwatch import load_config

    config = load_config(overrides={"pipeline.stages": ["clean", "language", "sentences", "coverage", "techniques"],
                                    "stages.techniques.backend": "techniques_fake"})
    coverage = CoverageStage()
    coverage.ensure_setup(Resources(config))
    es, ru = Document(text=ES, source="es", language="es"), Document(text=RU, source="ru", language="ru")
    out = coverage([es, ru])
    assert set(not_analysed_layers(out[0])) == {"techniques"}
    assert not_analysed_layers(out[1]) == {}
    runner = Runner([TechniquesStage({"backend": "techniques_fake"})], Resources(config))
    done, rejected = runner.run([es])
    assert not rejected and done[0].layer("techniques") == ()


def test_english_stories_keep_the_english_model_and_fingerprint(stage):
    alone = stage([Document(text=EN, source="en", language="en")])[0].layer("techniques")
    mixed = stage([Document(text=RU, source="ru", language="ru"), Document(text=EN, source="en", language="en")])
    assert mixed[1].layer("techniques") == alone and alone
    assert {sp.technique for sp in alone} <= {"Loaded_Language", "Name_Calling,Labeling"}  # the fake lexicon, PTC names
    # the default stage's fingerprint of an English story is the one it had before the
    # multilingual models (pinned: stored English layers stay valid)
    default = TechniquesStage()
    en = Document(text="The council is disgraceful.", source="x", language="en")
    assert (default.ref, default.config_hash, default.state_key()) == ("techniques.v1", "0fc231593bbb", "")
    assert fingerprint(en, default, {"quotes": "abc"}, default.state_key(), "en") == "46916353d61fa3e18776"


def test_a_russian_story_with_technique_spans_is_still_not_assessed(stage):
    from propwatch.assessment.stage import NOT_ASSESSED, AssessmentStage
    from propwatch.registry import stages

    doc = Document(text=RU, source="ru.txt", language="ru")
    for name in ("sentences",):
        doc = stages.get(name)()([doc])[0]
    doc = stage([doc])[0]
    assert doc.layer("techniques")
    doc = doc.with_layers({"quotes": (), "claims": (), "sourcing": ()})  # analysed, nothing found
    [record] = AssessmentStage(AssessmentStage.defaults)([doc])[0].layer("assessment")
    assert record.label == NOT_ASSESSED and record.score is None and "ru" in record.reasons[0].detail


def test_the_2023_names_map_to_the_2020_inventory():
    assert len(SEMEVAL2023_TECHNIQUES) == 23
    assert ptc_name("Flag_Waving") == "Flag-Waving" and ptc_name("Appeal_to_Values") is None
    assert ptc_name("Loaded_Language") == "Loaded_Language"
    assert all(ptc_name(t) == SEMEVAL2023_MAP[t] for t in SEMEVAL2023_TECHNIQUES)


def test_runtime_features_equal_scikit_learn_tfidf():
    sklearn = pytest.importorskip("sklearn.feature_extraction.text")
    corpus = ["Это очередная ложь!", "Лживые СМИ повторяют ложь без доказательств.", "Встреча министров прошла в среду."]
    rows = [sentence_features(t) for t in corpus]
    vec = sklearn.TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=1)
    x = vec.fit_transform(rows).toarray()
    model = LinearModel({k: int(v) for k, v in vec.vocabulary_.items()}, vec.idf_.astype(np.float32),
                        np.zeros((len(vec.idf_), 1), np.float32), np.zeros(1, np.float32), ("Doubt",))
    for row, feats in zip(x, rows):
        idx, val = model.vector(feats)
        dense = np.zeros_like(row)
        dense[idx] = val
        assert np.allclose(dense, row, atol=1e-6)
    # char 2-5-grams inside words, as char_wb: a two-letter word gives " xy " once per n >= its length
    assert sentence_features("СМИ")[:3] == [" с", "см", "ми"]
    assert sentence_features("и").count(" и ") == 1


def test_the_word_level_decoder_joins_runs_of_marked_words():
    vocab = {"w=лживые": 0, "w=сми": 1}
    word = LinearModel(vocab, np.ones(2, np.float32), np.array([[6.0], [6.0]], np.float32), np.array([-3.0], np.float32),
                       ("Loaded_Language",))
    lm = LanguageModel(None, word, {"Loaded_Language": {"level": "word", "threshold": 0.5}})
    text = "Это лживые СМИ, как всегда. Ничего нового."
    [found] = lm.find(text)
    assert text[found.start:found.end] == "лживые СМИ" and found.level == "word" and found.technique == "Loaded_Language"
    assert "w=сми" in word_features(["лживые", "СМИ"], 1) and "-1=лживые" in word_features(["лживые", "СМИ"], 1)


def test_a_missing_model_directory_supports_no_extra_language(tmp_path: Path):
    assert MultilingualTechniques(tmp_path).languages == ()
