"""Narrative linking on labelled claims: does one proposition become one narrative?

    python eval/narratives.py                     # the shipped linker and settings
    python eval/narratives.py --tune              # grid of linker settings, leave-topics-out
    python eval/narratives.py --embedder embeddings_claims

Reads ``eval/data/narrative_claims.jsonl`` (claims written for propwatch,
each labelled with the proposition it asserts and a coarser topic whose
sibling propositions share its actors and words). Claims of one topic and one
outlet are glued into one story, so that a story can carry several sibling
claims the way real stories do. The stories go through the
real pipeline up to the ``claims`` stage (so normalization, attribution
cuts and the check-worthiness filter are what production does); each
stored claim is mapped back to the labelled claim it came from, and then
the narrative linker links them in canonical order.

Printed measures, over the claims the ``claims`` stage kept:

- B-cubed precision / recall / F1 (Bagga & Baldwin 1998): per claim, the
  share of its predicted narrative that has its label, and the share of its
  label's claims in its predicted narrative.
- pairwise precision / recall / F1 over pairs of claims from *different*
  stories (what an analyst reads as "the same claim in two outlets").
- narratives recovered: labelled propositions carried by >= 2 stories whose
  claims from >= 2 of those stories share one predicted narrative, and
  how many predicted multi-story narratives mix two propositions.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "eval" / "data" / "narrative_claims.jsonl"
CACHE = ROOT / "eval" / "_cache"

STAGES = ["clean", "split", "metadata", "language", "sentences", "entities", "quotes", "claims"]


def load_claims(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def make_stories(claims: list[dict]) -> list[dict]:
    """One story per (topic, outlet): its claims in file order, glued as one text, dated by the first."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for c in claims:
        groups[(c["topic"], c["outlet"])].append(c)
    stories = []
    for (topic, outlet), members in groups.items():
        text = " ".join(m["text"].strip().rstrip(".") + "." for m in members)
        stories.append({"id": hashlib.sha256(f"{topic}|{outlet}".encode()).hexdigest()[:12], "outlet": outlet,
                        "published": min(m["published"] for m in members), "text": text, "claims": members})
    return stories


def analyzed_store(stories: list[dict], cache: Path = CACHE) -> str:
    """Run the pipeline up to ``claims`` once per version of the data and code (cached in ``cache``;
    the key hashes the stories, the registered stage versions and every code and data file of the package)."""
    from propwatch import Pipeline, load_config
    from propwatch.registry import stages as registry

    versions = "|".join(registry.names())
    # the code and data files too: a stage's version is not bumped for every change (word lists, aliases)
    code = hashlib.sha256()
    for f in sorted((ROOT / "propwatch").rglob("*")):
        if f.is_file() and f.suffix in (".py", ".toml", ".txt", ".csv", ".json"):
            code.update(f.relative_to(ROOT).as_posix().encode() + f.read_bytes())
    key = hashlib.sha256((json.dumps(stories, sort_keys=True) + versions + code.hexdigest()).encode()).hexdigest()[:12]
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"narratives-{key}.duckdb"
    if path.exists():
        return str(path)
    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "stories.jsonl"
        feed.write_text("".join(json.dumps({k: s[k] for k in ("id", "outlet", "published", "text")}) + "\n"
                                for s in stories), "utf-8")
        part = str(path) + ".part"
        pipe = Pipeline(load_config(overrides={"store.path": part, "pipeline.stages": STAGES,
                                               "pipeline.update_narratives": False}))
        pipe.analyze([feed])
        pipe.store.close()
        Path(part).rename(path)
    return str(path)


def labelled_items(store_path: str, stories: list[dict]):
    """The linker's claim items with the label of the labelled claim each came from."""
    from propwatch.narratives.service import claim_items
    from propwatch.store import Store

    by_text = {s["text"]: s for s in stories}
    items, labels, topics = [], [], []
    with Store(store_path, read_only=True) as store:
        ids = [r[0] for r in store.con.execute("SELECT id FROM documents ORDER BY id").fetchall()]
        for doc in store.load(ids, layers=["claims"]):
            story = by_text.get(doc.text) or next((s for s in stories if s["text"].strip() == doc.text.strip()), None)
            if story is None:
                continue
            spans, pos = [], 0
            for c in story["claims"]:
                text = c["text"].strip().rstrip(".")
                start = doc.text.find(text, pos)
                if start < 0:
                    continue
                spans.append((start, start + len(text) + 1, c))
                pos = start
            for item, claim in zip(claim_items(doc), doc.layer("claims")):
                mid = (claim.start + claim.end) // 2
                owner = next((c for s, e, c in spans if s <= mid < e), None)
                if owner is None:
                    continue
                items.append(item)
                labels.append(owner["narrative"])
                topics.append(owner["topic"])
    return items, labels, topics


def link(items, vectors, params):
    from propwatch.narratives.linker import Linker
    from propwatch.narratives.verify import load_verifier

    linker = Linker(dim=vectors.shape[1], params=params, verifier=load_verifier(params.verifier))
    linker.add(items, vectors)
    where = {it.key: nid for it, nid in zip(linker.items, linker.narrative_of)}
    return [where[it.key] for it in items]


