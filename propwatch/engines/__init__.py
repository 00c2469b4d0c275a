"""Engines: where the stages run.

``local`` (the default) runs them in this process, batch after batch
(:meth:`propwatch.pipeline.Pipeline.analyze`). ``ray`` runs the same
stages on Ray Data over shards of the inputs (:mod:`propwatch.engines.ray`,
:mod:`propwatch.engines.shards`); the driver then stores what they made
batch by batch exactly as the local driver does, so both give the same
records, and every command, the report and the workbench read the result::

    propwatch analyze --engine ray samples/

>>> from propwatch import Pipeline, load_config
>>> pipe = Pipeline(load_config(overrides={"store.path": "pw.duckdb"}))
>>> summary = pipe.analyze(["samples/"], engine="ray")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError

ENGINES = ("local", "ray")


def engine_batches(engine: str, pipeline, paths: Sequence[Any], run_id: str,
                   stdin=None) -> Iterator[tuple[list[Any], Any]]:
    """The batches an engine other than ``local`` made of ``paths``, each with the layers
    it computed (:meth:`Pipeline.process_batch`'s ``computed``)."""
    if engine == "ray":
        from .ray import ray_batches

        return ray_batches(pipeline, paths, run_id, stdin)
    raise ConfigError(f"engine: unknown engine {engine!r} (use {' or '.join(ENGINES)})")


__all__ = ["ENGINES", "engine_batches"]
