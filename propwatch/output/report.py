"""The HTML report: an index of stories and a page per story.

Article text is untrusted: every value goes through Jinja2's autoescaping
or :func:`markupsafe.escape`, links are written only for http(s) URLs,
and the pages carry a Content-Security-Policy that allows no remote
content. Other modules add pages (narratives, debunks) through
:data:`EXTRA_PAGES`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from ..bidi import page_value
from ..ingest.metadata import outlet_info
from ..records import Document, Rejection
from ..store.listing import StorySummary
from .records import document_record

# Layers shown as counts on the index, when any story has them.
COUNT_COLUMNS = (("quotes", "Quotes"), ("claims", "Claims"), ("techniques", "Techniques"), ("debunk_matches", "Debunked"))

# The debunk tables: "match" rows (the same claim as the debunked one: counted, marked in the text)
# and, apart and weaker, "related" rows (near the story's claim, never counted as debunked)
DEBUNK_COLUMNS = ("text", "case", "debunk_claim", "case_date", "case_outlets", "case_countries", "case_languages",
                  "explanation", "attribution", "score")
RELATED_TITLE = "Related debunked claims (weaker: not the same claim; never counted as debunked)"

# Layers shown as tables on a story page: layer -> (title, columns)
LAYER_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "debunk_matches": ("Known debunks", DEBUNK_COLUMNS),
    "denials": ("Denials", ("text", "denier", "denied", "verdict")),
    "stances": ("Stance towards matched debunked claims", ("text", "target_claim", "stance", "by")),
    "quotes": ("Quotes and speakers", ("text", "speaker", "cue", "direct")),
    "sourcing": ("Sourcing: anonymous sources, self-citation, evidence", ("text", "flag", "category", "status")),
    "claims": ("Check-worthy claims", ("text", "checkworthiness", "attributed_to")),
    "entities": ("Entities", ("text", "label", "entity_id")),
}
# Tables shown folded (long and mostly for checking)
FOLDED_TABLES = {"entities"}

# name -> function(store, out_dir, context) writing a page and returning its nav link
EXTRA_PAGES: dict[str, Callable[[Any, Path, dict[str, Any]], dict[str, str] | None]] = {}


def _narratives_page(store: Any, out: Path, base: dict[str, Any]) -> dict[str, str] | None:
    from .narratives_page import write_narratives_page

    return write_narratives_page(store, out, base)


EXTRA_PAGES["narratives"] = _narratives_page

@functools.lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = resources.files("propwatch").joinpath("output/templates")
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(default=True), finalize=page_value)
    return env


# One legible colour per SemEval-2023 technique category (propwatch.techniques.inventory);
# the technique's own name is written inline at the start of its span.
CATEGORY_COLORS = {
    "Attack on reputation": "#f5a3a3",
    "Justification": "#9fc5f2",
    "Simplification": "#f7b97a",
    "Distraction": "#c8b1ee",
    "Call": "#93dcc4",
    "Manipulative wording": "#fbe27f",
    "Other": "#d6d6d6",
}


def technique_color(name: str) -> str:
    """The colour of ``name``'s category."""
    from ..techniques.inventory import category

    return CATEGORY_COLORS.get(category(name), CATEGORY_COLORS["Other"])


