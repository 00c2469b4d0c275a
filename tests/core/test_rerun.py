"""Reruns recompute exactly what depends on a changed setting (issue: stale denials)."""

from __future__ import annotations

from texts import DENIAL_STORY

STAGES = ["clean", "split", "metadata", "language", "sentences", "claims", "denials"]


def _layers(store, doc_id):
    doc = store.get(doc_id)
    return doc, store.stored_layers([doc_id])[doc_id]


def test_a_changed_claims_setting_recomputes_the_denials_that_read_claims(tmp_path, fast_config):
    from propwatch.pipeline import Pipeline

    article = tmp_path / "denial.txt"
    article.write_text(DENIAL_STORY, "utf-8")
    first = Pipeline(fast_config(**{"pipeline.stages": STAGES}))
    summary = first.analyze([article])
    doc, fps = _layers(first.store, summary.doc_ids[0])
    first.close()
    first.store.close()
    assert doc.layer("claims"), "the fake backend finds claims in the story"
    claim_starts = {c.start for c in doc.layer("claims")}
    assert any(d.claim_start in claim_starts for d in doc.layer("denials")), "a denial points at a claim"

    second = Pipeline(fast_config(**{"pipeline.stages": STAGES, "stages.claims.min_score": 0.99}))
    again = second.analyze([article])
    doc2, fps2 = _layers(second.store, again.doc_ids[0])
    second.close()
    second.store.close()
    assert doc2.layer("claims") == ()
    assert fps2["claims"].fingerprint != fps["claims"].fingerprint
    assert fps2["denials"].fingerprint != fps["denials"].fingerprint, "denials read claims: they are recomputed"
    assert all(d.claim_start is None for d in doc2.layer("denials")), "no denial points at a claim that is gone"
    assert fps2["sentences"].fingerprint == fps["sentences"].fingerprint  # what does not read claims is kept
    assert again.unchanged == 0 and again.updated == 1


def test_an_unchanged_rerun_computes_nothing(tmp_path, fast_config):
    from propwatch.pipeline import Pipeline

    article = tmp_path / "denial.txt"
    article.write_text(DENIAL_STORY, "utf-8")
    for expected in ("new", "unchanged"):
        pipeline = Pipeline(fast_config(**{"pipeline.stages": STAGES, "ingest.skip_unchanged_files": False}))
        summary = pipeline.analyze([article])
        pipeline.close()
        pipeline.store.close()
        assert getattr(summary, expected) == 1
