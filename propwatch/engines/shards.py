"""Shards: a run's inputs cut into groups of files, each made into one Parquet file.

A driver lists the inputs (:meth:`propwatch.pipeline.Pipeline.inputs`) and
cuts the ones to read into :class:`Shard` s of ``ray.files_per_shard``
files (or URLs). A worker (:class:`ShardMaker`, which the Ray engine wraps
in an actor) reads a shard's inputs with the same readers as the local
driver, runs the ingest stages story by story and the layer stages in
batches, and writes everything the inputs gave, in order, to one Parquet
file: the stories with a typed column per layer (:mod:`propwatch.arrow`)
and the fingerprint of each layer, the rejections, and a marker for each
file read through. The file is written whole or not at all (a temporary
file renamed into place), so a worker killed mid-shard leaves nothing and
the shard is simply made again.

A shard is named by its key: the files with their size and modification
time, the ingest stages, and every layer stage's name, version, settings
and state. A rerun finds the shards already made and skips them.

The driver then reads the shards back in input order (:func:`shard_items`)
and stores them batch by batch as the local driver does
(:meth:`~propwatch.pipeline.Pipeline.process_batch` with ``computed``), so
near-duplicates, stored layers, rejections and the files read come out the
same.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..pipeline import FileRead, StoredFile, entry_items
from ..records import Document, Rejection
from ..runner import Runner, fingerprint
from ..storable import storable_document, storable_rejection

SHARD_FORMAT = 1
KINDS = ("story", "rejection", "file")


@dataclass(frozen=True)
class Entry:
    """One input of a shard: a file (with its size and modification time when listed) or a URL."""

    kind: str  # "file" or "url"
    target: str
    size: int | None = None
    mtime_ns: int | None = None

    @property
    def stat(self) -> "_Stat | None":
        """What the driver saw of the file when it listed it (the FileRead marker's)."""
        return None if self.size is None else _Stat(self.size, self.mtime_ns or 0)

    def key(self) -> list[Any]:
        return [self.kind, self.target, self.size, self.mtime_ns]


@dataclass(frozen=True)
class _Stat:
    st_size: int
    st_mtime_ns: int


@dataclass(frozen=True)
class Shard:
    """Inputs made into one Parquet file, named by :attr:`key`."""

    key: str
    entries: tuple[Entry, ...]

    @property
    def name(self) -> str:
        return f"shard-{self.key}.parquet"

    def to_row(self) -> dict[str, str]:
        return {"key": self.key, "entries": json.dumps([e.key() for e in self.entries])}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Shard":
        return cls(str(row["key"]), tuple(Entry(*e) for e in json.loads(str(row["entries"]))))


def run_key(pipeline) -> str:
    """What a shard's content depends on besides its files: the ingest stages and limits,
    every layer stage (name, version, settings, state once set up) and the language a
    story of undetermined language is analysed in."""
    runner = pipeline.runner
    parts = [f"format={SHARD_FORMAT}", pipeline.ingest_hash, f"und={runner.undetermined_language}"]
    parts += [f"{s.ref}:{s.config_hash}:{s.state_key()}" for s in pipeline.layer_stages]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def plan(entries: Iterable[Any], files_per_shard: int, key: str) -> tuple[list[Any], list[Shard]]:
    """The inputs of :meth:`Pipeline.inputs` in order, each input to read replaced by its
    :class:`Entry`, and those entries cut into shards of ``files_per_shard``."""
    order: list[Any] = []
    readable: list[Entry] = []
    for item in entries:
        if isinstance(item, (Rejection, StoredFile)):
            order.append(item)
            continue
        kind, target, stat = item
        entry = Entry(kind, str(target), stat.st_size if stat else None, stat.st_mtime_ns if stat else None)
        order.append(entry)
        readable.append(entry)
    shards = []
    for start in range(0, len(readable), max(1, files_per_shard)):
        group = tuple(readable[start:start + files_per_shard])
        digest = hashlib.sha256(json.dumps([key, [e.key() for e in group]]).encode()).hexdigest()[:20]
        shards.append(Shard(digest, group))
    return order, shards


def shard_schema():
    """The Arrow schema of a shard: the document columns of :func:`propwatch.arrow.schema`
    (every registered layer), then what the item is and where it came from."""
    import pyarrow as pa

    from ..arrow import schema

    base = schema()
    extra = [
        pa.field("item", pa.string()),          # story, rejection or file
        pa.field("entry", pa.int32()),          # the input's position in the shard
        pa.field("raw", pa.int64()),            # the raw story it came from (-1: none)
        pa.field("fingerprints", pa.string()),  # JSON: layer -> fingerprint it was made under
        pa.field("rejection_source", pa.string()),
        pa.field("rejection_line", pa.int64()),
        pa.field("rejection_kind", pa.string()),
        pa.field("rejection_reason", pa.string()),
        pa.field("file_path", pa.string()),
        pa.field("file_size", pa.int64()),
        pa.field("file_mtime_ns", pa.int64()),
    ]
    return pa.schema(list(base) + extra)


class ShardMaker:
    """Makes shards: the pipeline's stages set up once, then shard after shard.

    Pure of any engine: the Ray engine runs one in each actor; tests run one in-process.
    """

    def __init__(self, config, store_path: str | None = None):
        from ..registry import load_builtin_components, load_plugins
        from ..registry import stages as registry
        from ..resources import Resources

        load_builtin_components()
        load_plugins(list(config.get("plugins", []) or []))
        self.config = config
        self.stages = []
        for ref in config.get("pipeline.stages"):
            cls = registry.get(ref)
            self.stages.append(cls(config.stage_config(cls.name)))
        from ..ingest.readers import Limits

        self.limits = Limits.from_config(config.get("ingest", {}))
        self.batch_size = int(config.get("pipeline.batch_size", 32))
        self.runner = Runner(self.stages, Resources(config, store_path))
        for stage in self.stages:  # each stage's setup, once per worker
            self.runner.setup(stage)

    @property
    def layer_stages(self):
        return [s for s in self.stages if s.kind != "ingest"]

    def make(self, shard: Shard, run_dir: str | os.PathLike) -> dict[str, Any]:
        """Make ``shard`` into its Parquet file in ``run_dir`` (skipped when it is there);
        what was done: key, status (made/done), stories, rejections, seconds, stage
        seconds (JSON), the worker's pid and peak memory."""
        started = time.perf_counter()
        target = Path(run_dir) / shard.name
        before = dict(self.runner.stage_seconds)
        stories = rejections = 0
        status = "done"
        if not target.is_file():
            status = "made"
            table = self.table(shard)
            items = table.column("item").to_pylist()
            stories, rejections = items.count("story"), items.count("rejection")
            write_atomically(table, target)
        spent = {k: round(v - before.get(k, 0.0), 4) for k, v in self.runner.stage_seconds.items()
                 if v - before.get(k, 0.0) > 0}
        return {
            "key": shard.key, "status": status, "stories": stories, "rejections": rejections,
            "seconds": round(time.perf_counter() - started, 4), "stage_seconds": json.dumps(spent),
            "pid": os.getpid(), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }

    def table(self, shard: Shard):
        """The shard's Arrow table (what :meth:`make` writes)."""
        import pyarrow as pa

        stream, stories = self._read(shard)
        layered, fps = self._layers(stories)
        schema = shard_schema()
        blank = {name: None for name in schema.names}
        rows = []
        from ..arrow import to_rows

        for entry, raw, item in stream:
            row = dict(blank, entry=entry, raw=raw)
            if isinstance(item, Document):
                done = layered[item.id]
                row.update(to_rows([item.with_layers(done.layers)])[0])
                row.update(item="story", fingerprints=json.dumps(fps[item.id], sort_keys=True))
            elif isinstance(item, Rejection):
                row.update(item="rejection", rejection_source=item.source, rejection_line=item.line,
                           rejection_kind=item.kind, rejection_reason=item.reason)
            else:
                row.update(item="file", file_path=item.path, file_size=item.size, file_mtime_ns=item.mtime_ns)
            rows.append(row)
        table = pa.Table.from_pylist(rows, schema=schema)
        return table.replace_schema_metadata({b"propwatch.shard": shard.key.encode(),
                                              b"propwatch.shard_format": str(SHARD_FORMAT).encode()})

    def _read(self, shard: Shard) -> tuple[list[tuple[int, int, Any]], list[Document]]:
        """Every item of the shard's inputs in order, each raw story through the ingest stages."""
        stream: list[tuple[int, int, Any]] = []
        stories: list[Document] = []
        raw = 0
        ingest = [s for s in self.stages if s.kind == "ingest"]
        for number, entry in enumerate(shard.entries):
            target: Any = Path(entry.target) if entry.kind == "file" else entry.target
            for item in entry_items(entry.kind, target, entry.stat, self.limits):
                if not isinstance(item, Document):
                    stream.append((number, -1, storable_rejection(item) if isinstance(item, Rejection) else item))
                    continue
                docs, failed = [storable_document(item)], []
                for stage in ingest:
                    docs, bad = self.runner.run_stage(stage, docs)
                    failed.extend(storable_rejection(r) for r in bad)
                stream.extend((number, raw, d) for d in docs)
                stream.extend((number, raw, r) for r in failed)
                stories.extend(docs)
                raw += 1
        return stream, stories

    def _layers(self, stories: Sequence[Document]) -> tuple[dict[str, Document], dict[str, dict[str, str]]]:
        """Each story (by id) with the layers the layer stages made, and their fingerprints:
        the ones the local driver would want for a new story. A story a stage failed on
        keeps the layers made before; the driver computes the rest (and rejects it)."""
        first: dict[str, Document] = {}
        for doc in stories:
            first.setdefault(doc.id, doc)
        unique = list(first.values())
        layered: dict[str, Document] = {}
        fps: dict[str, dict[str, str]] = {}
        runner = self.runner
        for start in range(0, len(unique), self.batch_size):
            docs = unique[start:start + self.batch_size]
            made = {d.id: {} for d in docs}
            try:
                for stage in self.layer_stages:
                    state = stage.state_key()
                    want = {d.id: fingerprint(d, stage, made[d.id], state, runner.analysis_language(d)) for d in docs}
                    done, _ = runner.run_stage(stage, docs)
                    ok = {d.id for d in done}
                    for doc in docs:
                        if doc.id not in ok:
                            layered[doc.id] = doc  # failed here: no later stage sees it
                    docs = done
                    for doc in docs:
                        for layer in stage.assigns:
                            made[doc.id][layer] = want[doc.id]
                layered.update({d.id: d for d in docs})
            finally:  # a parse lives for the batch (the layer stages share a document's artefacts)
                for doc in [*unique[start:start + self.batch_size], *docs]:
                    doc.artefacts.clear()
            fps.update(made)
        for doc_id, doc in layered.items():  # only the layers a story holds have a fingerprint
            fps[doc_id] = {k: v for k, v in fps[doc_id].items() if k in doc.layers}
        return layered, fps

    def close(self) -> None:
        self.runner.close()
        resources = self.runner.resources
        if resources is not None:
            resources.close()


def write_atomically(table, target: Path) -> None:
    """``table`` as Parquet at ``target``, whole or not at all (written aside, then renamed)."""
    import pyarrow.parquet as pq

    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, temp)
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()


