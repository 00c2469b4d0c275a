"""``propwatch techniques``: tag raw text files with persuasion technique spans.

The files are read as UTF-8 exactly as they are (no cleaning, line ends
kept), so offsets count the file's own characters; this is the form the
PTC / SemEval-2020 Task 11 scorers expect. Each file's ``id`` is its file
name without the last extension (``article111111111.txt`` ->
``article111111111``); strip the ``article`` prefix yourself to get PTC
article ids.
"""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app
from .core import ConfigOpt


class TechFormat(str, Enum):
    jsonl = "jsonl"
    json = "json"
    csv = "csv"
    table = "table"


def text_files(paths: list[Path]) -> list[Path]:
    """The files named, and the ``*.txt`` files under the folders named (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.txt") if q.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(2, "No such file or directory", str(p))
    return out


def tag_files(files: list[Path], stage_config: dict, batch: int = 8,
              errors: list[str] | None = None) -> list[dict]:
    """One ``{"id", "techniques": [...]}`` per file, in order (library function behind the command).

    A file that cannot be read (not UTF-8, unreadable) is left out and named in
    ``errors`` with the reason, and the others go on; without ``errors`` it raises
    :class:`~propwatch.errors.InputError`."""
    from ..errors import InputError
    from ..records import Document, record_to_dict
    from ..techniques.stage import TechniquesStage

    stage = TechniquesStage(stage_config)
    stage.ensure_setup()
    results = []
    for b in range(0, len(files), batch):
        group, docs = [], []
        for f in files[b : b + batch]:
            try:
                with open(f, encoding="utf-8", newline="") as fh:
                    text = fh.read()
            except UnicodeDecodeError as exc:
                err = InputError(str(f), f"not UTF-8 ({exc.reason} at byte {exc.start})", kind="encoding")
            except OSError as exc:
                err = InputError(str(f), f"cannot be read ({exc.strerror or exc})", kind="unreadable")
            else:
                group.append(f)
                docs.append(Document(text=text, source=str(f), language="en"))
                continue
            if errors is None:
                raise err from None
            errors.append(str(err))
        for f, doc in zip(group, stage(docs) if docs else []):
            results.append({"id": f.stem, "techniques": [record_to_dict(s) for s in doc.layer("techniques")]})
    return results


@app.command()
def techniques(
    paths: Annotated[list[Path], typer.Argument(help="Text files, or folders of *.txt files.")],
    fmt: Annotated[TechFormat, typer.Option("--format", "-f", help="jsonl (one line per file), json, csv (one row per span) or table.")] = TechFormat.jsonl,
    model: Annotated[Optional[str], typer.Option(help="Model directory (or hub id with --backend techniques_hf); default: the shipped model.")] = None,
    backend: Annotated[Optional[str], typer.Option(help="Backend name (techniques_onnx, techniques_hf, techniques_fake).")] = None,
    threshold: Annotated[Optional[float], typer.Option(help="Propaganda probability a token needs (default: the model's tuned value).")] = None,
    config: ConfigOpt = None,
) -> int:
    """Mark persuasion techniques in raw text files; offsets are chars of each file as read (UTF-8)."""
    from ._safe import visible
    from .core import load

    cfg = load(config, None)
    stage_cfg = cfg.stage_config("techniques")
    for key, value in (("model", model), ("backend", backend), ("threshold", threshold)):
        if value is not None:
            stage_cfg[key] = value
    errors: list[str] = []
    results = tag_files(text_files(paths), stage_cfg, errors=errors)
    for err in errors:
        sys.stderr.write(f"skipped {visible(err)}\n")  # a file name's escapes never reach the terminal raw
    out = sys.stdout
    if fmt is TechFormat.jsonl:
        for r in results:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif fmt is TechFormat.json:
        out.write(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    elif fmt is TechFormat.csv:
        from ..output.writers import spreadsheet_safe

        w = csv.writer(out)
        w.writerow(["id", "start", "end", "technique", "score", "text"])
        for r in results:
            for s in r["techniques"]:
                w.writerow([spreadsheet_safe(v) for v in (r["id"], s["start"], s["end"], s["technique"], s["score"], s["text"])])
    else:
        for r in results:
            for s in r["techniques"]:
                snippet = s["text"].replace("\n", " ")
                snippet = snippet if len(snippet) <= 60 else snippet[:57] + "..."
                out.write(f"{r['id']:20.20s} {s['start']:>7d} {s['end']:>7d} {s['technique']:34.34s} {s['score']:.2f}  {snippet}\n")
    return 1 if errors else 0
