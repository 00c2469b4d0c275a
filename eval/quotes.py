"""Quote extraction and attribution scores on the project's own annotated texts.

    python eval/quotes.py                 # dev, held-out and all
    python eval/quotes.py --verbose       # plus every miss and wrong speaker
    python eval/quotes.py --split heldout

Gold: ``tests/cases/quotes/*.jsonl`` (texts written for the project; the
held-out files were not used to tune the rules before their first run), and
``eval/data/ptc-quotes.jsonl``: offsets of quotes in four real articles of
the PTC training corpus, read from ``../shared/data/ptc-train`` (split
``ptc``; skipped when the data is absent). A predicted quote matches a
gold one when their overlap is at least 50 % of the longer of the two (one
to one, best overlap first). Speaker accuracy is over matched quotes: the
speaker kind must agree and the names must agree (same normalized name, one
inside the other, or the same last word: "Lavrov" = "Sergey Lavrov"; "the
source" = "a source close to ..."). Prints precision, recall, F1 and speaker
accuracy.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from propwatch.records import Document  # noqa: E402
from propwatch.registry import stages  # noqa: E402

CASES = ROOT / "tests" / "cases" / "quotes"
STAGES = ("sentences", "entities", "quotes")


PTC_GOLD = ROOT / "eval" / "data" / "ptc-quotes.jsonl"
PTC_ARTICLES = ROOT.parent / "shared" / "data" / "ptc-train" / "articles"


def load_ptc(gold: Path = PTC_GOLD) -> list[dict]:
    """Real articles: gold offsets from eval/data, texts from ../shared/data (never committed)."""
    if not PTC_ARTICLES.is_dir():
        return []
    rows: dict[str, dict] = {}
    for line in gold.read_text("utf-8").splitlines():
        g = json.loads(line)
        text = (PTC_ARTICLES / f"article{g['article']}.txt").read_text("utf-8")
        row = rows.setdefault(g["article"], {"id": f"ptc{g['article']}", "text": text, "quotes": []})
        row["quotes"].append({"start": g["start"], "end": g["end"], "content": text[g["start"]:g["end"]],
                              "speaker": text[g["speaker_start"]:g["speaker_end"]], "kind": g["kind"],
                              "direct": g["direct"]})
    return list(rows.values())


def load(split: str) -> list[dict]:
    if split == "ptc":
        return load_ptc()
    if split in ("ptc-heldout", "ptc-final", "ptc-final2", "ptc-final3"):
        return load_ptc(ROOT / "eval" / "data" / f"ptc-quotes-{split[4:]}.jsonl")
    files = sorted(CASES.glob("*.jsonl")) if split == "all" else [CASES / f"{split}.jsonl"]
    rows = []
    for f in files:
        rows += [json.loads(line) for line in f.read_text("utf-8").splitlines() if line.strip()]
    return rows


def analyse(texts: list[str]) -> list[Document]:
    docs = [Document(text=t, source=f"case{i}") for i, t in enumerate(texts)]
    for name in STAGES:
        docs = stages.get(name)()(docs)
    return docs


def norm(name: str | None) -> str:
    if not name:
        return ""
    name = re.sub(r"[\"“”«»'‘’]", "", name.casefold()).strip()
    return re.sub(r"^(?:a|an|the|one|two|three)\s+", "", name)


def canonical(name: str | None) -> str | None:
    """The alias table's name for ``name`` ("WHO" -> "World Health Organization")."""
    from propwatch.who.aliases import load_table

    actor = load_table().lookup(name) if name else None
    return actor.name if actor else name


def same_speaker(gold: dict, pred) -> bool:
    sp = pred.speaker
    if gold.get("speaker") is None:
        return sp.kind == "unknown" or sp.name is None
    if gold["kind"] != sp.kind:
        return False
    g, p = norm(canonical(gold["speaker"])), norm(canonical(sp.name))
    if not p:
        return False
    if g == p or g in p or p in g:
        return True
    return g.split()[-1] == p.split()[-1]


def match(gold_spans, preds):
    pairs = []
    for gi, (gs, ge, _) in enumerate(gold_spans):
        for pi, q in enumerate(preds):
            ov = min(ge, q.end) - max(gs, q.start)
            if ov > 0 and ov >= 0.5 * max(ge - gs, q.end - q.start):
                pairs.append((ov, gi, pi))
    pairs.sort(reverse=True)
    used_g, used_p, out = set(), set(), []
    for ov, gi, pi in pairs:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi))
    return out


def score(rows: list[dict], verbose: bool = False) -> dict:
    docs = analyse([r["text"] for r in rows])
    tp = fp = fn = spk_ok = 0
    for row, doc in zip(rows, docs):
        text = row["text"]
        gold = []
        for g in row["quotes"]:
            s = g["start"] if "start" in g else text.find(g["content"])
            gold.append((s, s + len(g["content"]), g))
        preds = list(doc.layer("quotes"))
        pairs = match(gold, preds)
        tp += len(pairs)
        fp += len(preds) - len(pairs)
        fn += len(gold) - len(pairs)
        matched_g = {gi for gi, _ in pairs}
        matched_p = {pi for _, pi in pairs}
        for gi, pi in pairs:
            ok = same_speaker(gold[gi][2], preds[pi])
            spk_ok += ok
            if verbose and not ok:
                sp = preds[pi].speaker
                print(f"  {row['id']} SPEAKER want {gold[gi][2]['speaker']!r}/{gold[gi][2]['kind']} "
                      f"got {sp.name!r}/{sp.kind} for {gold[gi][2]['content'][:50]!r}")
        if verbose:
            for gi, g in enumerate(gold):
                if gi not in matched_g:
                    print(f"  {row['id']} MISS {g[2]['content'][:70]!r}")
            for pi, q in enumerate(preds):
                if pi not in matched_p:
                    print(f"  {row['id']} EXTRA {q.text[:70]!r} ({q.speaker.name}/{q.speaker.kind})")
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"quotes": tp + fn, "predicted": tp + fp, "precision": p, "recall": r, "f1": f,
            "speaker_accuracy": spk_ok / tp if tp else 0.0, "speaker_correct": spk_ok, "matched": tp}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=("dev", "heldout", "heldout-hard", "all", "ptc", "ptc-heldout", "ptc-final", "ptc-final2", "ptc-final3"), default=None)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args(argv)
    splits = [args.split] if args.split else ["dev", "heldout", "heldout-hard", "all", "ptc", "ptc-heldout", "ptc-final", "ptc-final2", "ptc-final3"]
    print(f"{'split':8} {'gold':>5} {'pred':>5} {'P':>6} {'R':>6} {'F1':>6} {'speaker':>8}")
    for split in splits:
        if split.startswith("ptc") and not PTC_ARTICLES.is_dir():
            print(f"{split:12} skipped: {PTC_ARTICLES} not found")
            continue
        if args.verbose:
            print(f"[{split}]")
        s = score(load(split), verbose=args.verbose and split != "all")
        print(f"{split:8} {s['quotes']:5d} {s['predicted']:5d} {s['precision']:6.3f} {s['recall']:6.3f} "
              f"{s['f1']:6.3f} {s['speaker_accuracy']:8.3f}  ({s['speaker_correct']}/{s['matched']} speakers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
