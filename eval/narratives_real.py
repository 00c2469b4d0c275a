"""Narrative linking on real news: gold links on the PTC articles (SemEval-2020 Task 11).

    python eval/narratives_real.py                  # shipped linker and settings, all PTC articles
    python eval/narratives_real.py --split validation
    python eval/narratives_real.py --show 20        # print the 20 largest narratives' claims (to read them)
    python eval/narratives_real.py --set link_threshold=0.7
    python eval/narratives_real.py --dump /tmp/top20.tsv   # the 20 largest narratives' members, to read and label

Gold (``eval/data/narratives_real/gold.tsv``, ids, offsets and labels only):
sentences of 33 PTC articles on six stories (three tune, three validation:
see ``eval/data/narratives_real/README.md``), each labelled with the
proposition it asserts (who does what to whom) or ``none`` (a sentence that
belongs to no narrative: a casualty tally, a definition, a bullet, a
boilerplate line). The labels were written by reading the articles before
the linker was run on them.

The whole PTC training set (371 articles, many other stories as
distractors) goes through the pipeline up to ``claims`` (cached in
``eval/_cache``; ``--fresh`` re-analyses), the linker links every claim in
canonical order, and each gold sentence is mapped to the claim that overlaps
it most (a sentence the claims stage did not keep is a narrative of its own).

Printed, per split and overall:

- B-cubed precision / recall / F1 over the gold sentences (each ``none``
  sentence is a gold cluster of its own);
- precision of the 20 largest narratives (by stories): the share of their
  gold-labelled members that carry the narrative's majority label (a
  ``none`` member is always wrong), with how many members are labelled;
- narratives (>= 2 stories) per 1,000 stories, and their size distribution.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOLD = ROOT / "eval" / "data" / "narratives_real" / "gold.tsv"
READ = ROOT / "eval" / "data" / "narratives_real" / "read.tsv"
ARTICLES = ROOT.parent / "shared" / "data" / "ptc-train" / "articles"
CACHE = ROOT / "eval" / "_cache"
STAGES = ["clean", "split", "metadata", "language", "sentences", "entities", "quotes", "claims"]


def load_gold(path: Path = GOLD) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for r in rows:
        r["start"], r["end"] = int(r["start"]), int(r["end"])
    return rows


def load_read(path: Path = READ) -> dict[tuple[str, int, int], str]:
    """Labels given by reading the largest narratives (after the linker ran, unlike the gold):
    (article id, start, end) of a claim in the article file -> its proposition or ``none``."""
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as f:
        return {(r["article_id"], int(r["start"]), int(r["end"])): r["label"] for r in csv.DictReader(f, delimiter="\t")}


_ARTICLE_TEXT: dict[str, str] = {}


def article_span(aid: str, text: str) -> tuple[int, int] | None:
    """Where a claim's text lies in its PTC article file (offsets into the file), or None."""
    if aid not in _ARTICLE_TEXT:
        f = ARTICLES / f"article{aid}.txt"
        _ARTICLE_TEXT[aid] = f.read_text("utf-8") if f.exists() else ""
    raw = _ARTICLE_TEXT[aid]
    pos = raw.find(text)
    if pos >= 0:
        return pos, pos + len(text)
    head = text[:40]
    pos = raw.find(head) if len(head) >= 20 else -1
    return (pos, pos + len(text)) if pos >= 0 else None


def article_id(source: str) -> str:
    name = Path(source).name
    return name[len("article"):-len(".txt")] if name.startswith("article") else Path(source).stem


def analyzed_store(articles: Path = ARTICLES, fresh: bool = False) -> str:
    """The PTC articles through the pipeline up to ``claims``, once (keyed by the article
    names and the registered stage versions; ``fresh`` re-analyses)."""
    from propwatch import Pipeline, load_config
    from propwatch.registry import stages as registry

    files = sorted(articles.glob("*.txt"))
    key = hashlib.sha256(("|".join(f.name for f in files) + "|".join(registry.names())).encode()).hexdigest()[:12]
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"narratives-real-{key}.duckdb"
    if path.exists() and not fresh:
        return str(path)
    part = Path(str(path) + ".part")
    part.unlink(missing_ok=True)
    pipe = Pipeline(load_config(overrides={"store.path": str(part), "pipeline.stages": STAGES,
                                           "pipeline.update_narratives": False}))
    pipe.analyze([str(articles)])
    pipe.store.close()
    path.unlink(missing_ok=True)
    part.rename(path)
    return str(path)


def load_items(store_path: str):
    """(claim items in canonical order, docs by id, article id of each doc)."""
    from propwatch.narratives.service import claim_items
    from propwatch.store import Store

    with Store(store_path, read_only=True) as store:
        ids = [r[0] for r in store.con.execute("SELECT id FROM documents ORDER BY id").fetchall()]
        docs = {d.id: d for d in store.load(ids, layers=["claims"])}
    items = [it for d in docs.values() for it in claim_items(d)]
    return items, docs


