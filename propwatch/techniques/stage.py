"""Persuasion technique spans: where each SemEval-2020 Task 11 technique is used.

``build_inputs -> backend -> parse_outputs``: the backend (see
:mod:`propwatch.techniques.backends`) scores every token of ``doc.text``
(the probability it lies in a propaganda span, and of each technique given
that it does); :func:`decode` turns those scores into spans:

1. tokens whose propaganda probability is at least ``threshold`` form runs;
   runs apart by at most ``gap`` tokens merge;
2. each run is snapped outwards to whole words (an apostrophe or hyphen
   inside a word counts as part of it) and, with the story's spaCy parse and
   ``phrases`` on, onto phrase and clause boundaries
   (:mod:`propwatch.techniques.phrases`); it is kept when it has at least
   ``min_chars`` characters;
3. its technique is the one with the highest probability: when the model
   has a span classifier, P(technique | span) read from the span in its
   context, blended with the tagger's token scores (:func:`blend`); else the
   mean token technique probability over the span. ``score`` = mean
   propaganda probability of its tokens x that technique's probability
   (how sure the model is that this stretch uses this technique); a second
   technique is added as its own record when its probability reaches
   ``second_threshold`` (and the span's other settings);
4. spans scored below ``min_score`` are not reported.

Settings left at ``None`` take the values tuned with the model (its
``techniques.json`` ``decode`` block). Offsets are char offsets into
``doc.text``.

Stories in Russian, French, German, Italian and Polish are read by the
multilingual models instead (:mod:`propwatch.techniques.multilingual`, one
per language, SemEval-2023 names, sentence spans, each technique at the
threshold chosen for its precision); the stage supports English and the
languages the shipped ``models/techniques_multilingual/`` has a model for,
and the others stay "not analysed". English stories never see them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from . import backends as _backends  # noqa: F401 - registers the technique backends
from ..languages import analysis_language, undetermined_language
from ..records import Document, Span, layer_record
from ..registry import backends
from ..settings import BackendName, Field, StageSettings
from ..stages.base import LayerStage, register_stage
from .backends import span_token_range, token_runs
from .multilingual import MultilingualTechniques
from .phrases import phrase_bounds, split_at_sentences, word_bounds


@layer_record("techniques")
@dataclass(frozen=True, slots=True)
class TechniqueSpan(Span):
    """A stretch of text that uses ``technique`` (a PTC label), with the model's ``score`` (0..1)."""

    layer_name: ClassVar[str]
    technique: str = ""
    score: float = 0.0
    # inside the words of someone the story quotes (a direct quote of the quotes layer):
    # the technique is the speaker's, not necessarily the outlet's own
    quoted: bool = False


DECODE_DEFAULTS: dict[str, Any] = {
    "threshold": 0.5,
    "gap": 1,
    "min_chars": 3,
    "snap_words": True,
    "second_threshold": 1.01,  # off
    "phrases": True,
    "phrase_ratio": 1.5,
    "sentence_cover": 0.5,
    "split_sentences": False,
    "min_score": 0.1,  # dev (37 PTC articles): SI P 0.345 -> 0.379, SI+TC F1 0.234 -> 0.237
}


def _settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    cfg = dict(DECODE_DEFAULTS)
    cfg.update({k: v for k, v in (settings or {}).items() if v is not None})
    return cfg


