"""Debunk matching on real news: the news sentence <-> EUvsDisinfo set (eval/data/debunk_news/).

    nice -n 10 python eval/debunk_news.py                 # tune and validation: match P/R, article relation
    nice -n 10 python eval/debunk_news.py --no-checks     # the same without the precision checks (the old stage)
    nice -n 10 python eval/debunk_news.py --show          # also each predicted match with its gold label

Runs the ``debunk_matches`` stage (shipped settings, sentence source: the claims stage is
left out, see the README) over the gold articles, against the cases of
``../shared/data/euvsdisinfo-cases/cases-2015-2017.csv`` (cases with the same summary are
one case). A predicted *match* is right when the gold pair (same sentence, same case) says
*same claim*; a predicted match on a pair the gold does not hold is counted as unjudged and
reported beside precision. Recall is over the gold *same claim* pairs. The article relation
is scored on the gold same-claim pairs the stage matched, and ``counts_against`` against
gold (same claim and carries). Prints figures only; needs ../shared/data (skips otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import debunk_news_corpus as corpus  # noqa: E402

GOLD = Path(__file__).resolve().parent / "data" / "debunk_news"


def load_gold(split: str) -> list[dict]:
    path = GOLD / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def case_groups(cases: dict[str, dict]) -> dict[str, str]:
    """case id -> the first case id with the same summary (duplicated cases are one case)."""
    first: dict[str, str] = {}
    out = {}
    for cid, row in cases.items():
        key = " ".join(row["summary"].split()).casefold()
        out[cid] = first.setdefault(key, cid)
    return out


def predict(article_ids: list[str], index, checks: bool) -> list[tuple[str, object]]:
    from propwatch.debunks.stage import DebunkMatchStage
    from propwatch.ingest.sentences import SentenceStage
    from propwatch.records import Document

    arts = corpus.load_articles()
    docs = [Document(text=arts[a], source=a, language="en") for a in article_ids]
    docs = SentenceStage()(docs)
    stage = DebunkMatchStage({"precision_checks": checks, "source": "sentences"}, index=index)
    out = []
    for a, doc in zip(article_ids, stage(docs)):
        out.extend((a, m) for m in doc.layer("debunk_matches"))
    return out


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(split: str, gold: list[dict], preds, groups, show: bool) -> None:
    by_article: dict[str, list[dict]] = {}
    for g in gold:
        by_article.setdefault(g["article"], []).append(g)
    tp = fp = unjudged = 0
    fp_related = 0
    found = set()
    rel_pairs = []
    counts_tp = counts_fp = 0
    related_pred = Counter()
    for a, m in preds:
        grp = groups.get(m.debunk_id, m.debunk_id)
        hits = [g for g in by_article.get(a, []) if groups.get(g["case"], g["case"]) == grp
                and overlaps((g["start"], g["end"]), (m.start, m.end))]
        label = hits[0]["label"] if hits else None
        if m.relation != "match":
            related_pred[label or "unjudged"] += 1
            continue
        if label is None:
            unjudged += 1
        elif label == "same":
            tp += 1
            found.add(id(hits[0]))
            if hits[0].get("article_relation"):
                rel_pairs.append((hits[0]["article_relation"], m.article_relation))
        else:
            fp += 1
            fp_related += label == "related"
        if m.counts_against:
            if label == "same" and hits[0].get("article_relation") == "carries":
                counts_tp += 1
            elif label is not None:
                counts_fp += 1
        if show:
            print(f"  {split} {a} {m.start}-{m.end} {m.debunk_id} gold={label} rel={m.article_relation} "
                  f"gold_rel={hits[0].get('article_relation') if hits else None} score={m.score:.3f}")
    pos = [g for g in gold if g["label"] == "same"]
    n_carries = sum(1 for g in pos if g.get("article_relation") == "carries")
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = len(found) / len(pos) if pos else float("nan")
    print(f"{split}: {len({g['article'] for g in gold})} articles, {len(gold)} pairs "
          f"({len(pos)} same, {sum(g['label'] == 'related' for g in gold)} related)")
    print(f"  match: precision {prec:.3f} ({tp}/{tp + fp}; {fp_related} of the wrong ones are 'related' in the gold), "
          f"recall {rec:.3f} ({len(found)}/{len(pos)}), unjudged matches {unjudged}")
    print(f"  related tier (never counted): {dict(related_pred)}")
    if rel_pairs:
        acc = sum(a == b for a, b in rel_pairs) / len(rel_pairs)
        print(f"  article relation on matched same-claim pairs: accuracy {acc:.3f} ({len(rel_pairs)}): "
              f"{dict(Counter(f'{a}->{b}' for a, b in rel_pairs))}")
    cp = counts_tp / (counts_tp + counts_fp) if counts_tp + counts_fp else float("nan")
    cr = counts_tp / n_carries if n_carries else float("nan")
    print(f"  counts_against: precision {cp:.3f} ({counts_tp}/{counts_tp + counts_fp}), recall {cr:.3f} "
          f"({counts_tp}/{n_carries} gold same+carries)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-checks", action="store_true", help="the stage without the precision checks")
    ap.add_argument("--split", default="tune,validation")
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    if not corpus.available() or not (GOLD / "tune.jsonl").exists():
        print("skipped: ../shared/data or eval/data/debunk_news/ is missing")
        return 0
    cases = corpus.load_cases()
    groups = case_groups(cases)
    index = corpus.build_index(cases)
    for split in args.split.split(","):
        gold = load_gold(split)
        articles = sorted({g["article"] for g in gold})
        preds = predict(articles, index, checks=not args.no_checks)
        score(split, gold, preds, groups, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
