"""Debunk databases: import checked claims, match a story's claims against them.

- :mod:`.importers`: EUvsDisinfo case exports, schema.org ClaimReview, plain CSV;
- :mod:`.db`: the tables in the propwatch store (content-hash keys, provenance);
- :mod:`.search`: hybrid retrieval (BM25 + embeddings, fused, one threshold);
- :mod:`.stage`: the ``debunk_matches`` stage over a story's claims (or sentences).
"""

from __future__ import annotations

from .importers import Debunk, read_debunks

__all__ = ["Debunk", "read_debunks"]
