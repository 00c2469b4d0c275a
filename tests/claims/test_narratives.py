"""Narratives: seed-like stories (written for this test) group into the right narratives."""

from __future__ import annotations

import numpy as np
import pytest

from propwatch.embeddings import shipped_model_dir
from propwatch.narratives import ClaimItem, LinkParams, Linker, get_narrative, list_narratives, update_narratives
from propwatch.narratives.index import ExactIndex, HnswIndex, usearch_available
from propwatch.narratives.service import narrative_report_data
from propwatch.store import Store

from claims.helpers import analyzed, narrative_rows, write  # noqa: F401

HAS_MODEL = (shipped_model_dir() / "model.int8.onnx").exists()


def _groups(store):
    return {n.id: sorted(c.normalized for c in n.claims) for n in list_narratives(store)}


def _find(narratives, word):
    return [n for n in narratives if any(word in c.normalized for c in n.claims)]


@pytest.mark.skipif(not HAS_MODEL, reason="MiniLM model not shipped")
def test_oil_and_border_narratives_span_outlets(narrative_rows):
    docs = analyzed(narrative_rows)
    with Store(":memory:") as store:
        write(store, docs)
        counts = update_narratives(store)
        assert counts["stories"] == 5
        narratives = list_narratives(store)
        oil = _find(narratives, "oil")
        border = _find(narratives, "border")
        assert len(oil) == 1 and len(border) == 1 and oil[0].id != border[0].id
        for n in (oil[0], border[0]):
            assert {"Spring News", "Iran Today"} <= set(n.outlets)
            assert n.first_seen == "2015-11-28" and n.last_seen >= "2015-12-02"
            assert sum(c for _, c in n.per_day) == n.n_claims >= 2
        assert "the deputy defence minister" in oil[0].sources
        for n in (oil[0], border[0]):  # unrelated claims stay out
            assert not any("Fallujah" in c.text or "Kosovo" in c.text or "bread" in c.text for c in n.claims)
        kosovo = _find(narratives, "Kosovo")
        assert len(kosovo) == 1 and set(kosovo[0].outlets) == {"Global Wire", "Balkan Voice"}
        assert get_narrative(store, oil[0].id[:6]).id == oil[0].id
        data = narrative_report_data(store)
        assert data[0]["per_day"] and {"day", "count"} <= set(data[0]["per_day"][0])


@pytest.mark.skipif(not HAS_MODEL, reason="MiniLM model not shipped")
def test_oil_and_border_narratives_carry_all_three_outlets(narrative_rows):
    # Global Wire's "documents pointed to Daesh selling oil to Turkey" and "fighters cross the border, the
    # documents show" share too few predicate words (idf overlap 0.39, 0.42 < predicate_min); they state
    # the frames (proposition.FRAMES) of the other two outlets' claims, with the same two actors
    with Store(":memory:") as store:
        write(store, analyzed(narrative_rows))
        update_narratives(store)
        narratives = list_narratives(store)
        for word in ("oil", "border"):
            assert set(_find(narratives, word)[0].outlets) == {"Spring News", "Iran Today", "Global Wire"}


@pytest.mark.skipif(not HAS_MODEL, reason="MiniLM model not shipped")
def test_incremental_equals_batch_and_is_deterministic(narrative_rows):
    docs = analyzed(narrative_rows)
    with Store(":memory:") as a, Store(":memory:") as b, Store(":memory:") as c:
        write(a, docs)
        update_narratives(a)
        write(b, docs[:2])
        update_narratives(b)
        before = {k: v for k, v in b.con.execute("SELECT claim_key, narrative_id FROM narrative_members").fetchall()}
        write(b, docs[2:])
        counts = update_narratives(b)
        assert counts["stories"] == 3  # only the new stories are linked
        after = dict(b.con.execute("SELECT claim_key, narrative_id FROM narrative_members").fetchall())
        assert set(before) <= set(after)
        write(c, list(reversed(docs)))
        update_narratives(c)
        assert _groups(a) == _groups(b) == _groups(c)
        assert update_narratives(a)["stories"] == 0


