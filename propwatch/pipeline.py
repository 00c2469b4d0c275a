"""The pipeline: readers -> ingest stages -> layer stages -> store, in batches.

>>> from propwatch import Pipeline, load_config
>>> pipe = Pipeline(load_config(overrides={"store.path": ":memory:"}))
>>> summary = pipe.analyze(["samples/"])            # doctest: +SKIP

Stages are validated before anything runs: each must find what it
``requires`` among the reader's fields and what earlier stages ``assign``.
A stage that fails on one document rejects that document (with the stage
and the error) and the batch goes on.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .config import Config, load_config
from .corpus import DebunkIndexStep, NarrativeLinking, NearDuplicates
from .errors import PipelineError
from .ingest.readers import Limits, expand_inputs, read_entry
from .records import Document, Rejection
from .registry import stages as stage_registry
from .resources import Resources
from .runner import Runner, fingerprint
from .stages.base import READER_FIELDS, Stage
from .storable import storable, storable_document, storable_rejection
from .store import Store


@dataclass
class Outcome:
    """One story after a run: the document and what the run did to it."""

    document: Document
    status: str  # "new", "updated" or "unchanged"


@dataclass(frozen=True)
class StoredFile:
    """Marker in the item stream: a file already read, unchanged; its stories are stored."""

    path: str
    doc_ids: tuple[str, ...]


@dataclass(frozen=True)
class FileRead:
    """Marker in the item stream: every item of this file came before it."""

    path: str
    size: int
    mtime_ns: int


@dataclass
class RunSummary:
    run_id: str
    inputs: list[str]
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    near_duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    narratives: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def stories(self) -> int:
        return self.new + self.updated + self.unchanged

    def counts(self) -> dict[str, Any]:
        return {
            "stories": self.stories, "new": self.new, "updated": self.updated,
            "unchanged": self.unchanged, "near_duplicates": self.near_duplicates,
            "rejected": len(self.rejected), "seconds": round(self.seconds, 3),
        }


class Pipeline:
    """Stages from config, validated; runs inputs into the store."""

    def __init__(self, config: Config | None = None, store: Store | None = None):
        self.config = config or load_config()
        self.stages: list[Stage] = []
        for ref in self.config.get("pipeline.stages"):
            cls = stage_registry.get(ref)
            self.stages.append(cls(self.config.stage_config(cls.name)))
        self.validate()
        self._store = store
        self.batch_size = int(self.config.get("pipeline.batch_size", 32))
        self.limits = Limits.from_config(self.config.get("ingest", {}))
        self.near_dup_threshold = float(self.config.get("ingest.near_duplicate_threshold", 0.7))
        self.skip_unchanged_files = bool(self.config.get("ingest.skip_unchanged_files", True))
        self._file_docs: dict[str, list[str]] = {}
        self._file_failed: set[str] = set()
        self._runner: Runner | None = None
        self._prepared = False
        self._resources: Resources | None = None

    @property
    def ingest_hash(self) -> str:
        """What reading depends on: the ingest stages with their settings, and the limits."""
        parts = [f"{s.ref}:{s.config_hash}" for s in self.ingest_stages] + [repr(self.limits)]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def _items(self, paths: Sequence[str | os.PathLike], stdin) -> Iterator[Any]:
        """Reader items, with markers for files skipped as unchanged and files fully read."""
        for entry in self.inputs(paths):
            if isinstance(entry, (Rejection, StoredFile)):
                yield entry
                continue
            yield from entry_items(*entry, self.limits, stdin)

    def inputs(self, paths: Sequence[str | os.PathLike]) -> Iterator[Any]:
        """Each input to read as (kind, target, stat or None), in order; a Rejection for one
        that cannot be, a StoredFile for a file stored unchanged (``ingest.skip_unchanged_files``)."""
        ingest_hash = self.ingest_hash
        for entry in expand_inputs(paths, self.limits):
            if isinstance(entry, Rejection):
                yield entry
                continue
            kind, target = entry
            try:
                stat = target.stat() if kind == "file" else None
            except OSError as exc:  # a dangling symlink, a file gone since the folder was listed
                yield Rejection(str(target), "unreadable", exc.strerror or str(exc))
                continue
            if stat is not None and self.skip_unchanged_files:
                known = self.store.ingested_file(storable(str(target)), stat.st_size, stat.st_mtime_ns, ingest_hash)
                if known is not None:
                    yield StoredFile(str(target), tuple(known))
                    continue
            yield kind, target, stat

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.from_config(self.config)
        return self._store

    @property
    def ingest_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind == "ingest"]

    @property
    def layer_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.kind != "ingest"]

    def validate(self) -> None:
        available = set(READER_FIELDS)
        seen_layer_stage = None
        problems = []
        for stage in self.stages:
            missing = [r for r in stage.requires if r not in available]
            if missing:
                providers = [
                    ref for ref in stage_registry.names()
                    if set(missing) & set(stage_registry.get(ref).assigns)
                ]
                hint = f" (add {', '.join(providers)} before it)" if providers else ""
                problems.append(f"stage {stage.ref} requires {', '.join(missing)}, which no earlier stage assigns{hint}")
            if stage.kind == "ingest" and seen_layer_stage:
                problems.append(f"ingest stage {stage.ref} must come before layer stage {seen_layer_stage}")
            if stage.kind != "ingest":
                seen_layer_stage = seen_layer_stage or stage.ref
            available.update(stage.assigns)
        if problems:
            raise PipelineError("; ".join(problems))

    # ------------------------------------------------------------ running

    @property
    def runner(self) -> Runner:
        """The runner of this pipeline's stages, with their resources (set up on first use)."""
        if self._runner is None:
            self._runner = Runner(self.stages, self.resources)
        return self._runner

    @property
    def resources(self) -> Resources:
        if self._resources is None:
            self._resources = Resources(self.config, str(self.store.path), store=self.store)
        return self._resources

    def analyze(
        self,
        paths: Sequence[str | os.PathLike],
        *,
        stdin=None,
        on_outcome: Callable[[Outcome], None] | None = None,
        on_rejection: Callable[[Rejection], None] | None = None,
        on_batch: Callable[[int], None] | None = None,
        engine: str = "local",
    ) -> RunSummary:
        """Read ``paths`` (files, folders, ``-``), run the stages, store everything.

        ``engine``: "local" runs the stages here, batch after batch; "ray" runs them on
        Ray Data over shards of the inputs and stores what they made the same way
        (:mod:`propwatch.engines`).
        """
        run_id = uuid.uuid4().hex[:12]
        inputs = [storable(str(p)) for p in paths]
        summary = RunSummary(run_id=run_id, inputs=inputs)
        started = time.perf_counter()
        self.store.start_run(run_id, inputs)
        self.store.release()  # reading the first inputs (or waiting on stdin) holds no file
        self._file_docs, self._file_failed = {}, set()
        self.runner.stage_seconds = {stage.ref: 0.0 for stage in self.stages}
        self._prepared = False
        if engine == "local":
            batches: Iterable[tuple[list[Any], Any]] = ((b, None) for b in _batches(self._items(paths, stdin), self.batch_size))
        else:
            from .engines import engine_batches

            batches = engine_batches(engine, self, paths, run_id, stdin)
        for batch_no, (batch, computed) in enumerate(batches, start=1):
            outcomes, rejected, near = self.process_batch(batch, run_id, computed=computed)
            summary.near_duplicates += near
            for rej in rejected:
                summary.rejected.append(rej)
                if on_rejection:
                    on_rejection(rej)
            for outcome in outcomes:
                setattr(summary, outcome.status, getattr(summary, outcome.status) + 1)
                summary.doc_ids.append(outcome.document.id)
                if on_outcome:
                    on_outcome(outcome)
            if on_batch:
                on_batch(batch_no)
        times = self.runner.stage_seconds
        linking = time.perf_counter()
        linked = self.link_narratives()
        if linked is not None:
            summary.narratives = linked
            self.store.release()
            times["narratives"] = time.perf_counter() - linking
        summary.stage_seconds = {k: round(v, 3) for k, v in times.items()}
        self.stage_seconds = dict(times)
        summary.seconds = time.perf_counter() - started
        self.store.finish_run(run_id, summary.counts())
        self.store.release()
        return summary

    def link_narratives(self) -> dict[str, int] | None:
        """Link the claims of stories not linked yet into narratives, when this pipeline finds
        claims and ``pipeline.update_narratives`` is on (None: it does not link)."""
        if not (self.config.get("pipeline.update_narratives", False) and any("claims" in s.assigns for s in self.stages)):
            return None
        return NarrativeLinking(self.config).run(self.store)

    def _prepare(self) -> None:
        """The corpus steps that run before the first batch (the debunk index)."""
        if not self._prepared:
            DebunkIndexStep().run(self.store, self.resources, self.layer_stages)
            self._prepared = True

    def process_batch(self, batch: Sequence[Any], run_id: str | None = None,
                      computed: Mapping[str, Mapping[str, tuple[str, Sequence[Any]]]] | None = None,
                      ) -> tuple[list[Outcome], list[Rejection], int]:
        """Run one batch through every stage and commit it in one transaction.

        ``computed`` (from an engine that ran the stages elsewhere): the batch's stories
        have been through the ingest stages, and doc id -> layer -> (fingerprint, records)
        holds the layers made for them; a layer whose fingerprint is the one wanted here
        is taken as it is, any other (a story flagged as a near-duplicate since, a layer
        that failed there) is computed here.
        """
        runner = self.runner
        # strings the store cannot hold (lone surrogates) are replaced, and the story flagged
        rejected = [storable_rejection(item) for item in batch if isinstance(item, Rejection)]
        docs = [storable_document(item) for item in batch if isinstance(item, Document)]
        for stage in self.ingest_stages if computed is None else ():
            docs, failed = runner.run_stage(stage, docs)
            rejected.extend(storable_rejection(r) for r in failed)
        docs, sources = self._dedupe(docs)
        stored_refs = [item for item in batch if isinstance(item, StoredFile)]
        if stored_refs:
            known = {d.id for d in docs}
            wanted = [i for ref in stored_refs for i in ref.doc_ids if i not in known]
            docs += self.store.load(list(dict.fromkeys(wanted)))
        for doc in docs:
            self._file_docs.setdefault(doc.source, []).append(doc.id)
        self._file_failed.update(r.source for r in rejected if r.kind == "stage-error")

        ids = [d.id for d in docs]
        existing = self.store.existing_ids(ids)
        stored = self.store.stored_layers(ids)
        if existing:
            # a stored story keeps its stored metadata and flags; its layers come along
            loaded = {d.id: d for d in self.store.load(sorted(existing))}
            docs = [loaded.get(d.id, d) for d in docs]
        flagged, minhashes, near = NearDuplicates(self.near_dup_threshold).run(self.store, [d for d in docs if d.id not in existing])
        by_id = {d.id: d for d in flagged}
        docs = [by_id.get(d.id, d) for d in docs]
        self._prepare()
        self.store.release()  # the stages compute without the file: other processes read meanwhile

        fps: dict[str, dict[str, str]] = {
            d.id: {layer: info.fingerprint for layer, info in stored.get(d.id, {}).items() if layer in d.layers}
            for d in docs
        }
        to_write: list[tuple[str, str, str, str, Sequence[Any]]] = []
        changed: set[str] = set()
        try:
            for stage in self.layer_stages:
                runner.setup(stage)
                state = stage.state_key()
                want: dict[str, str] = {}
                todo: list[Document] = []
                for doc in docs:
                    fp = fingerprint(doc, stage, fps[doc.id], state, runner.analysis_language(doc))
                    want[doc.id] = fp
                    have = stored.get(doc.id, {})
                    if not all(layer in have and have[layer].fingerprint == fp for layer in stage.assigns):
                        todo.append(doc)
                if todo:
                    done, failed = self._take_or_run(stage, todo, want, computed)
                    rejected.extend(storable_rejection(r) for r in failed)
                    by_id = {d.id: d for d in done}
                    failed_ids = {d.id for d in todo} - set(by_id)
                    docs = [by_id.get(d.id, d) for d in docs if d.id not in failed_ids]
                    for doc in done:
                        changed.add(doc.id)
                        for layer in stage.assigns:
                            to_write.append((doc.id, layer, stage.ref, want[doc.id], doc.layer(layer)))
                for doc in docs:
                    for layer in stage.assigns:
                        fps[doc.id][layer] = want[doc.id]
        finally:
            for doc in docs:
                doc.artefacts.clear()

        new_docs = [d for d in docs if d.id not in existing]
        live = {d.id for d in docs}
        self._file_failed.update(r.source for r in rejected if r.kind == "stage-error")
        files = [
            (storable(item.path), item.size, item.mtime_ns, self.ingest_hash,
             list(dict.fromkeys(self._file_docs.get(storable(item.path), []))))
            for item in batch
            if isinstance(item, FileRead) and storable(item.path) not in self._file_failed
        ]
        self.store.write_batch(
            new_docs,
            [row for row in to_write if row[0] in live],
            [s for s in sources if s[0] in live],
            rejected,
            run_id=run_id,
            minhashes=minhashes,
            near_duplicates=near,
            files=files,
        )
        self.store.release()  # hand the file back after each batch's write (propwatch.storelock)
        outcomes = [
            Outcome(d, "new" if d.id not in existing else ("updated" if d.id in changed else "unchanged"))
            for d in docs
        ]
        return outcomes, rejected, len(near)

    def _take_or_run(self, stage: Stage, todo: list[Document], want: Mapping[str, str],
                     computed: Mapping[str, Mapping[str, tuple[str, Sequence[Any]]]] | None,
                     ) -> tuple[list[Document], list[Rejection]]:
        """``stage`` over ``todo``: its layers taken from ``computed`` where their
        fingerprint is the one wanted, the rest run here."""
        taken: list[Document] = []
        if computed:
            rest = []
            for doc in todo:
                made = computed.get(doc.id, {})
                if all(layer in made and made[layer][0] == want[doc.id] for layer in stage.assigns):
                    taken.append(doc.with_layers({**doc.layers, **{layer: tuple(made[layer][1]) for layer in stage.assigns}}))
                else:
                    rest.append(doc)
            todo = rest
        done, failed = self.runner.run_stage(stage, todo)
        return taken + done, failed

    def _dedupe(self, docs: list[Document]) -> tuple[list[Document], list[tuple[str, str, int, str | None]]]:
        """One document per id; every (source, position) it came from."""
        unique: dict[str, Document] = {}
        sources = []
        for doc in docs:
            sources.append((doc.id, doc.source, doc.story_index, doc.source_record))
            unique.setdefault(doc.id, doc)
        return list(unique.values()), sources

    def close(self) -> None:
        if self._runner is not None:
            self._runner.close()
        if self._resources is not None:
            self._resources.close()


