"""What the engine tests compare: a store's stories with every layer, their sources and the rejections."""

from __future__ import annotations

import json
from pathlib import Path

from propwatch import Store
from propwatch.output.records import document_record
from texts import DENIAL_STORY, STORY_A, STORY_B, STORY_C, glued_page, scraped_page

SANDBANK = """Dredgers Reach the Sandbank Off the Old Lighthouse

Two dredgers began clearing the sandbank off the old lighthouse on Thursday, the port office said. The channel had been closed to large ships since the autumn storms.

The work will take three weeks, a spokeswoman said. Fishermen complained that the noise had driven the shoals away from the bay, and asked the council for help."""


def write_corpus(folder: Path) -> Path:
    """A folder of invented stories in several formats, one of them about a sandbank."""
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "harbour.txt").write_text(scraped_page(STORY_A), "utf-8")
    (folder / "pages" / "front.txt").write_text(glued_page(STORY_B, STORY_C), "utf-8")
    (folder / "pages" / "sandbank.txt").write_text(SANDBANK, "utf-8")
    records = [
        {"id": "r1", "url": "https://news.example/1", "title": "Convoy", "text": DENIAL_STORY, "published": "2025-02-03"},
        {"id": "r2", "text": STORY_C.replace("Friday", "Saturday")},
    ]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    (folder / "copy.csv").write_text('title,text\nStorm again,"' + STORY_B.replace('"', '""') + '"\n', "utf-8")
    return folder


def write_bad_inputs(folder: Path) -> Path:
    """Inputs each rejected for its own reason (and one good line among bad ones)."""
    folder.mkdir(parents=True)
    (folder / "lines.jsonl").write_text(
        json.dumps({"text": STORY_A}) + "\n{not json\n" + json.dumps({"title": "no text"}) + "\n", "utf-8")
    (folder / "empty.txt").write_text("", "utf-8")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "table.csv").write_text("title,body\nA,B\n", "utf-8")
    (folder / "header.csv").write_text("title,text\n", "utf-8")
    return folder


def snapshot(store_path: Path) -> dict:
    """Every story's record (all layers), its sources, the rejections and near-duplicates."""
    with Store(store_path, read_only=True) as st:
        records = {doc.id: document_record(doc) for doc in st.iter_documents()}
        sources = {doc_id: sorted((s["source"], s["story_index"], s["record"] or "") for s in st.sources_of(doc_id))
                   for doc_id in records}
        rejections = sorted((r.source, r.line, r.kind, r.reason) for r in st.rejections())
        near = sorted(st.con.execute("SELECT id, near_duplicate_of, near_duplicate_similarity FROM documents "
                                     "WHERE near_duplicate_of IS NOT NULL").fetchall())
    return {"records": records, "sources": sources, "rejections": rejections, "near": near}


def assert_same(local: dict, ray: dict) -> None:
    assert sorted(ray["records"]) == sorted(local["records"])
    for doc_id, record in local["records"].items():
        other = ray["records"][doc_id]
        assert set(other) == set(record), doc_id
        for key in record:
            assert other[key] == record[key], (doc_id, key)
    for key in ("sources", "rejections", "near"):
        assert ray[key] == local[key], key
