"""Russian rules that need no model: sentences, quote marks, check-worthiness, routing (invented texts)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from propwatch.claims.ru import METHOD, score_ru
from propwatch.who.ru import quote_pairs_ru


def test_sentences_keep_offsets_paragraphs_and_initials():
    pytest.importorskip("razdel")
    from propwatch.ingest.sentences_ru import split_sentences_ru

    text = "В. В. Путин прилетел в г. Казань. Его встретили.\n\n— Мы готовы, — сказал мэр. — Ждём вас."
    got = split_sentences_ru(text)
    pieces = [(text[s:e], p) for s, e, p in got]
    assert pieces[0] == ("В. В. Путин прилетел в г. Казань.", 0)
    assert pieces[1] == ("Его встретили.", 0)
    assert all(p == 1 for _, p in pieces[2:])
    assert "".join(t for t, _ in pieces[2:]).startswith("— Мы готовы, — сказал мэр.")


def test_the_sentence_stage_splits_russian_with_razdel_and_english_as_before():
    pytest.importorskip("razdel")
    from propwatch.records import Document
    from propwatch.registry import stages

    stage = stages.get("sentences")()
    ru = Document(text="Мэр г. Самары выступил. Он сказал правду.", source="a", language="ru")
    en = Document(text="Mr. Smith spoke. He left.", source="b", language="en")
    out_ru, out_en = stage([ru, en])
    assert [s.text for s in out_ru.layer("sentences")] == ["Мэр г. Самары выступил.", "Он сказал правду."]
    assert [s.text for s in out_en.layer("sentences")] == ["Mr. Smith spoke.", "He left."]


def test_quote_pairs_nest_ascii_and_guillemets():
    text = 'Он сказал: "У нас была "длинная рука", а теперь нет". Газета «Вести «Сегодня»» вышла.'
    pairs = quote_pairs_ru(text)
    contents = [text[o + 1:c] for o, c in pairs]
    assert contents == ['У нас была "длинная рука", а теперь нет', "Вести «Сегодня»"]


def test_low_quotes_pair_with_high_closing_quotes():
    text = "Все кричали: „Барин приехал“, и ушли."
    assert [text[o + 1:c] for o, c in quote_pairs_ru(text)] == ["Барин приехал"]


@pytest.mark.parametrize("sentence", [
    "В 2021 году поставки газа сократились на 40 процентов, до 100 миллионов кубометров в сутки.",
    "Киевский режим обвинили в геноциде мирного населения Донбасса, из-за чего погибли 14 тысяч человек.",
])
def test_statistics_and_accusations_are_check_worthy(sentence):
    score, cues = score_ru(sentence)
    assert score >= 0.5, cues


@pytest.mark.parametrize("sentence", [
    "Как вы думаете, что будет дальше?",
    "Погода в выходные была хорошей.",
    "Фотогалерея",
])
def test_questions_small_talk_and_headings_are_not(sentence):
    assert score_ru(sentence)[0] < 0.5


def test_the_method_is_named():
    assert METHOD == "ru_rules.v1"


def test_the_russian_packages_are_not_imported_by_the_stages_until_a_russian_story_arrives():
    code = (
        "import sys\n"
        "import propwatch.registry, propwatch.who.entities_stage, propwatch.who.quotes_stage, propwatch.claims.stage\n"
        "import propwatch.who.ru, propwatch.ingest.sentences\n"
        "print(sorted(m for m in ('natasha', 'slovnet', 'pymorphy3', 'razdel', 'navec') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["entities", "quotes", "sourcing", "claims"])
def test_the_stages_declare_russian(name):
    from propwatch.registry import stages

    stage = stages.get(name)()
    assert stage.supports("ru") and stage.supports("en") and not stage.supports("fr")
