"""The Russian pipeline on ten Russian news articles read by hand (issue 16).

    python eval/russian.py                # dev and val figures
    python eval/russian.py --verbose      # plus every article's entities, quotes and claims, for reading
    python eval/russian.py --split val

Articles: ``../shared/data/semeval2023-train/ru/train-articles-subtask-3/``,
the ids of ``eval/data/ru_read/gold.jsonl`` (chosen before the Russian
stages ran; ``dev`` tuned the rules, ``val`` never did). Runs the
``sentences``, ``entities``, ``quotes``, ``sourcing`` and ``claims`` stages
(their Russian paths) on each article as ``language = "ru"`` and prints:

- counts per article: sentences, entities, quotes (direct), speakers named /
  anonymous / unknown, sourcing flags, claims;
- entities: precision and recall of mentions (a predicted mention matches a
  gold one it overlaps; ``span`` ignores the label, ``+label`` needs the same
  one; a prediction overlapping a gold ``?`` mention counts neither way);
  ``one id``: the share of gold actors with two or more matched mentions whose
  mentions all got one id; ``merged``: predicted ids given to two gold actors;
  ``table id``: of matched mentions of actors in the alias table, the share
  with the table's id;
- quotes: precision and recall (a prediction matches a gold quote when their
  overlap is at least 50 % of the longer, one to one, best overlap first; a
  prediction matching an ``optional`` gold quote counts neither way);
  speaker accuracy over matched quotes with a gold speaker; ``named P``: of
  the matched quotes given a named speaker, the share that are right.

Skips (exit 0) when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "data" / "ru_read" / "gold.jsonl"
DATA = ROOT.parent / "shared" / "data" / "semeval2023-train" / "ru" / "train-articles-subtask-3"
STAGES = ("sentences", "entities", "quotes", "sourcing", "claims")


def load_gold(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if split in (None, "all", r["split"])]


def run_pipeline(texts: list[tuple[str, str]]):
    """The Russian stages over (id, text) pairs; returns the Documents."""
    sys.path.insert(0, str(ROOT))
    from propwatch.records import Document
    from propwatch.registry import stages
    from propwatch.resources import Resources

    resources = Resources()
    docs = [Document(text=t, source=f"semeval-ru-{i}", language="ru") for i, t in texts]
    for name in STAGES:
        stage = stages.get(name)()
        stage.ensure_setup(resources)
        docs = stage(docs)
    return docs


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def score_entities(gold: list[dict], pred: list) -> dict:
    real = [g for g in gold if g["label"] != "?"]
    maybe = [g for g in gold if g["label"] == "?"]
    tp_span = tp_label = fp = 0
    matched_gold: dict[int, list] = defaultdict(list)
    for p in pred:
        hit = [i for i, g in enumerate(real) if _overlap((p.start, p.end), (g["start"], g["end"]))]
        if not hit:
            if any(_overlap((p.start, p.end), (g["start"], g["end"])) for g in maybe):
                continue
            fp += 1
            continue
        tp_span += 1
        if any(real[i]["label"] == p.label for i in hit):
            tp_label += 1
        matched_gold[hit[0]].append(p)
    by_actor: dict[str, set] = defaultdict(set)
    id_to_actors: dict[str, set] = defaultdict(set)
    table_ok = table_n = 0
    for i, ps in matched_gold.items():
        actor = real[i]["actor"]
        for p in ps:
            by_actor[actor].add(p.entity_id)
            id_to_actors[p.entity_id].add(actor)
            if ":" in actor:
                table_n += 1
                table_ok += p.entity_id == actor
    multi = [a for a in by_actor if sum(1 for i in matched_gold if real[i]["actor"] == a) >= 2]
    return {
        "pred": tp_span + fp, "gold": len(real), "tp_span": tp_span, "tp_label": tp_label,
        "gold_found": len(matched_gold), "one_id": sum(1 for a in multi if len(by_actor[a]) == 1), "multi": len(multi),
        "merged": sum(1 for s in id_to_actors.values() if len(s) > 1), "table_ok": table_ok, "table_n": table_n,
    }


def _speaker_right(key: str, sp, table) -> bool:
    if key == "anon":
        return sp.kind == "anonymous"
    names = f"{sp.entity_id or ''} {sp.name or ''}".lower()
    actor = table.actors.get(sp.entity_id or "")
    if actor is not None:
        names += " " + " ".join(a.lower() for a, i in {**table.folded, **table.exact}.items() if i == actor.id)
    return any(k and k.lower() in names for k in key.split("|"))


def score_quotes(gold: list[dict], pred: list, table) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from quotes import match  # eval/quotes.py: one-to-one by overlap of at least half the longer span

    found = match([(g["start"], g["end"], g) for g in gold], pred)
    used_p = {pi for _gi, pi in found}
    matches = [(pred[pi], gold[gi]) for gi, pi in found]
    # a prediction overlapping an optional quote (without a better match) counts neither way
    ignored = sum(1 for pi, p in enumerate(pred) if pi not in used_p and any(
        g["kind"] == "optional" and _overlap((p.start, p.end), (g["start"], g["end"])) for g in gold))
    real = [m for m in matches if m[1]["kind"] != "optional"]
    opt_matched = len(matches) - len(real)
    with_speaker = [(p, g) for p, g in real if g["speaker"]]
    right = sum(1 for p, g in with_speaker if _speaker_right(g["speaker"], p.speaker, table))
    named = [(p, g) for p, g in with_speaker if p.speaker.entity_id or p.speaker.kind == "anonymous"]
    named_right = sum(1 for p, g in named if _speaker_right(g["speaker"], p.speaker, table))
    return {
        "pred": len(pred) - ignored - opt_matched, "gold": sum(1 for g in gold if g["kind"] != "optional"),
        "tp": len(real), "speaker_n": len(with_speaker), "speaker_ok": right,
        "named_n": len(named), "named_ok": named_right,
        "unknown": sum(1 for p in pred if p.speaker.kind == "unknown"),
    }


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "n/a"


def report(rows: list[dict], docs, verbose: bool = False, misses: bool = False) -> dict[str, dict]:
    from propwatch.who.aliases import load_table

    table = load_table()
    totals: dict[str, dict] = {}
    print(f"{'id':>6} {'split':5} {'sents':>5} {'ents':>5} {'quotes':>6} {'direct':>6} {'named':>5} {'anon':>4} "
          f"{'unk':>4} {'flags':>5} {'claims':>6}")
    for row, doc in zip(rows, docs):
        quotes = doc.layer("quotes")
        print(f"{row['id']:>6} {row['split']:5} {len(doc.layer('sentences')):>5} {len(doc.layer('entities')):>5} "
              f"{len(quotes):>6} {sum(q.direct for q in quotes):>6} "
              f"{sum(1 for q in quotes if q.speaker.entity_id):>5} "
              f"{sum(1 for q in quotes if q.speaker.kind == 'anonymous'):>4} "
              f"{sum(1 for q in quotes if q.speaker.kind == 'unknown'):>4} {len(doc.layer('sourcing')):>5} "
              f"{len(doc.layer('claims')):>6}")
        e = score_entities(row["entities"], doc.layer("entities"))
        q = score_quotes(row["quotes"], quotes, table)
        for split in (row["split"], "all"):
            t = totals.setdefault(split, defaultdict(int))
            for k, v in e.items():
                t["e_" + k] += v
            for k, v in q.items():
                t["q_" + k] += v
            t["claims"] += len(doc.layer("claims"))
        if verbose:
            _show(doc)
        if misses:
            _misses(row, doc)
    for split, t in totals.items():
        print(f"\n[{split}] entities: P span {_ratio(t['e_tp_span'], t['e_pred'])}, P +label "
              f"{_ratio(t['e_tp_label'], t['e_pred'])}, R {_ratio(t['e_gold_found'], t['e_gold'])}; one id "
              f"{_ratio(t['e_one_id'], t['e_multi'])}, merged ids {t['e_merged']}, table id "
              f"{_ratio(t['e_table_ok'], t['e_table_n'])}")
        print(f"[{split}] quotes: P {_ratio(t['q_tp'], t['q_pred'])}, R {_ratio(t['q_tp'], t['q_gold'])}; speaker "
              f"accuracy {_ratio(t['q_speaker_ok'], t['q_speaker_n'])}, named P {_ratio(t['q_named_ok'], t['q_named_n'])}, "
              f"speaker unknown {t['q_unknown']}; claims {t['claims']}")
    return totals


def _misses(row: dict, doc) -> None:
    """Gold quotes no prediction matched, and predictions that match no gold quote (for reading
    the tuning splits; never run on a split kept for validation)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from quotes import match

    gold, pred, text = row["quotes"], list(doc.layer("quotes")), doc.text
    found = match([(g["start"], g["end"], g) for g in gold], pred)
    got_g, got_p = {gi for gi, _ in found}, {pi for _, pi in found}
    print(f"--- {row['id']} misses")
    for gi, g in enumerate(gold):
        if gi not in got_g and g["kind"] != "optional":
            a = max(0, g["start"] - 80)
            print(f"  MISS {g['kind']} {g['speaker']!r}: ...{text[a:g['start']]!r} [[{text[g['start']:g['end']][:120]!r}]]")
    for pi, p in enumerate(pred):
        if pi not in got_p and not any(g["kind"] == "optional" and _overlap((p.start, p.end), (g["start"], g["end"]))
                                       for g in gold):
            print(f"  WRONG {'D' if p.direct else 'I'} {p.speaker.kind} {p.speaker.text!r}: {text[p.start:p.end][:120]!r}")