def embed(items, name: str) -> np.ndarray:
    """Claim vectors, cached by text and embedder."""
    from propwatch.embeddings import get_embedder

    texts = [it.normalized for it in items]
    key = hashlib.sha256(("\n".join(texts) + name).encode()).hexdigest()[:12]
    path = CACHE / f"narratives-real-vectors-{key}.npy"
    if path.exists():
        return np.load(path)
    vecs = np.asarray(get_embedder(name).embed(texts), np.float32)
    np.save(path, vecs)
    return vecs


def gold_assignments(gold: list[dict], docs: dict, items, where: dict[str, str]) -> list[str]:
    """The predicted narrative of each gold sentence: that of the claim overlapping it most,
    or a narrative of its own when no claim overlaps it."""
    by_article = defaultdict(list)
    for d in docs.values():
        by_article[article_id(d.source)].append(d)
    claims_of = defaultdict(list)
    for it in items:
        s, e = map(int, it.key.rsplit(":", 1)[1].split("-"))
        claims_of[it.doc_id].append((s, e, it.key))
    texts: dict[str, str] = {}
    out = []
    for g in gold:
        aid = g["article_id"]
        if aid not in texts:
            texts[aid] = (ARTICLES / f"article{aid}.txt").read_text("utf-8")
        sentence = texts[aid][g["start"]:g["end"]]
        best = None
        for d in by_article.get(aid, ()):
            pos = d.text.find(sentence)
            if pos < 0:
                pos = d.text.find(" ".join(sentence.split()))
            if pos < 0:
                continue
            end = pos + len(sentence)
            for s, e, key in claims_of[d.id]:
                overlap = min(e, end) - max(s, pos)
                if overlap > 0 and (best is None or overlap > best[0]):
                    best = (overlap, key)
        out.append(where[best[1]] if best else f"unlinked:{aid}:{g['start']}")
    return out


def bcubed(labels: list[str], predicted: list[str]) -> dict[str, float]:
    labels = [lab if lab != "none" else f"none:{i}" for i, lab in enumerate(labels)]
    by_pred, by_gold = defaultdict(list), defaultdict(list)
    for i, (lab, p) in enumerate(zip(labels, predicted)):
        by_pred[p].append(i)
        by_gold[lab].append(i)
    n = len(labels)
    bp = sum(sum(labels[j] == labels[i] for j in by_pred[predicted[i]]) / len(by_pred[predicted[i]]) for i in range(n)) / n
    br = sum(sum(predicted[j] == predicted[i] for j in by_gold[labels[i]]) / len(by_gold[labels[i]]) for i in range(n)) / n
    return {"n": n, "b3_p": bp, "b3_r": br, "b3_f1": 2 * bp * br / max(bp + br, 1e-9)}


def largest(items, where: dict[str, str], k: int = 20) -> list[tuple[str, list]]:
    members = defaultdict(list)
    for it in items:
        members[where[it.key]].append(it)
    multi = [(nid, m) for nid, m in members.items() if len({it.doc_id for it in m}) >= 2]
    multi.sort(key=lambda t: (-len({it.doc_id for it in t[1]}), -len(t[1]), t[0]))
    return multi[:k] if k else multi


def top_precision(top, gold_of_key: dict[str, str]) -> tuple[float | None, int, int, list]:
    """Precision of the narratives ``top`` over their gold-labelled members."""
    right = labelled = total = 0
    per = []
    for nid, m in top:
        labs = [gold_of_key[it.key] for it in m if it.key in gold_of_key]
        total += len(m)
        labelled += len(labs)
        real = Counter(lab for lab in labs if lab != "none")
        ok = real.most_common(1)[0][1] if real else 0
        right += ok
        per.append((nid, len(m), len(labs), ok))
    return (right / labelled if labelled else None), labelled, total, per


def size_distribution(items, where) -> dict[str, int]:
    docs = defaultdict(set)
    for it in items:
        docs[where[it.key]].add(it.doc_id)
    bins = Counter()
    for d in docs.values():
        n = len(d)
        if n < 2:
            continue
        bins["2" if n == 2 else "3" if n == 3 else "4-5" if n <= 5 else "6-10" if n <= 10 else "11-20" if n <= 20 else ">20"] += 1
    return {b: bins[b] for b in ("2", "3", "4-5", "6-10", "11-20", ">20") if bins[b]}