def find_spans(text: str, ts, settings: Mapping[str, Any] | None = None, parse: Any = None) -> list[tuple[int, int, int, int]]:
    """Steps 1-2 of decoding: ``(start, end, first token, last token + 1)`` of each span.

    ``parse`` (a spaCy parse of ``text``) moves the spans onto phrase and clause
    boundaries when the ``phrases`` setting is on."""
    cfg = _settings(settings)
    if len(ts.si) == 0:
        return []
    out = []
    last_end = -1
    for a, b in token_runs(ts.si >= float(cfg["threshold"]), int(cfg["gap"])):
        start, end = int(ts.offsets[a, 0]), int(ts.offsets[b - 1, 1])
        if cfg["snap_words"]:
            start, end = word_bounds(text, start, end)
        start = max(start, last_end)  # snapping may reach into the previous span
        if end - start < int(cfg["min_chars"]) or not text[start:end].strip():
            continue
        last_end = end
        out.append((start, end, a, b))
    if parse is not None and cfg["phrases"] and out and parse.text == text:
        pieces = [(s, e) for s, e, _a, _b in out]
        if cfg["split_sentences"]:
            pieces = [(s, e) for s, e in split_at_sentences(parse, pieces) if e - s >= int(cfg["min_chars"])]
        snapped = phrase_bounds(parse, pieces, float(cfg["phrase_ratio"]), float(cfg["sentence_cover"]))
        names = [(e.start_char, e.end_char) for e in parse.ents]
        snapped = [word_bounds(text, s, e, names) for s, e in snapped]  # a span never cuts a name
        out = [(s, e, *span_token_range(ts.offsets, s, e)) for s, e in snapped]
        out = [(s, e, a, b) for s, e, a, b in out if b > a]
    return out


def decode(text: str, ts, settings: Mapping[str, Any] | None = None, span_probs=None, parse: Any = None) -> list[TechniqueSpan]:
    """Token scores of ``text`` -> technique spans (see the module docstring).

    ``span_probs`` (one row of technique probabilities per span of :func:`find_spans`, e.g.
    from the span classifier) replaces the mean token technique probabilities."""
    cfg = _settings(settings)
    out: list[TechniqueSpan] = []
    min_score = float(cfg["min_score"])
    for i, (start, end, a, b) in enumerate(find_spans(text, ts, cfg, parse)):
        si = float(ts.si[a:b].mean())
        tech = np.asarray(span_probs[i]) if span_probs is not None else ts.tech[a:b].mean(axis=0)
        order = np.argsort(-tech, kind="stable")
        best = int(order[0])
        if si * float(tech[best]) < min_score:
            continue
        out.append(TechniqueSpan.of(text, start, end, technique=ts.labels[best], score=round(si * float(tech[best]), 4)))
        if len(order) > 1:
            second = int(order[1])
            if float(tech[second]) >= float(cfg["second_threshold"]) and si * float(tech[second]) >= min_score:
                out.append(
                    TechniqueSpan.of(text, start, end, technique=ts.labels[second], score=round(si * float(tech[second]), 4))
                )
    return out


def mark_quoted(spans: Sequence[TechniqueSpan], quotes: Sequence[tuple[int, int]]) -> list[TechniqueSpan]:
    """``spans`` with ``quoted`` set on those lying mostly (over half their chars) inside a quote."""
    import dataclasses

    out = []
    for sp in spans:
        inside = sum(max(0, min(sp.end, e) - max(sp.start, s)) for s, e in quotes)
        out.append(dataclasses.replace(sp, quoted=True) if sp.end > sp.start and inside * 2 > sp.end - sp.start else sp)
    return out


def token_technique_probs(ts, start: int, end: int) -> np.ndarray:
    """Mean technique probabilities of the tokens that overlap ``start..end`` (uniform when none)."""
    k = len(ts.labels)
    if len(ts.si) == 0:
        return np.full(k, 1.0 / k, np.float32)
    inside = (ts.offsets[:, 0] < end) & (ts.offsets[:, 1] > start)
    if not inside.any():
        return np.full(k, 1.0 / k, np.float32)
    return ts.tech[inside].mean(axis=0)


def rank_techniques(ts, start: int, end: int) -> list[str]:
    """Techniques ranked by mean probability over the tokens that overlap ``start..end``."""
    tech = token_technique_probs(ts, start, end)
    return [ts.labels[int(i)] for i in np.argsort(-tech, kind="stable")]


def blend(classifier_probs: np.ndarray, token_probs: np.ndarray, weight: float) -> np.ndarray:
    """``weight`` x the classifier's P(technique | span) + (1 - weight) x the tagger's mean
    token technique probabilities, normalised to sum 1 (rows: spans)."""
    tok = np.asarray(token_probs, np.float32).reshape(classifier_probs.shape)
    tok = tok / np.maximum(tok.sum(axis=-1, keepdims=True), 1e-9)
    return (weight * classifier_probs + (1.0 - weight) * tok).astype(np.float32)


