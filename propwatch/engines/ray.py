"""The Ray engine: ``propwatch analyze --engine ray`` (settings: ``[ray]``; docs/scale.md).

The driver (the ``analyze`` process)

1. runs the corpus step before the map (the debunk index, built from the
   store's debunk database so that the workers find its vectors) and sets
   up its own stages (their state names the shards);
2. lists the inputs as the local driver does, cuts the ones to read into
   shards of ``ray.files_per_shard`` files (:mod:`propwatch.engines.shards`)
   and hands the store file back;
3. maps the shards not made yet over a Ray Data dataset with
   ``map_batches`` and a callable class, :class:`ShardWorker`: one actor
   per worker, each setting up every stage once (its model threads set to
   its CPUs), reading its shards with propwatch's readers (JSONL, CSV,
   Parquet, JSON, WARC, text, HTML, URLs: the same rejections as locally)
   and writing each as one Parquet file with typed columns; a worker that
   dies mid-shard is restarted and the shard made again
   (``ray.retries``), and nothing of the half-made shard is kept;
4. reads the shards back in input order and stores them batch by batch
   like the local driver: near-duplicates against the store, the layers
   taken where their fingerprint is the wanted one (the few others, such
   as the assessment of a story just flagged as a near-duplicate,
   computed here), rejections into the one rejections table; then the
   narratives are linked. Every command, the report and the workbench
   read the result in the store.

Ray is started for the command (``ray.num_cpus`` CPUs) unless
``ray.address`` names a cluster, or the caller has started one already
(then it is used, and left running).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingExtraError, PipelineError
from .shards import Shard, ShardMaker, plan, run_key, shard_batches

RESULT_FIELDS = ("key", "status", "stories", "rejections", "seconds", "stage_seconds", "pid", "peak_rss_mb")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401 - the Data library is the extra's
    except ImportError as exc:
        raise MissingExtraError("ray", "ray", "the Ray engine (analyze --engine ray)") from exc
    return ray


def set_threads(threads: int) -> None:
    """Model threads of this process: the BLAS/OpenMP pools (torch reads them when it is
    imported) and torch's own pool when it is loaded already."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


class ShardWorker:
    """One Ray actor: the stages set up once (:class:`ShardMaker`), then shard after shard."""

    def __init__(self, config, store_path: str, run_dir: str, cwd: str, threads: int):
        set_threads(threads)
        if cwd and os.path.isdir(cwd):
            os.chdir(cwd)  # inputs named relative to where analyze runs read the same (and are named the same)
        self.run_dir = run_dir
        self.maker = ShardMaker(config, store_path)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        results = [
            self.maker.make(Shard.from_row({"key": key, "entries": entries}), self.run_dir)
            for key, entries in zip(batch["key"], batch["entries"])
        ]
        return {name: [r[name] for r in results] for name in RESULT_FIELDS}


def run_dir_of(pipeline) -> Path:
    """The shard folder: ``ray.run_dir``, else beside the store (STORE.shards)."""
    configured = str(pipeline.config.get("ray.run_dir", "") or "")
    return Path(configured) if configured else Path(f"{pipeline.store.path}.shards")


def worker_resources(settings, stage_names: Sequence[str]) -> dict[str, float]:
    """What each worker asks of Ray: the largest of its own settings and of every
    configured stage's needs (a worker runs every stage)."""
    needs = [r for r in settings.stage_resources if r.stage in stage_names]
    return {
        "num_cpus": max([settings.cpus_per_worker] + [r.num_cpus for r in needs]),
        "num_gpus": max([0.0] + [r.num_gpus for r in needs]),
        "memory_mb": float(max([settings.memory_mb_per_worker] + [r.memory_mb for r in needs])),
    }


@contextmanager
def ray_session(settings) -> Iterator[Any]:
    """Ray for the run: the caller's when it started one, else the cluster at
    ``ray.address`` (or ``RAY_ADDRESS``), else a local Ray of ``ray.num_cpus`` CPUs,
    shut down after (a cluster's Ray is only disconnected from)."""
    ray = _ray()
    if ray.is_initialized():
        yield ray
        return
    options: dict[str, Any] = {"logging_level": logging.WARNING}
    address = settings.address or os.environ.get("RAY_ADDRESS", "")  # a RayJob's entrypoint has it set
    if address:
        options["address"] = address
    else:
        options["include_dashboard"] = False
        options["num_cpus"] = settings.num_cpus or None
    ray.init(**options)
    try:
        yield ray
    finally:
        ray.shutdown()


