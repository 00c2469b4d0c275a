"""Errors become one line on stderr with a hint, and exit code 1."""

from __future__ import annotations

import os
import sys

from ._safe import visible
from ..errors import (
    ConfigError,
    MissingExtraError,
    NotFoundError,
    PipelineError,
    PropwatchError,
    StoreDamagedError,
    StoreError,
    store_damage,
)

HINTS: dict[type, str] = {
    StoreDamagedError: "the file is corrupt or cut short: restore it from a backup, or analyse the inputs again "
    "into a new store (--store PATH)",
    ConfigError: "check propwatch.toml against `propwatch config`",
    PipelineError: "see `propwatch stages` for what each stage requires and assigns",
    NotFoundError: "list stored stories with `propwatch list`",
    StoreError: "is another propwatch process using the same store? (--store PATH picks another)",
    MissingExtraError: "",
}


def report_error(exc: BaseException) -> int:
    damage = store_damage(exc)
    if damage:
        # DuckDB finds a damaged block only when a query reads it, anywhere in a command
        exc = StoreDamagedError(f"the store is damaged: {damage}")
    if isinstance(exc, PropwatchError):
        hint = next((h for cls, h in HINTS.items() if isinstance(exc, cls)), "")
        print(f"propwatch: error: {visible(str(exc), 2000)}" + (f" (hint: {hint})" if hint else ""), file=sys.stderr)
        return 1
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        print(f"propwatch: error: {visible(str(exc.filename))}: {exc.strerror}", file=sys.stderr)
        return 1
    if os.environ.get("PROPWATCH_DEBUG"):
        raise exc
    print(
        f"propwatch: internal error: {type(exc).__name__}: {visible(str(exc), 2000)} "
        "(hint: rerun with PROPWATCH_DEBUG=1 for the traceback and report it)",
        file=sys.stderr,
    )
    return 1
