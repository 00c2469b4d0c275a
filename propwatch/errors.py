"""The propwatch exception tree.

Every error propwatch raises is a ``PropwatchError``; each class also inherits
the builtin it behaves like, so callers that catch ``ValueError`` or
``LookupError`` keep working::

    PropwatchError(Exception)
    ├── ConfigError(ValueError)            bad propwatch.toml / options   PW100
    ├── QueryError(ValueError)             a search query or filter that
    │                                      cannot be understood           PW110
    ├── InputError(ValueError)             one input cannot be read       PW2xx
    │   (its ``code`` says why: binary, empty, encoding, too-large,
    │    bad-json, bad-csv, no-text-column, no-text, unreadable, ...)
    ├── PipelineError(RuntimeError)        stages in an impossible order  PW300
    │   ├── UnknownStageError(LookupError) no stage by that name          PW301
    │   ├── UndeclaredLayerError(KeyError) a stage read a layer it did not
    │   │                                  declare                        PW302
    │   └── UnknownLayerError(LookupError) no record type for a layer     PW303
    ├── StoreError(RuntimeError)           the DuckDB store failed        PW400
    │   ├── NotFoundError(LookupError)     no such document / record      PW404
    │   ├── StoreBusyError(TimeoutError)   another process kept the store PW409
    │   └── StoreDamagedError              the store file is corrupt or
    │                                      truncated                      PW410
    └── MissingExtraError(ImportError)     an optional package is absent  PW500

Bad *content* is not raised through a batch: readers and the pipeline turn
it into a :class:`propwatch.records.Rejection` with the same code, so one
bad article never stops the others. Messages carry a stable code so scripts
can match on it.
"""

from __future__ import annotations

import re


class PropwatchError(Exception):
    """Base class of every propwatch error."""

    code = "PW000"

    def __str__(self) -> str:  # one line, with the stable code
        return f"{self.code} {super().__str__()}"


class ConfigError(PropwatchError, ValueError):
    """Configuration is invalid; ``problems`` lists every problem by dotted path."""

    code = "PW100"

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class QueryError(PropwatchError, ValueError):
    """A search query, filter or sort that cannot be understood (the API answers 400)."""

    code = "PW110"


class InputError(PropwatchError, ValueError):
    """One input (file, record or line) cannot be turned into a document."""

    code = "PW200"

    def __init__(self, source: str, reason: str, kind: str = "unreadable", line: int | None = None):
        self.source = source
        self.reason = reason
        self.kind = kind
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {kind}: {reason}")


class PipelineError(PropwatchError, RuntimeError):
    """The configured stages cannot run in the given order."""

    code = "PW300"


class UnknownStageError(PipelineError, LookupError):
    """No stage is registered under that name."""

    code = "PW301"


class UndeclaredLayerError(PipelineError, KeyError):
    """A stage read a layer it did not declare in ``requires`` or ``optional``.

    Stages see only what they declare, so the fingerprint of what they store
    covers everything they read.
    """

    code = "PW302"

    def __str__(self) -> str:  # KeyError would quote the message
        return f"{self.code} {self.args[0] if self.args else ''}"


class UnknownLayerError(PipelineError, LookupError):
    """Stored or decoded data names a layer that has no registered record type."""

    code = "PW303"


class StoreError(PropwatchError, RuntimeError):
    """The store could not be opened, migrated or written."""

    code = "PW400"


class NotFoundError(StoreError, LookupError):
    """The requested document or record is not in the store."""

    code = "PW404"


class StoreBusyError(StoreError, TimeoutError):
    """Another process held the store (or its writer lock) past ``store.lock_timeout``."""

    code = "PW409"


class StoreDamagedError(StoreError):
    """The store file is not a DuckDB database, is cut short, or fails its checksums."""

    code = "PW410"


_DAMAGE = re.compile(
    r"not a valid DuckDB database file|Corrupt database file|does not match stored checksum"
    r"|Could not read enough bytes|database file .* is too small|Failed to load metadata|INTERNAL Error.*block",
    re.IGNORECASE,
)


def store_damage(exc: BaseException) -> str | None:
    """DuckDB's words when ``exc`` says the store file itself is damaged, else None."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency
        return None
    if isinstance(exc, duckdb.Error) and _DAMAGE.search(str(exc)):
        return str(exc).strip().splitlines()[0][:300]
    return None


class MissingExtraError(PropwatchError, ImportError):
    """An optional dependency is needed; the message says what to install."""

    code = "PW500"

    def __init__(self, package: str, extra: str, purpose: str):
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install 'propwatch[{extra}]'"
        )


__all__ = [
    "ConfigError",
    "InputError",
    "MissingExtraError",
    "NotFoundError",
    "PipelineError",
    "PropwatchError",
    "StoreBusyError",
    "StoreError",
    "UnknownStageError",
]
