"""How the candidate pairs of eval/data/debunk_news/ were drawn (run once, before labelling).

    nice -n 10 python eval/debunk_news_candidates.py --out /tmp/debunk_news_pool.jsonl

Articles: the topical ones of eval/debunk_news_corpus.py (at least ``--min-hits`` mentions
of the post-Soviet / Syrian / Turkish / EU information space), all seeds. Sentences: the
pipeline's splitter (``propwatch.ingest.sentences.split_sentences``), at least 6 words, naming a topic
word or an oil / attack / casualty word (all sentences of the seeds).
Pairs pooled from (the ``pool`` field, never shown while labelling):

- ``bm25``: each sentence's BM25 top case (normalised score), the strongest pairs overall;
- ``dense``: each sentence's embedding top case, the strongest pairs overall;
- ``system``: what the shipped stage logic keeps as "match" or "related" (index defaults);
- ``neighbour``: random sentences with a random one of their BM25 top 10;
- ``hard``: sentences on oil, chemical attacks, casualties and strikes with their fused top case.

The pool file holds texts (for the labeller's eyes only, under /tmp); the committed gold
keeps ids, offsets and labels.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import debunk_news_corpus as corpus  # noqa: E402

TOPIC = re.compile(
    r"\b(Russia\w*|Putin|Kremlin|Syria\w*|Assad|Ukrain\w*|Crimea|NATO|ISIS|ISIL|Daesh|Islamic State|Turk\w+|Erdogan|"
    r"MH17|Moscow|Lavrov|Soros|Brussels|Merkel|chemical|Aleppo|Donbas\w*|Kiev|Kyiv|Poroshenko|White Helmets|Baltic|"
    r"Iran\w*|Hezbollah|Sputnik|refugees?|migrants?|EU|European Union)\b")
HARD = re.compile(r"\b(oil|chemical|sarin|gas attack|killed|casualt\w+|airstrikes?|air strikes?|bomb\w*|civilians)\b", re.I)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/debunk_news_pool.jsonl")
    ap.add_argument("--min-hits", type=int, default=4)
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    from propwatch.ingest.sentences import split_sentences

    rng = random.Random(args.seed)
    arts = corpus.load_articles()
    chosen = [a for a, t in arts.items() if a.startswith("seed:") or len(TOPIC.findall(t)) >= args.min_hits]
    cases = corpus.load_cases()
    cids = list(cases)
    sents = []
    for a in chosen:
        t = arts[a]
        for s, e, _p in split_sentences(t):
            if len(t[s:e].split()) >= 6 and (a.startswith("seed:") or TOPIC.search(t[s:e]) or HARD.search(t[s:e])):
                sents.append((a, s, e, t[s:e]))
    print(f"{len(chosen)} articles, {len(sents)} sentences, {len(cids)} cases", file=sys.stderr)
    texts = [x[3] for x in sents]
    index = corpus.build_index(cases)  # the shipped defaults: embedder, reranker, no cross-encoder
    print("case vectors ready", file=sys.stderr)
    bm = index.bm25
    pool: dict[tuple, set[str]] = {}

    def add(i: int, case: str, tag: str) -> None:
        a, s, e, _ = sents[i]
        pool.setdefault((a, s, e, case), set()).add(tag)

    bm_top, bm_val, bm_top10 = [], [], []
    for q in texts:
        sc = bm.scores(q) / bm.max_score(q)
        order = np.argsort(-sc)[:10]
        bm_top.append(order[0]); bm_val.append(sc[order[0]]); bm_top10.append(order)
    for i in np.argsort(-np.asarray(bm_val))[:170]:
        add(int(i), cids[bm_top[i]], "bm25")
    dense = index.embedder.embed(texts) @ index.vectors.T
    dtop = dense.argmax(1)
    dval = dense.max(1)
    for i in np.argsort(-dval)[:120]:
        add(int(i), cids[dtop[i]], "dense")
    results = index.search_many(texts, k=3)
    threshold = index.threshold
    for i, cands in enumerate(results):
        kept = [m for m in cands if m.score >= threshold and m.fused >= 0.3]
        for m in kept:
            add(i, m.debunk.id, "system")
        if not kept and cands and cands[0].score >= 0.3 and cands[0].fused >= 0.28:
            add(i, cands[0].debunk.id, "system")
    for i in rng.sample(range(len(texts)), 60):
        add(i, cids[int(rng.choice(bm_top10[i]))], "neighbour")
    hard = [i for i, q in enumerate(texts) if HARD.search(q)]
    for i in rng.sample(hard, min(90, len(hard))):
        if results[i]:
            add(i, results[i][0].debunk.id, "hard")
    rows = [dict(article=k[0], start=k[1], end=k[2], case=k[3], pool=sorted(v)) for k, v in pool.items()]
    rng.shuffle(rows)
    with open(args.out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    print(f"{len(rows)} pairs -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