def main(argv: list[str] | None = None) -> int:
    from propwatch.config import load_config
    from propwatch.narratives.linker import Linker
    from propwatch.narratives.service import link_settings
    from propwatch.narratives.verify import load_verifier

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["tune", "validation", "all"], default="all")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a linker setting")
    ap.add_argument("--show", type=int, default=0, help="print the claims of this many largest narratives")
    ap.add_argument("--fresh", action="store_true", help="analyse the articles again")
    ap.add_argument("--dump", metavar="TSV", help="write the 20 largest narratives' members (with their labels) here")
    args = ap.parse_args(argv)
    if not ARTICLES.is_dir():
        print(f"skipped: {ARTICLES} is absent")
        return 0
    started = time.perf_counter()
    gold = load_gold()
    store_path = analyzed_store(fresh=args.fresh)
    items, docs = load_items(store_path)
    params, embedder = link_settings(load_config())
    for kv in args.set:
        k, v = kv.split("=", 1)
        cur = getattr(params, k)
        params = replace(params, **{k: (v.lower() in ("1", "true", "yes")) if isinstance(cur, bool) else type(cur)(v)})
    name = embedder or "embeddings_onnx"
    vectors = embed(items, name)
    linker = Linker(dim=vectors.shape[1], params=params, verifier=load_verifier(params.verifier))
    t0 = time.perf_counter()
    linker.add(items, vectors)
    link_s = time.perf_counter() - t0
    where = {it.key: nid for it, nid in zip(linker.items, linker.narrative_of)}
    predicted = gold_assignments(gold, docs, items, where)
    print(f"{len(docs)} stories, {len(items)} claims linked in {link_s:.1f} s; {len(gold)} gold sentences "
          f"({sum(g['label'] != 'none' for g in gold)} in propositions, {len({g['label'] for g in gold}) - 1} propositions)")
    print(f"settings {params}")
    for split in (["tune", "validation", "all"] if args.split == "all" else [args.split]):
        idx = [i for i, g in enumerate(gold) if split == "all" or g["split"] == split]
        s = bcubed([gold[i]["label"] for i in idx], [predicted[i] for i in idx])
        print(f"  {split:10s} B3 P {s['b3_p']:.3f} R {s['b3_r']:.3f} F1 {s['b3_f1']:.3f}  ({s['n']} sentences)")
    # gold label of each claim key (the claim overlapping a gold sentence most)
    gold_of_key: dict[str, str] = {}
    for g, key in zip(gold, _gold_keys(gold, docs, items)):
        if key:
            gold_of_key[key] = g["label"]
    top = largest(items, where, 20)
    prec, labelled, total, per = top_precision(top, gold_of_key)
    print(f"  20 largest narratives: precision {'n/a' if prec is None else f'{prec:.3f}'} over {labelled} "
          f"gold-labelled members of {total}")
    # the same over the labels given by reading (read.tsv) where the gold has none
    read = load_read()
    read_of_key = dict(gold_of_key)
    spans = {}
    for it in items:
        aid = article_id(docs[it.doc_id].source)
        span = article_span(aid, it.text)
        spans[it.key] = (aid, span)
        if it.key not in read_of_key and span and (aid, *span) in read:
            read_of_key[it.key] = read[(aid, *span)]
    rprec, rlab, rtotal, rper = top_precision(top, read_of_key)
    print(f"  20 largest narratives, by reading (gold + read.tsv): precision "
          f"{'n/a' if rprec is None else f'{rprec:.3f}'} over {rlab} labelled members of {rtotal}; "
          f"one proposition in {sum(ok == lab for _, _, lab, ok in rper)} of {len(rper)}")
    if args.dump:
        with open(args.dump, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            w.writerow(["rank", "narrative", "article_id", "start", "end", "label", "text"])
            for n, (nid, m) in enumerate(top):
                for it in m:
                    aid, span = spans[it.key]
                    w.writerow([n + 1, nid, aid, span[0] if span else "", span[1] if span else "",
                                read_of_key.get(it.key, ""), " ".join(it.text.split())])
        print(f"  wrote the 20 largest narratives' members to {args.dump} (label empty: not read yet)")
    allmulti = largest(items, where, 0)
    print(f"  narratives with >= 2 stories: {len(allmulti)} ({1000 * len(allmulti) / max(len(docs), 1):.0f} per 1,000 "
          f"stories); sizes in stories: {size_distribution(items, where)}; largest "
          f"{len({it.doc_id for it in allmulti[0][1]}) if allmulti else 0} stories")
    for n, (nid, m) in enumerate(top[: args.show]):
        print(f"\n#{n + 1} {nid}: {len({it.doc_id for it in m})} stories, {len(m)} claims")
        for it in m[:12]:
            print(f"   [{gold_of_key.get(it.key, '-')}] {article_id(docs[it.doc_id].source)}: {it.text[:160]}")
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


def _gold_keys(gold, docs, items) -> list[str | None]:
    """The claim key overlapping each gold sentence most (None when no claim does)."""
    ident = {it.key: it.key for it in items}
    keys = gold_assignments(gold, docs, items, ident)
    return [None if k.startswith("unlinked:") else k for k in keys]


if __name__ == "__main__":
    sys.exit(main())
