"""Near-duplicate stories: MinHash over word 5-shingles, banded for lookup.

Exact duplicates share a content id and are stored once. Near-duplicates
(the same wire story in two outlets, a lightly edited copy) are flagged
with the id of the earlier story and the estimated Jaccard similarity of
their shingle sets, never dropped.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
SHINGLE = 5
_PRIME = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20250101)
_A = _rng.integers(1, (1 << 31) - 1, size=PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, size=PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> set[int]:
    tokens = _WORD.findall(text.casefold())
    if len(tokens) < size:
        return {zlib.crc32(" ".join(tokens).encode())} if tokens else set()
    return {zlib.crc32(" ".join(tokens[i:i + size]).encode()) for i in range(len(tokens) - size + 1)}


def signature(text: str) -> np.ndarray:
    """MinHash signature (uint32 per permutation) of the text's shingles."""
    values = np.fromiter(shingles(text), dtype=np.uint64)
    if values.size == 0:
        return np.zeros(PERMUTATIONS, dtype=np.uint32)
    hashed = (np.outer(_A, values) + _B[:, None]) % _PRIME
    return (hashed.min(axis=1) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def band_buckets(sig) -> list[tuple[int, int]]:
    sig = np.asarray(sig, dtype=np.uint32)
    return [
        (band, zlib.crc32(sig[band * ROWS:(band + 1) * ROWS].tobytes()))
        for band in range(BANDS)
    ]


def similarity(a, b) -> float:
    a = np.asarray(a, dtype=np.uint32)
    b = np.asarray(b, dtype=np.uint32)
    return float(np.mean(a == b))