def _items(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(n // 5, 1), dim))
    vecs = centres[np.arange(n) % len(centres)] + 0.05 * rng.normal(size=(n, dim))
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    items = [ClaimItem(key=f"d{i % 7}:{i}-{i + 1}", doc_id=f"d{i % 7}", text=f"c{i}", normalized=f"claim {i % len(centres)}",
                       published=f"2020-01-{1 + i % 28:02d}") for i in range(n)]
    return items, vecs


def test_linker_groups_clusters_with_exact_index():
    items, vecs = _items(60, 32)
    lk = Linker(dim=32, params=LinkParams(index="exact"))
    out = lk.add(items, vecs)
    assert len(out) == 60 and len({a.narrative_id for a in out}) == 12


@pytest.mark.skipif(not usearch_available(), reason="usearch not installed")
def test_hnsw_matches_exact_neighbours():
    _, vecs = _items(500, 32, seed=1)
    ex, hn = ExactIndex(32), HnswIndex(32)
    ex.add(vecs)
    hn.add(vecs)
    ids_e, _ = ex.search(vecs[:50], 5)
    ids_h, _ = hn.search(vecs[:50], 5)
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(ids_e, ids_h)])
    assert overlap > 0.95
    hn2 = HnswIndex(32)
    hn2.add(vecs)
    assert np.array_equal(hn2.search(vecs[:50], 5)[0], ids_h)  # same input, same graph


def test_fake_embedder_end_to_end(narrative_rows):
    docs = analyzed(narrative_rows)
    with Store(":memory:") as store:
        write(store, docs)
        update_narratives(store, embedder="embeddings_fake",
                          params=LinkParams(candidate_min=0.2, link_threshold=0.55, centroid_min=0.3))
        assert list_narratives(store, min_stories=1)
        with pytest.raises(LookupError):
            get_narrative(store, "nope")


@pytest.mark.skipif(not (HAS_MODEL and usearch_available()), reason="needs MiniLM and usearch")
def test_saved_index_is_reused(tmp_path, narrative_rows):
    from propwatch.narratives.service import index_file

    docs = analyzed(narrative_rows)
    path = tmp_path / "pw.duckdb"
    with Store(path) as st:
        write(st, docs[:3])
        update_narratives(st)
        assert (tmp_path / "pw.duckdb.claims.usearch").exists() and index_file(st).endswith(".claims.usearch")
        write(st, docs[3:])
        update_narratives(st)  # loads the saved graph instead of rebuilding it
        incremental = _groups(st)
    with Store(":memory:") as once:
        write(once, docs)
        update_narratives(once)
        assert _groups(once) == incremental


def test_reactions_do_not_link_to_each_other():
    from propwatch.narratives.linker import is_reaction

    texts = ["The border agency rejected the allegations.", "The trade ministry rejected the allegations."]
    assert all(is_reaction(t) for t in texts) and not is_reaction("The agency sold 40 tons of grain to the militia.")
    vec = np.ones((2, 8), np.float32) / np.sqrt(8)
    items = [ClaimItem(key=f"d{i}:0-10", doc_id=f"d{i}", text=t, normalized=t) for i, t in enumerate(texts)]
    out = Linker(dim=8, params=LinkParams(index="exact")).add(items, vec)
    assert out[0].narrative_id != out[1].narrative_id and out[1].linked_to is None


def test_predicate_words_leave_out_entity_names_and_stem():
    from propwatch.narratives.linker import predicate_words
    from propwatch.narratives.matching import tokens

    a = predicate_words(frozenset(tokens("Turkey offers cooperation to Russia against the Islamic State")),
                        ("gpe:turkey", "gpe:russia", "org:islamic-state"))
    b = predicate_words(frozenset(tokens("Turkey is ready to cooperate with Russia")), ("gpe:turkey", "gpe:russia"))
    assert "turkey" not in a and "islam" not in a and "state" not in a
    assert a & b == {"cooper"}  # cooperation ~ cooperate; the names are not what the claims share


