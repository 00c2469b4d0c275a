"""The Russian entities, quotes, sourcing and claims on texts written for these tests."""

from __future__ import annotations

from dataclasses import asdict


def _ids(doc, surface):
    return {e.entity_id for e in doc.layer("entities") if e.text == surface}


def test_inflected_forms_of_one_actor_get_one_id(analyse_ru):
    text = ("Россия не признаёт решение суда. В России его назвали политическим. "
            "Сергей Лавров встретился с коллегами. Слова Лаврова передали агентства. "
            "С Лавровым согласились не все. Переговоры с Россией продолжатся.\n\n"
            "Боевики «Исламского государства» (ИГИЛ) отступили. Главарь ИГ скрылся.\n\n"
            "Фермер Иван Петренко подал иск. Суд отказал Петренко в иске.")
    doc, = analyse_ru([text], upto="entities")
    for form in ("Россия", "России", "Россией"):
        assert _ids(doc, form) == {"gpe:russia"}, form
    for form in ("Сергей Лавров", "Лаврова", "Лавровым"):
        assert _ids(doc, form) == {"per:sergey-lavrov"}, form
    assert _ids(doc, "Исламского государства") == _ids(doc, "ИГИЛ") == _ids(doc, "ИГ") == {"org:islamic-state"}
    full, short = _ids(doc, "Иван Петренко"), _ids(doc, "Петренко")
    assert len(full) == 1 and full == short
    assert all(e.label == "PERSON" for e in doc.layer("entities") if e.entity_id in full)
    assert all(doc.text[e.start:e.end] == e.text for e in doc.layer("entities"))


def test_lower_case_words_are_not_entities(analyse_ru):
    doc, = analyse_ru(["Как надавили на бизнес, так и отступили. Россия ответила санкциями."], upto="entities")
    assert [e.text for e in doc.layer("entities")] == ["Россия"]


def test_dash_speech_has_its_speaker_and_continuation(analyse_ru):
    text = ("Министр иностранных дел Сергей Лавров провёл пресс-конференцию.\n"
            "— Мы не допустим эскалации конфликта, — заявил Лавров. — Наша позиция остаётся неизменной.")
    doc, = analyse_ru([text], upto="quotes")
    quotes = doc.layer("quotes")
    assert [q.text for q in quotes] == ["Мы не допустим эскалации конфликта", "Наша позиция остаётся неизменной."]
    assert all(q.direct and q.speaker.entity_id == "per:sergey-lavrov" and q.speaker.kind == "person" for q in quotes)
    assert quotes[0].cue.text == "заявил"


def test_a_quoted_newspaper_or_party_name_is_not_a_quote(analyse_ru):
    text = ("Об этом пишет газета «Известия». Депутаты партии «Новые люди» и редакция «Газеты» "
            "обсудили закон «Об образовании».")
    doc, = analyse_ru([text], upto="quotes")
    assert doc.layer("quotes") == ()


def test_guillemet_quote_with_a_trailing_speech_verb(analyse_ru):
    text = "«Санкции ударят по самой Европе, и это уже видно по ценам», — подчеркнул Дмитрий Песков."
    doc, = analyse_ru([text], upto="quotes")
    q, = doc.layer("quotes")
    assert q.text == "Санкции ударят по самой Европе, и это уже видно по ценам"
    assert q.speaker.entity_id == "per:dmitry-peskov"


def test_indirect_speech_and_po_slovam(analyse_ru):
    text = ("Несмотря на санкции, Дмитрий Песков заявил, что экономика страны выдержит давление Запада. "
            "По его словам, запасов хватит на несколько лет вперёд.")
    doc, = analyse_ru([text], upto="quotes")
    quotes = doc.layer("quotes")
    assert [q.text for q in quotes] == ["экономика страны выдержит давление Запада",
                                        "запасов хватит на несколько лет вперёд"]
    assert [q.speaker.entity_id for q in quotes] == ["per:dmitry-peskov", "per:dmitry-peskov"]
    assert all(not q.direct for q in quotes)
    assert all("Несмотря" not in (q.speaker.text or "") for q in quotes)