class TechniqueTagger:
    """A backend plus decoding settings: text in, :class:`TechniqueSpan` records out.

    When the backend has a span classifier (:class:`~propwatch.techniques.backends.SpanClassifier`
    with a ``classifier`` block), each span's techniques are the classifier's probabilities
    blended with the tagger's token scores (:func:`blend`; the block's ``decode_weight`` for
    decoded spans, ``weight`` for spans given whole)."""

    def __init__(self, backend, decode_settings: Mapping[str, Any] | None = None):
        self.backend = backend
        self.settings = dict(DECODE_DEFAULTS)
        model_decode = getattr(backend, "meta", {}).get("decode", {}) if hasattr(backend, "meta") else {}
        self.settings.update(model_decode)
        self.settings.update({k: v for k, v in (decode_settings or {}).items() if v is not None})

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "TechniqueTagger":
        cfg = dict(config)
        name = cfg.pop("backend", None) or "techniques_onnx"
        decode_settings = {k: cfg.pop(k) for k in list(cfg) if k in DECODE_DEFAULTS}
        backend_cls = backends.get(name)
        kwargs = {k: v for k, v in cfg.items() if v is not None}
        if name.startswith("techniques_hf") and "model" not in kwargs:
            from ..errors import ConfigError

            raise ConfigError("stages.techniques.model: the techniques_hf backend needs a model id or directory")
        return cls(backend_cls(**kwargs), decode_settings)

    @property
    def classifier(self) -> dict[str, Any] | None:
        """The span classifier's settings, or None when the backend has none (or it is off)."""
        return getattr(self.backend, "classifier", None) if hasattr(self.backend, "classify") else None

    def score(self, texts: list[str]):
        return self.backend.score(list(texts))

    def technique_probs(
        self, texts: Sequence[str], scores, spans: Sequence[Sequence[tuple[int, int]]], decoded: bool = False
    ) -> list[np.ndarray]:
        """Per text, one row of technique probabilities per ``(start, end)`` span: the
        classifier's blended with the token scores, else the mean token probabilities.

        The blend weight is the classifier block's ``weight`` for spans given whole (TC on
        gold spans), its ``decode_weight`` for spans the tagger decoded (``decoded``): those
        are often fragments of a gold span, where the tagger's own token scores count more."""
        texts = list(texts)
        token = [
            np.asarray([token_technique_probs(ts, s, e) for s, e in sp], np.float32).reshape(len(sp), len(ts.labels))
            for ts, sp in zip(scores, spans)
        ]
        clf = self.classifier
        if clf is None:
            return token
        probs = self.backend.classify(texts, [list(sp) for sp in spans])
        weight = float(clf.get("decode_weight", clf.get("weight", 1.0)) if decoded else clf.get("weight", 1.0))
        return [blend(p, t, weight) if len(p) else p for p, t in zip(probs, token)]

    def span_probs(self, texts: Sequence[str], scores, parses: Sequence[Any] | None = None) -> list[np.ndarray | None]:
        """The span classifier's input to :meth:`decode` for each text (None without a classifier)."""
        if self.classifier is None:
            return [None] * len(scores)
        parses = parses if parses is not None else [None] * len(scores)
        spans = [[(s, e) for s, e, _a, _b in find_spans(t, ts, self.settings, p)] for t, ts, p in zip(texts, scores, parses)]
        return list(self.technique_probs(texts, scores, spans, decoded=True))

    def decode(self, text: str, ts, span_probs=None, parse: Any = None) -> list[TechniqueSpan]:
        return decode(text, ts, self.settings, span_probs, parse)

    def rank_spans(self, texts: Sequence[str], scores, spans: Sequence[Sequence[tuple[int, int]]]) -> list[list[list[str]]]:
        """Techniques ranked for each given span of each text (classifier when there is one)."""
        out = []
        for ts, probs in zip(scores, self.technique_probs(texts, scores, spans)):
            out.append([[ts.labels[int(i)] for i in np.argsort(-row, kind="stable")] for row in probs])
        return out

    def tag_scored(self, texts: Sequence[str], scores, parses: Sequence[Any] | None = None) -> list[list[TechniqueSpan]]:
        texts = list(texts)
        parses = list(parses) if parses is not None else [None] * len(texts)
        probs = self.span_probs(texts, scores, parses)
        return [self.decode(t, ts, p, sd) for t, ts, p, sd in zip(texts, scores, probs, parses)]

    def tag(self, texts: Sequence[str], parses: Sequence[Any] | None = None) -> list[list[TechniqueSpan]]:
        texts = list(texts)
        return self.tag_scored(texts, self.score(texts), parses)


