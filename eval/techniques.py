"""SemEval-2020 Task 11 measures, and the shipped technique model on our validation split.

Measures (Da San Martino et al., EMNLP 2019; SemEval-2020 Task 11):

- **SI** (span identification): predicted spans ``S`` and gold spans ``T``
  per article, overlapping spans of each side merged first;
  ``P = sum_{s,t} |s∩t|/|s| / |S|``, ``R = sum_{s,t} |s∩t|/|t| / |T|``,
  sums and counts over all articles, ``F1 = 2PR/(P+R)``.
- **TC** (technique classification): one predicted technique per gold
  (article, span, technique) row (from the span classifier when the model
  has one); micro-F1 = matched rows / rows (P = R = F1
  when every row gets one prediction), and per-technique F1.
- **Combined** (spans with techniques, the FLC measure of the EMNLP paper):
  the SI credit counted only between spans whose techniques match (each
  technique's spans merged on their own), micro over techniques, and per
  technique.

Spans are ``(article_id, start, end)`` with ``end`` exclusive, char offsets.

Run ``python eval/techniques.py`` from the repository root to score the
shipped model (``propwatch/models/techniques/``) on the held-out article ids
in ``eval/splits/ptc_val_ids.txt``; it reads ``../shared/data/ptc-train/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PTC_DIR = ROOT.parent / "shared" / "data" / "ptc-train"
SPLITS = ROOT / "eval" / "splits"

# ---------------------------------------------------------------- data


def load_ptc(root: Path = PTC_DIR):
    """Articles, SI spans and TC spans of the PTC training part.

    Returns ``(texts, si, tc)``: ``texts[id] = str``; ``si[id] = [(start, end)]``;
    ``tc[id] = [(technique, start, end)]``.
    """
    root = Path(root)
    texts: dict[str, str] = {}
    for path in sorted((root / "articles").glob("article*.txt")):
        aid = path.stem[len("article") :]
        # newline="" keeps \r\n as two chars, as the offsets count them
        with open(path, encoding="utf-8", newline="") as fh:
            texts[aid] = fh.read()
    si: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for line in (root / "train-task1-SI.labels").read_text("utf-8").splitlines():
        if line.strip():
            aid, s, e = line.split("\t")
            si[aid].append((int(s), int(e)))
    tc: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for line in (root / "train-task2-TC.labels").read_text("utf-8").splitlines():
        if line.strip():
            aid, tech, s, e = line.split("\t")
            tc[aid].append((tech, int(s), int(e)))
    return texts, dict(si), dict(tc)


def read_ids(name: str) -> list[str]:
    return [x.strip() for x in (SPLITS / name).read_text("utf-8").split() if x.strip()]


# ---------------------------------------------------------------- measures


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping spans (touching spans stay apart); drop empty ones."""
    out: list[list[int]] = []
    for s, e in sorted((s, e) for s, e in spans if e > s):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _credit(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> float:
    """sum over a, b of |x∩y| / |x| for x in a (both sorted, merged)."""
    total = 0.0
    j0 = 0
    for s, e in a:
        while j0 < len(b) and b[j0][1] <= s:
            j0 += 1
        j = j0
        while j < len(b) and b[j][0] < e:
            inter = min(e, b[j][1]) - max(s, b[j][0])
            if inter > 0:
                total += inter / (e - s)
            j += 1
    return total


def _prf(p_num: float, p_den: int, r_num: float, r_den: int) -> dict[str, float]:
    p = p_num / p_den if p_den else 0.0
    r = r_num / r_den if r_den else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "n_pred": p_den, "n_gold": r_den}


def si_scores(pred: dict[str, list[tuple[int, int]]], gold: dict[str, list[tuple[int, int]]]) -> dict[str, float]:
    """SI P/R/F1 with partial-overlap credit over the articles in ``gold`` ∪ ``pred``."""
    p_num = r_num = 0.0
    p_den = r_den = 0
    for aid in set(gold) | set(pred):
        s = merge_spans(pred.get(aid, ()))
        t = merge_spans(gold.get(aid, ()))
        p_num += _credit(s, t)
        r_num += _credit(t, s)
        p_den += len(s)
        r_den += len(t)
    return _prf(p_num, p_den, r_num, r_den)


