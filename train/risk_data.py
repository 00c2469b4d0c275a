"""The labelled articles the risk model learns from, and a cache of their analysis layers.

    nice -n 10 python train/risk_data.py layers [--limit-hp 300] [--max-chars 6000]

Readers for ../shared/data/article-labels (SemEval-2019 Task 4 hyperpartisan
by-article; Horne & Adali 2017 Buzzfeed and random political news) that give
each article an id, its text, its label and its *group*, the outlet used for
outlet-disjoint cross-validation:

- hyperpartisan: the host of the article's URL (ground truth file), ``www.``
  dropped;
- Horne & Adali: the files name no outlet. An article whose opening or closing
  lines name a publisher (``(Reuters)``, ``Infowars``...) gets that name;
  every other article is its own group, and the cross-dataset figure (train on
  one corpus, score the other, whose outlets the model never saw) is the
  outlet-disjoint measure for this corpus.

``layers`` runs the pipeline once (no debunk stages: there is no debunk
database here, so the debunk factor is absent from training) over the
articles into a DuckDB store under /tmp, so training and evaluation read the
layers instead of recomputing them. The texts never leave ../shared/data and
/tmp.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "article-labels"
CACHE = Path("/tmp/propwatch-risk")
# Stages whose layers the risk factors read (debunk_matches, denials and stance need a debunk database).
STAGES = ["clean", "split", "metadata", "language", "sentences", "entities", "quotes", "sourcing",
          "claims", "techniques", "assessment"]


@dataclass(frozen=True)
class Article:
    id: str
    corpus: str
    text: str
    label: int          # 1: hyperpartisan / fake; 0: not hyperpartisan / real
    group: str          # outlet (or a stand-in) for outlet-disjoint folds
    kind: str = ""      # horne: Fake / Real / Satire


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host or "?"


def hyperpartisan() -> list[Article]:
    truth = {a.get("id"): a for a in ET.parse(DATA / "ground-truth-training-byarticle-20181122.xml").getroot()}
    out = []
    for article in ET.parse(DATA / "articles-training-byarticle-20181122.xml").getroot():
        gt = truth[article.get("id")]
        paragraphs = [" ".join("".join(p.itertext()).split()) for p in article.iter("p")]
        text = "\n\n".join([article.get("title", "")] + [p for p in paragraphs if p])
        out.append(Article(f"hp-{article.get('id')}", "hyperpartisan", text,
                           int(gt.get("hyperpartisan") == "true"), _host(gt.get("url", ""))))
    return out


# Publishers named in a line of their own or as a dateline/credit near the start or end of a Horne text.
_PUBLISHERS = {
    "reuters": r"\(reuters\)|reuters\b", "ap": r"\(ap\)|associated press", "cnn": r"\bcnn\b",
    "npr": r"\bnpr\b", "bbc": r"\bbbc\b", "guardian": r"the guardian", "washingtonpost": r"washington post",
    "wsj": r"wall street journal", "usatoday": r"usa today", "nbc": r"\bnbc\b", "cbs": r"\bcbs\b",
    "abc": r"\babc news\b", "economist": r"the economist", "infowars": r"infowars",
    "truepundit": r"true pundit", "endingthefed": r"ending the fed", "libertywriters": r"liberty writers",
    "beforeitsnews": r"before it'?s news", "dcgazette": r"dc gazette", "realnewsrightnow": r"real news right now",
    "breitbart": r"breitbart", "foxnews": r"fox news",
}


def _publisher(text: str) -> str | None:
    edge = (text[:400] + "\n" + text[-400:]).lower()
    for name, pattern in _PUBLISHERS.items():
        if re.search(pattern, edge):
            return name
    return None


def read_text(path: Path) -> str:
    """A Horne & Adali file: UTF-8, or Windows-1252 (over half the files: read as UTF-8 their
    curly quotes become U+FFFD and the quote detector finds no quote in them)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="replace")


def horne(include_satire: bool = False) -> list[Article]:
    out = []
    for dataset, short in (("Buzzfeed Political News Dataset", "bf"), ("Random Poltical News Dataset", "rd")):
        kinds = [("Fake", 1), ("Real", 0)] + ([("Satire", 1)] if include_satire else [])
        for kind, label in kinds:
            folder = DATA / "horne2017" / dataset / kind
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.txt")):
                body = read_text(path).strip()
                title_path = DATA / "horne2017" / dataset / f"{kind}_titles" / path.name
                title = read_text(title_path).strip() if title_path.exists() else ""
                if len(body.split()) < 30:
                    continue  # empty or near-empty scrapes: nothing to analyse
                aid = f"ho-{short}-{kind}-{path.stem}"
                pub = _publisher(body)
                out.append(Article(aid, "horne", f"{title}\n\n{body}", label,
                                   f"{short}:{pub}" if pub else aid, kind))
    return out


def sample(articles: list[Article], limit: int, seed: int = 13) -> list[Article]:
    if limit and len(articles) > limit:
        articles = list(articles)
        random.Random(seed).shuffle(articles)
        articles = articles[:limit]
    return articles


def corpora(limit_hp: int = 300) -> dict[str, list[Article]]:
    return {"hyperpartisan": sample(hyperpartisan(), limit_hp), "horne": horne()}


def store_path(corpus: str) -> Path:
    return CACHE / f"{corpus}.duckdb"


def run_layers(articles: list[Article], corpus: str, max_chars: int) -> None:
    from propwatch import Pipeline, load_config

    CACHE.mkdir(parents=True, exist_ok=True)
    feed = CACHE / f"{corpus}.jsonl"
    with feed.open("w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps({"id": a.id, "text": a.text[:max_chars]}) + "\n")
    pipeline = Pipeline(load_config(overrides={
        "store.path": str(store_path(corpus)), "pipeline.stages": STAGES,
        "pipeline.update_narratives": False}))
    summary = pipeline.analyze([feed])
    print(corpus, summary.counts(), {k: round(v, 1) for k, v in summary.stage_seconds.items()}, flush=True)
    pipeline.close()


def cached_documents(corpus: str):
    """The cached Documents of one corpus keyed by input id (empty when not cached)."""
    from propwatch.store import Store

    path = store_path(corpus)
    if not path.exists():
        return {}
    store = Store(str(path), read_only=True) if "read_only" in Store.__init__.__code__.co_varnames else Store(str(path))
    try:
        return {d.signals.input_id: d for d in store.iter_documents()}
    finally:
        store.close()


def labelled_documents(limit_hp: int = 300):
    """``(corpus, article, document)`` for every labelled article whose layers are cached
    (with sentences), in corpus order: what training and evaluation read."""
    for corpus, articles in corpora(limit_hp).items():
        docs = cached_documents(corpus)
        for a in articles:
            doc = docs.get(a.id)
            if doc is not None and doc.layer("sentences"):
                yield corpus, a, doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["layers", "list"])
    parser.add_argument("--limit-hp", type=int, default=300)
    parser.add_argument("--max-chars", type=int, default=6000, help="analyse this much of each text (time)")
    parser.add_argument("--only", default="", help="one corpus")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is not present")
    for corpus, articles in corpora(args.limit_hp).items():
        if args.only and corpus != args.only:
            continue
        groups = {a.group for a in articles}
        print(f"{corpus}: {len(articles)} articles, {sum(a.label for a in articles)} positive, {len(groups)} groups", flush=True)
        if args.command == "layers":
            run_layers(articles, corpus, args.max_chars)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