def run_shards(pipeline, shards: Sequence[Shard], run_dir: Path) -> tuple[list[dict[str, Any]], int]:
    """Make ``shards`` on Ray; the workers' reports and how many workers ran."""
    settings = pipeline.config.settings.ray
    with ray_session(settings) as ray:
        need = worker_resources(settings, [s.name for s in pipeline.stages])
        cluster_cpus = float(ray.cluster_resources().get("CPU", 1))
        workers = settings.workers or max(1, int(cluster_cpus // need["num_cpus"]))
        workers = max(1, min(workers, len(shards)))
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = sys.stderr.isatty()
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # its progress is the command's
        rows = [s.to_row() for s in shards]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
        remote: dict[str, Any] = {"max_restarts": -1, "max_task_retries": settings.retries}
        if need["num_gpus"]:
            remote["num_gpus"] = need["num_gpus"]
        if need["memory_mb"]:
            remote["memory"] = need["memory_mb"] * 2**20
        with warnings.catch_warnings():
            # retries per shard are remote args, which Ray 2.60 calls deprecated and still needs
            warnings.simplefilter("ignore", DeprecationWarning)
            made = dataset.map_batches(
                ShardWorker,
                batch_size=1,
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=need["num_cpus"],
                fn_constructor_kwargs={
                    "config": pipeline.config, "store_path": str(Path(pipeline.store.path).resolve()),
                    "run_dir": str(run_dir.resolve()), "cwd": os.getcwd(), "threads": max(1, int(need["num_cpus"])),
                },
                **remote,
            )
        try:
            reports = made.take_all()
        except Exception as exc:  # noqa: BLE001 - a shard that failed past its retries ends the run, named
            raise PipelineError(f"the Ray run failed (shards in {run_dir}; a rerun skips the shards made): "
                                f"{type(exc).__name__}: {str(exc)[:500]}") from exc
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in reports], workers


def ray_batches(pipeline, paths: Sequence[Any], run_id: str, stdin=None) -> Iterator[tuple[list[Any], Any]]:
    """:func:`propwatch.engines.engine_batches` for ``ray``."""
    if any(str(p) == "-" for p in paths):
        raise ConfigError("engine: --engine ray reads files, folders and URLs, not standard input (use the local engine)")
    if str(pipeline.store.path) == ":memory:":
        raise ConfigError("engine: --engine ray needs a store file (its workers read the debunk database from it)")
    _ray()  # the missing extra is said before any work
    started = time.perf_counter()
    pipeline._prepare()  # corpus step before the map: the debunk index, its vectors kept in the store
    for stage in pipeline.stages:
        pipeline.runner.setup(stage)
    order, shards = plan(pipeline.inputs(paths), pipeline.config.settings.ray.files_per_shard, run_key(pipeline))
    pipeline.store.release()  # the workers read the store's debunk database meanwhile
    run_dir = run_dir_of(pipeline)
    todo = [s for s in shards if not (run_dir / s.name).is_file()]
    reports, workers = run_shards(pipeline, todo, run_dir) if todo else ([], 0)
    times = pipeline.runner.stage_seconds
    for report in reports:
        for stage, seconds in json.loads(report["stage_seconds"]).items():
            times[stage] = times.get(stage, 0.0) + seconds
    manifest = {
        "run_id": run_id, "shards": len(shards), "made": len(todo), "skipped": len(shards) - len(todo),
        "workers": workers, "map_seconds": round(time.perf_counter() - started, 3), "reports": reports,
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / f"run-{run_id}.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    yield from shard_batches(order, shards, run_dir, pipeline.batch_size)


__all__ = ["ShardWorker", "ray_batches", "ray_session", "run_dir_of", "run_shards", "set_threads", "worker_resources"]