def combined_scores(
    pred: dict[str, list[tuple[str, int, int]]], gold: dict[str, list[tuple[str, int, int]]]
) -> dict:
    """Spans with techniques: SI credit only where techniques match; micro and per technique."""
    per: dict[str, list[float]] = defaultdict(lambda: [0.0, 0, 0.0, 0])
    for aid in set(gold) | set(pred):
        by_p: dict[str, list] = defaultdict(list)
        by_g: dict[str, list] = defaultdict(list)
        for tech, s, e in pred.get(aid, ()):
            by_p[tech].append((s, e))
        for tech, s, e in gold.get(aid, ()):
            by_g[tech].append((s, e))
        for tech in set(by_p) | set(by_g):
            s = merge_spans(by_p.get(tech, ()))
            t = merge_spans(by_g.get(tech, ()))
            acc = per[tech]
            acc[0] += _credit(s, t)
            acc[1] += len(s)
            acc[2] += _credit(t, s)
            acc[3] += len(t)
    micro = [sum(v[i] for v in per.values()) for i in range(4)]
    return {
        "micro": _prf(micro[0], int(micro[1]), micro[2], int(micro[3])),
        "per_technique": {k: _prf(v[0], int(v[1]), v[2], int(v[3])) for k, v in sorted(per.items())},
    }


def tc_scores(pred: dict[tuple[str, int, int], list[str]], gold: dict[str, list[tuple[str, int, int]]]) -> dict:
    """TC micro-F1 and per-technique F1 on gold spans.

    ``pred[(article_id, start, end)]`` ranks techniques for that gold span;
    a span labelled with k techniques gets the top k predictions, matched
    as multisets (the official scorer's handling of repeated spans).
    """
    tp: Counter = Counter()
    n_pred: Counter = Counter()
    n_gold: Counter = Counter()
    groups: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for aid, rows in gold.items():
        for tech, s, e in rows:
            groups[(aid, s, e)].append(tech)
    for key, techs in groups.items():
        ranked = list(pred.get(key, ()))[: len(techs)]
        g = Counter(techs)
        p = Counter(ranked)
        for tech, n in (g & p).items():
            tp[tech] += n
        n_pred.update(p)
        n_gold.update(g)
    per = {}
    for tech in sorted(set(n_gold) | set(n_pred)):
        per[tech] = _prf(tp[tech], n_pred[tech], tp[tech], n_gold[tech])
    micro = _prf(sum(tp.values()), sum(n_pred.values()), sum(tp.values()), sum(n_gold.values()))
    return {"micro": micro, "per_technique": per}


# ---------------------------------------------------------------- the shipped model


def predict_articles(tagger, texts: dict[str, str], gold_tc: dict[str, list[tuple[str, int, int]]], scored=None):
    """Run ``tagger`` (a :class:`propwatch.techniques.stage.TechniqueTagger`) on articles.

    Returns SI predictions, combined predictions and TC rankings for the gold
    spans (the span classifier's when the model has one). ``scored`` (the
    backend's token scores, in sorted id order) skips the tagger run, to
    compare decodings.
    """
    si_pred: dict[str, list[tuple[int, int]]] = {}
    comb_pred: dict[str, list[tuple[str, int, int]]] = {}
    tc_pred: dict[tuple[str, int, int], list[str]] = {}
    ids = sorted(texts)
    if scored is None:
        scored = tagger.score([texts[a] for a in ids])
    id_texts = [texts[a] for a in ids]
    parses = None
    if tagger.settings.get("phrases"):
        from propwatch.who.nlp import load_pipeline

        parses = list(load_pipeline("auto").pipe(id_texts, batch_size=8))
    gold_spans = [sorted({(s, e) for _t, s, e in gold_tc.get(aid, ())}) for aid in ids]
    ranked = tagger.rank_spans(id_texts, scored, gold_spans)
    for aid, spans, spans_gold, ranks in zip(ids, tagger.tag_scored(id_texts, scored, parses), gold_spans, ranked):
        si_pred[aid] = [(sp.start, sp.end) for sp in spans]
        comb_pred[aid] = [(sp.technique, sp.start, sp.end) for sp in spans]
        for (s, e), rank in zip(spans_gold, ranks):
            tc_pred[(aid, s, e)] = rank
    return si_pred, comb_pred, tc_pred


