"""The real articles and EUvsDisinfo cases of the news sentence <-> debunk set (eval/data/debunk_news/).

Shared by ``eval/debunk_news.py`` (the evaluation) and ``eval/debunk_news_candidates.py``
(how the candidate pairs were drawn). Reads ``../shared/data`` and ``../shared/seeds``
(never committed: the gold holds ids, offsets and labels only). An article's text is
defined here, deterministically, so the gold offsets point into it:

- ``ptc:<id>``: ``ptc-train/articles/article<id>.txt`` as read (UTF-8);
- ``hyp:<id>``: the SemEval-2019 hyperpartisan XML article, tags removed, entities
  unescaped, ``<p>`` as a blank line, white space inside a paragraph collapsed;
- ``horne:<Buzzfeed|Random>/<Fake|Real|Satire>/<file>``: the file as read;
- ``seed:<file>``: ``../shared/seeds/<file>`` as read.

A case is ``cases2015:<row>`` (0-based data row of ``cases-2015-2017.csv``).
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"
CASES = DATA / "euvsdisinfo-cases" / "cases-2015-2017.csv"
HORNE = DATA / "article-labels" / "horne2017"
HORNE_SETS = {"Buzzfeed": "Buzzfeed Political News Dataset", "Random": "Random Poltical News Dataset"}


def available() -> bool:
    return CASES.exists() and (DATA / "ptc-train" / "articles").exists()


def load_cases() -> dict[str, dict[str, str]]:
    """case id -> the CSV row (title, summary, disproof, ...), blank rows left out."""
    csv.field_size_limit(10**8)
    with CASES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {f"cases2015:{i}": r for i, r in enumerate(rows) if (r.get("summary") or "").strip()}


def _hyperpartisan() -> dict[str, str]:
    path = DATA / "article-labels" / "articles-training-byarticle-20181122.xml"
    if not path.exists():
        return {}
    raw = path.read_text("utf-8")
    out = {}
    for m in re.finditer(r'<article id="(\d+)"[^>]*?title="([^"]*)"[^>]*>(.*?)</article>', raw, re.S):
        body = re.sub(r"</?p>", "\n\n", m.group(3))
        body = re.sub(r"<[^>]+>", " ", body)
        paras = [re.sub(r"\s+", " ", html.unescape(p)).strip() for p in body.split("\n\n")]
        title = html.unescape(m.group(2)).strip()
        out[f"hyp:{m.group(1)}"] = "\n\n".join([title] + [p for p in paras if p])
    return out


def load_articles(prefixes: tuple[str, ...] = ("ptc", "hyp", "horne", "seed")) -> dict[str, str]:
    """article id -> text."""
    out: dict[str, str] = {}
    if "ptc" in prefixes:
        for p in sorted((DATA / "ptc-train" / "articles").glob("article*.txt")):
            out[f"ptc:{p.stem[len('article'):]}"] = p.read_text("utf-8")
    if "hyp" in prefixes:
        out.update(_hyperpartisan())
    if "horne" in prefixes:
        for short, folder in HORNE_SETS.items():
            for label in ("Fake", "Real", "Satire"):
                d = HORNE / folder / label
                if d.is_dir():
                    for p in sorted(d.glob("*.txt")):
                        out[f"horne:{short}/{label}/{p.name}"] = p.read_text("utf-8", errors="replace")
    if "seed" in prefixes and SEEDS.is_dir():
        for p in sorted(SEEDS.glob("*.txt")):
            out[f"seed:{p.name}"] = p.read_text("utf-8")
    return out


def article(article_id: str, cache: dict[str, str] | None = None) -> str:
    cache = cache if cache is not None else load_articles()
    return cache[article_id]


def build_index(cases: dict[str, dict]):
    """The debunk index of ``cases`` with the shipped defaults (embedder, no cross-encoder); the
    case vectors are cached under /tmp, for eval/debunk_news.py and eval/debunk_news_candidates.py."""
    import numpy as np

    from propwatch.debunks.importers import Debunk
    from propwatch.debunks.search import DebunkIndex, document_text
    from propwatch.embeddings import get_embedder

    debunks = [Debunk(claim=r["summary"].strip(), title=r["title"].strip() or None, id=c) for c, r in cases.items()]
    embedder = get_embedder("auto")
    cache = Path(f"/tmp/debunk_news_case_vectors.{embedder.name.replace('/', '_')}.npy")
    vectors = np.load(cache) if cache.exists() else None
    if vectors is None or len(vectors) != len(debunks):
        vectors = embedder.embed([document_text(d) for d in debunks]).astype(np.float32)
        np.save(cache, vectors)
    return DebunkIndex(debunks, embedder=embedder, vectors=vectors, cross_encoder=None)
