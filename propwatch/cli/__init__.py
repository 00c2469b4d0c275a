"""The ``propwatch`` command: a thin typed shell over library functions.

Each module named in ``COMMAND_MODULES`` adds its commands to
:data:`propwatch.cli.app.app` when imported. Exit codes: 0 success, 1 an
error (one line on stderr with a hint), 2 bad usage or some inputs
rejected (the run went on without them).
"""

from __future__ import annotations

import importlib
import sys

from .app import app

COMMAND_MODULES = [
    "propwatch.cli.core",
    "propwatch.cli.debunks",
    "propwatch.cli.techniques",
    "propwatch.cli.who",
    "propwatch.cli.narratives",
    "propwatch.cli.corrections",
    "propwatch.cli.search",
    "propwatch.cli.watch",
]


def load_commands() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)


def main(argv: list[str] | None = None) -> int:
    import click

    from ._errors import report_error

    load_commands()
    aborts, usage = _click_errors(click)
    try:
        result = app(args=argv, standalone_mode=False, prog_name="propwatch")
    except aborts:
        print("propwatch: aborted", file=sys.stderr)
        return 1
    except usage as exc:
        exc.show()
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
        return report_error(exc)
    return result if isinstance(result, int) else 0


def _click_errors(click) -> tuple[tuple[type, ...], tuple[type, ...]]:
    """Click's Abort and ClickException, and those of the copy of click newer Typer releases
    carry inside (``typer._click``): a bad option is a usage error (exit 2) from either."""
    aborts, usage = [click.exceptions.Abort], [click.ClickException]
    try:
        from typer._click import exceptions as vendored
    except ImportError:
        pass
    else:
        aborts.extend(getattr(vendored, name) for name in ("Abort",) if hasattr(vendored, name))
        usage.append(vendored.ClickException)
    return tuple(aborts), tuple(usage)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