def evaluate(tagger, texts, si, tc, scored=None, seconds: float | None = None) -> dict:
    t0 = time.perf_counter()
    si_pred, comb_pred, tc_pred = predict_articles(tagger, texts, tc, scored)
    seconds = seconds if seconds is not None else time.perf_counter() - t0
    words = sum(len(t.split()) for t in texts.values())
    return {
        "articles": len(texts),
        "si": si_scores(si_pred, {a: si.get(a, []) for a in texts}),
        "tc": tc_scores(tc_pred, {a: tc.get(a, []) for a in texts}),
        "combined": combined_scores(comb_pred, {a: tc.get(a, []) for a in texts}),
        "words_per_second": words / seconds if seconds else 0.0,
    }


def format_report(res: dict) -> str:
    si, tc, comb = res["si"], res["tc"], res["combined"]
    lines = [
        f"articles: {res['articles']}",
        f"SI   P {si['precision']:.4f}  R {si['recall']:.4f}  F1 {si['f1']:.4f}  "
        f"(pred {si['n_pred']}, gold {si['n_gold']})",
        f"TC   micro-F1 {tc['micro']['f1']:.4f}  (gold spans {tc['micro']['n_gold']})",
        f"SI+TC combined  P {comb['micro']['precision']:.4f}  R {comb['micro']['recall']:.4f}  "
        f"F1 {comb['micro']['f1']:.4f}",
        "",
        f"{'technique':38s} {'gold':>5s} {'TC F1':>7s} {'comb F1':>8s}",
    ]
    for tech in sorted(set(tc["per_technique"]) | set(comb["per_technique"])):
        t = tc["per_technique"].get(tech, {"f1": 0.0, "n_gold": 0})
        c = comb["per_technique"].get(tech, {"f1": 0.0})
        lines.append(f"{tech:38s} {t['n_gold']:5d} {t['f1']:7.4f} {c['f1']:8.4f}")
    lines.append("")
    lines.append(f"speed: {res['words_per_second']:.0f} words/s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--file", default=None, help="ONNX file in the model directory")
    ap.add_argument("--split", default="ptc_val_ids.txt", help="id list in eval/splits/")
    ap.add_argument("--data", default=str(PTC_DIR))
    ap.add_argument("--json", default=None, help="also write the scores here")
    ap.add_argument("--no-classifier", action="store_true", help="techniques from the tagger's token scores only")
    ap.add_argument("--no-phrases", action="store_true", help="token runs as they are (no phrase boundaries)")
    ap.add_argument("--no-split-sentences", action="store_true", help="runs may bridge sentences")
    ap.add_argument("--min-score", type=float, default=None, help="drop spans scored below this")
    ap.add_argument("--scores", default=None, help="pickle of the tagger's token scores for this split (made when absent)")
    args = ap.parse_args(argv)
    if not Path(args.data).is_dir():
        print(f"no PTC data at {args.data}", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    from propwatch.techniques.stage import TechniqueTagger

    texts, si, tc = load_ptc(Path(args.data))
    ids = read_ids(args.split)
    texts = {a: texts[a] for a in ids}
    backend_cfg = {}
    if args.model:
        backend_cfg["model"] = args.model
    if args.file:
        backend_cfg["file"] = args.file
    if args.no_classifier:
        backend_cfg["classifier"] = False
    if args.no_phrases:
        backend_cfg["phrases"] = False
    if args.no_split_sentences:
        backend_cfg["split_sentences"] = False
    if args.min_score is not None:
        backend_cfg["min_score"] = args.min_score
    tagger = TechniqueTagger.from_config(backend_cfg)
    scored = None
    if args.scores and Path(args.scores).exists():
        import pickle

        scored = pickle.loads(Path(args.scores).read_bytes())
    elif args.scores:
        import pickle

        scored = tagger.score([texts[a] for a in sorted(texts)])
        Path(args.scores).write_bytes(pickle.dumps(scored))
    res = evaluate(tagger, texts, si, tc, scored)
    print(format_report(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
