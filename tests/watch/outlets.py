"""Two invented outlets for the watch tests, and the sources file and config that watch them.

The Coastal Ledger (RSS) and the Nordland Daily (Atom) publish invented
stories; on the second day the Daily carries a close paraphrase of the
Ledger's claim that the navy set the Port Velden harbour fire, which a
debunk database (written here too) has as a known false claim.
"""

from __future__ import annotations

from pathlib import Path

from texts import ALL_STAGES, FAST
from watch.site import Page, Site, article, atom, rss

DEBUNKS_CSV = '''"issue","date","outlet","language","origin","reported by","keywords","source","title","summary","disproof"
1,03/14/19,"Coastal Ledger","English","Nordland","Test desk","Harbour","https://example.org/velden","Harbour fire set by the navy","The navy set the fire at the Port Velden grain harbour to hide 400 tons of missing fuel.","No evidence supports this. The port authority traced the fire to a faulty crane motor."
'''

STORIES = {
    "ledger/fire": ("Navy blamed for Velden harbour fire", [
        "The navy set the fire at the Port Velden grain harbour on Monday to hide 400 tons of missing fuel.",
        "Admiral Tomas Varga said that the navy had nothing to do with the fire at the harbour.",
        "Dock workers said the flames spread across three warehouses before the fire brigade arrived."]),
    "ledger/bridge": ("Bridge over the Tarn opens", [
        "The new bridge over the Tarn river cost 90 million dollars and opened to traffic on Friday after four years of work.",
        "Mayor Lena Holt said the bridge would change the city for a generation."]),
    "ledger/storm": ("Storm closes mountain passes", [
        "Heavy snow closed three mountain passes in the northern province on Sunday, stranding hundreds of lorries.",
        "The regional weather office said another front would arrive by Wednesday."]),
    "daily/schools": ("Schools reopen in six districts", [
        "Schools in six districts of the valley reopened on Tuesday after a week of closures caused by the snow.",
        "Teachers said attendance was back to normal by the afternoon."]),
    "daily/fire": ("Harbour fire was the navy's doing, sources say", [
        "The navy started the fire at the Port Velden grain harbour to hide 400 tons of fuel that went missing.",
        "Port officials declined to comment on the report.",
        "The fire destroyed three warehouses and a crane on the eastern quay."]),
    "daily/ferry": ("Ferry route to close", [
        "The old ferry route across the Tarn will close in March because traffic fell by half since the bridge opened.",
        "The city's planning office said the ferry staff would move to the new bus lines."]),
}
DATES = {"ledger/fire": "Mon, 30 Nov 2026 08:00:00 GMT", "ledger/bridge": "Mon, 30 Nov 2026 09:00:00 GMT",
         "ledger/storm": "Tue, 01 Dec 2026 07:00:00 GMT", "daily/schools": "2026-11-30T10:00:00Z",
         "daily/fire": "2026-12-02T06:00:00Z", "daily/ferry": "2026-12-02T09:00:00Z"}


def publish(ledger_site: Site, daily_site: Site, ledger: list[str], daily: list[str]) -> None:
    """Serve the stories named, and each outlet's feed listing them in that order."""
    for site, keys in ((ledger_site, ledger), (daily_site, daily)):
        for key in keys:
            title, paragraphs = STORIES[key]
            site.routes.setdefault(f"/{key}", Page(article(title, paragraphs, "2026-12-01")))
    ledger_site.routes["/ledger/rss.xml"] = Page(
        rss("Coastal Ledger", [(ledger_site.url(f"/{k}"), STORIES[k][0], DATES[k]) for k in ledger]),
        content_type="application/rss+xml", etag=f'"ledger-{len(ledger)}"')
    daily_site.routes["/daily/atom.xml"] = Page(
        atom("Nordland Daily", [(daily_site.url(f"/{k}"), STORIES[k][0], DATES[k]) for k in daily]),
        content_type="application/atom+xml", etag=f'"daily-{len(daily)}"')


def sources_file(folder: Path, ledger_site: Site, daily_site: Site, webhook: str = "", extra: str = "") -> Path:
    path = folder / "sources.toml"
    hook = f'webhook = "{webhook}"\n' if webhook else ""
    path.write_text(
        "[watch]\nper_host_interval = 0.05\nbackoff_base = 0.3\nbatch_size = 8\n" + extra + "\n"
        f'[alerts]\nlog = "alerts.jsonl"\n{hook}narrative_outlets = 2\n\n'
        f'[[outlets]]\nname = "Coastal Ledger"\nfeeds = ["{ledger_site.url("/ledger/rss.xml")}"]\nlanguage = "en"\ninterval = 1\n\n'
        f'[[outlets]]\nname = "Nordland Daily"\nfeeds = ["{daily_site.url("/daily/atom.xml")}"]\nlanguage = "en"\ninterval = 1\n',
        "utf-8")
    return path


def watch_config(folder: Path, **more):
    """The propwatch config of the watch tests: every stage (fakes for the models), the local server allowed."""
    from propwatch.config import load_config
    from propwatch.debunks.db import DebunkDB
    from propwatch.store import Store

    store = folder / "watch.duckdb"
    if not store.exists():
        with Store(store) as st:
            (folder / "debunks.csv").write_text(DEBUNKS_CSV, "utf-8")
            DebunkDB(st).import_file(folder / "debunks.csv")
    return load_config(overrides={
        "store.path": str(store), "pipeline.stages": ALL_STAGES, **FAST,
        "stages.debunk_matches.embedder": "hash", "stages.debunk_matches.database": str(store),
        "ingest.allow_private_addresses": True, "ingest.fetch_timeout": 1.0, "ingest.fetch_deadline": 1.5,
        "narratives.embedder": "embeddings_fake", "narratives.candidate_min": 0.2, "narratives.link_threshold": 0.55,
        **more,
    })