class TechniquesSettings(StageSettings):
    backend: BackendName("techniques") = Field(
        "techniques_onnx", description="Technique tagging backend: techniques_onnx, techniques_hf or techniques_fake."
    )
    model: str = Field(
        "", description='"" = the shipped model; else a model directory (or a hub id for techniques_hf).'
    )
    file: str = Field("", description='"" = the file the model\'s techniques.json names (default model.int8.onnx).')
    batch_size: int = Field(8, ge=1, description="Texts per model call.")
    threads: int = Field(0, ge=0, description="onnxruntime intra-op threads (0: up to 4).")
    classifier: bool = Field(True, description="Label spans with the model's span classifier when it has one.")
    # decoding; unset (None) = the model's tuned value (techniques.json "decode"), else DECODE_DEFAULTS
    threshold: float | None = Field(
        None, ge=0, le=1, description="Token propaganda probability that starts a span (unset: the model's tuned value)."
    )
    gap: int | None = Field(None, ge=0, description="Runs of tokens apart by at most this many merge into one span.")
    min_chars: int | None = Field(None, ge=0, description="Spans shorter than this many characters are dropped.")
    second_threshold: float | None = Field(
        None, ge=0, description="A span's second technique is also reported at this probability (above 1: never)."
    )
    phrases: bool | None = Field(
        None, description="Move spans onto phrase and clause boundaries of the spaCy parse (unset: on)."
    )
    phrase_ratio: float | None = Field(
        None, ge=1, description="A span widens to the largest constituent at most this many times its length (unset: 1.5)."
    )
    sentence_cover: float | None = Field(
        None, ge=0, le=1.01, description="A span covering this share of its sentence's words becomes the sentence (unset: 0.5)."
    )
    split_sentences: bool | None = Field(
        None, description="Cut spans where a sentence ends (with phrases on; unset: off)."
    )
    min_score: float | None = Field(
        None, ge=0, le=1, description="Spans scored below this are not reported (unset: the model's tuned value)."
    )
    quoted_speech: Literal["mark", "drop"] = Field(
        "mark", description='Spans inside direct quotes: "mark" them quoted (the speaker\'s words), "drop" them.'
    )
    spacy_model: str = Field(
        "", description='The spaCy pipeline for phrase boundaries; "" reuses the entities stage\'s parse (or the default model).'
    )

    def backend_options(self):
        options = {"model": self.model or None, "file": self.file or None, "batch_size": self.batch_size,
                   "threads": self.threads, "classifier": self.classifier}
        return self.backend, options


