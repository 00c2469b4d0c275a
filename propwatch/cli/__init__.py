"""The ``propwatch`` command: a thin typed shell over library functions.

Each module named in ``COMMAND_MODULES`` adds its commands to
:data:`propwatch.cli.app.app` when imported.
"""

from __future__ import annotations

import importlib
import sys

from .app import app

COMMAND_MODULES = [
    "propwatch.cli.core",
]


def main(argv: list[str] | None = None) -> int:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    try:
        app(args=argv, standalone_mode=False, prog_name="propwatch")
    except SystemExit as exc:  # typer's --help and explicit exits
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
        from ._errors import report_error

        return report_error(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