def _show(doc) -> None:
    text = doc.text
    print(f"--- {doc.source}")
    for e in doc.layer("entities"):
        print(f"  E {e.start:>5} {e.text!r} {e.label} {e.entity_id} ({e.source}{', ' + e.kind if e.kind else ''})")
    for q in doc.layer("quotes"):
        sp = q.speaker
        print(f"  Q {'D' if q.direct else 'I'} {q.start}-{q.end} {text[q.start:q.start + 50]!r}... | {sp.kind} "
              f"{sp.entity_id} {sp.text!r}")
    for f in doc.layer("sourcing"):
        print(f"  S {f.flag} {f.category} {f.status} {f.text!r}")
    for c in doc.layer("claims"):
        print(f"  C {c.checkworthiness:.2f} {c.text[:90]!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="all", choices=("all", "dev", "val", "val2"))
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--misses", action="store_true", help="print missed and wrong quotes (tuning splits only)")
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0
    if args.misses and args.split in ("all", "val2"):
        print("error: --misses reads errors; use it on dev or val, val2 stays unread")
        return 2
    rows = load_gold(args.split)
    texts = [(r["id"], (DATA / f"article{r['id']}.txt").read_text("utf-8")) for r in rows]
    for (aid, text), row in zip(texts, rows):
        if len(text) != row["chars"]:
            print(f"error: article{aid}.txt has {len(text)} characters, the gold was read on {row['chars']}")
            return 1
    docs = run_pipeline(texts)
    report(rows, docs, verbose=args.verbose, misses=args.misses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
