"""Near-duplicate stories: MinHash over word 5-shingles, banded for lookup, then an
exact check that ignores an outlet's boilerplate.

Exact duplicates share a content id and are stored once. Near-duplicates
(the same wire story in two outlets, a lightly edited copy) are flagged
with the id of the earlier story and the Jaccard similarity of their
shingle sets, never dropped.

The MinHash bands only find candidates. Each candidate pair is then scored
exactly (:func:`content_similarity`) on the shingles that are the stories'
own: shingles found in ``min_stories`` or more stories of the same (known)
outlet (poll widgets, donation lines, author bios, legal footers, "read more"
teasers) are left out (:class:`OutletShingles`), so three stories that share
only a widget are not copies, and a reprint is not kept apart by its outlet's
footer. When little of a story is its own (a wire story the outlet ran three
times) the whole texts are compared instead: then the shared text is the
story.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
SHINGLE = 5
# One seed per permutation; a shingle's value under permutation i is the
# splitmix64 mix of (shingle XOR seed_i). (Version 1 used (a*x + b) mod 2^61-1
# with x < 2^32 and a < 2^31: the product barely wrapped, so every "permutation"
# kept nearly the order of x, and stories that shared their few smallest shingle
# hashes looked alike: pairs with no text in common were flagged.)
_rng = np.random.default_rng(20250101)
_SEEDS = _rng.integers(0, (1 << 63) - 1, size=PERMUTATIONS, dtype=np.uint64)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> set[int]:
    tokens = _WORD.findall(text.casefold())
    if len(tokens) < size:
        return {zlib.crc32(" ".join(tokens).encode())} if tokens else set()
    return {zlib.crc32(" ".join(tokens[i:i + size]).encode()) for i in range(len(tokens) - size + 1)}


def jaccard(a: set[int], b: set[int]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


# A story is compared on its own shingles (those not shared by many stories of its
# outlet) when they are a paragraph or more, or half of it; otherwise (a story
# that is mostly text its outlet prints often: a wire story it ran three times)
# on its whole text.
MIN_OWN_SHARE = 0.5
MIN_OWN_SHINGLES = 25


class OutletShingles:
    """Per outlet (``None``: outlet unknown), in how many stories each shingle occurs."""

    def __init__(self, min_stories: int = 3):
        self.min_stories = int(min_stories)
        self._df: dict[str | None, dict[int, int]] = {}
        self._seen: set[tuple[str | None, str]] = set()

    def add(self, outlet: str | None, story_id: str, shingle_set: set[int]) -> None:
        if (outlet, story_id) in self._seen:
            return
        self._seen.add((outlet, story_id))
        df = self._df.setdefault(outlet, {})
        for sh in shingle_set:
            df[sh] = df.get(sh, 0) + 1

    def boilerplate(self, outlet: str | None, shingle_set: set[int]) -> set[int]:
        """The shingles of ``shingle_set`` that many stories of the outlet carry. None
        when the outlet is unknown: text shared by many stories of unknown, mixed
        outlets is a story reprinted, not one site's furniture."""
        if outlet is None:
            return set()
        df = self._df.get(outlet, {})
        return {sh for sh in shingle_set if df.get(sh, 0) >= self.min_stories}


def content_similarity(a: set[int], b: set[int], common_a: set[int] = frozenset(),
                       common_b: set[int] = frozenset()) -> float:
    """Jaccard similarity of two stories' own shingles (``common_*``: their outlets'
    boilerplate); of their whole shingle sets when either is mostly boilerplate."""
    own_a, own_b = a - common_a - common_b, b - common_a - common_b

    def substantial(own: set[int], full: set[int]) -> bool:
        return len(own) >= min(MIN_OWN_SHINGLES, MIN_OWN_SHARE * len(full)) and len(own) >= 5

    if substantial(own_a, a) and substantial(own_b, b):
        return jaccard(own_a, own_b)
    return jaccard(a, b)


def signature(text: str) -> np.ndarray:
    """MinHash signature (uint32 per permutation) of the text's shingles."""
    return signature_of(shingles(text))


def signature_of(shingle_set: set[int]) -> np.ndarray:
    """MinHash signature of a shingle set."""
    values = np.fromiter(shingle_set, dtype=np.uint64, count=len(shingle_set))
    if values.size == 0:
        return np.zeros(PERMUTATIONS, dtype=np.uint32)
    with np.errstate(over="ignore"):
        z = values[None, :] ^ _SEEDS[:, None]
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    return (z.min(axis=1) >> np.uint64(32)).astype(np.uint32)


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
