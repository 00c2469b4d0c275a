"""Technique tagging backends: one protocol, three implementations.

Every backend has one method, ``score(texts) -> list[TokenScores]``: for
each text, its tokens as char offsets into that text, the probability that
each token lies in a propaganda span (``si``), and the probability of each
technique given that it does (``tech``, columns in ``labels`` order).
The stage (:mod:`propwatch.techniques.stage`) turns these into spans.
Backends register in :data:`propwatch.registry.backends`:

- ``techniques_onnx`` (default): an ONNX token tagger with its
  ``tokenizer.json`` and ``techniques.json`` in one directory; the shipped
  one is ``propwatch/models/techniques/`` (MiniLM-L6 token tagger + conv
  head, and a MiniLM-L6 span classifier). onnxruntime + tokenizers only:
  no torch, no download.
- ``techniques_hf``: a Hugging Face token-classification model (a local
  directory or a hub id, downloaded by transformers when online); needs the
  ``train`` extra. Its ``config.id2label`` must name ``propaganda`` and the
  technique labels; outputs are read as independent sigmoids.
- ``techniques_fake``: a deterministic word lexicon; for tests and demos.

Long texts are cut into windows of ``max_length`` tokens that overlap by
half; a token's probabilities are the mean over the windows that hold it.

A backend may also be a :class:`SpanClassifier`: ``classify(texts, spans)``
gives P(technique | span) for given char spans, reading each span in its
context (``techniques_onnx`` when ``techniques.json`` has a ``classifier``
block; input built by :func:`span_input`). The stage then labels the spans
it decodes with it (see :mod:`propwatch.techniques.stage`).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigError, MissingExtraError
from ..mathutil import sigmoid, softmax
from ..registry import backends
from ..settings import BackendSettings, Field
from .inventory import PTC_TECHNIQUES

DEFAULT_BACKEND = "techniques_onnx"
META_FILE = "techniques.json"


@dataclass(frozen=True)
class TokenScores:
    """Per-token scores of one text: ``offsets[i] = (start, end)`` chars into it."""

    offsets: np.ndarray  # (n, 2) int64
    si: np.ndarray  # (n,) float32: P(token in a propaganda span)
    tech: np.ndarray  # (n, k) float32: P(technique | token in a span)
    labels: tuple[str, ...]

    @classmethod
    def empty(cls, labels: tuple[str, ...]) -> "TokenScores":
        return cls(
            np.zeros((0, 2), np.int64), np.zeros(0, np.float32), np.zeros((0, len(labels)), np.float32), labels
        )


@runtime_checkable
class TechniqueBackend(Protocol):
    """A token tagger: ``score(texts)`` gives one :class:`TokenScores` per text."""

    labels: tuple[str, ...]

    def score(self, texts: list[str]) -> list[TokenScores]: ...


@runtime_checkable
class SpanClassifier(Protocol):
    """Optional second capability: ``classify(texts, spans)`` gives, per text, an
    ``n_spans x labels`` array of P(technique | span) (rows sum to 1); ``classifier`` is
    its settings (``weight`` of the classifier against the token scores), None when off."""

    classifier: dict[str, Any] | None

    def classify(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[np.ndarray]: ...


def shipped_model_dir() -> Path:
    return Path(str(resources.files("propwatch").joinpath("models/techniques")))


def windows(n: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Token ranges of ``size`` (the last may be shorter) every ``stride`` tokens, covering ``0..n``."""
    if n <= size:
        return [(0, n)]
    out = []
    start = 0
    while True:
        end = min(start + size, n)
        out.append((start, end))
        if end == n:
            return out
        start += stride


def _average_windows(n: int, spans: list[tuple[int, int]], outs: list[np.ndarray], width: int) -> np.ndarray:
    acc = np.zeros((n, width), np.float32)
    cnt = np.zeros((n, 1), np.float32)
    for (s, e), out in zip(spans, outs):
        acc[s:e] += out[: e - s]
        cnt[s:e] += 1
    return acc / np.maximum(cnt, 1)


# ---------------------------------------------------------------- span classifier inputs

SPAN_MARKERS = ("«", "»")
"""The marker tokens put around the span in the classifier's input (both in the MiniLM vocabulary)."""