def scores(items, labels, predicted) -> dict[str, float]:
    n = len(items)
    by_pred: dict[str, list[int]] = defaultdict(list)
    by_gold: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        by_pred[predicted[i]].append(i)
        by_gold[labels[i]].append(i)
    bp = np.mean([sum(labels[j] == labels[i] for j in by_pred[predicted[i]]) / len(by_pred[predicted[i]]) for i in range(n)])
    br = np.mean([sum(predicted[j] == predicted[i] for j in by_gold[labels[i]]) / len(by_gold[labels[i]]) for i in range(n)])
    tp = fp = fn = 0
    for i, j in itertools.combinations(range(n), 2):
        if items[i].doc_id == items[j].doc_id:
            continue
        same_gold, same_pred = labels[i] == labels[j], predicted[i] == predicted[j]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    pp, pr = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    # recovered propositions and mixed narratives
    docs_of = defaultdict(set)
    for i in range(n):
        docs_of[labels[i]].add(items[i].doc_id)
    multi = [g for g, d in docs_of.items() if len(d) >= 2]
    recovered = 0
    for g in multi:
        per_pred = defaultdict(set)
        for i in by_gold[g]:
            per_pred[predicted[i]].add(items[i].doc_id)
        recovered += max(len(d) for d in per_pred.values()) >= 2
    mixed = sum(1 for members in by_pred.values()
                if len({items[i].doc_id for i in members}) >= 2 and len({labels[i] for i in members}) >= 2)
    multi_pred = sum(1 for members in by_pred.values() if len({items[i].doc_id for i in members}) >= 2)
    return {"b3_p": float(bp), "b3_r": float(br), "b3_f1": float(2 * bp * br / max(bp + br, 1e-9)),
            "pair_p": pp, "pair_r": pr, "pair_f1": 2 * pp * pr / max(pp + pr, 1e-9),
            "recovered": recovered, "propositions": len(multi), "mixed": mixed, "multi_story": multi_pred}


def fmt(s: dict) -> str:
    return (f"B3 P {s['b3_p']:.3f} R {s['b3_r']:.3f} F1 {s['b3_f1']:.3f} | cross-story pairs P {s['pair_p']:.3f} "
            f"R {s['pair_r']:.3f} F1 {s['pair_f1']:.3f} | recovered {s['recovered']}/{s['propositions']}, "
            f"mixed {s['mixed']}/{s['multi_story']} multi-story narratives")


def main(argv: list[str] | None = None) -> int:
    from propwatch.embeddings import get_embedder
    from propwatch.config import load_config
    from propwatch.narratives.service import link_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedder", default=None, help="embeddings backend (default: the configured one)")
    ap.add_argument("--tune", action="store_true", help="grid of linker settings")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a linker setting")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    claims = load_claims()
    stories = make_stories(claims)
    store_path = analyzed_store(stories)
    items, labels, topics = labelled_items(store_path, stories)
    params, configured = link_settings(load_config())
    for kv in args.set:
        k, v = kv.split("=", 1)
        params = replace(params, **{k: type(getattr(params, k))(v)})
    name = args.embedder or configured or "embeddings_onnx"
    vectors = get_embedder(name).embed([it.normalized for it in items])
    print(f"{len(claims)} labelled claims in {len(stories)} stories; the claims stage kept {len(items)} claims "
          f"({len(set(labels))} propositions, {len(set(topics))} topics); embedder {name}")
    base = scores(items, labels, link(items, vectors, params))
    print(f"settings {params}\n  {fmt(base)}")
    if args.tune:
        tune(items, labels, topics, vectors, params)
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


GRID = {
    "link_threshold": [0.6, 0.7],
    "same_story_min": [0.6, 0.7, 0.8, 0.9],
    "centroid_min": [0.45, 0.5, 0.55],
    "merge_min": [0.5, 0.6, 9.0],
    "w_predicate": [0.25, 0.5],
    "paraphrase_min": [0.0, 0.7],
}


def tune(items, labels, topics, vectors, params) -> None:
    """Every grid point on all claims; then the choice made on half the topics scored on the other half."""
    results = []
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        p = replace(params, **dict(zip(keys, values)))
        predicted = link(items, vectors, p)
        results.append((p, predicted))
    topic_list = sorted(set(topics))
    halves = [set(topic_list[0::2]), set(topic_list[1::2])]
    for h, (fit, held) in enumerate([(halves[0], halves[1]), (halves[1], halves[0])]):
        def sub(keep, predicted):
            idx = [i for i in range(len(items)) if topics[i] in keep]
            return scores([items[i] for i in idx], [labels[i] for i in idx], [predicted[i] for i in idx])
        best = max(results, key=lambda r: sub(fit, r[1])["b3_f1"])
        p = best[0]
        print(f"fold {h + 1}: chosen on {len(fit)} topics: {_grid_point(p)}\n  held-out topics: {fmt(sub(held, best[1]))}")
    ranked = sorted(results, key=lambda r: -scores(items, labels, r[1])["b3_f1"])[:8]
    for p, predicted in ranked:
        print(f"  all topics: {_grid_point(p)}: {fmt(scores(items, labels, predicted))}")


def _grid_point(p) -> str:
    return " ".join(f"{k} {getattr(p, k)}" for k in GRID)


if __name__ == "__main__":
    sys.exit(main())