def safe_link(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def highlight(text: str, spans: Sequence[tuple]) -> Markup:
    """Text with ``<mark>`` around spans: (start, end, css class, tooltip, colour[, inline
    label[, score]]).

    Overlapping spans are allowed: the text is cut at every boundary and each
    piece is marked with every span that covers it; a technique span inside
    another is drawn as a coloured underline (class ``inner``) so both stay
    visible. An inline label is written once, where its span starts; a score
    goes into ``data-score`` (the page's threshold control reads it).
    Everything is escaped.
    """
    cuts = {0, len(text)}
    for start, end, *_ in spans:
        if 0 <= start < end <= len(text):
            cuts.update((start, end))
    points = sorted(cuts)
    out: list[str] = []
    for a, b in zip(points, points[1:]):
        piece = escape(text[a:b])
        covering = [s for s in spans if s[0] <= a and b <= s[1] and s[0] < s[1]]
        # the widest technique span outermost; narrower ones inside it are underlined
        tech = sorted((s for s in covering if s[2].split()[0] == "tech"), key=lambda s: (s[0] - s[1], s[0]))
        for n, span in enumerate(reversed(tech)):
            start, end, css, tip, color, *rest = span
            inner = n < len(tech) - 1
            if color:
                style = f' style="border-bottom-color:{color}"' if inner else f' style="background:{color}"'
            else:
                style = ""
            label = rest[0] if rest else None
            score = rest[1] if len(rest) > 1 else None
            data = f' data-score="{float(score):.4f}"' if isinstance(score, (int, float)) else ""
            head = Markup(f'<small class="tname">{escape(label)}</small>') if label and start == a else Markup("")
            klass = f"{css} inner" if inner else css
            piece = Markup(f'<mark class="{escape(klass)}" title="{escape(tip)}"{style}{data}>') + head + piece + Markup("</mark>")
        for start, end, css, tip, color, *_rest in (s for s in covering if s[2].split()[0] != "tech"):
            style = f' style="background:{color}"' if color else ""
            piece = Markup(f'<mark class="{escape(css)}" title="{escape(tip)}"{style}>') + piece + Markup("</mark>")
        out.append(str(piece))
    return Markup("".join(out))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, Mapping):
        name = value.get("name") or value.get("label") or value.get("title") or value.get("claim") or value.get("text")
        extra = value.get("kind") or value.get("verdict")
        if name:
            return f"{name} ({extra})" if extra else str(name)
        return "; ".join(f"{k}: {_cell(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def technique_info(name: str) -> dict[str, str]:
    """Readable label, category and one-line description of a technique, from the inventory."""
    from ..techniques.inventory import DESCRIPTIONS, category, label

    return {"label": label(name), "description": DESCRIPTIONS.get(name, ""), "category": category(name)}


def _category_rank(name: str) -> int:
    from ..techniques.inventory import CATEGORIES, category

    cat = category(name)
    return CATEGORIES.index(cat) if cat in CATEGORIES else len(CATEGORIES)


def story_context(doc: Document, sources: list[dict[str, Any]]) -> dict[str, Any]:
    record = document_record(doc)
    spans = []
    counts: dict[str, int] = {}
    for t in record.get("techniques", []):
        name = t.get("technique", "technique")
        counts[name] = counts.get(name, 0) + 1
        score = t.get("score")
        info = technique_info(name)
        tip = f"{info['label']} — {info['category']}" + (f" ({score:.2f})" if isinstance(score, (int, float)) else "")
        css = "tech"
        if t.get("quoted"):
            css, tip = "tech quoted", tip + " — inside a quote: the speaker's words"
        spans.append((t["start"], t["end"], css, tip, technique_color(name), info["label"], score))
    for q in record.get("quotes", []):
        speaker = q.get("speaker") or {}
        who = speaker.get("name") if isinstance(speaker, Mapping) else speaker
        spans.append((q["start"], q["end"], "quote", f"quote: {who or 'unknown speaker'}", None))
    for c in record.get("claims", []):
        cw = c.get("checkworthiness")
        spans.append((c["start"], c["end"], "claim", f"claim (check-worthiness {cw:.2f})" if isinstance(cw, (int, float)) else "claim", None))
    debunked: dict[tuple[int, int], list[str]] = {}  # one mark per story span, naming every case it matches
    counted: set[tuple[int, int]] = set()
    relation_of: dict[tuple[int, int], str] = {}
    for m in record.get("debunk_matches", []):
        if (m.get("relation") or "match") == "match":
            case = m.get("case_id") or m.get("debunk_id", "")
            key = (m["start"], m["end"])
            debunked.setdefault(key, []).append(f"{m.get('database') or 'database'} case {case}: {m.get('debunk_claim', '')}")
            relation_of.setdefault(key, {"reports": "reports", "refutes": "refutes"}.get(m.get("article_relation") or "", "does not carry"))
            if m.get("counts_against"):
                counted.add(key)
    for key, cases in debunked.items():
        if key in counted:
            spans.append((*key, "debunked", "known debunked claim, carried by the story (" + "; ".join(cases) + ")", None))
        else:  # the story reports or refutes the claim: shown, never counted against it
            spans.append((*key, "debunked reported", f"known debunked claim, which the story {relation_of[key]} "
                          "(not counted against it) (" + "; ".join(cases) + ")", None))
    legend = [
        {"label": technique_info(n)["label"], "description": technique_info(n).get("description", ""),
         "category": technique_info(n)["category"], "count": k, "color": technique_color(n)}
        for n, k in sorted(counts.items(), key=lambda kv: (_category_rank(kv[0]), -kv[1], kv[0]))
    ]
    tables = []
    for layer, (title, columns) in LAYER_TABLES.items():
        rows = record.get(layer) or []
        if not rows:
            continue
        if layer == "debunk_matches":
            tables.extend(_debunk_tables(title, columns, rows))
            continue
        tables.append({
            "title": title, "columns": columns, "folded": layer in FOLDED_TABLES,
            "rows": [[_cell(r.get(c)) for c in columns] for r in rows],
        })
    assessment = []
    for a in record.get("assessment", []):
        raw = a.get("score", a.get("risk"))
        score = float(raw) if raw is not None else None  # None: not assessed (the reason says why)
        reasons = [
            f"{r.get('detail', '')} (weight {float(r.get('weight', 0.0)):+.2f})"
            + "".join(f" — “{e.get('text', '')}”" for e in (r.get("evidence") or [])[:2])
            if isinstance(r, Mapping) else str(r)
            for r in a.get("reasons", [])
        ]
        band = {"low": 0, "medium": 1, "high": 2}.get(a.get("label"), _band(score) if score is not None else 1)
        assessment.append({"score": score, "label": a.get("label"), "reasons": reasons, "band": band,
                           "note": a.get("note") or ""})
    return {
        "s": record,
        "body": highlight(doc.text, spans),
        "legend": legend,
        "tables": tables,
        "assessment": assessment,
        "not_analysed": _not_analysed(record),
        "has_quotes": bool(record.get("quotes")),
        "has_claims": bool(record.get("claims")),
        "has_debunked": any((m.get("relation") or "match") == "match" and m.get("counts_against")
                            for m in record.get("debunk_matches", [])),
        "has_reported": any((m.get("relation") or "match") == "match" and not m.get("counts_against")
                            for m in record.get("debunk_matches", [])),
        "safe_url": safe_link(record.get("url")),
        "sources": sources,
    }


def case_cell(m: Mapping[str, Any]) -> dict[str, Any]:
    """The debunk's own reference: its case id, linked to the case's page when the
    database gave one (only http(s) links; none is made up)."""
    url = m.get("url")
    text = m.get("case_id") or (url and url.rstrip("/").rsplit("/", 1)[-1]) or f"{m.get('debunk_id', '')} (no case link in the export)"
    return {"text": str(text), "href": url if safe_link(url) else None}


def _debunk_tables(title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for relation, name in (("match", title), ("related", RELATED_TITLE)):
        picked = [r for r in rows if (r.get("relation") or "match") == relation]
        if picked:
            out.append({
                "title": name, "columns": columns, "folded": False, "weak": relation != "match",
                "rows": [[case_cell(r) if c == "case" else _cell(r.get(c)) for c in columns] for r in picked],
            })
    return out


def _not_analysed(record: Mapping[str, Any]) -> list[dict[str, str]]:
    """The layers the story's language left unanalysed, grouped by stage."""
    by_stage: dict[str, dict[str, Any]] = {}
    for r in record.get("coverage") or []:
        entry = by_stage.setdefault(r.get("stage", ""), {
            "stage": r.get("stage", ""), "language": r.get("language") or "und",
            "supported": ", ".join(r.get("supported") or ()) or "none", "layers": [],
        })
        entry["layers"].append(r.get("layer", ""))
    return [{**e, "layers": ", ".join(e["layers"])} for e in by_stage.values()]


def _band(score: float) -> int:
    return 0 if score < 0.34 else (1 if score < 0.67 else 2)


@dataclass
class ReportResult:
    index: Path
    stories: int


def _base(nav: list[dict[str, str]] | None = None) -> dict[str, Any]:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {"generated": generated, "nav": [{"href": "index.html", "label": "Stories"}, *(nav or [])]}


def render_story(doc: Document, sources: list[dict[str, Any]], nav: list[dict[str, str]] | None = None) -> str:
    """One story's page (links are relative to a ``stories/`` folder)."""
    return _env().get_template("story.html").render(root="../", **_base(nav), **story_context(doc, sources))


def _index_row(story: StorySummary) -> dict[str, Any]:
    risk = story.risk_score
    return {
        "id": story.id,
        "title": story.title,
        "source_name": Path(story.source).name or story.source,
        "story_index": story.story_index,
        "glued": "glued-page" in story.flags,
        "outlet": story.outlet,
        "affiliation": (outlet_info(story.outlet) or {}).get("affiliation"),
        "language": story.language,
        "published": story.published,
        "flags": [f for f in story.flags if f != "glued-page"],
        # "Debunked" counts only matches of relation "match", never "related" ones
        "counts": {layer: story.debunked if layer == "debunk_matches" else story.counts.get(layer, 0)
                   for layer, _ in COUNT_COLUMNS},
        "risk": risk,
        "risk_band": _band(risk) if risk is not None else 0,
    }


def render_index(
    docs: Sequence[Document], rejections: Sequence[Rejection] = (), nav: list[dict[str, str]] | None = None,
    story_href: str = "stories/{id}.html",
) -> str:
    """The index page: one row per story, then the rejected inputs."""
    return render_index_rows([StorySummary.of(doc) for doc in docs], rejections, nav, story_href)


def render_index_rows(
    stories: Sequence[StorySummary], rejections: Sequence[Rejection] = (), nav: list[dict[str, str]] | None = None,
    story_href: str = "stories/{id}.html", page: dict[str, Any] | None = None,
) -> str:
    """The index page from story summaries (``Store.list_stories``), without loading documents;
    ``page`` (offset, shown, total, prev, next) when they are one page of more."""
    rows = [_index_row(story) for story in stories]
    count_columns = [
        {"layer": layer, "label": label} for layer, label in COUNT_COLUMNS if any(r["counts"][layer] for r in rows)
    ]
    return _env().get_template("index.html").render(
        root="", **_base(nav), stories=rows, count_columns=count_columns,
        has_risk=any(r["risk"] is not None for r in rows),
        sources=len({s.source for s in stories}),
        outlets=sorted({s.outlet for s in stories if s.outlet}),
        rejections=list(rejections),
        story_href=story_href, page=page,
    )


def write_report(
    docs: Iterable[Document],
    out_dir: str | Path,
    rejections: Sequence[Rejection] = (),
    store: Any = None,
) -> ReportResult:
    """Write ``index.html``, ``stories/<id>.html`` and assets into ``out_dir``."""
    out = Path(out_dir)
    (out / "stories").mkdir(parents=True, exist_ok=True)
    nav: list[dict[str, str]] = []
    if store is not None:
        pages = [(page, page(store, out, {"env": _env(), **_base()})) for page in EXTRA_PAGES.values()]
        nav = [link for _, link in pages if link]
        for page, link in pages:  # again, now that every page's link is known
            if link:
                page(store, out, {"env": _env(), **_base(nav)})
    stories = []
    for doc in docs:  # one at a time: a store's documents are streamed, not held
        sources = store.sources_of(doc.id) if store is not None else []
        (out / "stories" / f"{doc.id}.html").write_text(render_story(doc, sources, nav), "utf-8")
        stories.append(StorySummary.of(doc))
    (out / "index.html").write_text(render_index_rows(stories, rejections, nav), "utf-8")
    assets = resources.files("propwatch").joinpath("output/templates")
    for asset in ("style.css", "report.js"):
        (out / asset).write_text(assets.joinpath(asset).read_text("utf-8"), "utf-8")
    return ReportResult(index=out / "index.html", stories=len(stories))