def token_runs(mask: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Runs of True items (tokens, words) as (first, last+1); runs apart by <= ``gap`` False items merge (the English decoder and the multilingual word model)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    runs = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i - prev - 1 > gap:
            runs.append((start, prev + 1))
            start = i
        prev = i
    runs.append((start, prev + 1))
    return runs


def span_token_range(offsets: np.ndarray, start: int, end: int) -> tuple[int, int]:
    """Tokens ``a..b`` (b exclusive) that overlap chars ``start..end``; an empty range at the
    next token when none does."""
    if len(offsets) == 0:
        return 0, 0
    inside = np.flatnonzero((offsets[:, 0] < end) & (offsets[:, 1] > start))
    if inside.size == 0:
        a = int(np.searchsorted(offsets[:, 0], start))
        return a, a
    return int(inside[0]), int(inside[-1]) + 1


def span_input(
    ids: Sequence[int], offsets: np.ndarray, start: int, end: int, max_length: int, special: Mapping[str, int]
) -> tuple[list[int], list[int]]:
    """The classifier's input for chars ``start..end`` of a text tokenized as ``ids``/``offsets``:
    ``[CLS] left « span » right [SEP]`` in at most ``max_length`` ids, the span cut to its first
    two thirds of the room, the context shared out left and right; and the span mask (1 on the
    markers and the span tokens)."""
    a, b = span_token_range(offsets, start, end)
    room = max_length - 4
    span = list(ids[a:b][: (2 * room) // 3])
    rest = room - len(span)
    left = min(a, rest // 2)
    right = min(len(ids) - b, rest - left)
    left = min(a, rest - right)
    seq = [special["cls"], *ids[a - left : a], special["open"], *span, special["close"], *ids[b : b + right], special["sep"]]
    mask = [0] * (1 + left) + [1] * (len(span) + 2) + [0] * (right + 1)
    return seq, mask


def span_features(text: str, start: int, end: int) -> list[float]:
    """Extra classifier inputs: log(1 + other occurrences of the span's text in the whole text,
    case-folded) and log(1 + span length in words) / 4."""
    needle = text[start:end].strip().casefold()
    others = max(text.casefold().count(needle) - 1, 0) if needle else 0
    return [float(np.log1p(others)), float(np.log1p(len(needle.split())) / 4.0)]


class OnnxTechniqueSettings(BackendSettings):
    model: str | None = Field(None, description="Model directory (None: the shipped propwatch/models/techniques/).")
    file: str | None = Field(
        None, description="ONNX file in it (None: the one techniques.json names, else model.int8.onnx)."
    )
    batch_size: int = Field(8, ge=1, description="Texts per ONNX run.")
    threads: int = Field(0, ge=0, description="onnxruntime intra-op threads (0: up to 4).")
    classifier: bool = Field(True, description="Label spans with the span classifier when techniques.json has one.")


@backends.register("techniques_onnx", version=1)
class OnnxTechniqueTagger:
    """An ONNX token tagger; loads on first use.

    The model directory holds ``tokenizer.json`` (Hugging Face tokenizers),
    ``techniques.json`` (``labels``, ``max_length``, ``cls_id``, ``sep_id``,
    optional ``decode`` settings) and the ONNX file, whose input is
    ``input_ids`` and ``attention_mask`` (int64, batch x seq) and whose
    output is logits (batch x seq x (1 + labels)): column 0 propaganda,
    then one per technique.
    """

    settings_model = OnnxTechniqueSettings

    def __init__(
        self,
        model: str | None = None,
        file: str | None = None,
        batch_size: int = 8,
        threads: int = 0,
        classifier: bool = True,
    ):
        self.model_dir = Path(model) if model else shipped_model_dir()
        meta_path = self.model_dir / META_FILE
        if not meta_path.is_file():
            raise ConfigError(f"stages.techniques.model: {self.model_dir} has no {META_FILE}")
        self.meta: dict[str, Any] = json.loads(meta_path.read_text("utf-8"))
        self.labels = tuple(self.meta.get("labels", PTC_TECHNIQUES))
        self.max_length = int(self.meta.get("max_length", 256))
        # the ONNX file: as named, else as techniques.json names it, else model.int8.onnx
        self.file = file or self.meta.get("file", "model.int8.onnx")
        self.batch_size = int(batch_size)
        self.threads = int(threads)
        # the span classifier, when techniques.json has one and it is not switched off
        self.classifier: dict[str, Any] | None = self.meta.get("classifier") if classifier else None
        self._session = None
        self._clf_session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        from ..backends.onnx import load_tokenizer, onnx_session

        tok = load_tokenizer(self.model_dir / "tokenizer.json")
        tok.no_truncation()
        path = self.model_dir / self.file
        if not path.is_file():
            raise ConfigError(f"stages.techniques.file: no {self.file} in {self.model_dir}")
        self._session = onnx_session(path, self.threads)
        self._tokenizer = tok
        if self.classifier is not None:
            clf = self.model_dir / self.classifier["file"]
            if not clf.is_file():
                raise ConfigError(f"stages.techniques.model: no {self.classifier['file']} in {self.model_dir} (techniques.json classifier)")
            self._clf_session = onnx_session(clf, self.threads)

    def score(self, texts: list[str]) -> list[TokenScores]:
        with self._lock:
            if self._session is None:
                self._load()
        inner = self.max_length - 2
        cls_id, sep_id = int(self.meta.get("cls_id", 101)), int(self.meta.get("sep_id", 102))
        encs = self._tokenizer.encode_batch([t for t in texts], add_special_tokens=False)
        # every window of every text, run in length-sorted batches
        jobs: list[tuple[int, int, int]] = []  # (text index, start, end)
        plans: list[list[tuple[int, int]]] = []
        for i, enc in enumerate(encs):
            plan = windows(len(enc.ids), inner, max(1, inner // 2)) if enc.ids else []
            plans.append(plan)
            jobs.extend((i, s, e) for s, e in plan)
        outs: dict[tuple[int, int], np.ndarray] = {}
        width = 1 + len(self.labels)
        # Batches hold windows of one text and one length: no padding, and the
        # int8 model's dynamic activation ranges never mix texts, so a text's
        # scores do not depend on what else is in the call.
        groups: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        for i, s, e in jobs:
            groups.setdefault((i, e - s), []).append((i, s, e))
        for group in groups.values():
            for b in range(0, len(group), self.batch_size):
                batch = group[b : b + self.batch_size]
                ids = np.asarray(
                    [[cls_id, *encs[i].ids[s:e], sep_id] for i, s, e in batch], np.int64
                )
                mask = np.ones_like(ids)
                logits = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
                for row, (i, s, e) in enumerate(batch):
                    outs[(i, s)] = sigmoid(logits[row, 1 : 1 + e - s, :width])
        result = []
        for i, enc in enumerate(encs):
            if not enc.ids:
                result.append(TokenScores.empty(self.labels))
                continue
            probs = _average_windows(len(enc.ids), plans[i], [outs[(i, s)] for s, _ in plans[i]], width)
            offsets = np.asarray(enc.offsets, np.int64).reshape(-1, 2)
            result.append(TokenScores(offsets, probs[:, 0], probs[:, 1:], self.labels))
        return result

    def classify(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> list[np.ndarray]:
        """P(technique | span) from the span classifier: for each text, one row per
        ``(start, end)`` of ``spans`` (``n x labels``, softmax; labels as :attr:`labels`)."""
        if self.classifier is None:
            raise ConfigError(f"stages.techniques.model: {self.model_dir} has no span classifier")
        with self._lock:
            if self._session is None:
                self._load()
        cfg = self.classifier
        tok = self._tokenizer
        special = {
            "cls": int(self.meta.get("cls_id", 101)),
            "sep": int(self.meta.get("sep_id", 102)),
            "open": tok.token_to_id(cfg.get("markers", SPAN_MARKERS)[0]),
            "close": tok.token_to_id(cfg.get("markers", SPAN_MARKERS)[1]),
        }
        order = [self.labels.index(t) for t in cfg.get("labels", self.labels)]
        max_length = int(cfg.get("max_length", 128))
        result = [np.zeros((len(sp), len(self.labels)), np.float32) for sp in spans]
        # Batches hold the spans of one text with inputs of one length (most are max_length
        # long): no padding, and a text's scores do not depend on the others in the call.
        groups: dict[tuple[int, int], list[tuple[int, list[int], list[int], list[float]]]] = {}
        for i, (text, text_spans) in enumerate(zip(texts, spans)):
            if not text_spans:
                continue
            enc = tok.encode(text, add_special_tokens=False)
            offsets = np.asarray(enc.offsets, np.int64).reshape(-1, 2)
            for j, (s, e) in enumerate(text_spans):
                seq, mask = span_input(enc.ids, offsets, s, e, max_length, special)
                groups.setdefault((i, len(seq)), []).append((j, seq, mask, span_features(text, s, e)))
        for (i, _n), group in groups.items():
            for b in range(0, len(group), self.batch_size):
                batch = group[b : b + self.batch_size]
                ids = np.asarray([x[1] for x in batch], np.int64)
                feed = {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "span_mask": np.asarray([x[2] for x in batch], np.float32),
                    "features": np.asarray([x[3] for x in batch], np.float32),
                }
                probs = softmax(self._clf_session.run(None, feed)[0])
                for row, (j, *_rest) in enumerate(batch):
                    result[i][j, order] = probs[row]
        return result


class HfTechniqueSettings(BackendSettings):
    model: str = Field(min_length=1, description="A model directory or a Hugging Face hub id.")
    max_length: int = Field(256, ge=2, description="Tokens per window; longer texts are read in overlapping windows.")
    batch_size: int = Field(8, ge=1, description="Windows per forward pass.")
    device: str | None = Field(None, description='torch device (None: "cpu").')


@backends.register("techniques_hf", version=1)
class HfTechniqueTagger:
    """A transformers token-classification model named by directory or hub id (lazy, torch)."""

    settings_model = HfTechniqueSettings

    def __init__(self, model: str, max_length: int = 256, batch_size: int = 8, device: str | None = None):
        self.model_name = model
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self.device = device
        self._model = None
        self._tokenizer = None
        self.labels: tuple[str, ...] = ()

    def _load(self) -> None:
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForTokenClassification, AutoTokenizer
        except ImportError:
            raise MissingExtraError("transformers", "train", "the transformers technique tagger") from None
        self._tokenizer = AutoTokenizer.from_pretrained(self.model_name)
        model = AutoModelForTokenClassification.from_pretrained(self.model_name)
        id2label = {int(k): v for k, v in model.config.id2label.items()}
        names = [id2label[i] for i in sorted(id2label)]
        if "propaganda" not in names:
            raise ConfigError(
                f"stages.techniques.model: {self.model_name} has no 'propaganda' label (labels: {names})"
            )
        self._si_col = names.index("propaganda")
        self._tech_cols = [i for i, n in enumerate(names) if n in PTC_TECHNIQUES]
        self.labels = tuple(names[i] for i in self._tech_cols)
        self._model = model.eval().to(self.device or "cpu")

    def score(self, texts: list[str]) -> list[TokenScores]:
        import torch

        if self._model is None:
            self._load()
        tok = self._tokenizer
        inner = self.max_length - 2
        result = []
        for text in texts:
            enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
            ids = enc["input_ids"]
            if not ids:
                result.append(TokenScores.empty(self.labels))
                continue
            plan = windows(len(ids), inner, max(1, inner // 2))
            outs = []
            for s, e in plan:
                piece = [tok.cls_token_id, *ids[s:e], tok.sep_token_id]
                with torch.no_grad():
                    logits = self._model(input_ids=torch.tensor([piece], device=self._model.device)).logits
                outs.append(sigmoid(logits[0, 1 : 1 + e - s].float().cpu().numpy()))
            probs = _average_windows(len(ids), plan, outs, outs[0].shape[1])
            offsets = np.asarray(enc["offset_mapping"], np.int64).reshape(-1, 2)
            result.append(TokenScores(offsets, probs[:, self._si_col], probs[:, self._tech_cols], self.labels))
        return result


_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)

FAKE_LEXICON = {
    "disgraceful": "Loaded_Language",
    "shameful": "Loaded_Language",
    "outrageous": "Loaded_Language",
    "traitor": "Name_Calling,Labeling",
    "traitors": "Name_Calling,Labeling",
    "puppet": "Name_Calling,Labeling",
    "catastrophe": "Appeal_to_fear-prejudice",
    "patriots": "Flag-Waving",
    "never": "Exaggeration,Minimisation",
}
"""Words the fake backend marks, with the technique it gives them."""


class FakeTechniqueSettings(BackendSettings):
    """No settings: a fixed word lexicon."""


@backends.register("techniques_fake", version=1)
class FakeTechniqueTagger:
    """Deterministic fake: words in :data:`FAKE_LEXICON` score 0.9, others 0.05."""

    settings_model = FakeTechniqueSettings

    def __init__(self, **_: Any):
        self.labels = PTC_TECHNIQUES

    def score(self, texts: list[str]) -> list[TokenScores]:
        result = []
        k = len(self.labels)
        for text in texts:
            toks = list(_WORD.finditer(text))
            offsets = np.asarray([(m.start(), m.end()) for m in toks], np.int64).reshape(-1, 2)
            si = np.full(len(toks), 0.05, np.float32)
            tech = np.full((len(toks), k), 1.0 / k, np.float32)
            for i, m in enumerate(toks):
                hit = FAKE_LEXICON.get(m.group().casefold())
                if hit:
                    si[i] = 0.9
                    tech[i] = 0.02
                    tech[i, self.labels.index(hit)] = 0.8
            result.append(TokenScores(offsets, si, tech, self.labels))
        return result


__all__ = [
    "DEFAULT_BACKEND",
    "FAKE_LEXICON",
    "FakeTechniqueTagger",
    "HfTechniqueTagger",
    "OnnxTechniqueTagger",
    "SPAN_MARKERS",
    "SpanClassifier",
    "TechniqueBackend",
    "TokenScores",
    "shipped_model_dir",
    "softmax",
    "span_features",
    "span_input",
    "span_token_range",
    "windows",
]
