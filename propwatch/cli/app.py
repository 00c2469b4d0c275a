"""The Typer application every command module adds its commands to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="propwatch",
    help="Read news articles and show where and how they push a story.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