@dataclass
class ShardItem:
    """One item of a shard read back: the input it came from, its raw story, and, for a
    story, the layers made for it with their fingerprints."""

    entry: int
    raw: int
    item: Any
    computed: dict[str, tuple[str, tuple]] | None = None


def read_shard(path: str | os.PathLike) -> list[ShardItem]:
    """The items of one shard file, in input order."""
    import pyarrow.parquet as pq

    from ..arrow import from_rows

    out = []
    for row in pq.read_table(path).to_pylist():
        kind = row["item"]
        if kind == "story":
            doc = from_rows([row])[0]
            fps = json.loads(row["fingerprints"] or "{}")
            computed = {layer: (fp, doc.layer(layer)) for layer, fp in fps.items() if layer in doc.layers}
            out.append(ShardItem(row["entry"], row["raw"], doc, computed))
        elif kind == "rejection":
            out.append(ShardItem(row["entry"], row["raw"], Rejection(
                row["rejection_source"], row["rejection_kind"], row["rejection_reason"], row["rejection_line"])))
        elif kind == "file":
            out.append(ShardItem(row["entry"], row["raw"], FileRead(row["file_path"], row["file_size"], row["file_mtime_ns"])))
    return out


def shard_batches(order: Sequence[Any], shards: Sequence[Shard], run_dir: str | os.PathLike,
                  size: int) -> Iterator[tuple[list[Any], dict[str, dict[str, tuple[str, tuple]]]]]:
    """The run's items in input order, read back from the shards, in batches of ``size``
    raw stories as the local driver cuts them, each with the layers made for its stories."""
    where = {id(e): (s, n) for s in shards for n, e in enumerate(s.entries)}
    loaded: dict[str, list[ShardItem]] = {}

    def items() -> Iterator[tuple[Any, int, ShardItem | None]]:
        for entry in order:
            if not isinstance(entry, Entry):
                yield None, len(entry.doc_ids) if isinstance(entry, StoredFile) else 0, ShardItem(-1, -1, entry)
                continue
            shard, number = where[id(entry)]
            if shard.key not in loaded:
                loaded.clear()  # one shard in memory at a time
                loaded[shard.key] = read_shard(Path(run_dir) / shard.name)
            for got in loaded[shard.key]:
                if got.entry == number:
                    yield ((shard.key, got.raw) if got.raw >= 0 else None), 0, got

    batch: list[Any] = []
    computed: dict[str, dict[str, tuple[str, tuple]]] = {}
    count = 0
    last = None
    for raw, weight, got in items():
        if count >= size and (raw is None or raw != last):
            yield batch, computed
            batch, computed, count = [], {}, 0
        batch.append(got.item)
        if got.computed is not None:
            computed.setdefault(got.item.id, got.computed)
        if raw is not None and raw != last:
            count += 1
        count += weight
        last = raw if raw is not None else last
    if batch:
        yield batch, computed


__all__ = ["Entry", "SHARD_FORMAT", "Shard", "ShardItem", "ShardMaker", "plan", "read_shard", "run_key",
           "shard_batches", "shard_schema", "write_atomically"]
