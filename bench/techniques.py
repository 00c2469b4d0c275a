"""CPU speed of the shipped technique tagger: words/s on generated articles.

    python bench/techniques.py [--articles 40] [--words 600] [--threads 2] [--file FILE] [--no-classifier]

Generates articles of ``--words`` words from a fixed word list (no corpus
text), warms the model up on one, then times the techniques stage
(tokenize, window, ONNX tagger, decode, and the span classifier when the
model has one) on all of them and prints words/s and ms per article.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = (
    "the government minister said border militia report officials according documents oil grain trade "
    "security forces village city army troops attack statement spokesman ministry sources claims evidence "
    "never disgraceful traitors shameful catastrophe patriots enemy lies regime puppet corrupt elite "
    "people nation freedom must will is was are of and to in that for on with as by at from"
).split()


def make_articles(n: int, words: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sents, count = [], 0
        while count < words:
            k = rng.randint(8, 24)
            sents.append(" ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + ".")
            count += k
        out.append(" ".join(sents))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=40)
    ap.add_argument("--words", type=int, default=600)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--file", default="", help="ONNX file (default: the one the model's techniques.json names)")
    ap.add_argument("--model", default="", help="model directory (default: the shipped one)")
    ap.add_argument("--no-classifier", action="store_true", help="techniques from the tagger's token scores only")
    args = ap.parse_args(argv)

    from propwatch.techniques.stage import TechniqueTagger

    cfg = {"threads": args.threads, **({"file": args.file} if args.file else {})}
    if args.model:
        cfg["model"] = args.model
    if args.no_classifier:
        cfg["classifier"] = False
    tagger = TechniqueTagger.from_config(cfg)
    texts = make_articles(args.articles, args.words)
    tagger.tag(texts[:1])  # load + warm up
    t0 = time.perf_counter()
    spans = tagger.tag(texts)
    seconds = time.perf_counter() - t0
    words = sum(len(t.split()) for t in texts)
    clf = tagger.classifier
    print(f"model: {tagger.backend.model_dir / tagger.backend.file}" + (f" + span classifier {clf['file']}" if clf else ""))
    print(f"articles: {len(texts)}, words: {words}, threads: {args.threads}, spans: {sum(map(len, spans))}")
    print(f"speed: {words / seconds:.0f} words/s, {1000 * seconds / len(texts):.0f} ms/article")
    return 0


if __name__ == "__main__":
    sys.exit(main())
