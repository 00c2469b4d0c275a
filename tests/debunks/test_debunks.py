"""Debunk import, storage, retrieval, CLI and the debunk_matches stage (own fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from propwatch.debunks.db import DebunkDB
from propwatch.debunks.importers import Debunk, claimreview_to_debunk, parse_date, read_debunks
from propwatch.debunks.search import DebunkIndex
from propwatch.embeddings import CharHashingEmbeddings
from propwatch.records import Document, Rejection, Sentence
from propwatch.store import Store

FIX = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def items(path: Path):
    fmt, it = read_debunks(path)
    return fmt, list(it)


def test_euvsdisinfo_reader_keeps_good_rows_and_rejects_with_line():
    fmt, got = items(FIX / "euvs_cases.csv")
    assert fmt == "euvsdisinfo"
    good = [i for _, _, i in got if isinstance(i, Debunk)]
    bad = [i for _, _, i in got if isinstance(i, Rejection)]
    assert len(good) == 4 and len(bad) == 1
    assert bad[0].line == 4 and "empty claim" in bad[0].reason
    first = good[0]
    assert first.verdict == "disinformation" and first.date == "2019-03-14"
    assert first.claimant == "Harbour Herald" and first.keywords == ("Harbour", "Sabotage")
    assert "EUvsDisinfo" in first.attribution
    assert good[0].id == good[3].id  # same content, same key


def test_claimreview_reader():
    fmt, got = items(FIX / "claimreview.jsonld")
    assert fmt == "claimreview"
    good = [i for _, _, i in got if isinstance(i, Debunk)]
    bad = [i for _, _, i in got if isinstance(i, Rejection)]
    assert [d.verdict for d in good] == ["False", "Misleading"]
    assert good[0].claimant == "Anna Vogt" and good[0].reviewer == "Example Fact Desk"
    assert good[0].date == "2021-07-02" and good[1].date == "2021-08-15"
    assert good[0].url.endswith("river-dam") and "rainfall" in good[0].explanation
    assert len(bad) == 2 and any("not ClaimReview" in r.reason for r in bad)


def test_fact_check_tools_shape():
    d = claimreview_to_debunk({
        "text": "Ostmark banned candles.", "claimant": "A blog", "claimDate": "2020-01-02T00:00:00Z",
        "claimReview": [{"publisher": {"name": "Desk"}, "url": "https://x.example/1", "textualRating": "False", "title": "No ban"}],
    })
    assert (d.claim, d.verdict, d.reviewer, d.date) == ("Ostmark banned candles.", "False", "Desk", "2020-01-02")


def test_plain_csv_rejects_bad_rows_by_line():
    fmt, got = items(FIX / "plain.csv")
    assert fmt == "csv"
    bad = {i.line: i.reason for _, _, i in got if isinstance(i, Rejection)}
    assert set(bad) == {3, 4, 5}
    assert "empty claim" in bad[3] and "http" in bad[4] and "date" in bad[5]
    good = [i for _, _, i in got if isinstance(i, Debunk)]
    assert len(good) == 2 and good[1].date == "2022-03-04"


def test_parse_date_forms():
    assert parse_date("2021-07-02T10:00:00+02:00") == "2021-07-02"
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("yesterday")


def test_import_is_idempotent_and_keeps_provenance(tmp_path):
    with Store(":memory:") as st:
        db = DebunkDB(st)
        first = db.import_file(FIX / "euvs_cases.csv")
        assert (first.read, first.added, len(first.rejected)) == (5, 3, 1)
        again = db.import_file(FIX / "euvs_cases.csv")
        assert again.added == 0 and db.count() == 3
        db.import_file(FIX / "claimreview.jsonld")
        db.import_file(FIX / "plain.csv")
        assert db.count() == 7
        d = next(x for x in db.all() if x.claim.startswith("The fire at"))
        prov = db.provenance(d.id)
        assert {p["record_id"] for p in prov} == {"line:2", "line:6"}
        assert len(db.imports()) == 4
        stored = st.rejections()
        assert any(r.line == 4 and r.source.endswith("euvs_cases.csv") for r in stored)


def _db_index(st: Store) -> DebunkIndex:
    db = DebunkDB(st)
    for name in ("euvs_cases.csv", "claimreview.jsonld", "plain.csv"):
        db.import_file(FIX / name)
    return DebunkIndex.from_db(db, embedder=CharHashingEmbeddings())


def test_search_ranks_the_paraphrase_first():
    with Store(":memory:") as st:
        index = _db_index(st)
        top = index.search("Navy sailors started the grain harbour fire in Port Velden", k=3)
        assert top[0].debunk.claim.startswith("The fire at the Port Velden")
        assert index.is_match(top[0])
        assert [m.rank for m in top] == [1, 2, 3]
        unrelated = index.search("The football final ended in a draw after extra time", k=1)
        assert not index.is_match(unrelated[0])
        # vectors are cached in the store under the embedder's name
        assert len(DebunkDB(st).vectors(CharHashingEmbeddings().name, [top[0].debunk.id])) == 1


def test_stage_matches_sentences_and_prefers_claims():
    from propwatch.debunks.stage import DebunkMatchStage

    text = "Officials spoke on Monday. The navy set the Port Velden grain harbour fire to hide missing fuel, the paper wrote."
    sents = (Sentence.of(text, 0, 26), Sentence.of(text, 27, len(text)))
    doc = Document(text=text, source="t").with_layer("sentences", sents)
    with Store(":memory:") as st:
        stage = DebunkMatchStage({"top_k": 1}, index=_db_index(st))
        (out,) = stage(docs=[doc])
    matches = out.layer("debunk_matches")
    assert len(matches) == 1
    m = matches[0]
    assert out.text[m.start:m.end] == m.text and m.claim_source == "sentences"
    assert m.verdict == "disinformation" and "crane" in m.explanation


def test_cli_import_and_search(tmp_path, capsys):
    from propwatch.cli import main

    store = str(tmp_path / "s.duckdb")
    assert main(["debunks", "import", str(FIX / "euvs_cases.csv"), "--store", store]) == 0  # it added what it could
    out = capsys.readouterr()
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert (summary["added"], summary["rejected"], summary["total_in_store"]) == (3, 1, 3)
    assert "euvs_cases.csv:4: bad-record: empty claim" in out.err
    assert main(["debunks", "import", str(FIX / "plain.csv"), "--store", store]) == 0
    capsys.readouterr()
    queries = tmp_path / "q.tsv"
    queries.write_text("a\tflu vaccine has microchips to track people\nb\tcity hospital sold to foreigners\n", "utf-8")
    assert main(["debunks", "search", "--queries", str(queries), "--format", "trec", "-k", "2", "--embedder", "hash", "--store", store]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    qid, q0, docid, rank, score, tag = lines[0].split()
    assert (qid, q0, rank, tag) == ("a", "Q0", "1", "propwatch")
    assert main(["debunks", "search", "hospital sold", "-k", "1", "--embedder", "hash", "--store", store]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["query_id"] == "q1" and "hospital" in rec["claim"]


def test_cli_search_can_leave_out_the_cross_encoder(tmp_path, capsys, monkeypatch):
    from propwatch.cli import main
    from propwatch.debunks.search import DebunkIndex

    store = str(tmp_path / "s.duckdb")
    main(["debunks", "import", str(FIX / "plain.csv"), "--store", store])
    seen = []
    real = DebunkIndex.from_db.__func__

    def spy(cls, db, embedder=None, **options):
        seen.append(options.get("cross_encoder"))
        return real(cls, db, embedder=embedder, **options)

    monkeypatch.setattr(DebunkIndex, "from_db", classmethod(spy))
    for flag in ([], ["--no-cross-encoder"]):
        assert main(["debunks", "search", "hospital sold", "-k", "1", "--embedder", "hash", "--store", store, *flag]) == 0
    assert seen == ["auto", None]


@pytest.mark.skipif(not (SHARED / "euvsdisinfo-cases" / "cases-2015-2017.csv").exists(), reason="shared data absent")
def test_real_euvsdisinfo_import():
    with Store(":memory:") as st:
        report = DebunkDB(st).import_file(SHARED / "euvsdisinfo-cases" / "cases-2015-2017.csv")
    assert report.read > 3000 and len(report.rejected) < 10 and report.added > 2500


def test_pipeline_end_to_end(tmp_path):
    """analyze with debunk_matches, denials and stance: layers stored and reloaded."""
    from texts import SPINE_STAGES

    from propwatch.config import load_config
    from propwatch.pipeline import Pipeline

    store_path = str(tmp_path / "e2e.duckdb")
    with Store(store_path) as st:
        DebunkDB(st).import_file(FIX / "euvs_cases.csv")
    story = tmp_path / "story.txt"
    story.write_text(
        "Velden harbour fire: navy blamed\n\n"
        "The Harbour Herald wrote on Monday that the fire at the Port Velden grain harbour was set by the navy "
        "itself to hide missing fuel. The navy rejected the report as fabricated. "
        "Port officials said a faulty crane motor caused the fire, and the investigation continues this week.\n",
        "utf-8",
    )
    cfg = load_config(overrides={
        "store.path": store_path,
        "pipeline.stages": list(SPINE_STAGES) + ["debunk_matches", "denials", "stance"],
        "stages.debunk_matches.embedder": "hash",
        "stages.debunk_matches.database": store_path,
    })
    pipe = Pipeline(cfg)
    pipe.analyze([str(story)])
    (doc,) = pipe.store.load()
    pipe.close()
    matches = doc.layer("debunk_matches")
    assert matches and matches[0].debunk_claim.startswith("The fire at the Port Velden")
    assert any(d.cue.casefold() == "rejected" and d.denier.name == "The navy" for d in doc.layer("denials"))
    stances = doc.layer("stances")
    assert stances and stances[0].target == f"debunk:{matches[0].debunk_id}"
    for layer in ("debunk_matches", "denials", "stances"):
        for rec in doc.layer(layer):
            assert doc.text[rec.start:rec.end] == rec.text