@register_stage("techniques", version=1)
class TechniquesStage(LayerStage):
    """Marks where persuasion techniques are used, with a confidence per span."""

    requires = ("text",)
    optional = ("quotes",)  # spans inside direct quotes are marked (or dropped: quoted_speech)
    assigns = ("techniques",)
    languages = ("en",)  # the English model; the multilingual models add theirs (supported_languages)
    layer = "techniques"
    settings_model = TechniquesSettings

    def __init__(self, config: Mapping[str, Any] | None = None):
        super().__init__(config)  # checked against TechniquesSettings, defaults filled in
        self._tagger: TechniqueTagger | None = None
        self._nlp = None
        self._multilingual: MultilingualTechniques | None = None
        self._undetermined = "en"  # the language a story of undetermined language is read in ([pipeline])

    def supported_languages(self) -> tuple[str, ...]:
        """English (the configured backend) and each language of the shipped multilingual models."""
        return (*self.languages, *(lang for lang in self.multilingual.languages if lang not in self.languages))

    @property
    def multilingual(self) -> MultilingualTechniques:
        """The per-language linear models (the shipped directory); each loads on first use."""
        if self._multilingual is None:
            self._multilingual = MultilingualTechniques()
        return self._multilingual

    def setup(self, resources) -> None:
        """The tagger (and span classifier), loaded once per process for these settings;
        the spaCy pipeline when spans go onto phrase boundaries; the multilingual models."""
        self._tagger = resources.get(("techniques", self.config_hash), self._make_tagger)
        self._nlp = resources.spacy(self.config.get("spacy_model") or "auto") if self.tagger.settings.get("phrases") else None
        self._multilingual = resources.get(("techniques_multilingual",), MultilingualTechniques)
        self._undetermined = undetermined_language(getattr(resources, "config", None))

    def _make_tagger(self) -> TechniqueTagger:
        self._tagger = None
        return self.tagger

    @property
    def tagger(self) -> TechniqueTagger:
        """The tagger; ``setup`` loads it, else it loads on first use (scripts, eval)."""
        if self._tagger is None:
            cfg = dict(self.config)
            if not cfg.get("model"):
                cfg.pop("model", None)
            if cfg.get("backend", "techniques_onnx").startswith("techniques_hf"):
                cfg.pop("file", None)
                cfg.pop("threads", None)
                cfg.pop("classifier", None)
            cfg.pop("spacy_model", None)
            cfg.pop("quoted_speech", None)
            if cfg.get("backend", "").startswith("techniques_fake"):
                cfg = {k: v for k, v in cfg.items() if k in DECODE_DEFAULTS or k == "backend"}
            self._tagger = TechniqueTagger.from_config(cfg)
        return self._tagger

    def build_inputs(self, docs: Sequence[Document]) -> list[str]:
        return [doc.text for doc in docs]

    def parse_outputs(self, texts: list[str], scores: list, span_probs: list | None = None,
                      parses: list | None = None) -> list[list[TechniqueSpan]]:
        probs = span_probs if span_probs is not None else [None] * len(texts)
        parses = parses if parses is not None else [None] * len(texts)
        return [self.tagger.decode(t, ts, p, sd) for t, ts, p, sd in zip(texts, scores, probs, parses)]

    def predict(self, docs: Sequence[Document]) -> list[list[TechniqueSpan]]:
        langs = [analysis_language(d, self._undetermined) for d in docs]
        other = {i: lang for i, lang in enumerate(langs) if lang in self.multilingual.languages}
        english = [d for i, d in enumerate(docs) if i not in other]
        found_en = iter(self._predict_english(english) if english else [])
        found = [self.predict_multilingual(d.text, other[i]) if i in other else next(found_en) for i, d in enumerate(docs)]
        drop = self.config.get("quoted_speech", "mark") == "drop"
        out = []
        for doc, spans in zip(docs, found):
            quoted = mark_quoted(spans, [(q.start, q.end) for q in doc.layers.get("quotes", ()) if getattr(q, "direct", False)])
            out.append([sp for sp in quoted if not (drop and sp.quoted)])
        return out

    def _predict_english(self, docs: Sequence[Document]) -> list[list[TechniqueSpan]]:
        texts = self.build_inputs(docs)
        scores = self.tagger.score(texts)
        parses = None
        if self._nlp is not None:
            from ..who.nlp import parses as parse_batch

            parses = parse_batch(docs, self._nlp, self.config.get("spacy_model", ""))
        return self.parse_outputs(texts, scores, self.tagger.span_probs(texts, scores, parses), parses)

    def predict_multilingual(self, text: str, language: str) -> list[TechniqueSpan]:
        """The multilingual model's spans of ``text`` in ``language`` (SemEval-2023 names)."""
        return [TechniqueSpan.of(text, f.start, f.end, technique=f.technique, score=f.score)
                for f in self.multilingual.find(text, language)]

    def close(self) -> None:
        self._tagger = None


__all__ = [
    "DECODE_DEFAULTS",
    "TechniqueSpan",
    "TechniqueTagger",
    "TechniquesStage",
    "blend",
    "decode",
    "find_spans",
    "mark_quoted",
    "rank_techniques",
    "token_runs",
    "token_technique_probs",
]
