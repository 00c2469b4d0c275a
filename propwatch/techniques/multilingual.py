"""Technique spans in Russian, French, German, Italian and Polish: linear models over words.

The shipped models (``propwatch/models/techniques_multilingual/``, trained by
``train/techniques_multilingual.py`` on SemEval-2023 Task 3 span labels; see
its ``MODEL_CARD.md``) are numpy arrays: a vocabulary of feature strings, their
idf and one column of coefficients per technique. No scikit-learn, no torch.

Each language has up to two models, and each technique is read by the one
chosen for it on cross-validated training articles:

- **sentence** (``level = "sentence"``): the sentence (a line cut at ``.!?``,
  :func:`sentence_bounds`) is the span; features are the character 2-5-grams of
  its lower-cased words and its word uni- and bigrams (:func:`sentence_features`);
- **word** (``level = "word"``): each word scores the probability that it lies
  in a span of the technique, from the word, its prefixes and suffixes and its
  neighbours (:func:`word_features`); runs of words at or above the threshold
  (apart by at most one word, inside one sentence) are the spans. Short
  techniques (loaded language, name calling) are read this way.

Features become tf-idf vectors as scikit-learn's ``TfidfVectorizer`` makes them
(``sublinear_tf``, smooth idf, L2 norm), so the training script fits the
vectorizer on these very feature functions and the scores here equal
scikit-learn's (the training script checks it). A technique is reported when
its probability reaches the threshold chosen for it (a stated precision on the
training articles' cross-validation); techniques that never reached that
precision are left out of the model. Technique names are the SemEval-2023
inventory (:data:`~propwatch.techniques.inventory.SEMEVAL2023_TECHNIQUES`).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .backends import token_runs

META_FILE = "multilingual.json"

FOLDERS = {"ru": "ru", "fr": "fr", "de": "ge", "it": "it", "pl": "po"}
"""ISO 639-1 code (as the language stage gives it) -> SemEval-2023 folder name."""

_SENT = re.compile(r"[^\n.!?]+[.!?]*")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_SPACES = re.compile(r"\s\s+")


def shipped_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/techniques_multilingual")))


def sentence_bounds(text: str, min_chars: int = 10) -> list[tuple[int, int]]:
    """Sentences of ``text`` as (start, end): lines cut after ``.!?``, trimmed, at least ``min_chars`` long."""
    out = []
    for m in _SENT.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= min_chars:
            out.append((s, e))
    return out


def word_bounds(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Words of ``text[start:end]`` as (start, end) offsets into ``text``."""
    return [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]


def sentence_features(sentence: str) -> list[str]:
    """Character 2-5-grams inside the lower-cased words (as scikit-learn's ``char_wb``), and
    ``w:`` word unigrams and ``b:`` bigrams (words of two or more word characters)."""
    low = sentence.lower()
    out: list[str] = []
    for w in _SPACES.sub(" ", low).split():
        w = f" {w} "
        n_w = len(w)
        for n in range(2, 6):
            if n >= n_w:
                out.append(w)
                break
            out.extend(w[i : i + n] for i in range(n_w - n + 1))
    toks = _TOKEN.findall(low)
    out.extend("w:" + t for t in toks)
    out.extend(f"b:{a} {b}" for a, b in zip(toks, toks[1:]))
    return out


def word_features(words: Sequence[str], i: int) -> list[str]:
    """Features of word ``i`` of a sentence's ``words``: the word, its 3-6 prefixes and 2-4
    suffixes, its shape, and its two neighbours on each side (with their 5-prefixes)."""
    w = words[i]
    low = w.lower()
    out = ["w=" + low]
    out.extend(f"p{k}={low[:k]}" for k in range(3, 7) if len(low) > k)
    out.extend(f"s{k}={low[-k:]}" for k in range(2, 5) if len(low) > k)
    if w[:1].isupper():
        out.append("cap" if i else "cap0")
    if len(w) > 1 and w.isupper():
        out.append("upper")
    for d in (-2, -1, 1, 2):
        j = i + d
        if 0 <= j < len(words):
            nb = words[j].lower()
            out.append(f"{d}={nb}")
            out.append(f"{d}p={nb[:5]}")
        else:
            out.append(f"{d}=<edge>")
    if i > 0:
        out.append(f"b-={words[i - 1].lower()} {low}")
    if i + 1 < len(words):
        out.append(f"b+={low} {words[i + 1].lower()}")
    return out


