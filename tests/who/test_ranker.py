"""The trained speaker ranker (propwatch.who.ranker) and the speaker rules it was trained beside.

Texts are written for these tests; no corpus text."""

from __future__ import annotations

import json

import pytest

from propwatch.records import Document
from propwatch.who.ranker import FEATURES, MODEL_DIR, Candidate, SpeakerRanker
from propwatch.who.speakers import SpeakerGuess


def _ranker(weights: dict[str, float], intercept=0.0, named=0.5, other=0.5) -> SpeakerRanker:
    return SpeakerRanker(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES),
                         tuple(weights.get(f, 0.0) for f in FEATURES), intercept, named, other)


def test_packaged_model_reads_every_feature():
    r = SpeakerRanker.load()
    assert r.features == FEATURES
    assert len(r.mean) == len(r.scale) == len(r.coef) == len(FEATURES)
    assert all(s > 0 for s in r.scale)
    assert 0.0 < r.threshold_named < 1.0 and 0.0 < r.threshold_other < 1.0
    card = (MODEL_DIR / "MODEL_CARD.md").read_text("utf-8")
    assert "train/speakers.py" in card and "real-val" in card


def test_choose_takes_the_best_candidate_or_none():
    r = _ranker({"is_rule": 3.0, "same_sentence": 1.0}, intercept=-1.0, named=0.7, other=0.3)
    a = Candidate(SpeakerGuess("Ana Reyes", "per:ana-reyes", "person"), "per:ana-reyes",
                  {"is_rule": 1.0, "same_sentence": 1.0})
    b = Candidate(SpeakerGuess("Tom Wells", "per:tom-wells", "person"), "per:tom-wells", {"same_sentence": 1.0})
    guess, p = r.choose([b, a])
    assert guess.name == "Ana Reyes" and p > 0.9
    # the best is named and under the named threshold: no speaker, not the second best
    guess, p = r.choose([b])
    assert guess.kind == "unknown" and guess.name is None and 0.4 < p < 0.7
    # an anonymous source at the same probability clears the lower threshold of its group
    c = Candidate(SpeakerGuess("two officials", None, "anonymous"), "two officials", {"same_sentence": 1.0})
    assert r.choose([c])[0].name == "two officials"
    assert r.choose([])[0].kind == "unknown"


def _run(texts, resources, quotes_config=None):
    from propwatch.registry import stages

    docs = [Document(text=t, source=f"r{i}", outlet=None) for i, t in enumerate(texts)]
    for name in ("sentences", "entities", "quotes"):
        stage = stages.get(name)(quotes_config if name == "quotes" else None)
        stage.ensure_setup(resources)
        docs = stage(docs)
    return docs


@pytest.fixture(scope="module")
def resources(nlp):
    from propwatch.resources import Resources

    return Resources()


STORY = ("Maria Lopez, the mayor of Westfield, met the engineers on Monday. "
         "Daniel Brooks, the council's treasurer, asked about the cost. "
         "She said the bridge would reopen in May.\n\n"
         "“We will not cut corners on safety,” Lopez said.")


def test_candidates_agree_with_the_pronoun(nlp):
    from propwatch.who.entities import Mention
    from propwatch.who.quotes import find_quotes

    calls = []

    class Keep:
        def choose(self, candidates, quote=None):
            calls.append((quote, candidates))
            return quote.speaker, 1.0

    from propwatch.registry import stages

    docs = [Document(text=STORY, source="s", outlet=None)]
    for name in ("sentences", "entities"):
        docs = stages.get(name)()(docs)
    doc = docs[0]
    mentions = [Mention(e.start, e.end, e.label, e.entity_id, e.name, e.source, e.kind) for e in doc.layer("entities")]
    sentences = [(s.start, s.end) for s in doc.layer("sentences")]
    sdoc = nlp(STORY)
    find_quotes(STORY, sdoc, mentions, sentences, ranker=Keep())
    indirect = [(q, c) for q, c in calls if STORY[q.start:q.end].startswith("the bridge")]
    assert indirect, [STORY[q.start:q.end] for q, _ in calls]
    q, cands = indirect[0]
    by_name = {c.guess.name: c.features for c in cands}
    lopez = next(f for n, f in by_name.items() if "Lopez" in n)
    brooks = next(f for n, f in by_name.items() if "Brooks" in n)
    assert lopez.get("pron_she") == 1.0 and lopez.get("gender_match") == 1.0
    assert brooks.get("gender_clash") == 1.0 and not brooks.get("gender_match")
    assert set().union(*(f.keys() for f in by_name.values())) <= set(FEATURES)


def test_setting_switches_the_ranker_and_its_threshold(resources, tmp_path):
    on = _run([STORY], resources, {"speaker_ranker": True})[0]
    speakers = {q.text: q.speaker for q in on.layer("quotes")}
    assert any("Lopez" in (s.name or "") for s in speakers.values()), speakers
    # a ranker that is never sure gives no speaker at all
    d = json.loads((MODEL_DIR / "model.json").read_text("utf-8"))
    d["threshold_named"] = d["threshold_other"] = 1.01
    path = tmp_path / "model.json"
    path.write_text(json.dumps(d), "utf-8")
    unsure = _run([STORY], resources, {"speaker_ranker": True, "speaker_model": str(path)})[0]
    assert unsure.layer("quotes") and all(q.speaker.kind == "unknown" and q.speaker.name is None
                                          for q in unsure.layer("quotes"))
    off = _run([STORY], resources)[0]
    assert [q.text for q in off.layer("quotes")] == [q.text for q in on.layer("quotes")]


@pytest.mark.parametrize("text, name, kind", [
    ("Donald Trump Jr. said on Tuesday that the meeting had been short and uneventful.", "Trump Jr.", "person"),
    ("His lawyer said on Friday that the charges against the builder were baseless.", "His lawyer", "anonymous"),
    ("Dispatch said the northbound lanes of the road reopened shortly after noon.", "Dispatch", "anonymous"),
    ("The affidavit says investigators found more than two hundred files on the drive.", "The affidavit",
     "document"),
])
def test_speaker_rules_from_the_training_gold(resources, text, name, kind):
    q = _run([text], resources)[0].layer("quotes")
    assert q, text
    assert q[0].speaker.kind == kind and name in (q[0].speaker.name or ""), q[0].speaker


def test_a_newspaper_named_dispatch_is_not_a_dispatcher(resources):
    q = _run(["The Columbus Dispatch reported that the school board would meet again in March."],
             resources)[0].layer("quotes")
    assert q and q[0].speaker.kind != "anonymous"
