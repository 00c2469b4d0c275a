"""How well the article risk score separates labelled articles.

    python eval/assessment.py [--limit 300] [--stages default]

Runs the configured pipeline over the article-level corpora in
../shared/data/article-labels/ (SemEval-2019 Task 4 hyperpartisan
by-article training set; Horne & Adali 2017 Buzzfeed and random political
news, fake vs real) into a throwaway store, and prints ROC AUC of the
`assessment` score, and of each factor's weight, against the labels. The
score is not trained on these labels: this measures whether the analyst-set
weights rank propaganda-like articles first.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "article-labels"


def roc_auc(scores: list[float], labels: list[int]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pairs = sorted(zip(scores, labels))
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + j + 1) / 2
        rank_sum += avg_rank * sum(label for _, label in pairs[i:j])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def hyperpartisan(limit: int) -> list[dict]:
    truth = {a.get("id"): a.get("hyperpartisan") == "true"
             for a in ET.parse(DATA / "ground-truth-training-byarticle-20181122.xml").getroot()}
    records = []
    for article in ET.parse(DATA / "articles-training-byarticle-20181122.xml").getroot():
        paragraphs = [" ".join("".join(p.itertext()).split()) for p in article.iter("p")]
        text = "\n\n".join([article.get("title", "")] + [p for p in paragraphs if p])
        records.append({"id": f"hp-{article.get('id')}", "text": text, "label": int(truth[article.get("id")])})
    return _sample(records, limit)


def horne(limit: int) -> list[dict]:
    records = []
    for dataset in ("Buzzfeed Political News Dataset", "Random Poltical News Dataset"):
        for label_name, label in (("Fake", 1), ("Real", 0)):
            folder = DATA / "horne2017" / dataset / label_name
            for path in sorted(folder.glob("*.txt")):
                body = path.read_text("utf-8", errors="replace").strip()
                title_path = DATA / "horne2017" / dataset / f"{label_name}_titles" / path.name
                title = title_path.read_text("utf-8", errors="replace").strip() if title_path.exists() else ""
                records.append({"id": f"ho-{dataset[:3]}-{label_name}-{path.stem}", "text": f"{title}\n\n{body}", "label": label})
    return _sample(records, limit)


def _sample(records: list[dict], limit: int) -> list[dict]:
    if limit and len(records) > limit:
        random.Random(13).shuffle(records)
        records = records[:limit]
    return records


def evaluate(name: str, records: list[dict], stages: list[str] | None) -> None:
    from propwatch import Pipeline, load_config

    with tempfile.TemporaryDirectory() as tmp:
        feed = Path(tmp) / "feed.jsonl"
        feed.write_text("\n".join(json.dumps({"id": r["id"], "text": r["text"]}) for r in records), "utf-8")
        overrides = {"store.path": str(Path(tmp) / "e.duckdb")}
        if stages:
            overrides["pipeline.stages"] = stages
        pipeline = Pipeline(load_config(overrides=overrides))
        if "assessment" not in [s.name for s in pipeline.stages]:
            raise SystemExit("the pipeline has no assessment stage")
        pipeline.analyze([feed])
        labels_by_id = {r["id"]: r["label"] for r in records}
        scores, labels = [], []
        factors: dict[str, list[float]] = defaultdict(list)
        for doc in pipeline.store.iter_documents():
            input_id = doc.signals.input_id
            if input_id not in labels_by_id or not doc.layer("assessment"):
                continue
            a = doc.layer("assessment")[0]
            scores.append(a.score)
            labels.append(labels_by_id[input_id])
            weights = {r.factor: r.weight for r in a.reasons}
            for factor in ("techniques", "anonymous_sources", "unsourced_claims", "debunked", "outlet", "evidence_claims", "self_citation"):
                factors[factor].append(weights.get(factor, 0.0))
    print(f"\n{name}: {len(labels)} articles, {sum(labels)} positive")
    print(f"  risk score ROC AUC      {roc_auc(scores, labels):.3f}")
    mean_pos = sum(s for s, y in zip(scores, labels) if y) / max(1, sum(labels))
    mean_neg = sum(s for s, y in zip(scores, labels) if not y) / max(1, len(labels) - sum(labels))
    print(f"  mean score pos / neg    {mean_pos:.3f} / {mean_neg:.3f}")
    for factor, values in factors.items():
        if any(values):
            print(f"  factor {factor:<18} AUC {roc_auc(values, labels):.3f}  (applies to {sum(1 for v in values if v)} articles)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="articles per corpus (0: all)")
    parser.add_argument("--stages", default="default", help="comma-separated stages, or 'default' for the configured pipeline")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is not present")
    stages = None if args.stages == "default" else args.stages.split(",")
    evaluate("SemEval-2019 hyperpartisan (by article)", hyperpartisan(args.limit), stages)
    evaluate("Horne & Adali 2017 fake vs real", horne(args.limit), stages)


if __name__ == "__main__":
    main()
