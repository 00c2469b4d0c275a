"""Debunk matches of the shipped pipeline on real news it was never tuned on (eval/data/debunk_news/shipped.jsonl).

    nice -n 10 python eval/debunk_news_shipped.py            # run the pipeline, score its matches (tune, validation, all)
    nice -n 10 python eval/debunk_news_shipped.py --show     # also every match and related pair with its label
    nice -n 10 python eval/debunk_news_shipped.py --pool /tmp/debunk_shipped_pool.jsonl   # how the pairs were drawn

``eval/debunk_news.py`` scores the matching stage on the sentences of the articles its
checks were tuned on, against one EUvsDisinfo file. This script measures what a user gets:
both EUvsDisinfo exports imported (``propwatch debunks import``, 11,621 cases), the stories
analysed by ``propwatch analyze`` with the stages matching needs (cleaning, sentences,
entities, quotes, claims, ``debunk_matches`` with its shipped settings: it matches the
story's check-worthy claims), on articles that are in no tune or validation pair of
``eval/debunk_news.py``:

- every article of PTC train, SemEval-2019 hyperpartisan and Horne & Adali 2017 outside that
  gold that names the post-Soviet / Syrian / Turkish / EU information space at least once
  (the ``TOPIC`` words of ``eval/debunk_news_candidates.py``), and
- a fixed random 100 of those that name it nowhere (US politics, health, crime: where a wrong
  match on a 2018-2021 case would show).

Pairs (``--pool``, drawn once, then labelled by reading, blind to pool and scores): every
pair the stage keeps as *match* or *related*, and for the claims the stage read, the 150
strongest top candidates by fused score and a random 60 of the others' top candidates
(these say what the stage misses). The labels in ``shipped.jsonl`` follow
``eval/data/debunk_news/README.md`` (``same`` / ``related`` / ``unrelated``, the article
relation for ``same``); an article is ``<corpus id>`` as in ``eval/debunk_news_corpus.py``,
offsets point into that text, a case is ``<export file>:<line>`` (the CSV line of its first
row). Split by article as the README says (sha256 of the id mod 5 < 2: validation, 61 articles,
3 same-claim pairs; tune: 81 articles, 5 same). The matches on the tune part were read to design
the checks of stage v7; the validation part was not read.

Scoring: precision of *match* over the labelled pairs (every match the stage makes on these
articles is in the pool, so none is unjudged unless the stage changed since), of
``counts_against`` (what the risk score may count), of the *related* tier, and recall of
*match* over the labelled ``same`` pairs. Needs ../shared/data (skips otherwise).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import debunk_news_corpus as corpus  # noqa: E402

GOLD = Path(__file__).resolve().parent / "data" / "debunk_news"
EXPORTS = [corpus.DATA / "euvsdisinfo-cases" / "cases-2015-2017.csv",
           corpus.DATA / "euvsdisinfo-cases" / "claims-outlets-2015-2021.csv"]
STAGES = ["clean", "split", "metadata", "language", "sentences", "coverage",
          "entities", "quotes", "claims", "debunk_matches"]


def choose_articles(arts: dict[str, str], seed: int = 12) -> list[str]:
    from debunk_news_candidates import TOPIC

    tuned = set()
    for split in ("tune", "validation"):
        for line in (GOLD / f"{split}.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                tuned.add(json.loads(line)["article"])
    rest = [a for a in sorted(arts) if a not in tuned and not a.startswith("seed:")]
    topical = [a for a in rest if TOPIC.search(arts[a])]
    other = [a for a in rest if not TOPIC.search(arts[a])]
    return sorted(topical + random.Random(seed).sample(other, min(100, len(other))))


def run_pipeline(articles: list[str], arts: dict[str, str], work: Path) -> tuple[list[dict], Path]:
    """``propwatch debunks import`` of both exports and ``propwatch analyze`` of the articles (JSONL input)."""
    store = work / "store.duckdb"
    inputs = work / "articles.jsonl"
    with inputs.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps({"id": a, "text": arts[a]}) + "\n")
    (work / "propwatch.toml").write_text(
        "[pipeline]\nupdate_narratives = false\nstages = [" + ", ".join(f'"{s}"' for s in STAGES) + "]\n", "utf-8")
    cli = [sys.executable, "-m", "propwatch"]
    if not store.exists():
        subprocess.run([*cli, "debunks", "import", *map(str, EXPORTS), "--store", str(store)],
                       check=True, cwd=work, stdout=subprocess.DEVNULL)
    out = work / "records.jsonl"
    subprocess.run([*cli, "analyze", str(inputs), "--store", str(store), "--format", "jsonl", "--output", str(out),
                    "--quiet"], check=True, cwd=work)
    return [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()], store


def case_keys(store: Path) -> tuple[dict[str, str], dict[str, str]]:
    """debunk id -> '<export file>:<line>' of its first row, and -> the case every id with the same claim shares."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    prov = con.execute("SELECT debunk_id, source_file, line FROM debunk_provenance ORDER BY imported_at, line").fetchall()
    claims = con.execute("SELECT id, claim FROM debunks").fetchall()
    con.close()
    key: dict[str, str] = {}
    for did, src, line in prov:
        key.setdefault(did, f"{Path(src).name}:{line}")
    first: dict[str, str] = {}
    group = {}
    for did, claim in sorted(claims, key=lambda r: key.get(r[0], r[0])):
        group[did] = first.setdefault(" ".join(claim.split()).casefold(), key.get(did, did))
    return key, group


