"""Corpus steps: work over many stories at once, run by a driver around the per-story map.

A stage sees one batch of documents; a corpus step sees the corpus (the
store, or a set of shards). Each declares when the driver runs it:

- ``before``: once before the first batch, to prepare a resource the stages
  read in ``setup`` (the debunk index, built from the imported debunk
  database);
- ``batch``: on each batch between the ingest and the layer stages, against
  what is stored so far (near-duplicates: the earlier copy may be in the
  store or in the same batch);
- ``after``: once after the last batch, over what the run stored
  (narrative linking of the new claims).

They are registered by name like stages (``propwatch.registry.corpus_steps``)
so a driver or a plugin finds them; the local driver
(:class:`propwatch.pipeline.Pipeline`) runs the built-in ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from . import dedupe
from .records import Document
from .registry import corpus_steps


class CorpusStep:
    """Base class of the corpus steps."""

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    when: ClassVar[str] = "after"  # "before" | "batch" | "after"

    @property
    def ref(self) -> str:
        return f"{self.name}.v{self.version}"


def register_corpus_step(name: str, version: int = 1):
    """Register a corpus step class under ``name.vN`` and set its name and version."""
    return corpus_steps.named(name, version)


@register_corpus_step("near_duplicates", version=2)
class NearDuplicates(CorpusStep):
    """Flag a new story whose text is close to an earlier one's (stored or in the batch).

    MinHash bands give the candidates; each is then scored exactly on the two
    stories' own shingles, leaving out the shingles that ``min_outlet_stories``
    or more stories of the same outlet carry (the outlet's widgets, footers and
    teasers: :func:`propwatch.dedupe.content_similarity`). The outlet's stories
    are those of the batch and up to ``outlet_sample`` of the latest stored ones.
    """

    when = "batch"

    def __init__(self, threshold: float = 0.6, min_outlet_stories: int = 3, outlet_sample: int = 200):
        self.threshold = float(threshold)
        self.min_outlet_stories = int(min_outlet_stories)
        self.outlet_sample = int(outlet_sample)

    def run(self, store, new_docs: Sequence[Document]) -> tuple[list[Document], dict[str, Any], dict[str, tuple[str, float]]]:
        """``new_docs`` flagged where they are near-duplicates, their signatures, and the
        flagged ones as id -> (earlier id, similarity). ``store`` may be None (nothing stored)."""
        sets = {doc.id: dedupe.shingles(doc.text) for doc in new_docs}
        signatures = {doc_id: dedupe.signature_of(sh) for doc_id, sh in sets.items()}
        buckets = {doc_id: dedupe.band_buckets(sig) for doc_id, sig in signatures.items()}
        stored = store.minhash_candidates([b for bs in buckets.values() for b in bs]) if store is not None and signatures else {}

        # candidates: a shared band, and an estimated similarity worth an exact look
        seen: dict[tuple[int, int], dict[str, Any]] = {}
        candidates: dict[str, set[str]] = {}
        for doc in new_docs:
            sig = signatures[doc.id]
            found: dict[str, Any] = {}
            for bucket in buckets[doc.id]:
                found.update(stored.get(bucket, {}))
                found.update(seen.get(bucket, {}))
            found.pop(doc.id, None)
            candidates[doc.id] = {o for o, s in found.items() if dedupe.similarity(sig, s) >= self.threshold / 2}
            for bucket in buckets[doc.id]:
                seen.setdefault(bucket, {})[doc.id] = sig

        # the texts the exact check needs, and each outlet's shared shingles
        outlet_of = {doc.id: doc.outlet for doc in new_docs}
        wanted = sorted({o for c in candidates.values() for o in c} - set(sets))
        for doc_id, (text, outlet) in _stored_texts(store, wanted).items():
            sets[doc_id] = dedupe.shingles(text)
            outlet_of[doc_id] = outlet
        counts = dedupe.OutletShingles(self.min_outlet_stories)
        for doc_id, sh in sets.items():
            counts.add(outlet_of.get(doc_id), doc_id, sh)
        if any(candidates.values()):
            for outlet in sorted({outlet_of.get(d) for d in candidates if candidates[d]}, key=str):
                for doc_id, text in _outlet_sample(store, outlet, self.outlet_sample):
                    counts.add(outlet, doc_id, dedupe.shingles(text))

        near: dict[str, tuple[str, float]] = {}
        for doc in new_docs:
            if not candidates[doc.id]:
                continue
            mine = sets[doc.id]
            common = counts.boilerplate(doc.outlet, mine)
            best = max(
                ((dedupe.content_similarity(mine, sets[o], common, counts.boilerplate(outlet_of.get(o), sets[o])), o)
                 for o in sorted(candidates[doc.id]) if o in sets),
                default=None,
            )
            if best and best[0] >= self.threshold:
                near[doc.id] = (best[1], round(best[0], 3))
        flagged = [
            d.with_flag("near-duplicate").replace(near_duplicate_of=near[d.id][0], near_duplicate_similarity=near[d.id][1])
            if d.id in near else d
            for d in new_docs
        ]
        return flagged, signatures, near


def _stored_texts(store, doc_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """id -> (text, outlet) of stored stories."""
    if store is None or not doc_ids:
        return {}
    rows = store.con.execute(
        "SELECT id, text, outlet FROM documents WHERE id IN (SELECT unnest(?))", [list(doc_ids)]
    ).fetchall()
    return {doc_id: (text or "", outlet) for doc_id, text, outlet in rows}


def _outlet_sample(store, outlet: str | None, limit: int) -> list[tuple[str, str]]:
    """The latest stored stories of one outlet (outlet unknown: of no outlet)."""
    if store is None or limit <= 0:
        return []
    rows = store.con.execute(
        "SELECT id, text FROM documents WHERE outlet IS NOT DISTINCT FROM ? "
        "ORDER BY ingested_at DESC, rowid DESC LIMIT ?", [outlet, int(limit)]
    ).fetchall()
    return [(doc_id, text or "") for doc_id, text in rows]


@register_corpus_step("debunk_index", version=1)
class DebunkIndexStep(CorpusStep):
    """Build the debunk index from the store's debunk database into the resources, once
    per run (embedding vectors it lacks are computed and kept in the store), so the
    ``debunk_matches`` stage's ``setup`` finds it ready."""

    when = "before"

    def run(self, store, resources, stages: Sequence[Any]) -> None:
        for stage in stages:
            prepare = getattr(stage, "prepare_index", None)
            if callable(prepare):
                prepare(store, resources)


@register_corpus_step("narratives", version=1)
class NarrativeLinking(CorpusStep):
    """Link the claims of stories not linked yet into narratives (``[narratives]`` settings)."""

    when = "after"

    def __init__(self, config):
        self.config = config

    def run(self, store) -> dict[str, int]:
        from .narratives.service import link_settings, update_narratives

        params, embedder = link_settings(self.config)
        return update_narratives(store, embedder=embedder, params=params)


__all__ = ["CorpusStep", "DebunkIndexStep", "NarrativeLinking", "NearDuplicates", "register_corpus_step"]
