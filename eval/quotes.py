"""Quote extraction and attribution scores on the project's own annotated texts.

    python eval/quotes.py                 # dev, held-out and all
    python eval/quotes.py --verbose       # plus every miss and wrong speaker
    python eval/quotes.py --split heldout
    python eval/quotes.py --ranker on     # the trained speaker ranker (propwatch/models/speakers/)

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

``eval/data/real-quotes-{tune,val}.jsonl`` (splits ``real-tune`` and
``real-val``, issue 14): 338 quotes on 17 real news articles (PTC,
SemEval-2019 hyperpartisan, Horne & Adali 2017), annotated before the system
ran on them; ``real-val`` is never used to tune the rules or train the
speaker model. ``eval/data/real-quotes-tune2.jsonl`` (split ``real-tune2``): 175
more quotes on 8 other real articles, annotated before propwatch ran on them,
training material for the speaker ranker (``train/speakers.py``). Besides P/R/F1 and speaker accuracy it prints:

- named-speaker precision (``named P``): of the matched quotes the system
  gives a named speaker (person, organization or media with a name), the
  share that are right (a wrong name is worse than none);
- anonymous-source recall: ``anon q`` over gold quotes of kind anonymous
  (matched, and the system says anonymous), ``anon src`` over distinct gold
  anonymous speaker phrases (found when one of their quotes is matched as
  anonymous or a ``sourcing`` anonymous_source flag overlaps the phrase).
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
STAGES = ("sentences", "entities", "quotes", "sourcing")
DATA = ROOT.parent / "shared" / "data"
REAL_SPLITS = ("real-tune", "real-tune2", "real-val")
SPLITS = ("dev", "heldout", "heldout-hard", "all", "ptc", "ptc-heldout", "ptc-final", "ptc-final2", "ptc-final3",
          *REAL_SPLITS)


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
                              "speaker_start": g["speaker_start"], "speaker_end": g["speaker_end"],
                              "direct": g["direct"]})
    return list(rows.values())


def real_text(key: str, _cache: dict = {}) -> str:  # noqa: B006 - a per-run cache of the XML
    """The text of a real article named ``ptc:<id>``, ``hp:<id>`` or ``horne:<Buzzfeed|Random>/<stem>``
    (built as eval/data/README.md says)."""
    src, aid = key.split(":", 1)
    if src == "ptc":
        return (PTC_ARTICLES / f"article{aid}.txt").read_text("utf-8")
    if src == "hp":
        if "hp" not in _cache:
            import xml.etree.ElementTree as ET

            texts = {}
            for a in ET.parse(DATA / "article-labels" / "articles-training-byarticle-20181122.xml").getroot():
                ps = [" ".join("".join(p.itertext()).split()) for p in a.iter("p")]
                texts[a.get("id")] = "\n\n".join([a.get("title", "")] + [p for p in ps if p])
            _cache["hp"] = texts
        return _cache["hp"][aid]
    if src == "horne":
        ds, stem = aid.split("/")
        folder = {"Buzzfeed": "Buzzfeed Political News Dataset", "Random": "Random Poltical News Dataset"}[ds]
        return (DATA / "article-labels" / "horne2017" / folder / "Real" / f"{stem}.txt").read_text(
            "utf-8", errors="replace")
    raise ValueError(f"unknown article key {key!r}")


def load_real(split: str) -> list[dict]:
    gold = ROOT / "eval" / "data" / f"real-quotes-{split[5:]}.jsonl"
    rows: dict[str, dict] = {}
    for n, line in enumerate(gold.read_text("utf-8").splitlines(), 1):
        try:
            g = json.loads(line)
            text = real_text(g["article"])
        except (ValueError, KeyError, OSError) as err:
            raise SystemExit(f"{gold}:{n}: {err}") from err
        row = rows.setdefault(g["article"], {"id": g["article"], "text": text, "quotes": []})
        has = g.get("speaker_start") is not None
        row["quotes"].append({"start": g["start"], "end": g["end"], "content": text[g["start"]:g["end"]],
                              "speaker": text[g["speaker_start"]:g["speaker_end"]] if has else None,
                              "speaker_start": g.get("speaker_start"), "speaker_end": g.get("speaker_end"),
                              "kind": g["kind"], "direct": g["direct"], "mode": g.get("mode")})
    return list(rows.values())


def load(split: str) -> list[dict]:
    if split in REAL_SPLITS:
        return load_real(split)
    if split == "ptc":
        return load_ptc()
    if split in ("ptc-heldout", "ptc-final", "ptc-final2", "ptc-final3"):
        return load_ptc(ROOT / "eval" / "data" / f"ptc-quotes-{split[4:]}.jsonl")
    files = sorted(CASES.glob("*.jsonl")) if split == "all" else [CASES / f"{split}.jsonl"]
    rows = []
    for f in files:
        rows += [json.loads(line) for line in f.read_text("utf-8").splitlines() if line.strip()]
    return rows


QUOTES_CONFIG: dict = {}  # settings of the quotes stage (--ranker on|off)


def analyse(texts: list[str]) -> list[Document]:
    docs = [Document(text=t, source=f"case{i}", outlet=None) for i, t in enumerate(texts)]
    for name in STAGES:
        docs = stages.get(name)(QUOTES_CONFIG if name == "quotes" else None)(docs)
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


TITLE_WORDS = {"president", "sen", "senator", "rep", "gov", "governor", "mr", "mrs", "ms", "dr", "prof", "secretary",
               "minister", "gen", "lt", "col", "mayor", "sheriff", "judge", "chairman", "director", "spokesman",
               "spokeswoman", "spokesperson", "elect", "former", "us", "u", "s", "state", "of", "the"}


def same_speaker(gold: dict, pred) -> bool:
    """Kinds agree and the names agree: the same normalized name, one inside the other, or the same
    last word with no clashing first word ("Lavrov" = "Sergey Lavrov", "Barack Obama" != "Michelle Obama").
    A possessive before the gold phrase's head is not its name ("Obama's deputy ..., Ben Rhodes" is not
    Obama); a two-word predicted name whose words are all in the gold phrase agrees ("Eric Paddock" =
    "Paddock's brother Eric")."""
    sp = pred.speaker
    if gold.get("speaker") is None:
        return sp.kind == "unknown" or sp.name is None
    if gold["kind"] != sp.kind:
        return False
    raw = norm(re.sub(r"['’]s\b", "", gold["speaker"]))
    head = re.sub(r"^[\w.-]+(?:\s+[\w.-]+)?['’]s\s+", "", gold["speaker"])  # "Obama's deputy adviser, Ben Rhodes"
    g, p = norm(canonical(head)), norm(canonical(sp.name))
    if not p:
        return False
    appos = re.search(r",\s*([^,]+?)\s*,?$", g)
    heads = [g] + ([appos.group(1)] if appos else [])
    if any(h == p or re.search(rf"(?<!\w){re.escape(p)}(?!\w)", h) or re.search(rf"(?<!\w){re.escape(h)}(?!\w)", p)
           for h in heads):
        return True
    pt = [w for w in re.findall(r"\w+", p) if w not in TITLE_WORDS]
    for h in heads:
        ht = [w for w in re.findall(r"\w+", h) if w not in TITLE_WORDS]
        if ht and pt and ht[-1] == pt[-1] and (len(ht) == 1 or len(pt) == 1 or ht[0] == pt[0] or len(ht[0]) == 1
                                              or len(pt[0]) == 1):
            return True
    gt = set(re.findall(r"\w+", re.sub(r"['’]s\b", "", raw)))
    return len(pt) >= 2 and set(pt) <= gt


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
    tp = fp = fn = spk_ok = named = named_ok = anon_gold = anon_ok = 0
    anon_src: dict[tuple, bool] = {}
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
        flags = [f for f in doc.layer("sourcing") if f.flag == "anonymous_source"] if "sourcing" in doc.layers else []
        by_gold = dict(pairs)
        for gi, (_, _, g) in enumerate(gold):
            if g.get("kind") != "anonymous":
                continue
            anon_gold += 1
            pi = by_gold.get(gi)
            hit = pi is not None and preds[pi].speaker.kind == "anonymous"
            anon_ok += hit
            if g.get("speaker_start") is not None:
                key = (row["id"], g["speaker_start"], g["speaker_end"])
                flagged = any(f.start < g["speaker_end"] and f.end > g["speaker_start"] for f in flags)
                anon_src[key] = anon_src.get(key, False) or hit or flagged
        for gi, pi in pairs:
            ok = same_speaker(gold[gi][2], preds[pi])
            spk_ok += ok
            sp = preds[pi].speaker
            if sp.name and sp.kind in ("person", "organization", "media"):
                named += 1
                named_ok += ok
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
            "speaker_accuracy": spk_ok / tp if tp else 0.0, "speaker_correct": spk_ok, "matched": tp,
            "named_precision": named_ok / named if named else 0.0, "named": named, "named_correct": named_ok,
            "anon_quote_recall": anon_ok / anon_gold if anon_gold else 0.0, "anon_quotes": anon_gold,
            "anon_source_recall": sum(anon_src.values()) / len(anon_src) if anon_src else 0.0,
            "anon_sources": len(anon_src), "anon_sources_found": sum(anon_src.values())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=SPLITS, default=None)
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--ranker", choices=("on", "off"), default=None,
                    help="the trained speaker ranker on or off (default: the stage's default setting)")
    args = ap.parse_args(argv)
    if args.ranker:
        QUOTES_CONFIG["speaker_ranker"] = args.ranker == "on"
    splits = [args.split] if args.split else list(SPLITS)
    print(f"{'split':12} {'gold':>5} {'pred':>5} {'P':>6} {'R':>6} {'F1':>6} {'speaker':>8} {'named P':>8} "
          f"{'anon q':>7} {'anon src':>8}")
    for split in splits:
        if (split.startswith("ptc") or split in REAL_SPLITS) and not PTC_ARTICLES.is_dir():
            print(f"{split:12} skipped: {PTC_ARTICLES} not found")
            continue
        if args.verbose:
            print(f"[{split}]")
        s = score(load(split), verbose=args.verbose and split != "all")
        anon_q = f"{s['anon_quote_recall']:7.3f}" if s["anon_quotes"] else f"{'-':>7}"
        anon_s = f"{s['anon_source_recall']:8.3f}" if s["anon_sources"] else f"{'-':>8}"
        print(f"{split:12} {s['quotes']:5d} {s['predicted']:5d} {s['precision']:6.3f} {s['recall']:6.3f} "
              f"{s['f1']:6.3f} {s['speaker_accuracy']:8.3f} {s['named_precision']:8.3f} {anon_q} {anon_s}  "
              f"({s['speaker_correct']}/{s['matched']} speakers, {s['named_correct']}/{s['named']} named, "
              f"{s['anon_sources_found']}/{s['anon_sources']} anonymous sources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
