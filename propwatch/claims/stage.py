"""Stage ``claims``: the check-worthy factual claims of a story.

One :class:`Claim` per check-worthy sentence or clause (a sentence is cut at
semicolons into clauses when both sides are long enough to stand alone).
Each claim carries:

- ``checkworthiness`` in [0, 1] from the check-worthiness backend
  (``checkworthiness_linear``, the shipped model; ``checkworthiness_fake``
  for tests);
- ``entities``: canonical ids of the actors it names, from the ``entities``
  layer when the story has one, else from the built-in alias map;
- ``attributed_to``: who the story says asserts it -- the speaker of a
  ``quotes`` record that covers it (with the quote's offsets), or an
  "according to X" / "X said" pattern in the sentence; ``None`` when the
  story asserts it in its own voice;
- ``normalized``: the claim for matching (aliases and an opening pronoun
  resolved, attribution cut); see :mod:`propwatch.claims.normalize`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from . import checkworthiness as _checkworthiness  # noqa: F401  (registers its backends)
from .. import lexicon
from ..records import Document, Span, layer_record
from ..settings import BackendName, Field, StageSettings
from ..stages.base import LayerStage, register_stage


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who the story says asserts a claim.

    ``source``: "quote" (a record of the quotes layer covers the claim;
    ``quote_start``/``quote_end`` are that quote's offsets) or "pattern"
    ("according to X", "X said" inside the sentence).
    """

    name: str | None = None
    entity_id: str | None = None
    kind: str = "unknown"
    source: str = "pattern"
    quote_start: int | None = None
    quote_end: int | None = None


@layer_record("claims")
@dataclass(frozen=True, slots=True)
class Claim(Span):
    """A check-worthy factual claim: a sentence or clause of the story."""

    layer_name: ClassVar[str]
    checkworthiness: float = 0.0
    sentence: int = 0
    entities: tuple[str, ...] = ()
    attributed_to: Attribution | None = None
    normalized: str = ""
    # how ``checkworthiness`` was made: "" the configured backend; "ru_rules.v1" the Russian rules (claims/ru.py)
    method: str = ""


_SPLIT_CLAUSE = re.compile(r";\s+")
_WORD = re.compile(r"\w+")
_ACCORDING = re.compile(r"\baccording to ((?:the |a |an )?[^,.;]{2,80}?)(?=[,.;]|$)", re.IGNORECASE)
_SAID_BY = re.compile(
    r"(?:^|[,\"”]\s*)((?:the |a )?(?:[A-Z][\w.'’-]*|deputy|defence|defense|foreign|prime|minister|ministry|"
    r"report|spokesman|spokeswoman|official|officials|sources?|documents?)(?:\s+[\w.'’-]+){0,7}?)\s+"
    r"(?:" + lexicon.alternation(lexicon.forms_of("speech_verbs", ("say", "claim", "state", "report", "tell", "note", "allege", "insist"))
                                 | {"wrote"}) + r")\b"
)
# "..., said the minister": the verbs that take their speaker after them (data/words/speech_verbs.txt)
_SAID_AFTER = re.compile(r"\b(?:" + lexicon.alternation(lexicon.forms_of(
    "speech_verbs", ("say", "claim", "state", "tell", "note", "allege"))) + r")\s+((?:the |a )?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4})")


def clauses(sent_text: str, min_words: int = 6) -> list[tuple[int, int]]:
    """(start, end) of the clauses of a sentence, relative to it."""
    cuts = [0]
    for m in _SPLIT_CLAUSE.finditer(sent_text):
        cuts.append(m.end())
    spans = []
    for a, b in zip(cuts, cuts[1:] + [len(sent_text) + 2]):
        end = min(b, len(sent_text))
        piece = sent_text[a:end].rstrip("; \n")
        spans.append((a, a + len(piece)))
    if len(spans) > 1 and all(len(_WORD.findall(sent_text[a:b])) >= min_words for a, b in spans):
        return spans
    return [(0, len(sent_text.rstrip()))]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class ClaimsSettings(StageSettings):
    backend: BackendName("checkworthiness") = Field(
        "checkworthiness_onnx",
        description="Check-worthiness backend: checkworthiness_onnx (shipped fine-tuned MiniLM, averaged with the "
        "linear model), checkworthiness_linear (embedding + TF-IDF alone) or checkworthiness_fake.",
    )
    embedder: BackendName("embeddings", "") = Field(
        "", description='Embeddings backend for the linear model ("" = the one it was trained with).'
    )
    min_score: float = Field(
        -1.0, le=1, description="Keep claims scoring at least this; a negative value means the model's tuned threshold."
    )
    min_words: int = Field(5, ge=0, description="Sentences with fewer words are never claims.")
    max_chars: int = Field(600, ge=1, description="Sentences with more characters are skipped (tables, run-on scrapes).")

    def backend_options(self):
        return self.backend, {"embedder": self.embedder or None}


