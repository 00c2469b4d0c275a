"""data/outlets.csv: each outlet's affiliation from a named public source, domains and
name forms unique, and the seeds' information space (Russian, Syrian, Iranian, Turkish, Gulf) in it."""

from __future__ import annotations

import re

from propwatch.ingest.outlets import attribution_counts, outlet_by_name, outlet_by_url, outlet_table

AFFILIATIONS = {"state-controlled", "state-funded", "state-affiliated", "public broadcaster", "party-controlled",
                "private", "unknown"}


def test_every_affiliation_is_known_and_sourced():
    for o in outlet_table():
        assert o.affiliation in AFFILIATIONS, o.name
        if o.affiliation != "unknown":
            assert o.source, f"{o.name}: affiliation {o.affiliation!r} without a source"
        if o.affiliation == "unknown":
            assert o.note, f"{o.name}: 'unknown' says why in its note"


def test_names_aliases_and_domains_are_unique():
    seen: dict[str, str] = {}
    for o in outlet_table():
        keys = {re.sub(r"[\W_]+", "", x.casefold()) for x in (o.name, *o.aliases)} | {f"domain:{d}" for d in o.domains}
        for key in keys:
            assert key not in seen, f"{key!r} in {seen.get(key)} and {o.name}"
            seen[key] = o.name


def test_the_seeds_information_space_is_in_the_table():
    for name in ("RT", "Sputnik", "TASS", "RIA Novosti", "Rossiya Segodnya", "Channel One Russia", "Izvestia",
                 "Russian Spring", "News Front", "SouthFront", "SANA", "Al-Manar", "Al Mayadeen", "Al-Alam", "Press TV",
                 "IRNA", "Tasnim", "Fars News", "Mehr News", "HispanTV", "TRT", "Anadolu", "Daily Sabah", "Yeni Safak",
                 "Al Arabiya", "Al Jazeera", "Sky News Arabia", "The National News", "Gulf News", "Saudi Press Agency",
                 "WAM"):
        assert outlet_by_name(name) is not None, name
    assert outlet_by_url("https://sana.sy/en/?p=1").name == "SANA"
    assert outlet_by_url("https://english.almanar.com.lb/1").affiliation == "party-controlled"
    assert outlet_by_url("https://www.tasnimnews.com/en/news/1").affiliation == "state-affiliated"
    assert outlet_by_name("Sputnik Poland").name == "Sputnik"  # the EUvsDisinfo name forms
    assert outlet_by_name("Rossia 24").name == "VGTRK"


def test_generic_words_are_not_outlet_names():
    assert attribution_counts("He told The National Guard and told Sabah that the Vesti were late.") == {}


def test_the_output_record_names_the_source_of_an_outlets_affiliation():
    from propwatch.ingest.metadata import outlet_info

    info = outlet_info("RT")
    assert info["affiliation"] and info["source"]
