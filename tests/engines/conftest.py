"""A local Ray of 2 CPUs for the engine tests (started once per module, shut down after)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE))  # engine_helpers, engine_plugins (after tests/: its conftest stays the one imported)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    # the workers import the test plugins (crash_once) from here
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": str(HERE)}},
             logging_level="WARNING")
    try:
        yield ray
    finally:
        ray.shutdown()
