"""A story the risk model cannot assess says "not assessed" in the store listing, `propwatch show` and the report."""

from __future__ import annotations

import json

from propwatch.cli import main
from propwatch.store import Store
from propwatch.store.listing import StorySummary

FRENCH = ("Le gouvernement a annoncé mardi une nouvelle réforme des retraites. Selon le ministre, la mesure "
          "entrera en vigueur au printemps prochain, après un débat au Parlement. Les syndicats ont appelé "
          "à une journée de grève dans toute la France pour protester contre ce projet de loi.")
ENGLISH = ("The city council approved a new budget on Tuesday. The mayor said the plan would fund road repairs "
           "and two new libraries, and the vote passed by seven to two after a long debate.")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_unsupported_language_shows_not_assessed_everywhere(tmp_path, capsys):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(r) for r in (
        {"id": "fr-1", "text": FRENCH}, {"id": "en-1", "text": ENGLISH})), "utf-8")
    toml = tmp_path / "p.toml"
    toml.write_text(f'[store]\npath = "{tmp_path / "s.duckdb"}"\n[pipeline]\n'
                    'stages = ["clean", "split", "metadata", "language", "sentences", "assessment"]\n'
                    'update_narratives = false\n[stages.assessment]\nrequired_layers = []\n', "utf-8")
    assert run(capsys, "analyze", str(feed), "-c", str(toml), "-q")[0] == 0
    with Store(tmp_path / "s.duckdb", read_only=True) as st:
        rows = {r.language: r for r in st.list_stories(order="risk")[0]}
        docs = {d.id: d for d in st.load()}
    assert rows["fr"].risk_label == "not assessed" and rows["fr"].risk_score is None
    assert StorySummary.of(docs[rows["fr"].id]).risk_score is None
    assert rows["en"].risk_label in ("low", "medium") and rows["en"].risk_score is not None
    code, out, _ = run(capsys, "show", rows["fr"].id, "-c", str(toml))
    assert code == 0 and "risk: not assessed" in out and "fr" in out
    assert "(low)" not in out
    report = tmp_path / "report"
    assert run(capsys, "report", "-o", str(report), "-c", str(toml))[0] == 0
    pages = [p.read_text("utf-8") for p in report.rglob("*.html")]
    assert any("Risk: not assessed" in p for p in pages)
