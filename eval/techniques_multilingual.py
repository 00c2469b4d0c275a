"""Technique spans in six languages: a sentence-level linear baseline, per language (issue 16).

    nice -n 5 python eval/techniques_multilingual.py               # every language
    python eval/techniques_multilingual.py --languages ru
    python eval/techniques_multilingual.py --shipped               # the shipped models (no scikit-learn)

``--shipped`` scores the models the techniques stage uses for ru, fr, de, it and pl
(``propwatch/models/techniques_multilingual/``, trained by ``train/techniques_multilingual.py``)
on the same held-out fifth, with the same metric, plus their sentence precision (the share of
flagged sentence-technique pairs whose sentence overlaps a gold span of that technique).

Data: ``../shared/data/semeval2023-train/<lang>/`` (en, ru, fr, ge, it, po), the span labels
(23 techniques). Our split, per language: an article is held out when
``sha1(lang:id) % 5 == 0`` (about a fifth); the rest trains, and its own last fifth (same
hash, ``% 5 == 1``) picks the decision threshold. Nothing here is shipped: the figures say
how far a CPU model over words gets, before anyone plugs one into the ``techniques`` stage.

Model: sentences (lines cut at ``.!?``); tf-idf of character 3-5-grams inside words; one
logistic regression per technique (one-vs-rest, balanced weights); a sentence gets each
technique whose probability reaches the threshold, and its span is the whole sentence.
A sentence is labelled with a technique when a gold span of it covers at least half of the
sentence or the sentence holds at least half of the span.

Metric: the task's span metric as ``eval/techniques.py`` computes it (partial-overlap
credit, SemEval-2020 Task 11 style): SI (spans, technique ignored) and SI+TC (credit only
where the technique matches), precision and recall apart, on the held-out articles. The
"all sentences, most frequent technique" row is the floor any model must beat.

Skips (exit 0) when ``../shared/data`` is absent. Needs scikit-learn (``pip install -e ".[train]"``).
Measured (session 9, Russian): SI P 0.552 R 0.382 F1 0.452; SI+TC P 0.174 R 0.134 F1 0.151,
floor SI+TC F1 0.145 (every sentence Loaded_Language): the technique is barely above the floor.
Shipped models (``--shipped``, precision first; per language SI P / R / F1, SI+TC P / R / F1):
ru 0.553 / 0.070 / 0.125, 0.255 / 0.030 / 0.054; fr 0.562 / 0.247 / 0.343, 0.108 / 0.108 / 0.108;
de 0.644 / 0.327 / 0.434, 0.186 / 0.214 / 0.199; it 0.539 / 0.263 / 0.353, 0.225 / 0.122 / 0.158;
pl 0.268 / 0.122 / 0.167, 0.156 / 0.092 / 0.116 (their model card has the floors and techniques).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "semeval2023-train"
LANGUAGES = ("en", "ru", "fr", "ge", "it", "po")


def load(lang: str) -> tuple[dict[str, str], dict[str, list[tuple[str, int, int]]]]:
    arts = DATA / lang / "train-articles-subtask-3"
    # newline="" keeps a \r\n as two characters, as the span offsets count them (eval/techniques.py)
    texts = {}
    for path in sorted(arts.glob("article*.txt")):
        with open(path, encoding="utf-8", newline="") as fh:
            texts[path.stem.removeprefix("article")] = fh.read()
    spans: dict[str, list[tuple[str, int, int]]] = {a: [] for a in texts}
    for f in sorted((DATA / lang / "train-labels-subtask-3-spans").glob("*.txt")):
        for line in f.read_text("utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 4 and parts[0] in spans:
                spans[parts[0]].append((parts[1], int(parts[2]), int(parts[3])))
    return texts, spans


def fold(lang: str, aid: str) -> int:
    return int(hashlib.sha1(f"{lang}:{aid}".encode()).hexdigest(), 16) % 5


def sentences(text: str) -> list[tuple[int, int]]:
    """The shipped model's sentences (lines cut after .!?, at least 10 characters)."""
    from propwatch.techniques.multilingual import sentence_bounds

    return sentence_bounds(text, min_chars=10)


def labels(sent: tuple[int, int], gold: list[tuple[str, int, int]]) -> set[str]:
    s, e = sent
    out = set()
    for tech, a, b in gold:
        inter = min(e, b) - max(s, a)
        if inter > 0 and (inter >= 0.5 * (e - s) or inter >= 0.5 * (b - a)):
            out.add(tech)
    return out


def units(texts, spans, ids):
    rows = []
    for aid in ids:
        for s, e in sentences(texts[aid]):
            rows.append((aid, s, e, texts[aid][s:e], labels((s, e), spans[aid])))
    return rows


def probabilities(models, vec, rows) -> dict[str, np.ndarray]:
    """Each technique's probability for every row (computed once, then thresholded)."""
    if not rows:
        return {}
    x = vec.transform([r[3] for r in rows])
    return {tech: m.predict_proba(x)[:, 1] for tech, m in models.items()}


def predict(probs: dict[str, np.ndarray], rows, threshold: float):
    pred: dict[str, list[tuple[str, int, int]]] = {}
    for tech, p in probs.items():
        for r, pr in zip(rows, p):
            if pr >= threshold:
                pred.setdefault(r[0], []).append((tech, r[1], r[2]))
    return pred


