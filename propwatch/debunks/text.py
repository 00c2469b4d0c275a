"""Text normalisation and tokens for debunk retrieval and stance features.

One tokenizer for the whole area so that the BM25 index, the stance
features and the evaluation see the same words: lower case, URLs and
handles dropped, the English stop list (``data/words/stopwords.txt``), and a light suffix stemmer
(plural, -ing, -ed) that keeps "refuted"/"refutes" together without a
stemming package.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from .. import lexicon

_URL = re.compile(r"https?://\S+|www\.\S+|pic\.twitter\.com/\S+", re.I)
_HANDLE = re.compile(r"@\w+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_WS = re.compile(r"\s+")

STOPWORDS = lexicon.words("stopwords")  # data/words/stopwords.txt; negations are kept


def normalize(text: str) -> str:
    """NFKC, URLs and handles removed, white space collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    return _WS.sub(" ", text).strip()


def stem(word: str) -> str:
    """A light English suffix stripper (deterministic, no dictionary)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (stop words kept)."""
    return [w.replace("’", "'") for w in _WORD.findall(normalize(text).casefold())]


def tokens(text: str) -> list[str]:
    """Stemmed content words: what BM25 indexes."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def content_key(*parts: str | None) -> str:
    """A stable hash of normalised parts (case and spacing do not change it)."""
    norm = "\x1f".join(_WS.sub(" ", unicodedata.normalize("NFKC", p or "").casefold()).strip() for p in parts)
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]
