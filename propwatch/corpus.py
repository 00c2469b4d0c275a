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


@register_corpus_step("near_duplicates", version=1)
class NearDuplicates(CorpusStep):
    """Flag a new story whose MinHash is close to an earlier one's (stored or in the batch)."""

    when = "batch"

    def __init__(self, threshold: float = 0.7):
        self.threshold = float(threshold)

    def run(self, store, new_docs: Sequence[Document]) -> tuple[list[Document], dict[str, Any], dict[str, tuple[str, float]]]:
        """``new_docs`` flagged where they are near-duplicates, their signatures, and the
        flagged ones as id -> (earlier id, similarity)."""
        signatures = {doc.id: dedupe.signature(doc.text) for doc in new_docs}
        buckets = {doc_id: dedupe.band_buckets(sig) for doc_id, sig in signatures.items()}
        stored = store.minhash_candidates([b for bs in buckets.values() for b in bs]) if signatures else {}
        seen: dict[tuple[int, int], dict[str, Any]] = {}
        near: dict[str, tuple[str, float]] = {}
        for doc in new_docs:
            sig = signatures[doc.id]
            candidates: dict[str, Any] = {}
            for bucket in buckets[doc.id]:
                candidates.update(stored.get(bucket, {}))
                candidates.update(seen.get(bucket, {}))
            candidates.pop(doc.id, None)
            best = max(((dedupe.similarity(sig, s), other) for other, s in candidates.items()), default=None)
            if best and best[0] >= self.threshold:
                near[doc.id] = (best[1], round(best[0], 3))
            for bucket in buckets[doc.id]:
                seen.setdefault(bucket, {})[doc.id] = sig
        flagged = [
            d.with_flag("near-duplicate").replace(near_duplicate_of=near[d.id][0], near_duplicate_similarity=near[d.id][1])
            if d.id in near else d
            for d in new_docs
        ]
        return flagged, signatures, near


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