def run_language(lang: str, scores) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    si_scores, combined_scores = scores
    texts, spans = load(lang)
    test = [a for a in texts if fold(lang, a) == 0]
    dev = [a for a in texts if fold(lang, a) == 1]
    train = [a for a in texts if fold(lang, a) > 1]
    tr, dv, te = units(texts, spans, train), units(texts, spans, dev), units(texts, spans, test)
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2, max_features=200_000)
    x = vec.fit_transform([r[3] for r in tr])
    counts = Counter(t for r in tr for t in r[4])
    models = {}
    for tech, n in counts.items():
        if n < 5:
            continue
        y = np.array([tech in r[4] for r in tr])
        models[tech] = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(x, y)
    gold_dev = {a: spans[a] for a in dev}
    dev_probs = probabilities(models, vec, dv)
    best = max((combined_scores(predict(dev_probs, dv, t), gold_dev)["micro"]["f1"], t)
               for t in (0.5, 0.6, 0.7, 0.8, 0.9))
    threshold = best[1]
    gold = {a: spans[a] for a in test}
    pred = predict(probabilities(models, vec, te), te, threshold)
    top = counts.most_common(1)[0][0]
    floor: dict[str, list[tuple[str, int, int]]] = {a: [] for a in test}
    for r in te:
        floor[r[0]].append((top, r[1], r[2]))
    return {
        "lang": lang, "train": len(train), "dev": len(dev), "test": len(test), "threshold": threshold,
        "si": si_scores({a: [(s, e) for _, s, e in v] for a, v in pred.items()},
                        {a: [(s, e) for _, s, e in v] for a, v in gold.items()}),
        "tc": combined_scores(pred, gold)["micro"],
        "floor_tc": combined_scores(floor, gold)["micro"], "floor_technique": top,
    }


def sentence_precision(pred, gold) -> tuple[float, int]:
    """Share of predicted (technique, span) that overlap a gold span of the same technique, and their number."""
    n = hits = 0
    for aid, rows in pred.items():
        for tech, s, e in rows:
            n += 1
            hits += any(t == tech and min(e, b) > max(s, a) for t, a, b in gold.get(aid, ()))
    return (hits / n if n else 0.0), n


def run_shipped(iso: str, models, scores) -> dict:
    """The shipped model of ``iso`` on its language's held-out fifth."""
    from propwatch.techniques.multilingual import FOLDERS

    si_scores, combined_scores = scores
    folder = FOLDERS[iso]
    texts, spans = load(folder)
    test = [a for a in texts if fold(folder, a) == 0]
    pred = {a: [(f.technique, f.start, f.end) for f in models.find(texts[a], iso)] for a in test}
    gold = {a: spans[a] for a in test}
    top = Counter(t for a in texts if fold(folder, a) != 0 for t, _s, _e in spans[a]).most_common(1)[0][0]
    floor = {a: [(top, s, e) for s, e in sentences(texts[a])] for a in test}
    hit, n = sentence_precision(pred, gold)
    return {
        "lang": iso, "test": len(test), "techniques": len(models.model(iso).thresholds),
        "si": si_scores({a: [(s, e) for _, s, e in v] for a, v in pred.items()},
                        {a: [(s, e) for _, s, e in v] for a, v in gold.items()}),
        "tc": combined_scores(pred, gold)["micro"], "hit": hit, "flagged": n,
        "floor_tc": combined_scores(floor, gold)["micro"], "floor_technique": top,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--languages", nargs="*", default=None, help="default: all six (baseline), the shipped ones (--shipped)")
    ap.add_argument("--shipped", action="store_true", help="score the shipped multilingual models instead of the baseline")
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"skip: {DATA} not found")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from techniques import combined_scores, si_scores

    if args.shipped:
        sys.path.insert(0, str(ROOT))
        from propwatch.techniques.multilingual import MultilingualTechniques

        models = MultilingualTechniques()
        print(f"{'lang':<4} {'test':>4} {'techs':>5}  {'SI P':>5} {'SI R':>5} {'SI F1':>5}  {'SI+TC P':>7} {'R':>5} {'F1':>5}  "
              f"{'sent P':>6} {'flagged':>7}  floor SI+TC F1 (all sentences, most frequent)")
        for iso in args.languages or models.languages:
            r = run_shipped(iso, models, (si_scores, combined_scores))
            si, tc, fl = r["si"], r["tc"], r["floor_tc"]
            print(f"{iso:<4} {r['test']:>4} {r['techniques']:>5}  {si['precision']:>5.3f} {si['recall']:>5.3f} {si['f1']:>5.3f}  "
                  f"{tc['precision']:>7.3f} {tc['recall']:>5.3f} {tc['f1']:>5.3f}  {r['hit']:>6.3f} {r['flagged']:>7}  "
                  f"{fl['f1']:.3f} ({r['floor_technique']})", flush=True)
        return 0

    print(f"{'lang':<4} {'arts tr/dev/test':>16} {'thr':>4}  {'SI P':>5} {'SI R':>5} {'SI F1':>5}  "
          f"{'SI+TC P':>7} {'R':>5} {'F1':>5}  floor SI+TC F1 (all sentences, most frequent)")
    for lang in args.languages or LANGUAGES:
        r = run_language(lang, (si_scores, combined_scores))
        si, tc, fl = r["si"], r["tc"], r["floor_tc"]
        print(f"{lang:<4} {r['train']:>6}/{r['dev']:>3}/{r['test']:>4} {r['threshold']:>4.1f}  {si['precision']:>5.3f} "
              f"{si['recall']:>5.3f} {si['f1']:>5.3f}  {tc['precision']:>7.3f} {tc['recall']:>5.3f} {tc['f1']:>5.3f}  "
              f"{fl['f1']:.3f} ({r['floor_technique']})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