def test_anonymous_sources_are_found(analyse_ru):
    text = ("Источник в правительстве сообщил, что переговоры о поставках зерна сорваны. "
            "Собеседник агентства говорил на условиях анонимности. "
            "Местные жители рассказали, что слышали взрывы всю ночь.")
    doc, = analyse_ru([text], upto="sourcing")
    quotes = doc.layer("quotes")
    assert [q.speaker.kind for q in quotes] == ["anonymous", "anonymous"]
    assert quotes[0].speaker.text.startswith("Источник в правительстве")
    flags = [f for f in doc.layer("sourcing") if f.flag == "anonymous_source"]
    phrases = {f.text for f in flags}
    assert "на условиях анонимности" in phrases
    assert any(p.startswith("Источник в правительстве") for p in phrases)
    summary, = doc.layer("sourcing_summary")
    assert summary.by_kind["anonymous"] == 2 and summary.anonymous_sources == len(flags)


def test_claims_are_scored_by_the_russian_rules(analyse_ru):
    text = ("В 2021 году поставки газа в Европу сократились на 40 процентов, заявил Алексей Миллер. "
            "Погода была хорошей.")
    doc, = analyse_ru([text])
    claims = doc.layer("claims")
    assert [c.sentence for c in claims] == [0]
    c = claims[0]
    assert c.method == "ru_rules.v1" and 0.5 <= c.checkworthiness <= 1.0
    assert asdict(c)["method"] == "ru_rules.v1"


def test_hyphen_dash_speech_and_a_told_outlet_before_the_speaker(analyse_ru):
    text = ("- Мы готовы к переговорам без предварительных условий, - сказал ТАСС министр Сергей Лавров.\n\n"
            "Санкции не сработали, заявил РИА Новости пресс-секретарь Кремля Дмитрий Песков.")
    doc, = analyse_ru([text], upto="quotes")
    quotes = doc.layer("quotes")
    assert [q.text for q in quotes] == ["Мы готовы к переговорам без предварительных условий", "Санкции не сработали"]
    assert [q.speaker.entity_id for q in quotes] == ["per:sergey-lavrov", "per:dmitry-peskov"]


def test_ob_etom_attributes_the_previous_sentence_once(analyse_ru):
    text = ("Поставки зерна через порты возобновятся в следующем месяце. Об этом сообщил министр Андрей Котов. "
            "Как отметил Дмитрий Песков, Кремль поддерживает эти контакты. Об этом ранее писала газета «Вести».")
    doc, = analyse_ru([text], upto="quotes")
    quotes = doc.layer("quotes")
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("Поставки зерна через порты возобновятся в следующем месяце", "Андрей Котов"),
        ("Кремль поддерживает эти контакты", "Dmitry Peskov"),
    ]


def test_a_surname_alone_the_tagger_misses_is_the_person_named_in_full(analyse_ru):
    text = ("Политолог Дмитрий Дробницкий рассказал о выборах. "
            "Дробницкий подчеркнул, что кандидат был слаб ещё в 2020 году.")
    doc, = analyse_ru([text], upto="quotes")
    full = _ids(doc, "Дмитрий Дробницкий")
    assert len(full) == 1 and _ids(doc, "Дробницкий") == full
    quotes = doc.layer("quotes")
    assert [q.text for q in quotes] == ["кандидат был слаб ещё в 2020 году"]
    assert quotes[0].speaker.entity_id in full


def test_a_clause_after_a_stance_noun_is_indirect_speech(analyse_ru):
    text = ("Ведущий Иван Петров заявил об уверенности в том, что программа вернётся в эфир. "
            "Телеведущий Леонид Якубович выступил на игре. Телеведущий счёл, что шутки стали злее.")
    doc, = analyse_ru([text], upto="quotes")
    got = {q.text: q.speaker.text for q in doc.layer("quotes")}
    assert got.get("программа вернётся в эфир") == "Иван Петров"
    assert "шутки стали злее" in got


def test_a_surname_without_its_full_name_is_not_guessed(analyse_ru):
    doc, = analyse_ru(["Дробницкий подчеркнул, что кандидат был слаб."], upto="entities")
    assert not [e for e in doc.layer("entities") if e.source == "surname"]