def locate(text: str, span: str, hint: int) -> tuple[int, int] | None:
    """The span's offsets in the corpus text (the stored story is the cleaned text: offsets move)."""
    if not span:
        return None
    at = text.find(span, max(0, hint - 2000))
    if at < 0:
        at = text.find(span)
    return (at, at + len(span)) if at >= 0 else None


def matches(records: list[dict], arts: dict[str, str], key: dict[str, str]) -> list[dict]:
    out = []
    for r in records:
        a = r.get("external_id")
        text = arts.get(a, "")
        for m in r.get("debunk_matches") or []:
            where = locate(text, m.get("text") or "", int(m.get("start") or 0))
            if where is None:
                continue
            out.append(dict(article=a, start=where[0], end=where[1], case=key.get(m["debunk_id"], m["debunk_id"]),
                            relation=m["relation"], article_relation=m.get("article_relation"),
                            counts_against=bool(m.get("counts_against")), score=m.get("score"), fused=m.get("fused")))
    return out


def draw_pool(records, arts, store: Path, key, found: list[dict], out: Path, seed: int = 12) -> None:
    """The pairs to label: the stage's own, plus top candidates of the claims it read."""
    from propwatch.debunks.db import DebunkDB
    from propwatch.debunks.search import DebunkIndex
    from propwatch.embeddings import get_embedder
    from propwatch.store import Store

    with Store(store, read_only=True) as st:
        # as the stage builds it: the shipped embedder and reranker, no cross-encoder
        index = DebunkIndex.from_db(DebunkDB(st), embedder=get_embedder("auto"), cross_encoder=None)
    pool: dict[tuple, set[str]] = {}
    for m in found:
        pool.setdefault((m["article"], m["start"], m["end"], m["case"]), set()).add("system")
    queries = []
    for r in records:
        a = r.get("external_id")
        claims = r.get("claims") or []
        for c in claims:
            if float(c.get("checkworthiness") or 0) >= 0.5:
                where = locate(arts[a], c.get("text") or "", int(c.get("start") or 0))
                if where:
                    queries.append((a, where, c.get("normalized") or c["text"]))
    results = index.search_many([q[2] for q in queries], k=1)
    top = [(res[0].fused, i, res[0].debunk.id) for i, res in enumerate(results) if res]
    top.sort(reverse=True)
    for _, i, did in top[:150]:
        a, (s, e), _ = queries[i]
        pool.setdefault((a, s, e, key.get(did, did)), set()).add("strongest")
    rng = random.Random(seed)
    for _, i, did in rng.sample(top[150:], min(60, max(0, len(top) - 150))):
        a, (s, e), _ = queries[i]
        pool.setdefault((a, s, e, key.get(did, did)), set()).add("random")
    rows = [dict(article=k[0], start=k[1], end=k[2], case=k[3], pool=sorted(v)) for k, v in pool.items()]
    rng.shuffle(rows)
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    print(f"{len(queries)} claims read, {len(rows)} pairs -> {out}", file=sys.stderr)