def _two_claims(texts, entities=()):
    vec = np.ones((len(texts), 8), np.float32) / np.sqrt(8)
    return [ClaimItem(key=f"d{i}:0-10", doc_id=f"d{i}", text=t, normalized=t, entities=tuple(entities),
                      published=f"2020-01-0{i + 1}") for i, t in enumerate(texts)], vec


def test_same_actors_different_action_need_a_shared_predicate_word():
    items, vec = _two_claims(["Turkey buys oil from the Islamic State.", "Turkey lets Islamic State fighters cross the border."],
                             ("gpe:turkey", "org:islamic-state"))
    gated = LinkParams(index="exact", paraphrase_min=1.01)
    out = Linker(dim=8, params=gated).add(items, vec * 0.9)  # cosine 0.81: alike, but nothing said alike
    assert out[0].narrative_id != out[1].narrative_id
    out = Linker(dim=8, params=LinkParams(index="exact", paraphrase_min=0.8)).add(items, vec * 0.9)
    assert out[0].narrative_id == out[1].narrative_id  # the cosine alone may link at or above paraphrase_min


def test_average_linkage_keeps_a_claim_out_of_a_loose_narrative():
    # a-b link, b-c link, but c is far from a: c joins only if its mean cosine to {a, b} is high enough
    a, b, c = np.eye(3, dtype=np.float32)
    b = (a + b) / np.linalg.norm(a + b)
    c = (b + 1.2 * c) / np.linalg.norm(b + 1.2 * c)
    vecs = np.stack([a, b, c]).astype(np.float32)
    items = [ClaimItem(key=f"d{i}:0-10", doc_id=f"d{i}", text="x", normalized="x", published=f"2020-01-0{i + 1}")
             for i in range(3)]
    loose = Linker(dim=3, params=LinkParams(index="exact", candidate_min=0.3, link_threshold=0.6, centroid_min=0.3, paraphrase_min=0,
                                            core_size=0)).add(items, vecs)
    tight = Linker(dim=3, params=LinkParams(index="exact", candidate_min=0.3, link_threshold=0.6, centroid_min=0.6, paraphrase_min=0,
                                            core_size=0)).add(items, vecs)
    assert len({o.narrative_id for o in loose}) == 1
    assert tight[0].narrative_id == tight[1].narrative_id != tight[2].narrative_id
    # with the core rule (the default), c must link to a itself: no chain a~b~c however loose the mean
    core = Linker(dim=3, params=LinkParams(index="exact", candidate_min=0.3, link_threshold=0.6, centroid_min=0.3,
                                           paraphrase_min=0)).add(items, vecs)
    assert core[0].narrative_id == core[1].narrative_id != core[2].narrative_id


class _WordVerifier:
    """Same claim when both mention the same commodity (a stand-in for a cross-encoder)."""

    def __init__(self):
        self.calls = 0

    def probabilities(self, claim, others):
        self.calls += 1
        word = "oil" if "oil" in claim else "grain"
        return np.array([0.9 if word in o else 0.1 for o in others])


def test_verifier_decides_between_linked_candidates():
    items, vec = _two_claims(["Militants sell oil to the agency.", "Militants sell grain to the agency.",
                              "The agency buys oil from militants."])
    verifier = _WordVerifier()
    out = Linker(dim=8, params=LinkParams(index="exact", verify_min=0.5, paraphrase_min=0), verifier=verifier).add(items, vec)
    assert out[0].narrative_id == out[2].narrative_id != out[1].narrative_id and verifier.calls == 2
    out = Linker(dim=8, params=LinkParams(index="exact", paraphrase_min=0)).add(items, vec)
    assert len({o.narrative_id for o in out}) == 1  # without it, identical vectors link all three


