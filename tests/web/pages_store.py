"""A small store for the workbench page tests, made by the pipeline from invented stories.

Three outlets carry one claim (the Port Velden harbour fire was set by the
navy) on three days, so it is a narrative, a debunked case (the tiny
EUvsDisinfo-shaped CSV below) and an outlet's debunked claim; the other
stories give techniques, quotes, anonymous sources and entities. Every text
is written for these tests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from texts import ALL_STAGES, FAST

# the two EUvsDisinfo exports of the same cases: the scraper's CSV (summary, disproof) and the data
# package (case URL, outlets, countries); the import merges each pair into one case
SCRAPER_CSV = '''"issue","date","outlet","language","origin","reported by","keywords","source","title","summary","disproof"
1,03/14/19,"Harbour Herald","English","Nordland","Test desk","Harbour","https://example.org/velden","Harbour fire set by the navy","The fire at the Port Velden grain harbour was set by the navy itself to hide 400 tons of missing fuel.","No evidence supports this. The port authority traced the fire to a faulty crane motor."
2,04/02/19,"Evening Bell","English","Nordland","Test desk","Vaccines","https://example.org/chips","Vaccine contains tracking chips","The new flu vaccine distributed in Nordland contains microchips that track citizens.","Vaccines contain no microchips; the listed ingredients were published by the health ministry."
'''
PACKAGE_CSV = '''id,date,title,outlets,countries,languages,keywords
https://euvsdisinfo.eu/report/harbour-fire-set-by-the-navy,2019-03-14,Harbour fire set by the navy,Harbour Herald+Port TV,Nordland,English,Harbour
https://euvsdisinfo.eu/report/vaccine-contains-tracking-chips,2019-04-02,Vaccine contains tracking chips,Evening Bell,Nordland,English,Vaccines
'''

STORIES = [
    {"id": "s1", "outlet": "RT", "published": "2019-03-10", "url": "https://www.rt.com/news/velden-fire",
     "title": "Velden harbour fire: navy blamed",
     "text": "The navy set the fire at the Port Velden grain harbour to hide 400 tons of missing fuel. "
             "Admiral Tomas Varga said on Monday that \u201cthe navy had nothing to do with the fire at the harbour.\u201d "
             "A source close to the investigation, who asked not to be named, said the fuel records were missing. "
             "This is a disgraceful cover-up by corrupt traitors, and everyone knows it."},
    {"id": "s2", "outlet": "Sputnik", "published": "2019-03-12", "url": "https://sputniknews.com/velden",
     "title": "Navy hid fuel, harbour fire shows",
     "text": "The navy set the fire at the Port Velden grain harbour to hide 400 tons of missing fuel, sources said. "
             "Admiral Tomas Varga denied the report. \u201cWe will publish every fuel record,\u201d Varga told reporters. "
             "Only a fool would believe the navy now, as Sputnik reported last week."},
    {"id": "s3", "outlet": "Harbour Herald", "published": "2019-03-20",
     "title": "Port Velden fire: the navy theory",
     "text": "The navy set the fire at the Port Velden grain harbour to hide 400 tons of missing fuel. "
             "Port officials said a faulty crane motor caused the fire. Tomas Varga, the admiral, called the claim absurd."},
    {"id": "s4", "outlet": "RT", "published": "2019-03-21",
     "title": "Bridge over the Tarn opens",
     "text": "The bridge over the Tarn river cost 90 million dollars and opened to traffic on Friday. "
             "Mayor Lena Holt said the bridge would \u201cchange the city for a generation.\u201d"},
]


_MADE: dict[str, Path] = {}  # the stories given -> the folder of a store made once per test process


def build_store(folder: Path, extra: Sequence[dict] = ()) -> Path:
    """Import the debunks, analyse the stories (:data:`STORIES`, then ``extra``) with every stage
    and link narratives; the store's path. Made once per process for the same stories and
    copied into ``folder`` after that (each caller may change its own copy)."""
    import shutil
    import tempfile

    key = json.dumps(list(extra), sort_keys=True)
    made = _MADE.get(key)
    if made is None or not (made / "pages.duckdb").is_file():
        made = Path(tempfile.mkdtemp(prefix="pages-store-"))
        _make_store(made, extra)
        _MADE[key] = made
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("pages.duckdb", "scraper.csv", "package.csv", "stories.jsonl"):
        shutil.copyfile(made / name, folder / name)
    return folder / "pages.duckdb"


def _make_store(folder: Path, extra: Sequence[dict]) -> Path:
    from propwatch.config import load_config
    from propwatch.debunks.db import DebunkDB
    from propwatch.narratives import LinkParams, update_narratives
    from propwatch.pipeline import Pipeline
    from propwatch.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pages.duckdb"
    with Store(path) as st:
        for name, text in (("scraper.csv", SCRAPER_CSV), ("package.csv", PACKAGE_CSV)):
            (folder / name).write_text(text, "utf-8")
            DebunkDB(st).import_file(folder / name)
    feed = folder / "stories.jsonl"
    feed.write_text("\n".join(json.dumps(s) for s in [*STORIES, *extra]) + "\n", "utf-8")
    config = load_config(overrides={
        "store.path": str(path), "pipeline.stages": ALL_STAGES, **FAST,
        "stages.debunk_matches.embedder": "hash", "stages.debunk_matches.database": str(path),
    })
    pipe = Pipeline(config)
    pipe.analyze([str(feed)])
    pipe.close()
    with Store(path) as st:
        update_narratives(st, embedder="embeddings_fake", params=LinkParams(candidate_min=0.2, link_threshold=0.55))
    return path
