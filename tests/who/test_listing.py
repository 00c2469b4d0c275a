"""The corpus listing behind `propwatch entities`, over plain Documents."""

from __future__ import annotations


def test_entity_table_counts_per_outlet(analyse):
    docs = analyse(["Daesh fighters fled. ISIS denied it.", "The Islamic State (IS) lost ground."], upto="entities")
    docs = [docs[0].replace(outlet="Outlet A"), docs[1].replace(outlet="Outlet B")]
    from propwatch.who.listing import entity_table

    rows = {r["entity_id"]: r for r in entity_table(docs)}
    isis = rows["org:islamic-state"]
    assert isis["mentions"] == 4 and isis["stories"] == 2
    assert isis["outlets"] == ["Outlet A: 2", "Outlet B: 2"]
    assert set(isis["names"]) == {"Daesh", "ISIS", "Islamic State", "IS"}
    assert entity_table(docs, outlet="Outlet B")[0]["mentions"] == 2
    assert entity_table(docs, label="PERSON") == []


def test_commands_are_registered():
    from propwatch.cli import load_commands
    from propwatch.cli.app import app

    load_commands()
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert {"entities", "quotes"} <= names


def test_stages_are_registered():
    from propwatch.registry import stages

    assert {"entities.v2", "quotes.v3", "sourcing.v2"} <= set(stages.names())
