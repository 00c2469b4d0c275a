"""The README is true: every command is documented, the quick start is the CI's."""

from __future__ import annotations

import re
from pathlib import Path

from propwatch.cli import app, load_commands

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")


def command_names() -> set[str]:
    load_commands()
    names = set()
    for info in app.registered_commands:
        names.add(info.name or info.callback.__name__.replace("_", "-"))
    for group in app.registered_groups:
        names.add(group.name)
    return names


def test_every_command_is_in_the_readme():
    missing = [name for name in sorted(command_names()) if f"propwatch {name}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_quick_start_is_two_commands_and_ci_runs_the_same_tests():
    block = re.search(r"## Quick start\n+```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(block) == 2
    assert "pip install" in block[0] and "propwatch analyze samples/" in block[0]
    assert block[1] == "python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    # CI installs what the README installs, plus extras whose tests it runs (Ray)
    assert "python3 -m pytest" in ci and '-e ".[dev' in ci and '-e ".[dev]"' in block[0]
    assert (ROOT / "samples").is_dir()


def test_an_option_without_its_value_is_a_usage_error(capsys):
    from propwatch.cli import main

    assert main(["analyze", "--store"]) == 2
    err = capsys.readouterr().err
    assert "--store" in err and "internal error" not in err