def entry_items(kind: str, target: Any, stat: Any, limits: Limits, stdin=None) -> Iterator[Any]:
    """The stories and rejections of one input of :meth:`Pipeline.inputs`, then a FileRead
    marker for a file read through (``stat``: its ``st_size`` and ``st_mtime_ns`` when listed). A reader that fails, or an input that gives nothing,
    is a rejection naming it (every input is accounted for)."""
    yielded = False
    try:
        for item in read_entry(kind, target, limits, stdin=stdin):
            yielded = True
            yield item
    except Exception as exc:  # noqa: BLE001 - one input's reader failing must not stop the run
        yield Rejection(str(target or "<stdin>"), "reader-error", f"{type(exc).__name__}: {str(exc)[:300]}")
        return  # not recorded as read: the next run tries it again
    if not yielded:  # every input is accounted for: a file that gives nothing says so
        yield Rejection(str(target or "<stdin>"), "empty", "the input holds no story (no record, no text)")
    if stat is not None:
        yield FileRead(str(target), stat.st_size, stat.st_mtime_ns)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Batches of ``size`` documents (markers and rejections ride along, uncounted)."""
    batch: list[Any] = []
    count = 0
    for item in items:
        batch.append(item)
        if isinstance(item, Document):
            count += 1
        elif isinstance(item, StoredFile):
            count += len(item.doc_ids)
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch
