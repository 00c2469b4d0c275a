"""Explainable cleaning: every change is a recorded, replayable step.

:func:`clean_page` turns a raw document (decoded text or HTML) into clean
page text and the list of :class:`CleaningStep` it applied.
:func:`replay` redoes the steps on the raw input (bytes or string) and
must give the same text, so any excerpt can be traced back to the source.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from ..records import CleaningStep
from .boilerplate import PageSignals, classify_lines, classify_spans

# ------------------------------------------------------------------ ops
# Each op takes (text, params) and returns text. "decode" and "field" take
# the raw input (bytes, or a JSON record / string) instead.


def _op_decode(raw: Any, params: dict[str, Any]) -> str:
    if isinstance(raw, str):
        return raw
    return raw.decode(params["encoding"], errors=params.get("errors", "strict"))


def _op_field(raw: Any, params: dict[str, Any]) -> str:
    if isinstance(raw, dict):
        return raw[params["field"]]
    if isinstance(raw, bytes):
        return json.loads(raw.decode("utf-8"))[params["field"]]
    return raw


def _op_extract_html(text: str, params: dict[str, Any]) -> str:
    from .html import extract_main_text

    return extract_main_text(text, with_title=params.get("with_title", True)).text


def _op_ftfy(text: str, params: dict[str, Any]) -> str:
    from ftfy import apply_plan

    return apply_plan(text, [tuple(step) for step in params["plan"]])


def normalize_whitespace(text: str, params: dict[str, Any] | None = None) -> str:
    """NFC; one kind of line break; no tabs, odd spaces, or runs of spaces."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = re.sub(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]", " ", text)
    text = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text)
    lines = [re.sub(r" {2,}", " ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)


def _op_drop_lines(text: str, params: dict[str, Any]) -> str:
    dropped = {int(i) for i in params["lines"]}
    return "\n".join(line for i, line in enumerate(text.split("\n")) if i not in dropped)


def _op_drop_spans(text: str, params: dict[str, Any]) -> str:
    """Cut character spans out of single lines: ``spans`` is [[line, start, end], ...]."""
    lines = text.split("\n")
    for index, start, end in sorted((tuple(map(int, s)) for s in params["spans"]), reverse=True):
        line = lines[index]
        lines[index] = line[:start] + line[end:]
    return "\n".join(lines)


def tidy_blank_lines(text: str, params: dict[str, Any] | None = None) -> str:
    """Paragraphs separated by one blank line; no blank lines at either end."""
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n ")


def _op_slice(text: str, params: dict[str, Any]) -> str:
    return text[params["start"]:params["end"]]


OPS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "decode": _op_decode,
    "field": _op_field,
    "extract_html": _op_extract_html,
    "ftfy": _op_ftfy,
    "normalize_whitespace": normalize_whitespace,
    "drop_lines": _op_drop_lines,
    "drop_spans": _op_drop_spans,
    "tidy_blank_lines": tidy_blank_lines,
    "slice": _op_slice,
}


def replay(raw: Any, steps: Sequence[CleaningStep]) -> str:
    """Apply ``steps`` to the raw input; gives the document's text back."""
    value = raw
    for step in steps:
        try:
            op = OPS[step.op]
        except KeyError:
            raise ValueError(f"unknown cleaning op {step.op!r}") from None
        value = op(value, dict(step.params))
    if isinstance(value, bytes):
        raise ValueError("the steps never decoded the raw bytes")
    return value


# ------------------------------------------------------------------ cleaning


def clean_page(text: str, markup: str) -> tuple[str, list[CleaningStep], PageSignals, dict[str, Any]]:
    """Clean decoded page text; returns (text, steps, signals, html metadata)."""
    steps: list[CleaningStep] = []
    html_meta: dict[str, Any] = {}
    if markup == "html":
        from .html import extract_main_text

        extracted = extract_main_text(text, with_title=True)
        steps.append(CleaningStep("extract_html", {"with_title": True}, "main text of the HTML page"))
        text = extracted.text
        html_meta = extracted.metadata

    text = _fix_encoding(text, steps)

    normalized = normalize_whitespace(text)
    if normalized != text:
        steps.append(CleaningStep("normalize_whitespace", {}, "NFC, line breaks, spaces"))
        text = normalized

    lines = text.split("\n")
    drop, signals = classify_lines(lines)
    spans = classify_spans(lines, drop, signals)
    if spans:
        reasons_s: dict[str, list[int]] = {}
        flat = []
        for index, cuts in sorted(spans.items()):
            for start, end, reason in cuts:
                flat.append([index, start, end])
                reasons_s.setdefault(reason, []).append(index)
        steps.append(
            CleaningStep(
                "drop_spans",
                {"spans": flat, "reasons": dict(sorted(reasons_s.items()))},
                f"removed {len(flat)} boilerplate sentence(s) inside long lines",
            )
        )
        text = _op_drop_spans(text, {"spans": flat})
    if drop:
        reasons: dict[str, list[int]] = {}
        for index, reason in sorted(drop.items()):
            reasons.setdefault(reason, []).append(index)
        steps.append(
            CleaningStep(
                "drop_lines",
                {"lines": sorted(drop), "reasons": {k: v for k, v in sorted(reasons.items())}},
                f"removed {len(drop)} line(s) of page furniture",
            )
        )
        text = _op_drop_lines(text, {"lines": sorted(drop)})

    tidy = tidy_blank_lines(text)
    if tidy != text:
        steps.append(CleaningStep("tidy_blank_lines", {}, "paragraph spacing"))
        text = tidy
    return text, steps, signals, html_meta


def _fix_encoding(text: str, steps: list[CleaningStep]) -> str:
    from ftfy import TextFixerConfig, fix_and_explain

    # Quotes and dashes stay as the outlet typed them: quote styles matter.
    config = TextFixerConfig(uncurl_quotes=False, unescape_html=False, normalization="NFC")
    fixed = fix_and_explain(text, config=config)
    if fixed.text != text and fixed.explanation:
        plan = [list(step) for step in fixed.explanation]
        steps.append(CleaningStep("ftfy", {"plan": plan}, "repaired mojibake / Unicode"))
        return fixed.text
    return text