@register_stage("claims", version=1)
class ClaimsStage(LayerStage):
    requires = ("text", "sentences")
    # who the story attributes a claim to, and the actors it involves
    optional = ("entities", "quotes")
    assigns = ("claims",)
    # English: the check-worthiness backend; Russian: hand-written rules (propwatch.claims.ru)
    languages = ("en", "ru")
    layer = "claims"
    settings_model = ClaimsSettings

    def _make_backend(self):
        from ..registry import backends

        backend, options = self.settings.backend_options()
        cls = backends.get(backend)
        if backend.startswith(("checkworthiness_linear", "checkworthiness_onnx")):
            return cls(**options)
        return cls()

    def setup(self, resources) -> None:
        """The check-worthiness backend, loaded once per process (shared by stages that ask the same)."""
        s = self.settings
        self._backend = resources.get(("checkworthiness", s.backend, s.embedder), self._make_backend)

    # build_inputs -> backend -> parse_outputs
    def build_inputs(self, doc: Document) -> list[tuple[int, int, int]]:
        """(sentence index, start, end) of each candidate clause."""
        cfg = self.settings
        out = []
        sentences = doc.layer("sentences") or _fallback_sentences(doc.text)
        for i, s in enumerate(sentences):
            if len(s.text) > cfg.max_chars:
                continue
            for a, b in clauses(s.text):
                start, end = _trim(doc.text, s.start + a, s.start + b)
                if len(_WORD.findall(doc.text[start:end])) >= cfg.min_words:
                    out.append((i, start, end))
        return out

    def predict(self, docs: Sequence[Document]) -> list[list[Claim]]:
        from ..who.ru import by_language

        return by_language(docs, self._predict_english, self._predict_russian)

    def _predict_russian(self, docs: Sequence[Document]) -> list[list[Claim]]:
        from dataclasses import replace

        from . import ru

        out = []
        for doc in docs:
            cands = self.build_inputs(doc)
            claims = parse_outputs(doc, cands, ru.score_candidates(doc, cands), ru.THRESHOLD)
            # the English normaliser would write English names into a Russian sentence: keep the text
            out.append([replace(c, method=ru.METHOD, normalized=c.text) for c in claims])
        return out

    def _predict_english(self, docs: Sequence[Document]) -> list[list[Claim]]:
        min_score = self.settings.min_score
        backend = self._backend
        inputs = [self.build_inputs(d) for d in docs]
        flat = [d.text[a:b] for d, cands in zip(docs, inputs) for (_, a, b) in cands]
        scores = backend.score(flat) if flat else []
        threshold = min_score if min_score >= 0 else float(getattr(backend, "threshold", 0.5))
        out, k = [], 0
        for doc, cands in zip(docs, inputs):
            n = len(cands)
            out.append(parse_outputs(doc, cands, [float(x) for x in scores[k:k + n]], threshold))
            k += n
        return out


def parse_outputs(doc: Document, cands: list[tuple[int, int, int]], scores: list[float], threshold: float) -> list[Claim]:
    """Claims from candidate clauses and their scores (no model here: testable on canned scores)."""
    from .normalize import EntityRef, find_entities, normalize_claim

    ents = _entity_refs(doc)
    quotes = list(doc.layer("quotes"))
    claims = []
    for (sent, start, end), score in zip(cands, scores):
        if score < threshold:
            continue
        inside = [e for e in ents if e.start >= start and e.end <= end]
        before = [e for e in ents if e.end <= start]
        ante = next((e for e in reversed(before) if e.label != "PERSON"), None)
        person = next((e for e in reversed(before) if e.label == "PERSON"), None)
        local = [EntityRef(e.start - start, e.end - start, e.entity_id, e.name, e.label) for e in inside]
        attribution = _attribution(doc.text, start, end, quotes, inside)
        ids = tuple(dict.fromkeys(e.entity_id for e in inside if e.entity_id))
        claims.append(
            Claim.of(
                doc.text, start, end,
                checkworthiness=round(float(score), 4),
                sentence=sent,
                entities=ids,
                attributed_to=attribution,
                normalized=normalize_claim(doc.text[start:end], local, ante, person),
            )
        )
    return claims


def _fallback_sentences(text: str):
    from ..records import Sentence

    out = []
    for m in re.finditer(r"[^.!?\n]+(?:[.!?]+|$)", text):
        a, b = _trim(text, m.start(), m.end())
        if b > a:
            out.append(Sentence.of(text, a, b))
    return out


def _entity_refs(doc: Document):
    from .normalize import EntityRef, find_entities

    layer = doc.layer("entities")
    if layer:
        return [
            EntityRef(e.start, e.end, getattr(e, "entity_id", "") or "", getattr(e, "name", "") or e.text,
                      getattr(e, "label", "") or "")
            for e in layer
        ]
    return find_entities(doc.text)


def _attribution(text: str, start: int, end: int, quotes: list, inside) -> Attribution | None:
    for q in quotes:
        overlap = min(end, q.end) - max(start, q.start)
        if overlap > 0.5 * (end - start) or (overlap > 0 and overlap >= 0.8 * (q.end - q.start)):
            sp = getattr(q, "speaker", None)
            return Attribution(
                name=getattr(sp, "name", None), entity_id=getattr(sp, "entity_id", None),
                kind=getattr(sp, "kind", "unknown") or "unknown", source="quote",
                quote_start=q.start, quote_end=q.end,
            )
    sent = text[start:end]
    m = _ACCORDING.search(sent) or _SAID_BY.search(sent) or _SAID_AFTER.search(sent)
    if not m:
        return None
    name = re.sub(r"[\"“”«»]", "", m.group(1)).strip(" ,")
    lo, hi = start + m.start(1), start + m.end(1)
    ent = next((e for e in inside if e.start >= lo and e.end <= hi), None)
    return Attribution(name=name, entity_id=ent.entity_id if ent else None,
                       kind="organization" if ent and ent.label == "ORG" else "unknown", source="pattern")


__all__ = ["Attribution", "Claim", "ClaimsStage", "clauses", "parse_outputs"]
