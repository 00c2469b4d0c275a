"""The alert rules on stored stories, the alerts table, and delivery to a log and a webhook."""

from __future__ import annotations

import json

import pytest

from propwatch.config import load_config
from propwatch.errors import NotFoundError
from propwatch.ingest.fetch import FetchPolicy
from propwatch.pipeline import Pipeline
from propwatch.store import Store
from propwatch.watch.alerts import (_alert, evaluate, list_alerts, narrative_alerts, raise_alerts, set_status,
                                    technique_alerts)
from propwatch.watch.delivery import MAX_TRIES, deliver, deliveries
from propwatch.watch.sources import AlertSettings, Sources, WatchSettings

from texts import SPINE_STAGES
from watch.site import Page, Site

CALM = "The council met on {n} May and approved the budget for the new school in the eastern district of the city."
LOUD = ("The disgraceful traitors on the council met on {n} May, and the shameful, outrageous budget is a "
        "catastrophe that patriots will never accept.")


@pytest.fixture
def store_with(tmp_path):
    """A store with stories analysed by the spine stages and the fake techniques tagger."""
    def build(records: list[dict]) -> tuple[Store, list[str]]:
        path = tmp_path / "a.duckdb"
        feed = tmp_path / f"in{len(list(tmp_path.glob('in*.jsonl')))}.jsonl"
        feed.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
        config = load_config(overrides={"store.path": str(path), "pipeline.stages": [*SPINE_STAGES, "techniques"],
                                        "stages.techniques.backend": "techniques_fake"})
        pipe = Pipeline(config)
        summary = pipe.analyze([str(feed)])
        pipe.close()
        return Store(path), summary.doc_ids
    return build


def test_a_jump_in_an_outlets_technique_rate_is_an_alert_once(store_with):
    settings = AlertSettings(technique_recent=2, technique_baseline=4, technique_factor=2.0)
    calm = [{"text": CALM.format(n=n), "outlet": "Harbour Herald"} for n in range(1, 5)]
    store, ids = store_with(calm)
    assert technique_alerts(store, settings, ids) == []  # no recent stories yet beyond the baseline
    store.close()
    loud = [{"text": LOUD.format(n=n), "outlet": "Harbour Herald"} for n in range(10, 12)]
    store, ids = store_with(loud)
    [alert] = evaluate(store, settings, ids)
    assert alert.kind == "technique-rate" and alert.details["outlet"] == "Harbour Herald"
    assert alert.details["recent_rate"] > 2 * alert.details["baseline_rate"] and alert.details["baseline_stories"] == 4
    assert evaluate(store, settings, ids) == []  # raised once: an open alert for the outlet holds
    set_status(store, alert.id, "closed", "ana")
    assert technique_alerts(store, settings, ids)  # closed: the same jump may be raised again
    store.close()


def test_a_narrative_across_languages_and_outlets(store_with):
    store, ids = store_with([
        {"text": "Die Marine hat das Feuer im Hafen von Port Velden gelegt, um fehlenden Treibstoff zu verbergen.",
         "outlet": "Nord Kurier", "language": "de"},
        {"text": "The navy set the fire at the Port Velden harbour to hide missing fuel, the paper said today.",
         "outlet": "Coastal Ledger", "language": "en"},
    ])
    docs = {d.outlet: d for d in store.load(ids, layers=[])}
    with store.transaction():
        for seq, doc in enumerate(docs.values()):
            claim = {"key": f"{doc.id}:0-10", "doc_id": doc.id, "text": doc.text[:40], "normalized": doc.text[:40],
                     "outlet": doc.outlet, "published": None}
            store.con.execute("INSERT INTO narrative_members VALUES (?, 'nvelden', ?, ?, NULL, NULL, ?)",
                              [claim["key"], doc.id, seq, json.dumps(claim)])
    languages = sorted(d.language for d in docs.values())
    assert languages == ["de", "en"]
    found = {a.kind: a for a in narrative_alerts(store, AlertSettings(), ids)}
    assert set(found) == {"narrative-outlets", "narrative-languages"}
    assert found["narrative-languages"].details["languages"] == ["de", "en"]
    assert narrative_alerts(store, AlertSettings(narrative_outlets=3, narrative_languages=3), ids) == []
    assert narrative_alerts(store, AlertSettings(window_hours=1e-6), ids) == []  # ingested before the window
    store.close()


def test_alert_table_states(tmp_path):
    with Store(tmp_path / "t.duckdb") as store:
        a = _alert("debunk", "debunk:d1:c1", "X carries a debunked claim", {"doc_id": "d1"})
        assert [x.id for x in raise_alerts(store, [a, a])] == [a.id]
        assert raise_alerts(store, [a]) == []
        assert set_status(store, a.id, "acked", "ana").status == "acked"
        assert list_alerts(store, ("open",))[1] == 0 and list_alerts(store)[1] == 1
        with pytest.raises(NotFoundError):
            set_status(store, "a000000000000", "closed")
        with pytest.raises(ValueError, match="must be one of"):
            set_status(store, a.id, "gone")


def test_delivery_to_a_log_and_a_webhook_with_retries(tmp_path):
    with Site() as hook:
        hook.routes["/hook"] = Page("down", status=500)
        sources = Sources(tmp_path / "sources.toml", WatchSettings(),
                          AlertSettings(log="out/alerts.jsonl", webhook=hook.url("/hook")), ())
        policy = FetchPolicy(allow_private=True, timeout=2, deadline=3)
        with Store(tmp_path / "d.duckdb") as store:
            first = raise_alerts(store, [_alert("debunk", "debunk:d1:c1", "One", {"doc_id": "d1"})])
            assert deliver(store, sources, policy) == {"log": 1, "webhook": 0}
            assert [d["ok"] for d in deliveries(store, first[0].id)] == [True, False]
            hook.routes["/hook"] = Page("ok")
            raise_alerts(store, [_alert("debunk", "debunk:d2:c1", "Two", {"doc_id": "d2"})])
            assert deliver(store, sources, policy) == {"log": 1, "webhook": 2}  # the failed one is sent again
            assert deliver(store, sources, policy) == {"log": 0, "webhook": 0}
            logged = [json.loads(x) for x in (tmp_path / "out" / "alerts.jsonl").read_text("utf-8").splitlines()]
            assert [x["title"] for x in logged] == ["One", "Two"]
            posted = [json.loads(b) for b in hook.posts]
            assert [p["title"] for p in posted] == ["One", "One", "Two"]

            hook.routes["/hook"] = Page("down", status=503)
            raise_alerts(store, [_alert("debunk", "debunk:d3:c1", "Three", {"doc_id": "d3"})])
            for _ in range(MAX_TRIES + 2):
                deliver(store, sources, policy)
            assert sum(b.count(b'"Three"') for b in hook.posts) == MAX_TRIES  # then it gives up


def test_a_refused_webhook_is_a_recorded_failure(tmp_path):
    sources = Sources(tmp_path / "s.toml", WatchSettings(), AlertSettings(webhook="http://127.0.0.1:9/hook"), ())
    with Store(tmp_path / "r.duckdb") as store:
        [a] = raise_alerts(store, [_alert("debunk", "debunk:d1:c1", "One", {})])
        assert deliver(store, sources, FetchPolicy()) == {"log": 0, "webhook": 0}
        [record] = deliveries(store, a.id)
        assert not record["ok"] and record["reason"].startswith("private-address")