@dataclass
class LinearModel:
    """tf-idf features -> one logistic regression per technique (columns of ``coef``)."""

    vocab: dict[str, int]
    idf: np.ndarray  # (n_features,) float32
    coef: np.ndarray  # (n_features, n_techniques) float32
    intercept: np.ndarray  # (n_techniques,) float32
    techniques: tuple[str, ...]

    @classmethod
    def load(cls, path: Path, prefix: str) -> "LinearModel":
        with np.load(path, allow_pickle=False) as z:
            names = bytes(z[f"{prefix}_vocab"]).decode("utf-8").split("\n")
            return cls(
                {name: i for i, name in enumerate(names)},
                z[f"{prefix}_idf"].astype(np.float32),
                z[f"{prefix}_coef"].astype(np.float32),
                z[f"{prefix}_intercept"].astype(np.float32),
                tuple(json.loads(str(z[f"{prefix}_techniques"]))),
            )

    def vector(self, features: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """The tf-idf vector of ``features`` as (indices, values): sublinear tf x idf, L2-normed."""
        counts = Counter(self.vocab[f] for f in features if f in self.vocab)
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        idx = np.fromiter(counts.keys(), np.int64, len(counts))
        tf = np.fromiter(counts.values(), np.float64, len(counts))
        val = (1.0 + np.log(tf)) * self.idf[idx]
        norm = math.sqrt(float(np.dot(val, val)))
        return idx, (val / norm if norm else val).astype(np.float32)

    def probabilities(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        """P(technique) for each feature list of ``rows`` (``len(rows) x techniques``)."""
        out = np.zeros((len(rows), len(self.techniques)), np.float32)
        for r, feats in enumerate(rows):
            idx, val = self.vector(feats)
            z = self.intercept + (val @ self.coef[idx] if len(idx) else 0.0)
            out[r] = 1.0 / (1.0 + np.exp(-z))
        return out


@dataclass(frozen=True)
class Found:
    """One span the model reports: char offsets, technique, score (its probability), level."""

    start: int
    end: int
    technique: str
    score: float
    level: str


class LanguageModel:
    """The sentence and word models of one language with their per-technique thresholds."""

    def __init__(self, sentence: LinearModel | None, word: LinearModel | None, thresholds: dict[str, dict[str, Any]],
                 gap: int = 1):
        self.sentence = sentence
        self.word = word
        self.thresholds = thresholds  # technique -> {"level": ..., "threshold": ...}
        self.gap = int(gap)

    def _chosen(self, model: LinearModel | None, level: str) -> list[tuple[int, str, float]]:
        if model is None:
            return []
        out = []
        for j, tech in enumerate(model.techniques):
            t = self.thresholds.get(tech)
            if t is not None and t["level"] == level:
                out.append((j, tech, float(t["threshold"])))
        return out

    def find(self, text: str) -> list[Found]:
        """Technique spans of ``text`` (offsets into it), sorted by start."""
        sents = sentence_bounds(text)
        found: list[Found] = []
        chosen = self._chosen(self.sentence, "sentence")
        if chosen and sents:
            probs = self.sentence.probabilities([sentence_features(text[s:e]) for s, e in sents])
            for (s, e), row in zip(sents, probs):
                for j, tech, thr in chosen:
                    if row[j] >= thr:
                        found.append(Found(s, e, tech, round(float(row[j]), 4), "sentence"))
        chosen = self._chosen(self.word, "word")
        if chosen:
            for s, e in sents:
                bounds = word_bounds(text, s, e)
                if not bounds:
                    continue
                words = [text[a:b] for a, b in bounds]
                probs = self.word.probabilities([word_features(words, i) for i in range(len(words))])
                for j, tech, thr in chosen:
                    for a, b in token_runs(probs[:, j] >= thr, self.gap):
                        found.append(Found(bounds[a][0], bounds[b - 1][1], tech,
                                           round(float(probs[a:b, j].mean()), 4), "word"))
        found.sort(key=lambda f: (f.start, f.end, f.technique))
        return found


class MultilingualTechniques:
    """The shipped (or a given) directory of per-language models; each loads on first use."""

    def __init__(self, model_dir: str | Path | None = None):
        self.model_dir = Path(model_dir) if model_dir else shipped_dir()
        meta_path = self.model_dir / META_FILE
        self.meta: dict[str, Any] = json.loads(meta_path.read_text("utf-8")) if meta_path.is_file() else {"languages": {}}
        self._models: dict[str, LanguageModel] = {}
        self._lock = threading.Lock()

    @property
    def languages(self) -> tuple[str, ...]:
        """ISO codes of the languages the directory has a model for."""
        return tuple(sorted(self.meta.get("languages", {})))

    def model(self, language: str) -> LanguageModel:
        with self._lock:
            if language not in self._models:
                info = self.meta.get("languages", {}).get(language)
                if info is None:
                    raise ConfigError(f"stages.techniques: no multilingual technique model for language {language!r}")
                path = self.model_dir / info["file"]
                if not path.is_file():
                    raise ConfigError(f"stages.techniques: {path} is missing (multilingual.json names it)")
                with np.load(path, allow_pickle=False) as z:
                    keys = set(z.files)
                self._models[language] = LanguageModel(
                    LinearModel.load(path, "sentence") if "sentence_vocab" in keys else None,
                    LinearModel.load(path, "word") if "word_vocab" in keys else None,
                    info["thresholds"], int(info.get("gap", 1)),
                )
            return self._models[language]

    def find(self, text: str, language: str) -> list[Found]:
        return self.model(language).find(text)


__all__ = [
    "FOLDERS",
    "Found",
    "LanguageModel",
    "LinearModel",
    "MultilingualTechniques",
    "sentence_bounds",
    "sentence_features",
    "shipped_dir",
    "word_bounds",
    "word_features",
]
