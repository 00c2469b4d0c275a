"""Near-duplicates ignore an outlet's boilerplate and are checked exactly.

Texts are written for these tests: three stories of one outlet that share
only a poll widget are not copies; a reprint with another outlet's footer is;
the MinHash estimate follows the real overlap.
"""

from __future__ import annotations

import json
import random
import zlib

from propwatch import Pipeline, dedupe, load_config
from propwatch.corpus import NearDuplicates
from propwatch.records import Document
from texts import SPINE_STAGES, STORY_A, STORY_B, STORY_C

WIDGET = (
    "Take our poll - story continues below. Should the harbour authority director resign over the fuel deal? "
    "Completing this poll grants you access to Coastal Ledger updates free of charge. You may opt out at anytime. "
    "You also agree to this site's Privacy Policy and Terms of Use. Email this field is for validation purposes "
    "and should be left unchanged. Name this field is for validation purposes and should be left unchanged. "
    "Phone this field is for validation purposes and should be left unchanged. Comments this field is for "
    "validation purposes and should be left unchanged. Join thousands of readers who get the most important "
    "news stories of the coast delivered right to your inbox every morning, for free, from the Coastal Ledger "
    "newsroom, and follow us on every network where we publish our reporting on the harbour and the valley."
)
BODIES = [
    "Heavy snow closed three mountain passes in the northern province on Sunday, stranding hundreds of lorries. "
    "Road crews worked through the night to clear the main highway and schools in six districts stayed shut.",
    "The long-delayed bridge over the Tarn river opened to traffic on Friday, four years after work began. "
    "City officials cut a ribbon at the eastern end while a brass band played for the waiting commuters.",
    "Officials at the port of Velmora sold diesel to the Black Reed militia for months, documents show. "
    "The harbour authority denied the claims and its director described the report as a fabrication.",
    "Farmers in the valley warned that feed deliveries were running late after the floods of last week. "
    "A co-operative said it had enough hay for one more week if the roads to the market stayed closed.",
]


def widget_story(k: int, outlet: str | None = "Coastal Ledger") -> Document:
    return Document(text=f"{BODIES[k]}\n\n{WIDGET}", source=f"s{k}.txt", outlet=outlet)


def test_the_widget_alone_would_make_them_look_alike():
    # the premise: on whole texts these stories pass the threshold, so the test below can fail
    a, b = (dedupe.shingles(widget_story(k).text) for k in (0, 1))
    assert dedupe.jaccard(a, b) >= 0.6


def test_three_stories_of_one_outlet_sharing_only_a_poll_widget_are_not_near_duplicates():
    docs = [widget_story(k) for k in range(3)]
    flagged, _, near = NearDuplicates(0.6).run(None, docs)
    assert near == {} and not any("near-duplicate" in d.flags for d in flagged)


def test_a_reprint_with_a_different_footer_is_a_near_duplicate():
    body = STORY_A.split("\n\n", 1)[1]
    first = Document(text=f"{body}\n\nCopyright 2025 Coastal Ledger. All rights reserved.", source="a.txt",
                     outlet="Coastal Ledger")
    reprint = Document(text=f"{body.replace('on Tuesday', 'this week')}\n\nThis article originally appeared at "
                            "the Coastal Ledger. Follow the Valley Courier on Twitter.", source="b.txt",
                       outlet="Valley Courier")
    flagged, _, near = NearDuplicates(0.6).run(None, [first, reprint, Document(text=STORY_B, source="c.txt")])
    assert near == {reprint.id: (first.id, near[reprint.id][1])} and near[reprint.id][1] >= 0.6
    assert flagged[1].near_duplicate_of == first.id


def test_different_stories_are_not_near_duplicates():
    docs = [Document(text=t, source=f"{k}.txt") for k, t in enumerate((STORY_A, STORY_B, STORY_C))]
    assert NearDuplicates(0.6).run(None, docs)[2] == {}


def test_the_minhash_estimate_follows_the_real_overlap():
    # Version 1's hashing kept the order of the shingle hashes, so two texts sharing
    # one phrase with a small hash looked alike in most permutations.
    rnd = random.Random(3)
    vocab = [f"word{i}" for i in range(5000)]
    phrase = next(p for p in (" ".join(rnd.choice(vocab) for _ in range(5)) for _ in range(200000))
                  if zlib.crc32(p.encode()) < (1 << 18))
    a = " ".join(rnd.choice(vocab) for _ in range(300)) + " " + phrase
    b = phrase + " " + " ".join(rnd.choice(vocab) for _ in range(300))
    exact = dedupe.jaccard(dedupe.shingles(a), dedupe.shingles(b))
    assert exact < 0.01
    assert dedupe.similarity(dedupe.signature(a), dedupe.signature(b)) < 0.2


def test_pipeline_widget_stories_across_runs_are_not_flagged_and_a_copy_is(tmp_path):
    config = load_config(overrides={"store.path": str(tmp_path / "s.duckdb"), "pipeline.stages": SPINE_STAGES})
    pipe = Pipeline(config)

    def feed(name: str, ks: list[int], extra: list[dict] = ()) -> object:
        path = tmp_path / name
        rows = [{"id": f"{name}{k}", "outlet": "Coastal Ledger", "text": widget_story(k).text} for k in ks]
        path.write_text("\n".join(json.dumps(r) for r in [*rows, *extra]) + "\n", "utf-8")
        return pipe.analyze([path])

    assert feed("one.jsonl", [0, 1, 2]).near_duplicates == 0
    first = {"id": "orig", "outlet": "Coastal Ledger", "text": STORY_C + "\n\nCopyright 2025 Coastal Ledger."}
    copy = {"id": "copy", "outlet": "Valley Courier",
            "text": STORY_C.replace("Friday", "Saturday") + "\n\nFollow the Valley Courier on Twitter."}
    assert feed("two.jsonl", [3], [first]).near_duplicates == 0  # the fourth widget story: stored outlet sample
    assert feed("three.jsonl", [], [copy]).near_duplicates == 1