def in_split(article: str, split: str) -> bool:
    """The README's split by article: sha256 of the id mod 5 < 2 is validation."""
    val = int(hashlib.sha256(article.encode("utf-8")).hexdigest(), 16) % 5 < 2
    return val if split == "validation" else not val


def score(split: str, gold: list[dict], found: list[dict], group: dict[str, str], show: bool) -> None:
    def grp(case: str) -> str:
        return group.get(case, case)

    labelled = {}
    for g in gold:
        labelled.setdefault((g["article"], grp(g["case"])), []).append(g)

    def label_of(m):
        for g in labelled.get((m["article"], grp(m["case"])), []):
            if g["start"] < m["end"] and m["start"] < g["end"]:
                return g
        return None

    tally = Counter()
    hit = set()
    for m in found:
        g = label_of(m)
        lab = g["label"] if g else "unjudged"
        tally[(m["relation"], lab)] += 1
        if m["relation"] == "match" and lab == "same":
            hit.add(id(g))
        if m["counts_against"]:
            ok = g is not None and lab == "same" and g.get("article_relation") == "carries"
            tally[("counts_against", "right" if ok else ("unjudged" if g is None else "wrong"))] += 1
        if show:
            print(f"  {m['relation']:7} {m['article']} {m['start']}-{m['end']} {m['case']} gold={lab} "
                  f"rel={m['article_relation']} gold_rel={g.get('article_relation') if g else None} "
                  f"score={m['score']} fused={m['fused']}")
    same = [g for g in gold if g["label"] == "same"]
    n_match = sum(v for (r, lab), v in tally.items() if r == "match" and lab != "unjudged")
    right = tally[("match", "same")]
    print(f"{split}: shipped pipeline, {len({g['article'] for g in gold})} articles with labelled pairs, {len(gold)} pairs "
          f"({len(same)} same, {sum(g['label'] == 'related' for g in gold)} related)")
    prec = right / n_match if n_match else float("nan")
    print(f"  match: precision {prec:.3f} ({right}/{n_match}; {tally[('match', 'related')]} of the wrong ones 'related' "
          f"in the gold), recall {len(hit) / len(same) if same else float('nan'):.3f} ({len(hit)}/{len(same)}), "
          f"unjudged {tally[('match', 'unjudged')]}")
    n_rel = sum(v for (r, lab), v in tally.items() if r == "related" and lab != "unjudged")
    good_rel = tally[("related", "same")] + tally[("related", "related")]
    print(f"  related tier (never counted): {good_rel}/{n_rel} same or related in the gold "
          f"({tally[('related', 'same')]} same, {tally[('related', 'related')]} related, "
          f"{tally[('related', 'unrelated')]} unrelated), unjudged {tally[('related', 'unjudged')]}")
    ca = tally[("counts_against", "right")] + tally[("counts_against", "wrong")]
    print(f"  counts_against: precision {tally[('counts_against', 'right')] / ca if ca else float('nan'):.3f} "
          f"({tally[('counts_against', 'right')]}/{ca}), unjudged {tally[('counts_against', 'unjudged')]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pool", type=Path, help="draw the pairs to label into this file (texts: keep it under /tmp)")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--split", default="tune,validation,all", help="tune, validation (by article, as in the README), all")
    ap.add_argument("--work", type=Path, help="keep the store and records here (default: a temporary folder)")
    args = ap.parse_args()
    if not corpus.available() or not all(p.exists() for p in EXPORTS):
        print("skipped: ../shared/data is missing")
        return 0
    arts = corpus.load_articles()
    articles = choose_articles(arts)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"{len(articles)} articles; running the pipeline in {work}", file=sys.stderr)
        records, store = run_pipeline(articles, arts, work)
        key, group = case_keys(store)
        found = matches(records, arts, key)
        if args.pool:
            draw_pool(records, arts, store, key, found, args.pool)
            return 0
        gold_path = GOLD / "shipped.jsonl"
        if not gold_path.exists():
            print(f"no labels yet ({gold_path}); draw the pool with --pool")
            return 0
        gold = [json.loads(line) for line in gold_path.read_text("utf-8").splitlines() if line.strip()]
        for split in args.split.split(","):
            part = [g for g in gold if split == "all" or in_split(g["article"], split)]
            score(split, part, [m for m in found if split == "all" or in_split(m["article"], split)], group, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