def test_a_bad_verifier_setting_fails_before_a_rebuild_deletes_anything(narrative_rows, tmp_path):
    from propwatch.errors import ConfigError

    docs = analyzed(narrative_rows)
    with Store(":memory:") as store:
        write(store, docs)
        update_narratives(store, embedder="embeddings_fake", params=LinkParams(candidate_min=0.2, link_threshold=0.55))
        before = store.con.execute("SELECT count(*) FROM narrative_members").fetchone()[0]
        with pytest.raises(ConfigError, match="narratives.verifier"):
            update_narratives(store, embedder="embeddings_fake", rebuild=True,
                              params=LinkParams(verifier=str(tmp_path / "no-model")))
        assert store.con.execute("SELECT count(*) FROM narrative_members").fetchone()[0] == before > 0


def test_load_verifier_settings(tmp_path):
    from propwatch.debunks.crossencoder import default_model_dir
    from propwatch.narratives.verify import CrossEncoderVerifier, load_verifier

    assert load_verifier("") is None and load_verifier("none") is None
    if not (default_model_dir() / "model.json").exists():
        pytest.skip("claim cross-encoder not shipped")
    verifier = load_verifier("auto")
    assert isinstance(verifier, CrossEncoderVerifier)
    probs = verifier.probabilities("The agency bought grain from the militia.",
                                   ["The militia sold grain to the agency.", "Fishing quotas were cut by half."])
    assert probs.shape == (2,) and ((probs >= 0) & (probs <= 1)).all()


def test_label_is_a_short_central_claim():
    from propwatch.narratives.service import narrative_label

    rng = np.random.default_rng(3)
    base = rng.normal(size=16)
    vecs = np.stack([base + 0.1 * rng.normal(size=16) for _ in range(3)] + [rng.normal(size=16)])
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    texts = ["A long quote that goes on and on about the border and much else besides.",
             "Border must be sealed", "The border must be sealed, the minister said.", "Off-topic aside."]
    assert narrative_label(texts, vecs, margin=0.5) == "Border must be sealed"
    assert narrative_label(texts, vecs, margin=0.0) == texts[int(np.argmax(vecs[:3] @ vecs.sum(axis=0)))]


def test_incremental_runs_restoring_the_store_equal_one_batch():
    # as update_narratives does: each run restores the claims linked before it, then links new stories
    # (blocks smaller than a run, and claims that state a frame, linked through the frame candidates)
    items, vecs = _items(120, 16, seed=3)
    frame_texts = ["Ruritania is the main consumer of the oil the Red Hand steals",
                   "Documents show the Red Hand selling crude to Ruritania"]
    for n in range(100, 120):
        t = frame_texts[n % 2]
        items[n] = ClaimItem(key=f"f{n}:0-10", doc_id=f"f{n}", text=t, normalized=t,
                             entities=("gpe:ruritania", "org:red-hand"), published=f"2020-02-{1 + n % 28:02d}")
        vecs[n] = 0
        vecs[n, 0] = vecs[n, 1 + n % 15] = 2 ** -0.5  # cosine 0.5 to one another: they read apart
    order = sorted(range(len(items)), key=lambda i: items[i].sort_key())
    items, vecs = [items[i] for i in order], vecs[order]
    params = LinkParams(index="exact", block=16)
    once = Linker(dim=16, params=params)
    once.add(items, vecs)
    done, nids = [], []
    for a in range(0, len(items), 35):
        run = Linker(dim=16, params=params)
        run.restore(done, vecs[:len(done)], nids)
        run.add(items[a:a + 35], vecs[a:a + 35])
        done += items[a:a + 35]
        nids = [run.narrative_of[run.keys[it.key]] for it in done]
    assert nids == once.narrative_of
    frame_narratives = {nid for it, nid in zip(done, nids) if it.doc_id.startswith("f")}
    assert len(frame_narratives) == 1  # twenty stories, two wordings, one proposition
