"""The evaluation scripts of ``eval/`` as modules, for tests of their measures and quality gates."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def eval_script(name: str) -> ModuleType:
    """``eval/<name>.py``, loaded once per test session."""
    spec = importlib.util.spec_from_file_location(f"pw_eval_{name}", ROOT / "eval" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
